"""Benchmark 2: audit of a whole log, on every core and on one.

The log is built first through the bulk-append path (untimed), then
``ledger.audit.audit`` re-derives everything with ``processes=2`` and with
``processes=1``; the check is ``verify.events.EntryChecker`` over the signed
trust list the events were admitted under.

    python -m bench.audit [--db URL] [--events N]
"""

from __future__ import annotations

import cProfile
import pstats
import time

from sqlalchemy import Engine

from bench.appending import append_many, open_log, start_pool
from bench.common import (
    Baseline,
    arguments,
    best_of,
    cpu_line,
    header,
    load,
    rate_line,
)
from bench.database import fresh_database
from bench.world import ORIGIN, World, signed_batches, world
from ledger.audit import audit
from verify.events import EntryChecker

TARGET = 1.7


def run_audit(engine: Engine, bench: World, processes: int) -> int:
    """Audit the log once; the number of entries it covered."""
    report = audit(
        engine,
        origin=ORIGIN,
        verifiers=[bench.log_signer.verifier],
        check=EntryChecker([(bench.issued_at, bench.trust_list)]),
        processes=processes,
    )
    return report.tree_size


def main() -> None:
    """Build a log, then measure and print the audit rates."""
    parser = arguments(__doc__ or "")
    parser.add_argument("--events", type=int, default=100_000)
    options = parser.parse_args()
    bench = world()
    baseline = Baseline()
    baseline.measure()
    batches = signed_batches(0, options.events, batch=options.batch)

    with fresh_database(options.db) as database:
        header("audit", database.name)
        started = time.perf_counter()
        log = open_log(database.engine, bench)
        pool = start_pool(bench, batches[0], 2)
        try:
            append_many(log, batches, pool)
        finally:
            pool.close()
        del batches
        print(
            f"built a log of {log.size():,} entries through append_many "
            f"({time.perf_counter() - started:.0f} s, untimed)",
            flush=True,
        )

        rates: dict[int, float] = {}
        cpu_per_entry: dict[int, float] = {}
        for processes in (2, 1):

            def once(processes: int = processes) -> float:
                start, cpu = time.perf_counter(), time.process_time()
                size = run_audit(database.engine, bench, processes)
                seconds = time.perf_counter() - start
                cpu_per_entry[processes] = min(
                    cpu_per_entry.get(processes, float("inf")),
                    (time.process_time() - cpu) / size,
                )
                return size / seconds

            rates[processes], _ = best_of(
                options.repeats, once, label=f"audit processes={processes}"
            )
        baseline.measure()
        for processes, rate in rates.items():
            print(
                rate_line(
                    f"audit, processes={processes}", rate, baseline, unit="entries"
                )
            )
        print(f"speed-up from the second process: {rates[2] / rates[1]:.2f}x")
        # With processes=1 every step runs in this process, so its CPU time is
        # the audit's whole cost; CPU time hardly changes with what else runs.
        print(cpu_line("audit, processes=1", cpu_per_entry[1], baseline, unit="entry"))
        print(
            cpu_line(
                "audit, processes=2, the auditing process alone (each entry's own "
                "checks in the workers)",
                cpu_per_entry[2],
                baseline,
                unit="entry",
            )
        )
        verdict = "met" if rates[2] / baseline.rate >= TARGET else "MISSED"
        print(f"target >= {TARGET}x baseline on 2 cores: {verdict}  load {load():.2f}")
        if options.profile:
            for processes in (2, 1):
                profile = cProfile.Profile()
                profile.runcall(run_audit, database.engine, bench, processes)
                print(f"profile of the auditing process, processes={processes}:")
                pstats.Stats(profile).sort_stats("tottime").print_stats(20)


if __name__ == "__main__":
    main()

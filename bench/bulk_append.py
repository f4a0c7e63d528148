"""Benchmark 1: bulk append of pre-signed events through the full path.

``Log.append_many`` with an ``AdmissionPool`` on every core: canonicalise,
verify, accreditation, references, chain, tree, write. Events are generated
and signed before the clock starts. For comparison, the same events appended
with ``Log.append`` in one process.

    python -m bench.bulk_append [--db URL] [--events N]
"""

from __future__ import annotations

import cProfile
import os
import pstats
import time
from collections.abc import Sequence

from bench.appending import append_many, append_one_process, open_log, start_pool
from bench.common import (
    Baseline,
    arguments,
    best_of,
    cpu_line,
    header,
    load,
    rate_line,
)
from bench.database import fresh_database, storage_bytes
from bench.world import signed_batches, world
from schemas.events import SignedEvent

TARGET = 1.5


def main() -> None:
    """Measure and print the bulk append rates."""
    parser = arguments(__doc__ or "")
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument(
        "--single-events",
        type=int,
        default=20_000,
        help="events for the one-process Log.append comparison",
    )
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1)
    options = parser.parse_args()
    bench = world()
    baseline = Baseline()
    baseline.measure()

    started = time.perf_counter()
    batches = signed_batches(0, options.events, batch=options.batch)
    print(
        f"signed {options.events:,} events in {len(batches)} batches of "
        f"{options.batch} before timing ({time.perf_counter() - started:.0f} s)",
        flush=True,
    )

    storage: dict[str, int] = {}
    busy: list[float] = []
    writer_cpu: list[float] = []
    single_cpu: list[float] = []
    appended: list[int] = []

    def parallel() -> float:
        with fresh_database(options.db) as database:
            log = open_log(database.engine, bench)
            pool = start_pool(bench, batches[0], options.processes)
            cpu = time.process_time()
            try:
                seconds = append_many(log, batches, pool)
            finally:
                pool.close()
            cpu = time.process_time() - cpu
            busy.append(cpu / seconds)
            writer_cpu.append(cpu / options.events)
            storage.clear()
            storage.update(storage_bytes(database))
            appended.append(log.size())
            return float(options.events / seconds)

    single_batches = _first_events(batches, options.single_events)
    single_count = sum(len(batch) for batch in single_batches)

    def single() -> float:
        with fresh_database(options.db) as database:
            log = open_log(database.engine, bench)
            cpu = time.process_time()
            seconds = append_one_process(log, single_batches, bench)
            single_cpu.append((time.process_time() - cpu) / single_count)
            if log.size() != single_count:
                raise SystemExit(
                    f"bench: Log.append left {log.size():,} entries, "
                    f"expected {single_count:,}"
                )
            return float(single_count / seconds)

    with fresh_database(options.db) as probe:
        header("bulk append", probe.name)
    best, _ = best_of(options.repeats, parallel, label="append_many")
    one, _ = best_of(options.repeats, single, label="Log.append")
    baseline.measure()
    print(
        rate_line(
            f"append_many, {options.processes} admission processes, "
            f"{options.events:,} events",
            best,
            baseline,
            unit="events",
        )
    )
    print(
        "writer process busy (its CPU time / wall time) in each run: "
        + ", ".join(f"{share:.0%}" for share in busy)
    )
    print(
        rate_line(
            f"Log.append, 1 process, {single_count:,} events",
            one,
            baseline,
            unit="events",
        )
    )
    # CPU time per event, unlike wall time, hardly changes with what else runs.
    print(cpu_line("Log.append, 1 process", min(single_cpu), baseline, unit="event"))
    print(
        cpu_line(
            "append_many, the writer process alone (admission runs elsewhere)",
            min(writer_cpu),
            baseline,
            unit="event",
        )
    )
    verdict = "met" if best / baseline.rate >= TARGET else "MISSED"
    print(f"target >= {TARGET}x baseline: {verdict}  load {load():.2f}")
    entries = appended[-1]
    for table, size in storage.items():
        print(f"storage {table}: {size:,} bytes = {size / entries:,.0f} bytes/entry")
    if options.profile:
        _profile(options.db, batches, options.processes, options.single_events)


def _first_events(
    batches: Sequence[Sequence[SignedEvent]], wanted: int
) -> list[Sequence[SignedEvent]]:
    """The whole batches that hold the first ``wanted`` events (or all there are)."""
    chosen: list[Sequence[SignedEvent]] = []
    count = 0
    for batch in batches:
        if count >= wanted:
            break
        chosen.append(batch)
        count += len(batch)
    return chosen


def _profile(
    url: str, batches: list[list[SignedEvent]], processes: int, single_events: int
) -> None:
    """Where the time goes: the writer under append_many, and Log.append whole."""
    bench = world()
    with fresh_database(url) as database:
        log = open_log(database.engine, bench)
        pool = start_pool(bench, batches[0], processes)
        writer = cProfile.Profile()
        try:
            writer.runcall(append_many, log, batches, pool)
        finally:
            pool.close()
    print(
        "profile of the writer process under append_many (admission runs in the pool):"
    )
    pstats.Stats(writer).sort_stats("tottime").print_stats(25)
    with fresh_database(url) as database:
        log = open_log(database.engine, bench)
        whole = cProfile.Profile()
        wanted = _first_events(batches, single_events)
        whole.runcall(append_one_process, log, wanted, bench)
    print("profile of Log.append in one process (every step):")
    pstats.Stats(whole).sort_stats("tottime").print_stats(30)


if __name__ == "__main__":
    main()

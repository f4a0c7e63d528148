"""Benchmark 4: append cost and memory as the log grows, and storage per entry.

At each size the log already holds, a fresh process appends new workers'
events on top, twice: through the full path (``Log.append_many`` with an
``AdmissionPool``), and through the writer's step alone (events admitted
beforehand, then each batch's write transaction timed: log size, right
border, the batch's workers' entries, chain, tree, insert, checkpoint).
The process's peak RSS is read with ``resource.getrusage``.

Logs up to ``--real-up-to`` entries are built through the append path; each
size also gets a synthetic prefix (``bench.synthetic``): the real batches
are then appended on top of a tree of made-up leaves. What the append path
reads from that prefix is its size (the newest checkpoint), the tree's
right border (at most log2(n) stored nodes) and the batch's workers' earlier
entries (none there, since the workers are new); the ``entries`` indexes
that every insert maintains hold only the real entries.

    python -m bench.append_scale [--db URL] [--sizes 10000,100000,...]
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing
import resource
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection

from bench.appending import append_many, open_log, start_pool
from bench.common import Baseline, arguments, header, load, rate_line
from bench.database import Database, fresh_database, storage_bytes
from bench.synthetic import extend
from bench.world import EVENTS_PER_WORKER, ORIGIN, signed_batches, world
from ledger.appender import admit, append_batch
from ledger.store.engine import make_engine, write_transaction

MEMORY_LIMIT_MIB = 200
FLAT = 1.5
"""How much the cost at the largest size may exceed that at the smallest."""

FIRST_NEW_EVENT = 10**9
"""Events appended on top of a prefix are numbered from here: new workers."""


@dataclass(frozen=True)
class Stage:
    """What one appending process measured on top of a log of ``size``."""

    size: int
    kind: str
    full_rate: float
    write_us: float
    write_max_us: float
    write_cpu_us: float
    ready_mib: float
    peak_mib: float


def _rss_mib() -> float:
    # Linux reports ru_maxrss in KiB.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _appender(url: str, start: int, count: int, batch: int, out: Connection) -> None:
    """In a fresh process: append ``count`` events twice over; send the figures."""
    bench = world()
    engine = make_engine(url)
    log = open_log(engine, bench)
    half = count // 2
    full = signed_batches(start, half, batch=batch, processes=1)
    alone = signed_batches(start + half, half, batch=batch, processes=1)
    policy = bench.policy()
    now = dt.datetime.now(dt.UTC)
    admitted = [[admit(signed, policy, now=now) for signed in b] for b in alone]
    pool = start_pool(bench, full[0], 2)
    ready = _rss_mib()
    try:
        full_seconds = append_many(log, full, pool)
    finally:
        pool.close()
    seconds = []
    cpu = time.process_time()
    for group in admitted:
        started = time.perf_counter()
        with write_transaction(engine) as connection:
            append_batch(
                connection,
                group,
                signer=bench.log_signer,
                origin=ORIGIN,
                now=dt.datetime.now(dt.UTC),
            )
        seconds.append(time.perf_counter() - started)
    cpu = time.process_time() - cpu
    engine.dispose()
    out.send(
        {
            "full_rate": half / full_seconds,
            "write_us": sum(seconds) / half * 1e6,
            "write_max_us": max(seconds) / batch * 1e6,
            "write_cpu_us": cpu / half * 1e6,
            "ready_mib": ready,
            "peak_mib": _rss_mib(),
        }
    )


def measure(
    database: Database, size: int, kind: str, start: int, count: int, batch: int
) -> Stage:
    """Run one appending process on top of the log as it stands."""
    # Not spawn: Linux carries ru_maxrss over exec, so a spawned child would
    # report this process's peak; a child forked from the small fork server
    # starts counting afresh.
    context = multiprocessing.get_context("forkserver")
    receive, send = context.Pipe(duplex=False)
    process = context.Process(
        target=_appender, args=(database.url, start, count, batch, send)
    )
    process.start()
    figures = receive.recv()
    process.join()
    if process.exitcode:
        raise SystemExit(f"bench: appending process failed: {process.exitcode}")
    return Stage(size=size, kind=kind, **figures)


def main() -> None:
    """Measure and print the append cost, memory and storage at each size."""
    parser = arguments(__doc__ or "")
    parser.add_argument(
        "--sizes", default="10000,100000,1000000,10000000", help="log sizes"
    )
    parser.add_argument("--real-up-to", type=int, default=100_000)
    parser.add_argument(
        "--events", type=int, default=8000, help="events appended at each size"
    )
    options = parser.parse_args()
    unit = 2 * EVENTS_PER_WORKER * options.batch
    if options.events % unit:
        raise SystemExit(f"--events: must be a multiple of {unit}")
    sizes = sorted(int(size) for size in options.sizes.split(","))
    baseline = Baseline()
    baseline.measure()
    stages: list[Stage] = []
    real = [s for s in sizes if s <= options.real_up_to]
    if real:
        with fresh_database(options.db) as database:
            header("append cost and memory", database.name)
            stages += _real(database, real, options, baseline)
    with fresh_database(options.db) as database:
        header("append cost and memory", database.name)
        stages += _synthetic(database, sizes, options, baseline)
    baseline.measure()
    _summary(stages, baseline)


def _real(
    database: Database,
    sizes: list[int],
    options: argparse.Namespace,
    baseline: Baseline,
) -> list[Stage]:
    bench = world()
    batches = signed_batches(0, sizes[-1], batch=options.batch)
    log = open_log(database.engine, bench)
    stages = []
    prefix = 0
    for number, size in enumerate(sizes):
        pool = start_pool(bench, batches[0], 2)
        try:
            append_many(
                log, batches[prefix // options.batch : size // options.batch], pool
            )
        finally:
            pool.close()
        prefix = size
        start = FIRST_NEW_EVENT + number * options.events
        stage = measure(
            database, log.size(), "real", start, options.events, options.batch
        )
        stages.append(stage)
        _print_stage(stage, baseline)
        entries = log.size()
        for table, used in storage_bytes(database).items():
            print(
                f"  storage {table}: {used:,} bytes = {used / entries:,.0f} bytes/entry"
            )
    return stages


def _synthetic(
    database: Database,
    sizes: list[int],
    options: argparse.Namespace,
    baseline: Baseline,
) -> list[Stage]:
    bench = world()
    log = open_log(database.engine, bench)
    stages = []
    for number, size in enumerate(sizes):
        started = time.perf_counter()
        extend(database, log.size(), size, origin=ORIGIN, signer=bench.log_signer)
        print(
            f"synthetic prefix of {size:,} leaves written "
            f"({time.perf_counter() - started:.0f} s)",
            flush=True,
        )
        start = FIRST_NEW_EVENT + number * options.events
        stage = measure(
            database, size, "synthetic", start, options.events, options.batch
        )
        stages.append(stage)
        _print_stage(stage, baseline)
        tree = storage_bytes(database)["tree_nodes"]
        print(f"  storage tree_nodes: {tree / log.size():,.0f} bytes/leaf")
    return stages


def _print_stage(stage: Stage, baseline: Baseline) -> None:
    print(
        "  "
        + rate_line(
            f"{stage.kind} prefix of {stage.size:,}: full path",
            stage.full_rate,
            baseline,
            unit="events",
        )
    )
    in_verifies = stage.write_us * 1e-6 * baseline.rate
    cpu_verifies = stage.write_cpu_us * 1e-6 * baseline.cpu_rate
    print(
        f"  writer step {stage.write_us:,.0f} us/event (worst batch "
        f"{stage.write_max_us:,.0f} us/event) = {in_verifies:.2f} "
        f"verify-times; its CPU time {stage.write_cpu_us:,.0f} us/event = "
        f"{cpu_verifies:.2f} verify-times; peak RSS {stage.peak_mib:.0f} MiB "
        f"({stage.ready_mib:.0f} MiB before appending)  load {load():.2f}",
        flush=True,
    )


def _summary(stages: list[Stage], baseline: Baseline) -> None:
    print(
        "summary (full path events/s and ratio to baseline; writer step us/event, "
        "wall and CPU; peak RSS of the appending process):"
    )
    for stage in stages:
        print(
            f"  {stage.kind:9} {stage.size:>12,}  {stage.full_rate:7,.0f}/s "
            f"{stage.full_rate / baseline.rate:5.2f}x  {stage.write_us:8,.0f} us  "
            f"{stage.write_cpu_us:8,.0f} us CPU  "
            f"{stage.peak_mib:5.0f} MiB"
        )
    synthetic = [s for s in stages if s.kind == "synthetic"]
    first, last = synthetic[0], synthetic[-1]
    growth = last.write_us / first.write_us
    print(
        f"target writer cost flat ({first.size:,} -> {last.size:,}, <= {FLAT}x): "
        f"{'met' if growth <= FLAT else 'MISSED'} ({growth:.2f}x)"
    )
    cpu_growth = last.write_cpu_us / first.write_cpu_us
    print(
        f"target writer CPU time flat ({first.size:,} -> {last.size:,}, <= {FLAT}x): "
        f"{'met' if cpu_growth <= FLAT else 'MISSED'} ({cpu_growth:.2f}x)"
    )
    peak = max(s.peak_mib for s in stages)
    memory_growth = last.peak_mib / first.peak_mib
    print(
        f"target peak RSS < {MEMORY_LIMIT_MIB} MiB and flat: "
        f"{'met' if peak < MEMORY_LIMIT_MIB and memory_growth <= FLAT else 'MISSED'} "
        f"(largest {peak:.0f} MiB, {memory_growth:.2f}x from the smallest size)"
    )


if __name__ == "__main__":
    main()

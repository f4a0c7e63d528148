"""Benchmark 3: inclusion and consistency proofs served from the database.

Latency of ``Log.inclusion_proof`` and ``Log.consistency_proof`` (median and
p99 over random requests against the latest tree size) at each size. Sizes
up to ``--real-up-to`` are real logs built through the append path; every
size also gets a synthetic log (see ``bench.synthetic``): leaves made up,
the tree stored exactly as appends store it. Before timing, sampled proofs
are checked with ``ledger.merkle`` against roots computed independently.

    python -m bench.proofs [--db URL] [--sizes 10000,100000,...]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select

from bench.appending import append_many, open_log, start_pool
from bench.common import Baseline, arguments, header, load, median, percentile
from bench.database import Database, fresh_database, storage_bytes
from bench.synthetic import extend, reference_root, synthetic_leaf
from bench.world import ORIGIN, signed_batches, world
from ledger import merkle
from ledger.checkpoint import open_checkpoint
from ledger.log import Log
from ledger.store.tables import EntryRow

TARGET_MS = 0.5
TARGET_GROWTH = 1.5
CHECKED = 25
WARM_UP = 100
MIN_REQUESTS = 5
INDEPENDENT_ROOT_UP_TO = 1 << 17
PROFILED = 200


@dataclass(frozen=True)
class Latencies:
    """Median and p99 of one kind of proof at one size, in seconds."""

    median: float
    p99: float
    requests: int


def _timed(requests: int, budget_s: float, ask: Callable[[], object]) -> Latencies:
    """Latencies of up to ``requests`` calls, stopping early after ``budget_s``.

    The budget keeps a size at which proofs are slow from taking hours; the
    number of requests actually timed is reported with the figures.
    """
    deadline = time.perf_counter() + budget_s / 10
    for _ in range(WARM_UP):
        ask()
        if time.perf_counter() > deadline:
            break
    seconds: list[float] = []
    deadline = time.perf_counter() + budget_s
    while len(seconds) < requests and (
        len(seconds) < MIN_REQUESTS or time.perf_counter() < deadline
    ):
        start = time.perf_counter()
        ask()
        seconds.append(time.perf_counter() - start)
    return Latencies(median(seconds), percentile(seconds, 0.99), len(seconds))


def measure(
    log: Log, size: int, requests: int, budget_s: float, rng: random.Random
) -> dict[str, Latencies]:
    """Latencies of random inclusion and consistency proofs at ``size``."""
    return {
        "inclusion": _timed(
            requests,
            budget_s,
            lambda: log.inclusion_proof(rng.randrange(size), size),
        ),
        "consistency": _timed(
            requests,
            budget_s,
            lambda: log.consistency_proof(rng.randrange(1, size), size),
        ),
    }


def check_proofs(
    log: Log,
    size: int,
    leaf: Callable[[int], bytes],
    roots: dict[int, bytes],
    rng: random.Random,
) -> int:
    """Verify sampled proofs against known roots; how many were checked."""
    checked = 0
    for _ in range(CHECKED):
        index = rng.randrange(size)
        proof = log.inclusion_proof(index, size)
        merkle.verify_inclusion(leaf(index), index, size, proof, roots[size])
        checked += 1
    for first, root in roots.items():
        if first < size:
            proof = log.consistency_proof(first, size)
            merkle.verify_consistency(first, size, proof, root, roots[size])
            checked += 1
    for _ in range(CHECKED // 5):
        first = rng.randrange(1, min(size, INDEPENDENT_ROOT_UP_TO))
        root = reference_root([leaf(i) for i in range(first)])
        proof = log.consistency_proof(first, size)
        merkle.verify_consistency(first, size, proof, root, roots[size])
        checked += 1
    return checked


def main() -> None:
    """Measure and print proof latencies at each size, real and synthetic."""
    parser = arguments(__doc__ or "")
    parser.add_argument(
        "--sizes", default="10000,100000,1000000,10000000", help="tree sizes"
    )
    parser.add_argument("--real-up-to", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument(
        "--budget",
        type=float,
        default=60.0,
        help="seconds at most per size and kind of proof (at least 5 requests)",
    )
    options = parser.parse_args()
    sizes = sorted(int(size) for size in options.sizes.split(","))
    baseline = Baseline()
    baseline.measure()
    results: dict[tuple[str, int], dict[str, Latencies]] = {}
    rng = random.Random(9162)

    real_sizes = [s for s in sizes if s <= options.real_up_to]
    if real_sizes:
        with fresh_database(options.db) as database:
            header("proofs", database.name)
            _real(database, real_sizes, options, rng, results, baseline)
    with fresh_database(options.db) as database:
        header("proofs", database.name)
        _synthetic(database, sizes, options, rng, results, baseline)
    baseline.measure()
    _summary(results, baseline)


def _real(
    database: Database,
    sizes: list[int],
    options: argparse.Namespace,
    rng: random.Random,
    results: dict[tuple[str, int], dict[str, Latencies]],
    baseline: Baseline,
) -> None:
    bench = world()
    batch = options.batch
    batches = signed_batches(0, sizes[-1], batch=batch)
    log = open_log(database.engine, bench)
    roots: dict[int, bytes] = {}
    pool = start_pool(bench, batches[0], 2)
    try:
        for size in sizes:
            started = time.perf_counter()
            append_many(log, batches[log.size() // batch : size // batch], pool)
            note = open_checkpoint(log.checkpoint(), [bench.log_signer.verifier])
            roots[size] = note.root_hash
            print(
                f"real log of {log.size():,} entries appended "
                f"({time.perf_counter() - started:.0f} s)",
                flush=True,
            )
            checked = check_proofs(
                log, size, _leaf_hashes(database).__getitem__, roots, rng
            )
            results["real", size] = _report(
                log, size, "real", checked, options, rng, database, baseline
            )
    finally:
        pool.close()


def _leaf_hashes(database: Database) -> list[bytes]:
    """Every entry's leaf hash, recomputed from its leaf data."""
    with database.engine.connect() as connection:
        rows = connection.execute(
            select(EntryRow.leaf_data).order_by(EntryRow.log_index)
        )
        return [merkle.leaf_hash(leaf_data) for (leaf_data,) in rows]


def _synthetic(
    database: Database,
    sizes: list[int],
    options: argparse.Namespace,
    rng: random.Random,
    results: dict[tuple[str, int], dict[str, Latencies]],
    baseline: Baseline,
) -> None:
    bench = world()
    log = open_log(database.engine, bench)
    roots: dict[int, bytes] = {}
    size = 0
    for target in sizes:
        started = time.perf_counter()
        roots[target] = extend(
            database, size, target, origin=ORIGIN, signer=bench.log_signer
        )
        size = target
        print(
            f"synthetic tree of {size:,} leaves written "
            f"({time.perf_counter() - started:.0f} s)",
            flush=True,
        )
        independent = size <= INDEPENDENT_ROOT_UP_TO
        if independent and roots[size] != reference_root(
            [synthetic_leaf(i) for i in range(size)]
        ):
            raise SystemExit(f"bench: synthetic root of size {size} is wrong")
        checked = check_proofs(log, size, synthetic_leaf, roots, rng)
        results["synthetic", size] = _report(
            log, size, "synthetic", checked, options, rng, database, baseline
        )
    if options.profile:
        profile = cProfile.Profile()
        for _ in range(PROFILED):
            index = rng.randrange(size)
            profile.runcall(log.inclusion_proof, index, size)
        print(f"profile of {PROFILED} inclusion proofs at {size:,}, by own time:")
        pstats.Stats(profile).sort_stats("tottime").print_stats(20)


def _report(
    log: Log,
    size: int,
    kind: str,
    checked: int,
    options: argparse.Namespace,
    rng: random.Random,
    database: Database,
    baseline: Baseline,
) -> dict[str, Latencies]:
    measured = measure(log, size, options.requests, options.budget, rng)
    tree = storage_bytes(database)["tree_nodes"]
    print(
        f"  {checked} sampled proofs verified; tree_nodes {tree / size:.0f} bytes/leaf"
    )
    for name, latency in measured.items():
        print(
            f"  {name} proof, {kind} log of {size:,}: median "
            f"{latency.median * 1e3:.3f} ms (= {latency.median * baseline.rate:.2f} "
            f"verify-times), p99 {latency.p99 * 1e3:.3f} ms over {latency.requests} "
            f"requests  load {load():.2f}",
            flush=True,
        )
    return measured


def _summary(
    results: dict[tuple[str, int], dict[str, Latencies]], baseline: Baseline
) -> None:
    print(
        f"summary (median / p99 in ms; x = median times the baseline rate, i.e. "
        f"in units of one Ed25519 verify at {baseline.rate:,.0f}/s):"
    )
    smallest = {kind: min(s for k, s in results if k == kind) for kind, _ in results}
    for (kind, size), measured in results.items():
        for name, latency in measured.items():
            first = results[kind, smallest[kind]][name].median
            print(
                f"  {kind:9} {size:>12,} {name:11} {latency.median * 1e3:7.3f} / "
                f"{latency.p99 * 1e3:7.3f}  n={latency.requests:<4}  "
                f"x{latency.median * baseline.rate:5.2f}  "
                f"{latency.median / first:4.2f}x the {smallest[kind]:,} figure"
            )
    largest = max(s for k, s in results if k == "synthetic")
    for name in ("inclusion", "consistency"):
        top = results["synthetic", largest][name].median
        growth = top / results["synthetic", smallest["synthetic"]][name].median
        met = top * 1e3 <= TARGET_MS and growth <= TARGET_GROWTH
        print(
            f"target {name} at {largest:,}: <= {TARGET_MS} ms and <= "
            f"{TARGET_GROWTH}x the {smallest['synthetic']:,} figure: "
            f"{'met' if met else 'MISSED'} ({top * 1e3:.3f} ms, {growth:.2f}x)"
        )


if __name__ == "__main__":
    main()

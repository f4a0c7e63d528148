"""Appending pre-signed batches through the log's own paths, and timing it."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Sequence

from sqlalchemy import Engine

from bench.world import ORIGIN, World
from ledger.admission import AdmissionPool
from ledger.appender import Outcome
from ledger.log import Log
from schemas.events import SignedEvent


def open_log(engine: Engine, world: World) -> Log:
    """The benchmark's log, with its signing key."""
    return Log(engine, origin=ORIGIN, signer=world.log_signer)


def start_pool(
    world: World, sample: Sequence[SignedEvent], processes: int
) -> AdmissionPool:
    """An admission pool whose workers are up and hold the policy already."""
    pool = AdmissionPool(world.policy_factory(), processes=processes)
    warm = [pool.submit(sample[:1], dt.datetime.now(dt.UTC)) for _ in range(processes)]
    for future in warm:
        future.result()
    return pool


def append_many(
    log: Log, batches: Sequence[Sequence[SignedEvent]], pool: AdmissionPool
) -> float:
    """Append every batch with ``Log.append_many``; the seconds it took."""
    start = time.perf_counter()
    for outcomes in log.append_many(batches, pool):
        _check(outcomes)
    return time.perf_counter() - start


def append_one_process(
    log: Log, batches: Sequence[Sequence[SignedEvent]], world: World
) -> float:
    """Append every batch with ``Log.append`` in this process; the seconds it took."""
    policy = world.policy()
    start = time.perf_counter()
    for batch in batches:
        _check(log.append(batch, policy))
    return time.perf_counter() - start


def _check(outcomes: Sequence[Outcome]) -> None:
    for outcome in outcomes:
        if outcome.entry is None or outcome.duplicate:
            # A benchmark that refuses its own events measures nothing.
            raise SystemExit(f"bench: event not appended: {outcome}")

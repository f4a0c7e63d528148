"""The append-only signed log: append, read entries, prove, checkpoint."""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future

from sqlalchemy import Connection, Engine, select

from ledger import merkle
from ledger.admission import Admission, AdmissionPool
from ledger.appender import (
    Admitted,
    EventPolicy,
    Outcome,
    admit,
    append_batch,
)
from ledger.checkpoint import Checkpoint
from ledger.entry import Entry
from ledger.errors import EventRefused, ProofRequestError
from ledger.note import NoteSigner
from ledger.risk.screen import RiskScreen
from ledger.shards import Shard, index_text, locate, period_of, shard_origin
from ledger.store.engine import write_transaction
from ledger.store.nodes import UpperNodes
from ledger.store.shards import (
    all_shards,
    log_size,
    shard_size,
    sized_shard,
)
from ledger.store.tables import CheckpointRow, EntryRow
from schemas.events import SignedEvent

logger = logging.getLogger(__name__)


def utc_now() -> dt.datetime:
    """The current time in UTC."""
    return dt.datetime.now(dt.UTC)


class Log:
    """One log, named by its checkpoint ``origin``, stored in ``engine``."""

    def __init__(
        self,
        engine: Engine,
        *,
        origin: str,
        signer: NoteSigner | None = None,
        clock: Callable[[], dt.datetime] = utc_now,
        risk: RiskScreen | None = None,
    ) -> None:
        self.engine = engine
        self.origin = origin
        self.signer = signer
        self.clock = clock
        self.risk = risk
        self._upper_nodes = UpperNodes()

    def append(
        self, submissions: Sequence[SignedEvent], policy: EventPolicy
    ) -> list[Outcome]:
        """Append a batch; each submission gets an outcome in the same order."""
        now = self.clock()
        admissions: list[Admission] = []
        for signed in submissions:
            try:
                admissions.append(admit(signed, policy, now=now))
            except EventRefused as refused:
                admissions.append(refused)
        return self._write(admissions)

    def append_many(
        self,
        batches: Iterable[Sequence[SignedEvent]],
        pool: AdmissionPool,
        *,
        ahead: int = 2,
    ) -> Iterator[list[Outcome]]:
        """Append batch after batch, admitting the next ones in ``pool`` meanwhile.

        Each batch is written in its own transaction, in order; its outcomes
        are yielded once it has committed.
        """
        pending: deque[Future[list[Admission]]] = deque()
        remaining = iter(batches)

        def admit_next() -> None:
            batch = next(remaining, None)
            if batch is not None:
                pending.append(pool.submit(batch, self.clock()))

        for _ in range(pool.processes + ahead):
            admit_next()
        while pending:
            admissions = pending.popleft().result()
            admit_next()
            yield self._write(admissions)

    def _write(self, admissions: Sequence[Admission]) -> list[Outcome]:
        """Steps 2-4 for the admitted events; the refused keep their reason."""
        if self.signer is None:
            raise RuntimeError("log: opened without its signing key, cannot append")
        admitted = [a for a in admissions if isinstance(a, Admitted)]
        appended: Iterator[Outcome] = iter(())
        if admitted:
            with write_transaction(self.engine) as connection:
                # logged_at is read under the lock, so it never runs backwards
                written = append_batch(
                    connection,
                    admitted,
                    signer=self.signer,
                    origin=self.origin,
                    now=self.clock(),
                    risk=self.risk,
                )
            appended = iter(written)
        return [
            next(appended) if isinstance(a, Admitted) else Outcome(refused=a)
            for a in admissions
        ]

    def size(self) -> int:
        """The number of entries in the log, all shards together."""
        with self.engine.connect() as connection:
            return log_size(connection)

    def shards(self) -> list[Shard]:
        """Every shard, oldest first (none for an empty log)."""
        with self.engine.connect() as connection:
            return all_shards(connection)

    def shard_index(self) -> str:
        """The shard index as a note signed with the log key."""
        if self.signer is None:
            raise RuntimeError("log: opened without its signing key")
        return self.signer.sign(index_text(self.origin, self.shards()))

    def locate(self, position: int) -> tuple[Shard, int]:
        """The shard holding global ``position``, and the index within it."""
        shard, index = locate(self.shards(), position)
        if index >= self.shard_size(shard.period):
            raise ProofRequestError(f"position: no entry at {position}")
        return shard, index

    def shard(self, period: int | None = None) -> Shard:
        """The shard of ``period``; by default the newest (or this year's, if none)."""
        with self.engine.connect() as connection:
            return self._sized_shard(connection, period)[0]

    def _sized_shard(
        self, connection: Connection, period: int | None
    ) -> tuple[Shard, int]:
        """``shard`` and its size; raise ProofRequestError for an unknown period."""
        found = sized_shard(connection, period)
        if found is not None:
            return found
        if period is not None:
            raise ProofRequestError(f"period: the log has no shard for {period}")
        year = period_of(self.clock())
        return Shard(year, shard_origin(self.origin, year), 0), 0

    def shard_size(self, period: int) -> int:
        """The number of entries in the shard of ``period``."""
        with self.engine.connect() as connection:
            return shard_size(connection, period)

    def checkpoint(self, period: int | None = None) -> str:
        """A shard's newest signed checkpoint (of the empty tree if none yet)."""
        with self.engine.connect() as connection:
            shard, _ = self._sized_shard(connection, period)
            note = connection.execute(
                select(CheckpointRow.note)
                .where(CheckpointRow.period == shard.period)
                .order_by(CheckpointRow.tree_size.desc())
                .limit(1)
            ).scalar()
        if note is not None:
            return str(note)
        if self.signer is None:
            raise ProofRequestError("checkpoint: the log has not signed any yet")
        return Checkpoint(shard.origin, 0, merkle.EMPTY_ROOT).sign(self.signer)

    def entry(self, log_index: int) -> Entry:
        """The entry at global position ``log_index``; raise ProofRequestError."""
        with self.engine.connect() as connection:
            leaf_data = connection.execute(
                select(EntryRow.leaf_data).where(EntryRow.log_index == log_index)
            ).scalar()
        if leaf_data is None:
            raise ProofRequestError(f"entry: no entry at index {log_index}")
        return Entry.from_json(json.loads(leaf_data))

    def shard_entry(self, index: int, period: int | None = None) -> Entry:
        """Leaf ``index`` of a shard's tree (by default the newest shard's)."""
        with self.engine.connect() as connection:
            shard, size = self._sized_shard(connection, period)
            if not 0 <= index < size:
                raise ProofRequestError(f"entry: {shard.origin} has no leaf {index}")
        return self.entry(shard.first_position + index)

    def worker_entries(self, worker_id: str) -> list[Entry]:
        """A worker's entries in chain order."""
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(EntryRow.leaf_data)
                .where(EntryRow.worker_id == worker_id)
                .order_by(EntryRow.worker_seq)
            )
            return [Entry.from_json(json.loads(leaf_data)) for (leaf_data,) in rows]

    def root(self, tree_size: int, period: int | None = None) -> bytes:
        """The root of a shard's tree at ``tree_size`` (≤ its current size)."""
        nodes = merkle.perfect_subtrees(0, tree_size)
        return merkle.fold([self._nodes(period, tree_size, nodes)[n] for n in nodes])

    def inclusion_proof(
        self, index: int, tree_size: int, period: int | None = None
    ) -> list[bytes]:
        """PATH(index, D[tree_size]) in a shard's tree, leaf to root."""
        ranges = merkle.inclusion_ranges(index, tree_size)
        return merkle.proof_hashes(ranges, lambda n: self._nodes(period, tree_size, n))

    def consistency_proof(
        self, first: int, second: int, period: int | None = None
    ) -> list[bytes]:
        """PROOF(first, D[second]) in a shard's tree."""
        ranges = merkle.consistency_ranges(first, second)
        return merkle.proof_hashes(ranges, lambda n: self._nodes(period, second, n))

    def _nodes(
        self, period: int | None, tree_size: int, nodes: Iterable[merkle.Node]
    ) -> Mapping[merkle.Node, bytes]:
        """Stored subtree hashes of a shard whose tree has ``tree_size`` leaves."""
        with self.engine.connect() as connection:
            shard, size = self._sized_shard(connection, period)
            if not 0 <= tree_size <= size:
                raise ProofRequestError(
                    f"tree_size: {tree_size} is beyond the size {size} of "
                    f"{shard.origin}"
                )
            return self._upper_nodes.fetch(connection, shard.period, size, nodes)

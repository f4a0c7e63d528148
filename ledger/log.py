"""The append-only signed log: append, read entries, prove, checkpoint."""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
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
    log_size,
)
from ledger.checkpoint import Checkpoint
from ledger.entry import Entry
from ledger.errors import EventRefused, ProofRequestError
from ledger.note import NoteSigner
from ledger.store.engine import write_transaction
from ledger.store.nodes import fetch_nodes
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
    ) -> None:
        self.engine = engine
        self.origin = origin
        self.signer = signer
        self.clock = clock

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
                )
            appended = iter(written)
        return [
            next(appended) if isinstance(a, Admitted) else Outcome(refused=a)
            for a in admissions
        ]

    def size(self) -> int:
        """The number of entries in the log."""
        with self.engine.connect() as connection:
            return log_size(connection)

    def checkpoint(self) -> str:
        """The latest signed checkpoint note (of the empty tree if none yet)."""
        with self.engine.connect() as connection:
            note = connection.execute(
                select(CheckpointRow.note)
                .order_by(CheckpointRow.tree_size.desc())
                .limit(1)
            ).scalar()
        if note is not None:
            return str(note)
        if self.signer is None:
            raise ProofRequestError("checkpoint: the log has not signed any yet")
        return Checkpoint(self.origin, 0, merkle.EMPTY_ROOT).sign(self.signer)

    def entry(self, log_index: int) -> Entry:
        """The entry at ``log_index``; raise ProofRequestError if there is none."""
        with self.engine.connect() as connection:
            leaf_data = connection.execute(
                select(EntryRow.leaf_data).where(EntryRow.log_index == log_index)
            ).scalar()
        if leaf_data is None:
            raise ProofRequestError(f"entry: no entry at index {log_index}")
        return Entry.from_json(json.loads(leaf_data))

    def worker_entries(self, worker_id: str) -> list[Entry]:
        """A worker's entries in chain order."""
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(EntryRow.leaf_data)
                .where(EntryRow.worker_id == worker_id)
                .order_by(EntryRow.worker_seq)
            )
            return [Entry.from_json(json.loads(leaf_data)) for (leaf_data,) in rows]

    def root(self, tree_size: int) -> bytes:
        """The root hash of the tree at ``tree_size`` (≤ the current size)."""
        with self.engine.connect() as connection:
            self._check_size(connection, tree_size)
            nodes = merkle.perfect_subtrees(0, tree_size)
            found = fetch_nodes(connection, nodes)
            return merkle.fold([found[node] for node in nodes])

    def inclusion_proof(self, log_index: int, tree_size: int) -> list[bytes]:
        """PATH(log_index, D[tree_size]) from stored subtree hashes, leaf to root."""
        ranges = merkle.inclusion_ranges(log_index, tree_size)
        with self.engine.connect() as connection:
            self._check_size(connection, tree_size)
            return merkle.proof_hashes(ranges, lambda n: fetch_nodes(connection, n))

    def consistency_proof(self, first: int, second: int) -> list[bytes]:
        """PROOF(first, D[second]) from stored subtree hashes."""
        ranges = merkle.consistency_ranges(first, second)
        with self.engine.connect() as connection:
            self._check_size(connection, second)
            return merkle.proof_hashes(ranges, lambda n: fetch_nodes(connection, n))

    @staticmethod
    def _check_size(connection: Connection, tree_size: int) -> None:
        size = log_size(connection)
        if not 0 <= tree_size <= size:
            raise ProofRequestError(
                f"tree_size: {tree_size} is beyond the log's size {size}"
            )

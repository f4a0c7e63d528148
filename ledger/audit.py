"""Audit: re-derive everything the log claims and compare with what it signed.

The audit reads the log once, in index order, and stops at the first fault:

1. Every signed checkpoint verifies with the log's note key and the
   origin of its shard; the shards follow one another with no gap
   (``ledger/audit_signed.py``).
2. Entries are numbered 0, 1, 2, … with no gap, and each row's leaf data
   says the same index; the lookup columns agree with the leaf data.
3. The stored leaf hash is SHA-256(0x00 || leaf data) and the event hash is
   the hash of the event's RFC 8785 bytes, a slice of the leaf data.
4. The event's signature, issuer key and accreditation check (``check``).

Steps 2 to 4 concern one entry each and run in worker processes
(``ledger/audit_entries.py``); this module keeps the order, the chains and
the trees.
5. Each worker's entries form one chain: sequence 0, 1, 2, … each naming
   the leaf hash of the one before.
6. Each shard's tree rebuilt from its leaves has, at every checkpoint's
   size, the root that checkpoint signed; the stored subtree hashes are
   the rebuilt ones; no entry lies beyond its shard's last checkpoint.

A changed byte, a swapped signature, a deleted, inserted or reordered entry,
a forked chain or a history rewritten without the log key each break one
of these steps.
"""

from __future__ import annotations

import logging
import os
from collections import deque
from collections.abc import Generator, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, Row, select
from sqlalchemy.exc import StatementError

from ledger import merkle
from ledger.audit_entries import (
    CHUNK,
    ChunkResult,
    Database,
    EntryCheck,
    EntryChecks,
    rows_in_order,
)
from ledger.audit_signed import SignedTrees, signed_trees
from ledger.errors import AuditFailure
from ledger.note import NoteVerifier
from ledger.shards import Shard
from ledger.store.tables import TreeNodeRow

logger = logging.getLogger(__name__)

PARALLEL_FROM = 20_000
"""Below this many entries, starting worker processes costs more than it saves."""


@dataclass(frozen=True)
class AuditReport:
    """What an audit that passed covered."""

    tree_size: int
    shards: int
    checkpoints: int
    workers: int


def audit(
    engine: Engine,
    *,
    origin: str,
    verifiers: Sequence[NoteVerifier],
    check: EntryCheck,
    witnessed: Sequence[str] = (),
    processes: int | None = None,
) -> AuditReport:
    """Audit the whole log; raise AuditFailure naming the first bad index.

    ``origin`` is the log's base name; each shard's checkpoints carry its
    own (``ledger/shards.py``). ``witnessed`` are signed checkpoints kept
    outside the database (by a monitor, a passport holder, a copy the
    service writes): they catch a log rolled back together with its
    checkpoints table. Each entry's own checks run in ``processes`` workers
    (default: one per core) once the log is large.
    """
    with (
        engine.connect() as connection,
        closing(_stored_nodes(connection)) as stored_nodes,
        closing(rows_in_order(connection)) as rows,
    ):
        signed = signed_trees(connection, origin, verifiers, witnessed)
        if processes is None:
            large = signed.total() >= PARALLEL_FROM
            processes = (os.cpu_count() or 1) if large else 1
        database = Database.of(engine, connection) if processes > 1 else None
        with EntryChecks(
            engine, check, database=database, processes=processes
        ) as entries:
            try:
                sizes, workers = _walk(
                    rows, _StoredNodes(stored_nodes), signed, entries
                )
            except StatementError as exc:
                # a value of the wrong type where bytes belong: changed by hand
                raise AuditFailure(None, "unreadable table", str(exc.orig)) from exc
    for shard in signed.shards:
        # a shard's size is read from its newest checkpoint: they must agree
        stored, size = signed.stored_size.get(shard.period, 0), sizes[shard.period]
        if stored != size:
            raise AuditFailure(
                shard.first_position + min(stored, size),
                "deleted checkpoint",
                f"the newest stored checkpoint of {shard.origin} has size {stored}, "
                f"the shard {size} entries",
            )
    tree_size = sum(sizes.values())
    logger.debug(
        "audit passed: %s entries in %s shards, %s checkpoints",
        tree_size,
        len(signed.shards),
        signed.stored_count,
    )
    return AuditReport(
        tree_size=tree_size,
        shards=len(signed.shards),
        checkpoints=signed.stored_count,
        workers=workers,
    )


def _walk(
    rows: Iterator[Row[int, bytes, str, int]],
    stored: _StoredNodes,
    signed: SignedTrees,
    entries: EntryChecks,
) -> tuple[dict[int, int], int]:
    """Steps 2-6 in log order; each shard's size, and the number of workers.

    The steps that need no other entry come from ``entries``, chunk by
    chunk; this process only compares indexes, follows chains and hashes
    the trees.
    """
    heads: dict[str, tuple[int, bytes]] = {}
    sizes: dict[int, int] = {}
    upcoming = deque(signed.shards)
    tree: _ShardRebuild | None = None
    chunk = ChunkResult([], None)
    chunk_start = 0

    def next_shard() -> _ShardRebuild:
        if tree is not None:
            sizes[tree.shard.period] = tree.finish(upcoming[0] if upcoming else None)
        shard = upcoming.popleft()
        return _ShardRebuild(shard, signed.roots.get(shard.period, {}), stored)

    for position, (log_index, leaf_hash, worker_id, worker_seq) in enumerate(rows):
        if log_index != position:
            kind = "missing entry" if log_index > position else "reordered entry"
            raise AuditFailure(position, kind, f"found index {log_index} next")
        while upcoming and position >= upcoming[0].first_position:
            tree = next_shard()
        if tree is None:
            raise AuditFailure(position, "inserted entry", "the log has no shard yet")
        tree.expect_leaf()
        if position % CHUNK == 0:
            chunk, chunk_start = entries.chunk(position), position
        offset = position - chunk_start
        if offset == len(chunk.prevs):
            raise AuditFailure(*(chunk.failure or _unseen(position)))
        link = (worker_seq, chunk.prevs[offset])
        _check_chain(position, worker_id, link, leaf_hash, heads)
        tree.add(leaf_hash)
    while upcoming:
        tree = next_shard()
    if tree is not None:
        sizes[tree.shard.period] = tree.finish(None)
    return sizes, len(heads)


def _unseen(position: int) -> tuple[int, str, str]:
    # the worker read fewer rows than this process: the table changed meanwhile
    return (position, "missing entry", "the entry's own checks did not see it")


def _check_chain(
    index: int,
    worker_id: str,
    link: tuple[int, bytes | None],
    leaf_hash: bytes,
    heads: dict[str, tuple[int, bytes]],
) -> None:
    head = heads.get(worker_id)
    expected = (head[0] + 1, head[1]) if head else (0, None)
    if link != expected:
        raise AuditFailure(
            index,
            "forked chain",
            f"worker entry {link[0]} does not follow entry {expected[0] - 1}",
        )
    heads[worker_id] = (link[0], leaf_hash)


class _ShardRebuild:
    """One shard's tree rebuilt leaf by leaf against its roots and stored nodes."""

    def __init__(
        self, shard: Shard, roots: dict[int, bytes], stored: _StoredNodes
    ) -> None:
        self.shard = shard
        self.roots = roots
        self.signed_size = max(roots, default=0)
        self.stored = stored
        self.border: merkle.Border = []
        self.size = 0

    def expect_leaf(self) -> None:
        """Check that a checkpoint of this shard covers one more leaf."""
        if self.size >= self.signed_size:
            raise AuditFailure(
                self.shard.first_position + self.size,
                "inserted entry",
                f"beyond the last checkpoint of {self.shard.origin}",
            )

    def add(self, leaf_hash: bytes) -> None:
        """Append a leaf; check the nodes it completes and the root at the new size."""
        start = self.shard.first_position
        for node, digest in merkle.append_leaf(self.border, self.size, leaf_hash):
            self.stored.check(self.shard, node, digest)
        self.size += 1
        root = self.roots.get(self.size)
        if root is not None and merkle.fold([h for _, h in self.border]) != root:
            earlier = max((s for s in self.roots if s < self.size), default=0)
            raise AuditFailure(
                start + earlier,
                "history rewritten",
                f"the tree of {self.shard.origin} at size {self.size} does not have "
                f"the signed root; the change lies in entries {start + earlier} to "
                f"{start + self.size - 1}",
            )

    def finish(self, following: Shard | None) -> int:
        """Check nothing signed or stored is missing; return the shard's size."""
        if self.size < self.signed_size:
            raise AuditFailure(
                self.shard.first_position + self.size,
                "truncated log",
                f"a checkpoint of {self.shard.origin} signed size {self.signed_size}",
            )
        self.stored.check_none_before(following, self.shard.first_position + self.size)
        return self.size


class _StoredNodes:
    """Stored subtree hashes, shard by shard, in the order a rebuild makes them."""

    def __init__(self, rows: Iterator[tuple[int, merkle.Node, bytes]]) -> None:
        self.rows = rows
        self.peeked: tuple[int, merkle.Node, bytes] | None = None

    def _next(self) -> tuple[int, merkle.Node, bytes] | None:
        found, self.peeked = self.peeked, None
        return found if found is not None else next(self.rows, None)

    def check(self, shard: Shard, node: merkle.Node, digest: bytes) -> None:
        """The next stored node is ``node`` of ``shard``, with hash ``digest``."""
        position = shard.first_position + (node[1] << node[0])
        found = self._next()
        if found is None or found[:2] != (shard.period, node):
            raise AuditFailure(
                position,
                "deleted tree node",
                f"node {node} of {shard.origin} is not stored",
            )
        if found[2] != digest:
            raise AuditFailure(
                position,
                "changed tree node",
                f"node {node} of {shard.origin} is not its hash",
            )

    def check_none_before(self, following: Shard | None, position: int) -> None:
        """No node is stored before those of the ``following`` shard (or at all)."""
        found = self._next()
        self.peeked = found
        if found is not None and (following is None or found[0] < following.period):
            raise AuditFailure(
                position,
                "inserted tree node",
                f"node {found[1]} of period {found[0]} has no leaves",
            )


def _stored_nodes(
    connection: Connection,
) -> Generator[tuple[int, merkle.Node, bytes]]:
    completion = (TreeNodeRow.node_index + 1).op("<<")(TreeNodeRow.level)
    query = select(
        TreeNodeRow.period, TreeNodeRow.level, TreeNodeRow.node_index, TreeNodeRow.hash
    ).order_by(TreeNodeRow.period, completion, TreeNodeRow.level)
    with connection.execution_options(yield_per=5000).execute(query) as result:
        for period, level, node_index, digest in result:
            yield period, (level, node_index), digest

"""A synthetic log prefix: the tree of made-up leaves, written in bulk.

Building 10^7 real entries through the append path takes hours, so larger
logs are prefixed with synthetic leaves: leaf ``i`` is the RFC 9162 leaf
hash of ``b"synthetic leaf i"``. Only what proofs and appends read is
written: every perfect subtree's hash in ``tree_nodes`` (proofs and the
tree's right border), and a checkpoint of the new size, signed with the
log's key, since the log reads its size from the newest checkpoint. The
leaves go to the newest shard of the log (one is opened if there is none);
a synthetic log lies within one period. No row
is written to ``entries``: such a database fails an audit, and its
``entries`` table and indexes are far smaller than a real log's.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import multiprocessing
from collections import deque
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor

from sqlalchemy import and_, insert, or_, select

from bench.database import Database
from ledger import merkle
from ledger.checkpoint import Checkpoint
from ledger.note import NoteSigner
from ledger.shards import Shard
from ledger.store.shards import latest_shard, record_shard, shard_for
from ledger.store.tables import CheckpointRow, TreeNodeRow

CHUNK_LEVEL = 16

NodeRow = tuple[int, int, bytes]
"""(level, node_index, hash) as tree_nodes stores it."""


def synthetic_data(index: int) -> bytes:
    """The made-up leaf data of leaf ``index``."""
    return b"synthetic leaf %d" % index


def synthetic_leaf(index: int) -> bytes:
    """The leaf hash of synthetic leaf ``index``."""
    return merkle.leaf_hash(synthetic_data(index))


def reference_root(leaves: Sequence[bytes]) -> bytes:
    """MTH of leaf hashes straight from RFC 9162 §2.1.1, to check streamed roots."""
    if len(leaves) == 1:
        return leaves[0]
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    left, right = reference_root(leaves[:k]), reference_root(leaves[k:])
    return hashlib.sha256(b"\x01" + left + right).digest()


def extend(
    database: Database, start: int, stop: int, *, origin: str, signer: NoteSigner
) -> bytes:
    """Add synthetic leaves ``start`` … ``stop - 1`` to the tree; the new root.

    The tree of the first ``start`` leaves (synthetic or real) must be stored,
    all in the newest shard. Whole chunks of ``2**CHUNK_LEVEL`` aligned
    leaves are hashed in worker processes while this one writes; the ragged
    ends are hashed here.
    """
    shard = _newest_shard(database, origin)
    if shard.first_position != 0:
        raise ValueError(f"synthetic: {shard.origin} is not the log's only shard")
    border = _border(database, shard.period, start)
    size = 1 << CHUNK_LEVEL
    aligned = min(stop, -(-start // size) * size)
    _write_nodes(database, shard.period, _hash_leaves(border, start, aligned))
    chunks = range(aligned >> CHUNK_LEVEL, stop >> CHUNK_LEVEL)
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(2, mp_context=context) as pool:
        pending: deque[Future[list[NodeRow]]] = deque()
        for chunk in chunks:
            pending.append(pool.submit(_chunk_nodes, chunk))
            if len(pending) > 3:
                _add_chunk(database, shard, border, pending.popleft().result())
        while pending:
            _add_chunk(database, shard, border, pending.popleft().result())
    done = max(aligned, chunks.stop << CHUNK_LEVEL)
    _write_nodes(database, shard.period, _hash_leaves(border, done, stop))
    root = merkle.fold([digest for _, digest in border])
    with database.engine.begin() as connection:
        connection.execute(
            insert(CheckpointRow),
            {
                "period": shard.period,
                "tree_size": stop,
                "root_hash": root,
                "note": Checkpoint(shard.origin, stop, root).sign(signer),
                "signed_at": dt.datetime.now(dt.UTC),
            },
        )
    return root


def _newest_shard(database: Database, base: str) -> Shard:
    """The log's newest shard, opened now if the log has none."""
    now = dt.datetime.now(dt.UTC)
    with database.engine.begin() as connection:
        shard = latest_shard(connection)
        if shard is None:
            shard, _ = shard_for(connection, base, now)
            record_shard(connection, shard, now)
    return shard


def _hash_leaves(border: merkle.Border, start: int, stop: int) -> list[NodeRow]:
    """Append leaves to ``border`` here; every node they complete."""
    rows: list[NodeRow] = []
    for index in range(start, stop):
        completed = merkle.append_leaf(border, index, synthetic_leaf(index))
        rows.extend((level, node, digest) for (level, node), digest in completed)
    return rows


def _chunk_nodes(chunk: int) -> list[NodeRow]:
    """In a worker: every node of the perfect subtree ``(CHUNK_LEVEL, chunk)``.

    Hashed as a tree of its own and shifted into place; its root comes last.
    """
    first = chunk << CHUNK_LEVEL
    border: merkle.Border = []
    rows: list[NodeRow] = []
    for offset in range(1 << CHUNK_LEVEL):
        completed = merkle.append_leaf(border, offset, synthetic_leaf(first + offset))
        rows.extend(
            (level, node + (chunk << (CHUNK_LEVEL - level)), digest)
            for (level, node), digest in completed
        )
    return rows


def _add_chunk(
    database: Database, shard: Shard, border: merkle.Border, rows: list[NodeRow]
) -> None:
    """Write a chunk's nodes and hash its root into the tree above it."""
    level, chunk, root = rows[-1]
    # Every node on the border of an aligned prefix spans whole chunks, so
    # above CHUNK_LEVEL the chunks are the leaves of a smaller tree.
    upper = [((lv - level, node), digest) for (lv, node), digest in border]
    for (lv, node), digest in merkle.append_leaf(upper, chunk, root)[1:]:
        rows.append((lv + level, node, digest))
    border[:] = [((lv + level, node), digest) for (lv, node), digest in upper]
    _write_nodes(database, shard.period, rows)


def _border(database: Database, period: int, size: int) -> merkle.Border:
    """The stored right border of a shard's tree of ``size`` leaves."""
    wanted = merkle.perfect_subtrees(0, size)
    if not wanted:
        return []
    # Point lookups OR-ed together: for a row-value IN list SQLite scans the
    # whole table.
    query = select(TreeNodeRow).where(
        TreeNodeRow.period == period,
        or_(
            *(
                and_(TreeNodeRow.level == level, TreeNodeRow.node_index == index)
                for level, index in wanted
            )
        ),
    )
    with database.engine.connect() as connection:
        found = {(r.level, r.node_index): r.hash for r in connection.execute(query)}
    return [(node, found[node]) for node in wanted]


def _write_nodes(database: Database, period: int, rows: list[NodeRow]) -> None:
    """Write a shard's tree nodes with the driver's bulk path: executemany, or COPY."""
    if not rows:
        return
    raw = database.engine.raw_connection()
    try:
        cursor = raw.cursor()
        if database.path is not None:
            # the engine runs pysqlite in autocommit mode and issues BEGIN itself
            cursor.execute("BEGIN")
            cursor.executemany(
                "INSERT INTO tree_nodes (period, level, node_index, hash) "
                "VALUES (?, ?, ?, ?)",
                [(period, *row) for row in rows],
            )
            cursor.execute("COMMIT")
        else:
            with cursor.copy(
                "COPY tree_nodes (period, level, node_index, hash) "
                "FROM STDIN (FORMAT BINARY)"
            ) as copy:
                copy.set_types(["int4", "int2", "int8", "bytea"])
                for row in rows:
                    copy.write_row((period, *row))
            raw.commit()
        cursor.close()
    finally:
        raw.close()

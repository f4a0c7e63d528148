"""Audit: re-derive everything the log claims and compare with what it signed.

The audit reads the log once, in index order, and stops at the first fault:

1. Every signed checkpoint verifies with the log's note key and origin.
2. Entries are numbered 0, 1, 2, … with no gap, and each row's leaf data
   says the same index; the lookup columns agree with the leaf data.
3. The stored leaf hash is SHA-256(0x00 || leaf data) and the event hash is
   the hash of the event's RFC 8785 bytes.
4. The event's signature, issuer key and accreditation check (``check``).
5. Each worker's entries form one chain: sequence 0, 1, 2, … each naming
   the leaf hash of the one before.
6. The tree rebuilt from the leaves has, at every checkpoint's size, the
   root that checkpoint signed; the stored subtree hashes are the rebuilt
   ones; no entry lies beyond the last checkpoint.

A changed byte, a swapped signature, a deleted, inserted or reordered entry,
a forked chain or a history rewritten without the log key each break one
of these steps.
"""

from __future__ import annotations

import base64
import json
import logging
import os
from collections.abc import Generator, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, Row, select
from sqlalchemy.exc import StatementError

from ledger import merkle
from ledger.audit_signatures import EntryCheck, SignatureChecks
from ledger.canonical import canonical_json, sha256
from ledger.checkpoint import Checkpoint, open_checkpoint
from ledger.entry import Entry, as_utc
from ledger.errors import AuditFailure, LedgerError, NoteError
from ledger.note import NoteVerifier, parse_note
from ledger.store.tables import CheckpointRow, EntryRow, TreeNodeRow

logger = logging.getLogger(__name__)

PARALLEL_FROM = 20_000
"""Below this many entries, starting worker processes costs more than it saves."""


@dataclass(frozen=True)
class AuditReport:
    """What an audit that passed covered."""

    tree_size: int
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

    ``witnessed`` are signed checkpoints kept outside the database (by a
    monitor, a passport holder, a copy the service writes): they catch a log
    rolled back together with its checkpoints table. Signatures are checked
    in ``processes`` workers (default: one per core) once the log is large.
    """
    with (
        engine.connect() as connection,
        closing(_stored_nodes(connection)) as stored_nodes,
        closing(_rows(connection)) as rows,
    ):
        checkpoints = _signed_checkpoints(connection, origin, verifiers)
        roots = {c.tree_size: c.root_hash for c in checkpoints}
        stored_size = max(roots, default=0)
        for note in witnessed:
            seen = _witnessed(note, origin, verifiers, roots)
            if seen.tree_size <= stored_size and seen.tree_size not in roots:
                # every append stores its checkpoint: one seen elsewhere is here
                raise AuditFailure(
                    None,
                    "deleted checkpoint",
                    f"the signed checkpoint of size {seen.tree_size} is missing",
                )
            roots[seen.tree_size] = seen.root_hash
        signed_size = max(roots, default=0)
        if processes is None:
            processes = (os.cpu_count() or 1) if signed_size >= PARALLEL_FROM else 1
        with SignatureChecks(check, processes=processes) as signatures:
            try:
                report = _walk(rows, stored_nodes, roots, signatures)
            except StatementError as exc:
                # a value of the wrong type where bytes belong: changed by hand
                raise AuditFailure(None, "unreadable table", str(exc.orig)) from exc
            except AuditFailure as structural:
                if structural.log_index is None:
                    raise
                earlier = signatures.first_failure(below=structural.log_index)
                raise earlier or structural from None
            failure = signatures.first_failure()
            if failure is not None:
                raise failure
        if stored_size != report.tree_size:
            # the log's size is read from its newest checkpoint: they must agree
            raise AuditFailure(
                min(stored_size, report.tree_size),
                "deleted checkpoint",
                f"the newest stored checkpoint has size {stored_size}, "
                f"the log {report.tree_size} entries",
            )
    logger.debug(
        "audit passed: %s entries, %s checkpoints", report.tree_size, len(checkpoints)
    )
    return AuditReport(
        tree_size=report.tree_size, checkpoints=len(checkpoints), workers=report.workers
    )


def _walk(
    rows: Iterator[Row[Any]],
    stored_nodes: Iterator[tuple[merkle.Node, bytes]],
    roots: dict[int, bytes],
    signatures: SignatureChecks,
) -> AuditReport:
    """Steps 2-6 in log order; signatures go to ``signatures``."""
    signed_size = max(roots, default=0)
    heads: dict[str, tuple[int, bytes]] = {}
    border: merkle.Border = []
    size = 0
    for row in rows:
        if row.log_index != size:
            kind = "missing entry" if row.log_index > size else "reordered entry"
            raise AuditFailure(size, kind, f"found index {row.log_index} next")
        if size >= signed_size:
            raise AuditFailure(size, "inserted entry", "beyond the last checkpoint")
        entry, event_bytes = _check_row(row)
        signatures.add(entry, event_bytes, row.leaf_data)
        _check_chain(entry, row.leaf_hash, heads)
        for node, digest in merkle.append_leaf(border, size, row.leaf_hash):
            _check_stored_node(stored_nodes, node, digest)
        size += 1
        if size in roots and merkle.fold([h for _, h in border]) != roots[size]:
            start = max((s for s in roots if s < size), default=0)
            raise AuditFailure(
                start,
                "history rewritten",
                f"the tree of size {size} does not have the signed root; "
                f"the change lies in entries {start} to {size - 1}",
            )
    if size < signed_size:
        raise AuditFailure(
            size, "truncated log", f"a checkpoint signed size {signed_size}"
        )
    extra = next(stored_nodes, None)
    if extra is not None:
        raise AuditFailure(size, "inserted tree node", f"node {extra[0]} has no leaves")
    return AuditReport(tree_size=size, checkpoints=0, workers=len(heads))


def _check_one_form(note: str) -> None:
    """The log writes one signature line per checkpoint, in canonical base64."""
    parsed = parse_note(note)
    rebuilt = (
        parsed.text
        + "\n"
        + "".join(
            f"— {sig.name} {base64.b64encode(sig.key_id + sig.signature).decode()}\n"
            for sig in parsed.signatures
        )
    )
    if len(parsed.signatures) != 1 or rebuilt != note:
        raise NoteError("note: not in the one form the log writes")


def _witnessed(
    note: str,
    origin: str,
    verifiers: Sequence[NoteVerifier],
    roots: dict[int, bytes],
) -> Checkpoint:
    try:
        seen = open_checkpoint(note, verifiers, origin=origin)
    except LedgerError as exc:
        raise AuditFailure(None, "bad checkpoint", f"witnessed: {exc}") from exc
    stored = roots.get(seen.tree_size)
    if stored is not None and stored != seen.root_hash:
        raise AuditFailure(
            None,
            "bad checkpoint",
            f"two signed roots for size {seen.tree_size}: the log forked",
        )
    return seen


def _signed_checkpoints(
    connection: Connection, origin: str, verifiers: Sequence[NoteVerifier]
) -> list[Checkpoint]:
    checkpoints: list[Checkpoint] = []
    for row in connection.execute(
        select(CheckpointRow).order_by(CheckpointRow.tree_size)
    ):
        # A bad checkpoint vouches for nothing after the last good one.
        first = checkpoints[-1].tree_size if checkpoints else 0
        try:
            checkpoint = open_checkpoint(row.note, verifiers, origin=origin)
            _check_one_form(row.note)
        except LedgerError as exc:
            raise AuditFailure(
                first, "bad checkpoint", f"checkpoint of size {row.tree_size}: {exc}"
            ) from exc
        if (checkpoint.tree_size, checkpoint.root_hash) != (
            row.tree_size,
            row.root_hash,
        ):
            raise AuditFailure(
                first,
                "bad checkpoint",
                f"checkpoint of size {row.tree_size} differs from its signed note",
            )
        checkpoints.append(checkpoint)
    return checkpoints


def _rows(connection: Connection) -> Generator[Row[Any]]:
    query = select(EntryRow.__table__).order_by(EntryRow.log_index)
    with connection.execution_options(yield_per=2000).execute(query) as result:
        yield from result


def _check_row(row: Row[Any]) -> tuple[Entry, bytes]:
    index = row.log_index
    if not isinstance(row.leaf_data, bytes) or not isinstance(row.leaf_hash, bytes):
        raise AuditFailure(index, "changed entry", "leaf data or hash is not bytes")
    if merkle.leaf_hash(row.leaf_data) != row.leaf_hash:
        raise AuditFailure(index, "changed entry", "leaf hash does not match leaf data")
    try:
        entry = Entry.from_json(json.loads(row.leaf_data))
        canonical = entry.leaf_data
        event_bytes = canonical_json(entry.event)
    except (ValueError, KeyError, TypeError) as exc:
        # CanonicalizationError is a ValueError too
        raise AuditFailure(
            index, "changed entry", f"leaf data unreadable: {exc!r}"
        ) from exc
    if canonical != row.leaf_data:
        raise AuditFailure(index, "changed entry", "leaf data is not canonical")
    if entry.log_index != index:
        raise AuditFailure(
            index, "reordered entry", f"leaf data says {entry.log_index}"
        )
    event = entry.event
    stored = (
        row.worker_id,
        row.worker_seq,
        row.issuer_id,
        row.ref,
        row.kind,
        as_utc(row.logged_at),
    )
    claimed = (
        event.get("worker_id"),
        entry.worker_seq,
        event.get("issuer_id"),
        event.get("ref"),
        event.get("kind"),
        entry.logged_at,
    )
    if stored != claimed:
        raise AuditFailure(index, "changed entry", "columns disagree with leaf data")
    if sha256(event_bytes) != row.event_hash:
        raise AuditFailure(
            index, "changed entry", "event hash does not match the event"
        )
    return entry, event_bytes


def _check_chain(
    entry: Entry, leaf_hash: bytes, heads: dict[str, tuple[int, bytes]]
) -> None:
    head = heads.get(entry.worker_id)
    expected_seq, expected_prev = (head[0] + 1, head[1]) if head else (0, None)
    if (entry.worker_seq, entry.prev) != (expected_seq, expected_prev):
        raise AuditFailure(
            entry.log_index,
            "forked chain",
            f"worker entry {entry.worker_seq} does not follow entry {expected_seq - 1}",
        )
    heads[entry.worker_id] = (entry.worker_seq, leaf_hash)


def _stored_nodes(connection: Connection) -> Generator[tuple[merkle.Node, bytes]]:
    """Stored subtree hashes in the order a rebuild completes them."""
    completion = (TreeNodeRow.node_index + 1).op("<<")(TreeNodeRow.level)
    query = select(
        TreeNodeRow.level, TreeNodeRow.node_index, TreeNodeRow.hash
    ).order_by(completion, TreeNodeRow.level)
    with connection.execution_options(yield_per=5000).execute(query) as result:
        for level, node_index, digest in result:
            yield (level, node_index), digest


def _check_stored_node(
    stored: Iterator[tuple[merkle.Node, bytes]], node: merkle.Node, digest: bytes
) -> None:
    found = next(stored, None)
    if found is None or found[0] != node:
        raise AuditFailure(
            node[1] << node[0], "deleted tree node", f"node {node} is not stored"
        )
    if found[1] != digest:
        raise AuditFailure(
            node[1] << node[0], "changed tree node", f"node {node} is not its hash"
        )

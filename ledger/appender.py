"""Appending signed events to the log.

Appending a batch takes these steps:

1. Admit each event without touching the database: it parses as an event,
   it is in its one canonical form, it is not signed in the future, and the
   policy (signature, issuer key, accreditation) accepts it.
2. Take the log's single-writer lock and read what the batch depends on:
   the tree's right border and the earlier entries of the batch's workers.
3. Check each event against the log: an identical event already logged is
   a duplicate (returned, not appended again); its references (enrolment,
   employment, revoked entry) must exist for the same worker and issuer.
4. Chain each entry to its worker's previous one, hash it into the tree and
   write entries, new tree nodes and a signed checkpoint in one transaction.

An event refused at any step is written nowhere; the others go on.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from pydantic import ValidationError
from sqlalchemy import Connection, func, insert, select, tuple_

from ledger import merkle
from ledger.canonical import canonical_json, sha256
from ledger.checkpoint import Checkpoint
from ledger.entry import Entry
from ledger.errors import EventRefused
from ledger.note import NoteSigner
from ledger.store.tables import CheckpointRow, EntryRow, TreeNodeRow
from schemas.events import (
    EmploymentEnded,
    EntryRevoked,
    Event,
    EventKind,
    SignedEvent,
    TrainingCompleted,
    dump_event,
    parse_event,
)

logger = logging.getLogger(__name__)

CLOCK_SKEW = dt.timedelta(minutes=5)


class _Absent:
    def __repr__(self) -> str:
        return "(absent)"


_ABSENT = _Absent()


class EventPolicy(Protocol):
    """Decides whether an issuer may sign an event; raises EventRefused if not."""

    def admit(
        self,
        signed: SignedEvent,
        event: Event,
        *,
        signed_bytes: bytes,
        now: dt.datetime,
    ) -> None:
        """Check signature (over ``signed_bytes``), key and accreditation."""


@dataclass(frozen=True)
class Admitted:
    """An event that passed every check that needs no database."""

    signed: SignedEvent
    event: Event
    event_hash: bytes


@dataclass(frozen=True)
class Outcome:
    """What became of one submitted event."""

    entry: Entry | None = None
    duplicate: bool = False
    refused: EventRefused | None = None


def admit(signed: SignedEvent, policy: EventPolicy, *, now: dt.datetime) -> Admitted:
    """Step 1: the checks that need no database; raise EventRefused."""
    try:
        event = parse_event(signed.event)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "event"
        raise EventRefused("malformed", f"{where}: {first['msg']}") from exc
    canonical = dump_event(event)
    if canonical != signed.event:
        field_name = next(
            key
            for key in sorted(canonical.keys() | signed.event.keys())
            if canonical.get(key, _ABSENT) != signed.event.get(key, _ABSENT)
        )
        raise EventRefused(
            "not_canonical",
            f"{field_name}: {signed.event.get(field_name, _ABSENT)!r} is not in "
            f"canonical form {canonical.get(field_name, _ABSENT)!r}",
        )
    if event.signed_at > now + CLOCK_SKEW:
        raise EventRefused(
            "signed_in_future", f"signed_at: {event.signed_at:%Y-%m-%dT%H:%M:%SZ}"
        )
    signed_bytes = canonical_json(signed.event)
    policy.admit(signed, event, signed_bytes=signed_bytes, now=now)
    return Admitted(signed, event, sha256(signed_bytes))


@dataclass
class _Known:
    """What the log holds about the batch's workers, updated as the batch grows."""

    heads: dict[str, tuple[int, bytes]] = field(default_factory=dict)
    by_hash: dict[tuple[str, bytes], int] = field(default_factory=dict)
    by_ref: dict[tuple[str, str, str], tuple[str, bytes]] = field(default_factory=dict)
    targets: dict[int, tuple[str, str, str, bytes]] = field(default_factory=dict)
    revoked: set[int] = field(default_factory=set)

    def add(
        self,
        *,
        log_index: int,
        worker_id: str,
        worker_seq: int,
        issuer_id: str,
        ref: str,
        kind: str,
        event_hash: bytes,
        leaf_hash: bytes,
    ) -> None:
        """Record one entry, from the database or from the batch being built."""
        head = self.heads.get(worker_id)
        if head is None or worker_seq > head[0]:
            self.heads[worker_id] = (worker_seq, leaf_hash)
        self.by_hash[(worker_id, event_hash)] = log_index
        self.by_ref[(worker_id, issuer_id, ref)] = (kind, event_hash)
        self.targets[log_index] = (worker_id, issuer_id, kind, leaf_hash)


_KNOWN_COLUMNS = (
    EntryRow.log_index,
    EntryRow.worker_id,
    EntryRow.worker_seq,
    EntryRow.issuer_id,
    EntryRow.ref,
    EntryRow.kind,
    EntryRow.event_hash,
    EntryRow.leaf_hash,
)


def _load_known(connection: Connection, workers: set[str]) -> _Known:
    known = _Known()
    query = select(*_KNOWN_COLUMNS).where(EntryRow.worker_id.in_(workers))
    for row in connection.execute(query):
        known.add(**row._mapping)
    revocations = select(EntryRow.leaf_data).where(
        EntryRow.worker_id.in_(workers), EntryRow.kind == EventKind.ENTRY_REVOKED
    )
    for (leaf_data,) in connection.execute(revocations):
        known.revoked.add(_revocation_target(leaf_data))
    return known


def _revocation_target(leaf_data: bytes) -> int:
    return int(json.loads(leaf_data)["event"]["target_log_index"])


def _check_references(admitted: Admitted, known: _Known) -> None:
    """Step 3: an event's references must exist for the same worker and issuer."""
    event = admitted.event
    worker, issuer = event.worker_id, event.issuer_id
    same_ref = known.by_ref.get((worker, issuer, event.ref))
    if same_ref is not None:
        raise EventRefused(
            "duplicate_ref",
            f"ref: {event.ref!r} of {issuer} is already logged with other content",
        )
    if isinstance(event, TrainingCompleted):
        _expect_ref(
            known, worker, issuer, event.enrolment_ref, EventKind.TRAINING_ENROLLED
        )
    elif isinstance(event, EmploymentEnded):
        _expect_ref(
            known, worker, issuer, event.employment_ref, EventKind.EMPLOYMENT_STARTED
        )
    elif isinstance(event, EntryRevoked):
        _check_revocation(event, known)


def _expect_ref(known: _Known, worker: str, issuer: str, ref: str, kind: str) -> None:
    found = known.by_ref.get((worker, issuer, ref))
    if found is None or found[0] != kind:
        raise EventRefused(
            "unknown_reference", f"ref {ref!r}: no {kind} by {issuer} for this worker"
        )


def _check_revocation(event: EntryRevoked, known: _Known) -> None:
    index = event.target_log_index
    target = known.targets.get(index)
    if target is None or target[0] != event.worker_id:
        raise EventRefused(
            "unknown_reference", f"target_log_index: no entry {index} for this worker"
        )
    _, issuer, kind, leaf = target
    if leaf.hex() != event.target_leaf_hash:
        raise EventRefused(
            "unknown_reference",
            f"target_leaf_hash: entry {index} has leaf hash {leaf.hex()}",
        )
    if issuer != event.issuer_id:
        raise EventRefused(
            "not_accredited", f"target_log_index: entry {index} was signed by {issuer}"
        )
    if kind == EventKind.ENTRY_REVOKED or index in known.revoked:
        raise EventRefused(
            "unknown_reference",
            f"target_log_index: entry {index} cannot be revoked again",
        )


def append_batch(
    connection: Connection,
    batch: Sequence[Admitted],
    *,
    signer: NoteSigner,
    origin: str,
    now: dt.datetime,
) -> list[Outcome]:
    """Steps 2–4 inside the caller's write transaction."""
    size = log_size(connection)
    border = _read_border(connection, size)
    known = _load_known(connection, {a.event.worker_id for a in batch})
    outcomes: list[Outcome] = []
    rows: list[dict[str, Any]] = []
    nodes: list[dict[str, Any]] = []
    for admitted in batch:
        worker = admitted.event.worker_id
        existing = known.by_hash.get((worker, admitted.event_hash))
        if existing is not None:
            outcomes.append(
                Outcome(entry=_entry_at(connection, rows, existing), duplicate=True)
            )
            continue
        try:
            _check_references(admitted, known)
        except EventRefused as refused:
            outcomes.append(Outcome(refused=refused))
            continue
        entry, row = _new_entry(admitted, known, size, now)
        rows.append(row)
        nodes.extend(_append_leaf(border, size, row["leaf_hash"]))
        known.add(**{column.key: row[column.key] for column in _KNOWN_COLUMNS})
        if isinstance(admitted.event, EntryRevoked):
            known.revoked.add(admitted.event.target_log_index)
        outcomes.append(Outcome(entry=entry))
        size += 1
    if rows:
        connection.execute(insert(EntryRow), rows)
        connection.execute(insert(TreeNodeRow), nodes)
        root = merkle.fold([h for _, h in border])
        note = Checkpoint(origin, size, root).sign(signer)
        connection.execute(
            insert(CheckpointRow),
            {"tree_size": size, "root_hash": root, "note": note, "signed_at": now},
        )
        logger.debug("appended %s entries, tree size %s", len(rows), size)
    return outcomes


def _new_entry(
    admitted: Admitted, known: _Known, log_index: int, now: dt.datetime
) -> tuple[Entry, dict[str, Any]]:
    event = admitted.event
    head = known.heads.get(event.worker_id)
    entry = Entry(
        log_index=log_index,
        logged_at=now,
        worker_seq=head[0] + 1 if head else 0,
        prev=head[1] if head else None,
        event=admitted.signed.event,
        key_id=admitted.signed.signature.key_id,
        signature=admitted.signed.signature.value,
    )
    leaf_data = entry.leaf_data
    row = {
        "log_index": log_index,
        "leaf_hash": merkle.leaf_hash(leaf_data),
        "event_hash": admitted.event_hash,
        "worker_id": event.worker_id,
        "worker_seq": entry.worker_seq,
        "issuer_id": event.issuer_id,
        "ref": event.ref,
        "kind": event.kind,
        "logged_at": now,
        "leaf_data": leaf_data,
    }
    return entry, row


def _entry_at(
    connection: Connection, pending: list[dict[str, Any]], index: int
) -> Entry:
    for row in pending:
        if row["log_index"] == index:
            return Entry.from_json(json.loads(row["leaf_data"]))
    leaf_data = connection.execute(
        select(EntryRow.leaf_data).where(EntryRow.log_index == index)
    ).scalar_one()
    return Entry.from_json(json.loads(leaf_data))


def log_size(connection: Connection) -> int:
    """The number of entries, read from the primary key's end."""
    last = connection.execute(select(func.max(EntryRow.log_index))).scalar_one()
    return 0 if last is None else int(last) + 1


def _read_border(connection: Connection, size: int) -> list[tuple[merkle.Node, bytes]]:
    """The perfect subtrees on the right border of a tree of ``size`` leaves."""
    wanted = merkle.perfect_subtrees(0, size)
    if not wanted:
        return []
    query = select(TreeNodeRow).where(
        tuple_(TreeNodeRow.level, TreeNodeRow.node_index).in_(wanted)
    )
    found = {(row.level, row.node_index): row.hash for row in connection.execute(query)}
    return [(node, found[node]) for node in wanted]


def _append_leaf(
    border: list[tuple[merkle.Node, bytes]], index: int, leaf: bytes
) -> list[dict[str, Any]]:
    """Add a leaf to the right border; return the tree nodes it completes."""
    level, node_index, digest = 0, index, leaf
    created = [{"level": 0, "node_index": index, "hash": leaf}]
    while node_index % 2 == 1:
        (_, _), left = border.pop()
        digest = merkle.node_hash(left, digest)
        level, node_index = level + 1, node_index // 2
        created.append({"level": level, "node_index": node_index, "hash": digest})
    border.append(((level, node_index), digest))
    return created

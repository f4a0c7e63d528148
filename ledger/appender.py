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
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import ValidationError
from rfc8785 import CanonicalizationError
from sqlalchemy import Connection, insert, select

from ledger import merkle
from ledger.canonical import canonical_json, sha256
from ledger.checkpoint import Checkpoint
from ledger.entry import Entry
from ledger.errors import EventRefused
from ledger.note import NoteSigner
from ledger.references import WorkerChains
from ledger.risk.screen import Flag, RiskScreen
from ledger.store.nodes import fetch_nodes
from ledger.store.shards import record_shard, shard_for, shard_size
from ledger.store.tables import CheckpointRow, EntryRow, RiskFlagRow, TreeNodeRow
from schemas.api import SubmitResult
from schemas.events import (
    Event,
    SignedEvent,
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
    """An event that passed every check that needs no database.

    ``signed.event`` is then known to be a valid event in canonical form;
    the later steps read it as the plain JSON object it is.
    """

    signed: SignedEvent
    event_hash: bytes
    event_bytes: bytes
    """The event's RFC 8785 bytes, which the issuer signed."""

    @property
    def event(self) -> dict[str, Any]:
        """The event object, as signed."""
        return self.signed.event


@dataclass(frozen=True)
class Outcome:
    """What became of one submitted event."""

    entry: Entry | None = None
    duplicate: bool = False
    refused: EventRefused | None = None
    flags: tuple[Flag, ...] = ()

    def result(self) -> SubmitResult:
        """The API's answer for this outcome."""
        if self.refused is not None:
            return SubmitResult(
                status="refused", reason=self.refused.reason, detail=self.refused.detail
            )
        assert self.entry is not None
        return SubmitResult(
            status="duplicate" if self.duplicate else "appended",
            log_index=self.entry.log_index,
            leaf_hash=self.entry.leaf_hash.hex(),
        )


def admit(signed: SignedEvent, policy: EventPolicy, *, now: dt.datetime) -> Admitted:
    """Step 1: the checks that need no database; raise EventRefused."""
    try:
        event = parse_event(signed.event)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "event"
        raise EventRefused("malformed", f"{where}: {first['msg']}") from exc
    try:
        signed_bytes = canonical_json(signed.event)
    except CanonicalizationError as exc:
        raise EventRefused("malformed", f"event: {exc}") from exc
    canonical = dump_event(event)
    # Compared as RFC 8785 bytes: as Python values 1 == True and 1 == 1.0.
    if canonical_json(canonical) != signed_bytes:
        name = _first_difference(canonical, signed.event)
        raise EventRefused(
            "not_canonical",
            f"{name}: {signed.event.get(name, _ABSENT)!r} is not in canonical form "
            f"{canonical.get(name, _ABSENT)!r}",
        )
    if event.signed_at > now + CLOCK_SKEW:
        raise EventRefused(
            "signed_in_future", f"signed_at: {event.signed_at:%Y-%m-%dT%H:%M:%SZ}"
        )
    policy.admit(signed, event, signed_bytes=signed_bytes, now=now)
    return Admitted(signed, sha256(signed_bytes), signed_bytes)


def _first_difference(canonical: dict[str, Any], signed: dict[str, Any]) -> str:
    """The first field whose value differs, compared as RFC 8785 bytes."""
    for name in sorted(canonical.keys() | signed.keys()):
        if name not in canonical or name not in signed:
            return name
        if canonical_json(canonical[name]) != canonical_json(signed[name]):
            return name
    return "event"


def append_batch(
    connection: Connection,
    batch: Sequence[Admitted],
    *,
    signer: NoteSigner,
    origin: str,
    now: dt.datetime,
    risk: RiskScreen | None = None,
) -> list[Outcome]:
    """Steps 2–4 inside the caller's write transaction.

    With ``risk``, its rules screen each event after the reference checks
    (``ledger/risk/screen.py``): a refusal is written nowhere, flags go to
    ``risk_flags`` in this transaction.

    The batch goes to the shard of ``now``'s period (``ledger/shards.py``):
    its entries take the next global positions, and their leaves extend
    that shard's tree, whose new checkpoint names the shard's origin.
    """
    shard, new = shard_for(connection, origin, now)
    size = shard_size(connection, shard.period)
    position = shard.first_position + size
    border = _read_border(connection, shard.period, size)
    known = WorkerChains.load(connection, [a.event for a in batch])
    screen = (
        None if risk is None else risk.begin(connection, [a.event for a in batch], now)
    )
    outcomes: list[Outcome] = []
    rows: list[dict[str, Any]] = []
    nodes: list[dict[str, Any]] = []
    flag_rows: list[dict[str, Any]] = []
    for admitted in batch:
        worker = admitted.event["worker_id"]
        existing = known.by_hash.get((worker, admitted.event_hash))
        if existing is not None:
            entry = _entry_at(connection, rows, worker, existing)
            outcomes.append(Outcome(entry=entry, duplicate=True))
            continue
        try:
            known.check(admitted.event)
            flags = [] if screen is None else screen.check(admitted.event)
        except EventRefused as refused:
            outcomes.append(Outcome(refused=refused))
            continue
        entry, row = _new_entry(admitted, known, position, now)
        if screen is not None:
            screen.add(position, admitted.event)
        flag_rows.extend(
            {
                "log_index": position,
                "worker_id": worker,
                "issuer_id": admitted.event["issuer_id"],
                "rule": flag.rule,
                "detail": flag.detail,
                "flagged_at": now,
            }
            for flag in flags
        )
        rows.append(row)
        nodes.extend(
            {
                "period": shard.period,
                "level": level,
                "node_index": index,
                "hash": digest,
            }
            for (level, index), digest in merkle.append_leaf(
                border, size, row["leaf_hash"]
            )
        )
        known.add(
            position,
            entry.worker_seq,
            admitted.event_hash,
            row["leaf_hash"],
            entry.event,
        )
        outcomes.append(Outcome(entry=entry, flags=tuple(flags)))
        position += 1
        size += 1
    if rows:
        if new:
            record_shard(connection, shard, now)
        connection.execute(insert(EntryRow), rows)
        connection.execute(insert(TreeNodeRow), nodes)
        if flag_rows:
            connection.execute(insert(RiskFlagRow), flag_rows)
        root = merkle.fold([h for _, h in border])
        note = Checkpoint(shard.origin, size, root).sign(signer)
        connection.execute(
            insert(CheckpointRow),
            {
                "period": shard.period,
                "tree_size": size,
                "root_hash": root,
                "note": note,
                "signed_at": now,
            },
        )
        logger.debug("appended %s entries, %s has %s", len(rows), shard.origin, size)
    return outcomes


def _new_entry(
    admitted: Admitted, known: WorkerChains, log_index: int, now: dt.datetime
) -> tuple[Entry, dict[str, Any]]:
    event = admitted.event
    head = known.heads.get(event["worker_id"])
    entry = Entry(
        log_index=log_index,
        logged_at=now,
        worker_seq=head[0] + 1 if head else 0,
        prev=head[1] if head else None,
        event=event,
        key_id=admitted.signed.signature.key_id,
        signature=admitted.signed.signature.value,
    )
    leaf_data = entry.encode_around(admitted.event_bytes)
    row = {
        "log_index": log_index,
        "leaf_hash": entry.leaf_hash,
        "event_hash": admitted.event_hash,
        "worker_id": event["worker_id"],
        "worker_seq": entry.worker_seq,
        "issuer_id": event["issuer_id"],
        "ref": event["ref"],
        "kind": event["kind"],
        "logged_at": now,
        "leaf_data": leaf_data,
    }
    return entry, row


def _entry_at(
    connection: Connection, pending: list[dict[str, Any]], worker: str, index: int
) -> Entry:
    """An entry of ``worker`` from the batch being built or from its partition."""
    for row in pending:
        if row["log_index"] == index:
            return Entry.from_json(json.loads(row["leaf_data"]))
    leaf_data = connection.execute(
        select(EntryRow.leaf_data).where(
            EntryRow.worker_id == worker, EntryRow.log_index == index
        )
    ).scalar_one()
    return Entry.from_json(json.loads(leaf_data))


def _read_border(connection: Connection, period: int, size: int) -> merkle.Border:
    """The perfect subtrees on the right border of a shard of ``size`` leaves."""
    wanted = merkle.perfect_subtrees(0, size)
    found = fetch_nodes(connection, period, wanted)
    return [(node, found[node]) for node in wanted]

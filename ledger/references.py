"""What the log already holds about a batch's workers, and the checks it enables.

An event may refer to an earlier entry of the same worker: a completion to
its enrolment, an end to its employment, a revocation to what it revokes.
``WorkerChains`` loads the workers' entries once per batch, grows as the
batch is appended, and refuses an event whose references do not hold.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, select

from ledger.errors import EventRefused
from ledger.store.tables import EntryRow
from schemas.events import EventKind

RefKey = tuple[str, str, str]
"""(worker_id, issuer_id, ref): how an issuer names its own records."""


@dataclass(frozen=True)
class Logged:
    """An entry already in the log (or earlier in the batch).

    ``event`` is read only where a check needs it: for what closes or
    revokes something, and for what the batch refers to.
    """

    log_index: int
    leaf_hash: bytes
    worker_id: str
    issuer_id: str
    kind: str
    event: dict[str, Any] | None


# what an event of these kinds closes, by the field naming it
_CLOSES = {
    EventKind.TRAINING_COMPLETED: "enrolment_ref",
    EventKind.EMPLOYMENT_ENDED: "employment_ref",
}
# events that revoke the entry their target_log_index names
_REVOKES = (EventKind.ENTRY_REVOKED, EventKind.ENTRY_CORRECTED)
_WITH_BODY = (*_CLOSES, *_REVOKES)


@dataclass
class WorkerChains:
    """The entries of some workers: chain heads, references, revocations."""

    heads: dict[str, tuple[int, bytes]] = field(default_factory=dict)
    by_hash: dict[tuple[str, bytes], int] = field(default_factory=dict)
    by_ref: dict[RefKey, Logged] = field(default_factory=dict)
    by_index: dict[int, Logged] = field(default_factory=dict)
    closed: dict[RefKey, int] = field(default_factory=dict)
    revoked: set[int] = field(default_factory=set)

    @classmethod
    def load(
        cls, connection: Connection, batch: Sequence[dict[str, Any]]
    ) -> WorkerChains:
        """Read what the batch's events depend on, in two indexed queries.

        All entries of the batch's workers, without their bodies; then the
        bodies of those that close or revoke something, or that the batch
        names as the enrolment or employment it completes or ends.
        """
        chains = cls()
        workers = {event["worker_id"] for event in batch}
        named = {
            (event["worker_id"], event["issuer_id"], event[_CLOSES[kind]])
            for event in batch
            if (kind := EventKind(event["kind"])) in _CLOSES
        }
        columns = (
            EntryRow.log_index,
            EntryRow.worker_seq,
            EntryRow.event_hash,
            EntryRow.leaf_hash,
            EntryRow.worker_id,
            EntryRow.issuer_id,
            EntryRow.ref,
            EntryRow.kind,
        )
        rows = connection.execute(
            select(*columns)
            .where(EntryRow.worker_id.in_(workers))
            .order_by(EntryRow.log_index)
        ).all()
        wanted = [
            row.log_index
            for row in rows
            if row.kind in _WITH_BODY
            or (row.worker_id, row.issuer_id, row.ref) in named
        ]
        bodies = _bodies(connection, workers, wanted)
        for row in rows:
            logged = Logged(
                row.log_index,
                row.leaf_hash,
                row.worker_id,
                row.issuer_id,
                row.kind,
                bodies.get(row.log_index),
            )
            chains._record(logged, row.worker_seq, row.event_hash, row.ref)
        return chains

    def add(
        self,
        log_index: int,
        worker_seq: int,
        event_hash: bytes,
        leaf_hash: bytes,
        event: dict[str, Any],
    ) -> None:
        """Record an entry the batch being built has just added."""
        logged = Logged(
            log_index,
            leaf_hash,
            str(event["worker_id"]),
            str(event["issuer_id"]),
            str(event["kind"]),
            event,
        )
        self._record(logged, worker_seq, event_hash, str(event["ref"]))

    def _record(
        self, logged: Logged, worker_seq: int, event_hash: bytes, ref: str
    ) -> None:
        worker = logged.worker_id
        head = self.heads.get(worker)
        if head is None or worker_seq > head[0]:
            self.heads[worker] = (worker_seq, logged.leaf_hash)
        self.by_hash[(worker, event_hash)] = logged.log_index
        self.by_ref[(worker, logged.issuer_id, ref)] = logged
        self.by_index[logged.log_index] = logged
        event = logged.event
        closes = _CLOSES.get(EventKind(logged.kind))
        if closes is not None and event is not None:
            self.closed[(worker, logged.issuer_id, str(event[closes]))] = (
                logged.log_index
            )
        if logged.kind in _REVOKES and event is not None:
            self.revoked.add(int(event["target_log_index"]))

    def check(self, event: dict[str, Any]) -> None:
        """Refuse a valid event whose references do not hold (EventRefused)."""
        key = (event["worker_id"], event["issuer_id"], event["ref"])
        if key in self.by_ref:
            raise EventRefused(
                "duplicate_ref",
                f"ref: {event['ref']!r} of {event['issuer_id']} is already logged "
                "with other content",
            )
        kind = event["kind"]
        if kind == EventKind.TRAINING_COMPLETED:
            start = self._open(
                event, event["enrolment_ref"], EventKind.TRAINING_ENROLLED
            )
            _not_before(event, "completed_on", start, "start_on")
        elif kind == EventKind.EMPLOYMENT_ENDED:
            opened = EventKind.EMPLOYMENT_STARTED
            start = self._open(event, event["employment_ref"], opened)
            _not_before(event, "ended_on", start, "started_on")
        elif kind in _REVOKES:
            self._check_revocation(event)

    def _open(self, event: dict[str, Any], ref: str, kind: EventKind) -> dict[str, Any]:
        """The earlier event ``ref`` names, which must be of ``kind`` and open."""
        key = (event["worker_id"], event["issuer_id"], ref)
        found = self.by_ref.get(key)
        if found is None or found.kind != kind or found.event is None:
            raise EventRefused(
                "unknown_reference",
                f"ref {ref!r}: no {kind} by {event['issuer_id']} for this worker",
            )
        if key in self.closed:
            raise EventRefused(
                "conflicting_reference",
                f"ref {ref!r}: {kind} was already closed by entry {self.closed[key]}",
            )
        return found.event

    def _check_revocation(self, event: dict[str, Any]) -> None:
        index = event["target_log_index"]
        target = self.by_index.get(index)
        if target is None or target.worker_id != event["worker_id"]:
            raise EventRefused(
                "unknown_reference",
                f"target_log_index: no entry {index} for this worker",
            )
        leaf = target.leaf_hash.hex()
        if leaf != event["target_leaf_hash"]:
            raise EventRefused(
                "unknown_reference",
                f"target_leaf_hash: entry {index} has leaf hash {leaf}",
            )
        if target.issuer_id != event["issuer_id"]:
            raise EventRefused(
                "not_accredited",
                f"target_log_index: entry {index} was signed by {target.issuer_id}",
            )
        if target.kind == EventKind.ENTRY_REVOKED:
            raise EventRefused(
                "conflicting_reference",
                f"target_log_index: entry {index} is itself a revocation; "
                "correct it with a new entry instead",
            )
        if index in self.revoked:
            raise EventRefused(
                "conflicting_reference",
                f"target_log_index: entry {index} is already revoked",
            )
        if event["kind"] == EventKind.ENTRY_CORRECTED:
            # TODO: the corrected fact is not checked against the references of
            # its kind (the enrolment a corrected completion names, the dates
            # it must follow); only its kind must match the entry it replaces.
            was, now = _fact_kind(target), event["corrected"]["kind"]
            if was != now:
                raise EventRefused(
                    "conflicting_reference",
                    f"corrected.kind: entry {index} is a {was}, not a {now}",
                )


def _fact_kind(logged: Logged) -> str:
    """The kind of fact an entry states: a correction's is that of what it holds."""
    if logged.kind == EventKind.ENTRY_CORRECTED and logged.event is not None:
        return str(logged.event["corrected"]["kind"])
    return logged.kind


def _not_before(
    event: dict[str, Any], name: str, earlier: dict[str, Any], earlier_name: str
) -> None:
    # valid events write dates as YYYY-MM-DD, which sort as dates do
    if event[name] < earlier[earlier_name]:
        raise EventRefused(
            "impossible_dates",
            f"{name}: {event[name]} is before {earlier_name} "
            f"{earlier[earlier_name]} of ref {earlier['ref']!r}",
        )


def _bodies(
    connection: Connection, workers: set[str], indexes: list[int]
) -> dict[int, dict[str, Any]]:
    """The events of the given entries of ``workers``, by log index."""
    if not indexes:
        return {}
    query = select(EntryRow.log_index, EntryRow.leaf_data).where(
        EntryRow.worker_id.in_(workers), EntryRow.log_index.in_(indexes)
    )
    return {
        index: json.loads(leaf_data)["event"]
        for index, leaf_data in connection.execute(query)
    }

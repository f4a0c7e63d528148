"""A worker's archive: their ledger entries, parsed, with their status applied.

Status comes from two places. Later entries: a revocation or a correction
names an earlier entry, which then counts as revoked (with the date and
the reason). The newest trust list: an entry logged at or after the time
its signing key was marked compromised is flagged, since whoever held the
stolen key could have signed it; what the key signed before stays valid.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from ledger.entry import Entry
from schemas.events import (
    EntryCorrected,
    EntryRevoked,
    Event,
    EventKind,
    parse_event,
)
from schemas.trust import TrustList


@dataclass(frozen=True)
class Revocation:
    """The later entry that revoked or corrected a record, when, and why."""

    log_index: int
    revoked_on: dt.date
    reason: str
    corrected: bool

    def describe(self, target: int) -> str:
        """A "what: detail" sentence naming both entries, the date and the reason."""
        verb = "corrected" if self.corrected else "revoked"
        return (
            f"entry {target}: {verb} by entry {self.log_index} on "
            f"{self.revoked_on}: {self.reason}"
        )


@dataclass(frozen=True)
class Record:
    """One ledger entry of a worker, as the product reads it.

    ``event`` is the fact the entry states: for a correction, the corrected
    event it carries, so that passports and guidance read it like any other;
    ``correction`` is then the correction itself.
    """

    log_index: int
    leaf_hash: str
    event: Event
    revocation: Revocation | None = None
    correction: EntryCorrected | None = None
    compromised: str | None = None

    @property
    def kind(self) -> EventKind:
        return EventKind(self.event.kind)

    @property
    def revoked_by(self) -> int | None:
        """The entry that revoked or corrected this one, if any."""
        return self.revocation.log_index if self.revocation else None

    @property
    def standing(self) -> bool:
        """Neither revoked nor signed by a compromised key."""
        return self.revocation is None and self.compromised is None


@dataclass(frozen=True)
class Archive:
    """All records of one worker in log order."""

    worker_id: str
    records: Sequence[Record]

    def active(self, *kinds: EventKind) -> Iterator[Record]:
        """Records of the given kinds that stand: not revoked, key not compromised."""
        for record in self.records:
            if record.standing and record.kind in kinds:
                yield record

    def record(self, log_index: int) -> Record | None:
        """The record at ``log_index``, if it is this worker's."""
        return next((r for r in self.records if r.log_index == log_index), None)


def compromised_since(
    trust_list: TrustList | None,
) -> dict[tuple[str, str], dt.datetime]:
    """(issuer id, key id) of every key marked compromised, with the time T."""
    if trust_list is None:
        return {}
    return {
        (issuer.issuer_id, key.key_id): key.compromised_since
        for issuer in trust_list.issuers
        for key in issuer.keys
        if key.compromised_since is not None
    }


def compromise_of(
    entry: Entry, marked: dict[tuple[str, str], dt.datetime]
) -> str | None:
    """Why an entry is untrustworthy because of its key, or None."""
    since = marked.get((str(entry.event.get("issuer_id")), entry.key_id))
    if since is None or entry.logged_at < since:
        return None
    return (
        f"signature.key_id: key {entry.key_id} of {entry.event.get('issuer_id')} "
        f"is compromised since {since:%Y-%m-%dT%H:%M:%SZ}; entry {entry.log_index} "
        f"was logged after that"
    )


def archive_of(
    worker_id: str, entries: Sequence[Entry], trust_list: TrustList | None = None
) -> Archive:
    """Parse a worker's entries into records with revocations and compromises."""
    marked = compromised_since(trust_list)
    revocations: dict[int, Revocation] = {}
    parsed = []
    for entry in entries:
        event = parse_event(entry.event)
        # A revocation counts even when its key is compromised: failing safe,
        # and the issuer can sign the record again with its new key.
        if isinstance(event, EntryRevoked | EntryCorrected):
            revocations[event.target_log_index] = Revocation(
                log_index=entry.log_index,
                revoked_on=(
                    event.revoked_on
                    if isinstance(event, EntryRevoked)
                    else event.corrected_on
                ),
                reason=event.reason,
                corrected=isinstance(event, EntryCorrected),
            )
        parsed.append((entry, event))
    records = [
        Record(
            log_index=entry.log_index,
            leaf_hash=entry.leaf_hash.hex(),
            event=event.corrected if isinstance(event, EntryCorrected) else event,
            revocation=revocations.get(entry.log_index),
            correction=event if isinstance(event, EntryCorrected) else None,
            compromised=compromise_of(entry, marked),
        )
        for entry, event in parsed
    ]
    return Archive(worker_id=worker_id, records=records)

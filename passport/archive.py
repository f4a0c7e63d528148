"""A worker's archive: their ledger entries, parsed, with revocations applied."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from schemas.events import Event, EventKind


@dataclass(frozen=True)
class Record:
    """One ledger entry of a worker, as the product reads it."""

    log_index: int
    leaf_hash: str
    event: Event
    revoked_by: int | None = None

    @property
    def kind(self) -> EventKind:
        return EventKind(self.event.kind)


@dataclass(frozen=True)
class Archive:
    """All records of one worker in log order."""

    worker_id: str
    records: Sequence[Record]

    def active(self, *kinds: EventKind) -> Iterator[Record]:
        """Records of the given kinds that no later entry revoked."""
        for record in self.records:
            if record.revoked_by is None and record.kind in kinds:
                yield record

"""What the risk rules know of a batch's workers and evaluators, grown as it appends.

Loaded once per batch inside the append transaction: the entries of the
batch's workers that the rules read (trainings, certificates, revocations
and the rest with a date), and how many certificates each newly accredited
evaluator of the batch has logged.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, func, select

from ledger.store.tables import EntryRow
from schemas.events import EventKind

K = EventKind
HAPPENED = {
    K.TRAINING_COMPLETED: "completed_on",
    K.CERTIFICATE_ISSUED: "issued_on",
    K.COMPETITION_AWARDED: "awarded_on",
    K.EMPLOYMENT_ENDED: "ended_on",
    K.ENTRY_REVOKED: "revoked_on",
}
"""The date of what each kind says has happened."""
FACT_DATE = {
    **HAPPENED,
    K.TRAINING_ENROLLED: "start_on",
    K.EMPLOYMENT_STARTED: "started_on",
}
"""The date each kind is about, for the kinds that have one."""


@dataclass(frozen=True)
class Fact:
    """An entry as the rules read it."""

    log_index: int
    event: dict[str, Any]

    @property
    def issuer_id(self) -> str:
        """Who signed it."""
        return str(self.event["issuer_id"])

    @property
    def kind(self) -> str:
        """Its event kind."""
        return str(self.event["kind"])


@dataclass
class RiskHistory:
    """The batch's workers' facts, revocations and the new evaluators' counts."""

    by_worker: dict[str, list[Fact]] = field(default_factory=lambda: defaultdict(list))
    by_index: dict[int, Fact] = field(default_factory=dict)
    revoked: set[int] = field(default_factory=set)
    certificates: dict[str, int] = field(default_factory=dict)

    @classmethod
    def load(
        cls,
        connection: Connection,
        batch: Sequence[dict[str, Any]],
        new_evaluators: Iterable[str],
    ) -> RiskHistory:
        """Read the batch's workers' facts; count the new evaluators' certificates."""
        history = cls()
        workers = sorted({str(e["worker_id"]) for e in batch})
        for start in range(0, len(workers), 500):
            rows = connection.execute(
                select(EntryRow.log_index, EntryRow.leaf_data)
                .where(
                    EntryRow.worker_id.in_(workers[start : start + 500]),
                    EntryRow.kind.in_([str(k) for k in FACT_DATE]),
                )
                .order_by(EntryRow.log_index)
            )
            for log_index, leaf_data in rows:
                history.add(log_index, json.loads(leaf_data)["event"])
        for issuer in new_evaluators:
            history.certificates[issuer] = connection.execute(
                select(func.count()).where(
                    EntryRow.issuer_id == issuer,
                    EntryRow.kind == str(K.CERTIFICATE_ISSUED),
                )
            ).scalar_one()
        return history

    def add(self, log_index: int, event: dict[str, Any]) -> None:
        """Record an entry logged before, or just appended in this batch."""
        if event["kind"] not in FACT_DATE:
            return
        fact = Fact(log_index, event)
        self.by_worker[str(event["worker_id"])].append(fact)
        self.by_index[log_index] = fact
        if event["kind"] == K.ENTRY_REVOKED:
            self.revoked.add(int(event["target_log_index"]))
        if (
            event["kind"] == K.CERTIFICATE_ISSUED
            and event["issuer_id"] in self.certificates
        ):
            self.certificates[event["issuer_id"]] += 1

    def live(self, worker_id: str, kind: str) -> list[Fact]:
        """The worker's unrevoked facts of ``kind``, oldest first."""
        return [
            f
            for f in self.by_worker.get(worker_id, [])
            if f.kind == kind and f.log_index not in self.revoked
        ]

    def class_of(self, completion: dict[str, Any]) -> tuple[dt.date, dt.date] | None:
        """The days a completed class ran: its enrolment's start to its completion."""
        for fact in self.live(str(completion["worker_id"]), K.TRAINING_ENROLLED):
            if (
                fact.issuer_id == completion["issuer_id"]
                and fact.event["ref"] == completion["enrolment_ref"]
            ):
                return (
                    dt.date.fromisoformat(fact.event["start_on"]),
                    dt.date.fromisoformat(completion["completed_on"]),
                )
        return None

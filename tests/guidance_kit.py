"""A worker's archive built entry by entry for guidance tests, as the log holds it."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from typing import Any

from passport.archive import Archive, Record, Revocation
from passport.guidance import Guidance
from schemas.catalogue import ELDERLY_CARE_WORKER
from schemas.events import parse_event

D = dt.date.fromisoformat
WORKER = "0" * 32
CODE = ELDERLY_CARE_WORKER


class Ledger:
    """Builds one worker's archive entry by entry, as the log would hold it."""

    def __init__(self) -> None:
        self.records: list[Record] = []

    def add(self, data: dict[str, Any], on: str) -> int:
        index = len(self.records)
        event = parse_event(
            {"worker_id": WORKER, "signed_at": f"{on}T08:00:00Z", **data}
        )
        self.records.append(Record(index, f"{index:064x}", event))
        return index

    def certificate(
        self,
        level: int,
        on: str,
        *,
        occupation: str = CODE,
        work_type: str | None = None,
    ) -> int:
        data = {
            "kind": "certificate.issued",
            "issuer_id": "eval-0001",
            "ref": f"cert-{len(self.records)}",
            "certificate_type": "skill_level",
            "occupation_code": occupation,
            "skill_level": level,
            "certificate_no": f"S000050000012{on[2:4]}{level}{len(self.records):06d}",
            "issued_on": on,
        }
        if work_type:
            data["work_type"] = work_type
        return self.add(data, on)

    def job(
        self,
        start: str,
        end: str | None = None,
        *,
        occupation: str = CODE,
        issuer: str = "emp-0001",
        end_issuer: str | None = None,
    ) -> int:
        ref = f"job-{len(self.records)}"
        index = self.add(
            {
                "kind": "employment.started",
                "issuer_id": issuer,
                "ref": ref,
                "occupation_code": occupation,
                "position": "护理员",
                "started_on": start,
            },
            start,
        )
        if end:
            self.add(
                {
                    "kind": "employment.ended",
                    "issuer_id": end_issuer or issuer,
                    "ref": f"{ref}-end",
                    "employment_ref": ref,
                    "ended_on": end,
                },
                end,
            )
        return index

    def training(
        self,
        level: int | None,
        hours: int,
        on: str,
        *,
        occupation: str = CODE,
        passed: bool = True,
    ) -> int:
        ref = f"train-{len(self.records)}"
        data: dict[str, Any] = {
            "kind": "training.completed",
            "issuer_id": "train-0001",
            "ref": ref,
            "enrolment_ref": f"{ref}-enrol",
            "occupation_code": occupation,
            "completed_on": on,
            "hours": hours,
            "passed": passed,
        }
        if level is not None:
            data["target_level"] = level
        return self.add(data, on)

    def apprenticeship(self, start: str, end: str, *, occupation: str = CODE) -> int:
        return self.add(
            {
                "kind": "apprenticeship.completed",
                "issuer_id": "emp-0001",
                "ref": f"xt-{len(self.records)}",
                "occupation_code": occupation,
                "started_on": start,
                "completed_on": end,
            },
            end,
        )

    def appointment(
        self, post: str, start: str, end: str, *, occupation: str = CODE
    ) -> int:
        return self.add(
            {
                "kind": "appointment.granted",
                "issuer_id": "emp-0001",
                "ref": f"pp-{len(self.records)}",
                "occupation_code": occupation,
                "post": post,
                "term_start": start,
                "term_end": end,
            },
            start,
        )

    def award(
        self,
        contest: str,
        contest_class: str,
        rank: int,
        on: str,
        *,
        occupation: str = CODE,
    ) -> int:
        return self.add(
            {
                "kind": "competition.awarded",
                "issuer_id": "eval-0001",
                "ref": f"js-{len(self.records)}",
                "occupation_code": occupation,
                "contest": contest,
                "contest_class": contest_class,
                "rank": rank,
                "awarded_on": on,
            },
            on,
        )

    def revoke(self, target: int, on: str) -> int:
        index = self.add(
            {
                "kind": "entry.revoked",
                "issuer_id": "eval-0001",
                "ref": f"revoke-{target}",
                "target_log_index": target,
                "target_leaf_hash": self.records[target].leaf_hash,
                "reason": "issued in error",
                "revoked_on": on,
            },
            on,
        )
        revocation = Revocation(
            index, dt.date.fromisoformat(on), "issued in error", False
        )
        self.records[target] = dataclasses.replace(
            self.records[target], revocation=revocation
        )
        return index

    def archive(self) -> Archive:
        return Archive(WORKER, tuple(self.records))


def ledger(*steps: Callable[[Ledger], object]) -> Archive:
    book = Ledger()
    for step in steps:
        step(book)
    return book.archive()


def states(guidance: Guidance, path_id: str) -> list[str]:
    path = next(p for p in guidance.paths if p.path_id == path_id)
    return [c.state for c in path.conditions]


NO_RECORDS = (
    "尚无记录：账本中还没有您在已收录职业中的职业技能记录，暂无晋升指引",
    "No records yet: the ledger holds none of your records in the occupations "
    "covered, so there is no promotion guidance",
)
NOT_IN_FORCE = (
    "职业：养老护理员（4-10-01-05）；2019-09-30尚无施行中的国家职业技能标准版本"
    "（最早的版本自2019-10-01起施行），暂无晋升指引",
    "Occupation: Elderly Care Worker (4-10-01-05); no edition of the national "
    "occupational skill standard is in force on 2019-09-30 (the first takes effect "
    "on 2019-10-01), so there is no promotion guidance",
)
"""The guidance lines for no records at all, and before the 2019 standard."""

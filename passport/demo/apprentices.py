"""Apprenticeships of the demo: some 养老护理员 complete one with their first employer.

The draws come from a stream of their own per worker, so the rest of each
history is the same with or without them. The length of an apprenticeship
under 企业新型学徒制 was not found; one year is assumed.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from passport.demo.signing import signed_at
from passport.guidance.calendar import add_years
from schemas.catalogue import ELDERLY_CARE_WORKER
from schemas.events import EventKind

K = EventKind
APPRENTICES = 0.1  # of 养老护理员 in post first with no certificate yet
APPRENTICESHIP_YEARS = 1  # assumed: 企业新型学徒制 terms were not found


def apprenticeship(
    seed: int, index: int, events: list[dict[str, Any]], as_of: dt.date
) -> list[dict[str, Any]]:
    """Now and then an apprenticeship completed in the first job, before any grade.

    It ends while that job lasts and before ``as_of``, and only for a worker
    certified at no grade by then; signed by the employer after the job's
    start was.
    """
    rng = random.Random(f"skillpass-demo/{seed}/apprentices/{index}")
    if rng.random() >= APPRENTICES:
        return []
    starts = [e for e in events if e["kind"] == K.EMPLOYMENT_STARTED]
    if not starts:
        return []
    job = min(starts, key=lambda e: e["started_on"])
    started_on = dt.date.fromisoformat(job["started_on"])
    completed_on = add_years(started_on, APPRENTICESHIP_YEARS)
    ends = [
        dt.date.fromisoformat(e["ended_on"])
        for e in events
        if e["kind"] == K.EMPLOYMENT_ENDED and e["employment_ref"] == job["ref"]
    ]
    certified = [
        dt.date.fromisoformat(e["issued_on"])
        for e in events
        if e["kind"] == K.CERTIFICATE_ISSUED and e.get("skill_level")
    ]
    if completed_on >= as_of or any(end < completed_on for end in ends):
        return []
    if any(day <= completed_on for day in certified):
        return []
    return [
        {
            "kind": K.APPRENTICESHIP_COMPLETED.value,
            "issuer_id": job["issuer_id"],
            "ref": f"XT{completed_on.year}{index:07d}",
            "signed_at": signed_at(rng, completed_on, job["signed_at"]),
            "occupation_code": ELDERLY_CARE_WORKER,
            "started_on": started_on.isoformat(),
            "completed_on": completed_on.isoformat(),
        }
    ]

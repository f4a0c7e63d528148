"""Corrections in the demo: now and then an employer corrects a job's position.

The position was recorded wrongly when the job started, and the employer
replaces the entry with an ``entry.corrected`` that carries the start with
the right position (the dates, the occupation and the ref stay, so the
job's end and the guidance read it as before). The draws come from a
stream of their own per worker, so the rest of each history is the same
with or without them. Like a revocation, the correction names its target
by (issuer, ref) here; the demo fills in the log index and leaf hash once
the target is logged.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from passport.demo.signing import signed_at
from schemas.events import EventKind

K = EventKind
CORRECTED = 0.02  # of histories with a job
CORRECTED_AFTER_DAYS = (5, 60)
POSITIONS = ("养老护理员", "护理组长", "照护员", "康复护理员")
REASONS = ("岗位名称登记有误，予以更正", "入职登记岗位与劳动合同不符，予以更正")


def correction(
    seed: int, index: int, events: list[dict[str, Any]], as_of: dt.date
) -> list[dict[str, Any]]:
    """Now and then a correction of the position of the history's first job."""
    rng = random.Random(f"skillpass-demo/{seed}/corrections/{index}")
    if rng.random() >= CORRECTED:
        return []
    starts = [e for e in events if e["kind"] == K.EMPLOYMENT_STARTED]
    if not starts:
        return []
    target = min(starts, key=lambda e: e["signed_at"])
    signed_on = dt.date.fromisoformat(target["signed_at"][:10])
    corrected_on = signed_on + dt.timedelta(rng.randint(*CORRECTED_AFTER_DAYS))
    if corrected_on >= as_of:
        return []
    position = rng.choice([p for p in POSITIONS if p != target["position"]])
    return [
        {
            "kind": K.ENTRY_CORRECTED.value,
            "issuer_id": target["issuer_id"],
            "ref": f"GZ{target['ref']}",
            "signed_at": signed_at(rng, corrected_on, target["signed_at"]),
            "target_issuer_id": target["issuer_id"],
            "target_ref": target["ref"],
            "reason": rng.choice(REASONS),
            "corrected_on": corrected_on.isoformat(),
            "corrected": {**target, "position": position},
        }
    ]

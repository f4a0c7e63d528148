"""The authority's review queue of risk flags: list them, record a decision.

A flag is never changed or removed; a decision is a row of its own
(``risk_reviews``), one per flag, so the queue shows what is still open.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ledger.store.tables import RiskFlagRow
from passport.errors import ServiceError
from passport.service import Service
from passport.tables import RiskReviewRow

Decision = Literal["confirmed", "dismissed"]
"""confirmed: fraud or error to act on; dismissed: explained, nothing wrong."""


class ReviewError(ServiceError):
    """A flag that does not exist or was already decided."""


@dataclass(frozen=True)
class FlagView:
    """A flag with its decision, if any."""

    flag_id: int
    log_index: int
    worker_id: str
    issuer_id: str
    rule: str
    detail: str
    flagged_at: dt.datetime
    decision: str | None
    note: str | None
    reviewer: str | None


def list_flags(
    service: Service, *, include_resolved: bool = False, rule: str | None = None
) -> list[FlagView]:
    """The flags in the order raised: open ones only unless asked for all."""
    query = (
        select(RiskFlagRow, RiskReviewRow)
        .outerjoin(RiskReviewRow, RiskReviewRow.flag_id == RiskFlagRow.flag_id)
        .order_by(RiskFlagRow.flag_id)
    )
    if not include_resolved:
        query = query.where(RiskReviewRow.flag_id.is_(None))
    if rule is not None:
        query = query.where(RiskFlagRow.rule == rule)
    with service.reading() as session:
        rows = session.execute(query).all()
    return [
        FlagView(
            flag.flag_id,
            flag.log_index,
            flag.worker_id,
            flag.issuer_id,
            flag.rule,
            flag.detail,
            flag.flagged_at,
            review.decision if review else None,
            review.note if review else None,
            review.reviewer if review else None,
        )
        for flag, review in rows
    ]


def resolve_flag(
    service: Service,
    flag_id: int,
    *,
    decision: Decision,
    note: str,
    reviewer: str,
    now: dt.datetime,
) -> None:
    """Record the authority's decision on a flag; raise ReviewError."""
    if not note.strip() or not reviewer.strip():
        raise ReviewError("review: a decision needs a note and the reviewer's name")
    try:
        with service.session() as session:
            if session.get(RiskFlagRow, flag_id) is None:
                raise ReviewError(f"flag: no flag {flag_id}")
            if session.get(RiskReviewRow, flag_id) is not None:
                raise ReviewError(f"flag: {flag_id} was already decided")
            session.add(
                RiskReviewRow(
                    flag_id=flag_id,
                    decision=decision,
                    note=note.strip(),
                    reviewer=reviewer.strip(),
                    reviewed_at=now,
                )
            )
    except IntegrityError as exc:  # decided at the same moment elsewhere
        raise ReviewError(f"flag: {flag_id} was already decided") from exc

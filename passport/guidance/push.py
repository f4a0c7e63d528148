"""The push list (等级晋升指引): who became eligible for a higher level in a month.

A worker is on the list for a month when, judged on its last day, the
earliest day on which some path to the next step is met falls inside the
month: before it they were not yet eligible by any path, by its end they
are. Rows name workers by their pseudonymous id only; whoever sends the
guidance looks the person up with the authority's own records.
"""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TextIO

from sqlalchemy import select

from passport.archive import Archive
from passport.guidance.engine import step_names, worker_guidance
from passport.guidance.rules import GuidanceError
from passport.tables import WorkerIdentityRow

if TYPE_CHECKING:
    from passport.service import Service

logger = logging.getLogger(__name__)

COLUMNS = (
    "worker_id",
    "occupation_code",
    "occupation_zh",
    "current_zh",
    "next_zh",
    "next_en",
    "eligible_on",
    "paths",
    "evidence",
)


@dataclass(frozen=True)
class PushRow:
    """One worker newly eligible for the next step of one occupation."""

    worker_id: str
    occupation_code: str
    occupation_zh: str
    current_zh: str
    next_zh: str
    next_en: str
    eligible_on: dt.date
    paths: str
    evidence: str


def month_bounds(month: str) -> tuple[dt.date, dt.date]:
    """First and last day of a month written YYYY-MM."""
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month):
        raise GuidanceError(f"month: expected YYYY-MM like 2026-12, got {month!r}")
    year, number = int(month[:4]), int(month[5:])
    last = calendar.monthrange(year, number)[1]
    return dt.date(year, number, 1), dt.date(year, number, last)


def push_rows(archives: Iterable[Archive], month: str) -> list[PushRow]:
    """The rows of the push list for ``month`` from the given archives."""
    first, last = month_bounds(month)
    rows = []
    for archive in archives:
        for guidance in worker_guidance(archive, as_of=last):
            day = guidance.earliest_eligible
            if day is None or not first <= day <= last or guidance.next_step is None:
                continue
            met = [p for p in guidance.paths if p.eligible_on == day and p.met]
            current = (
                step_names(guidance.current_step)[0]
                if guidance.current_step is not None
                else "无"
            )
            next_zh, next_en = step_names(guidance.next_step)
            rows.append(
                PushRow(
                    worker_id=archive.worker_id,
                    occupation_code=guidance.occupation_code,
                    occupation_zh=guidance.occupation_name_zh,
                    current_zh=current,
                    next_zh=next_zh,
                    next_en=next_en,
                    eligible_on=day,
                    paths=" ".join(p.path_id for p in met),
                    evidence=" ".join(
                        str(i)
                        for i in sorted(
                            {i for p in met for c in p.conditions for i in c.evidence}
                        )
                    ),
                )
            )
    return sorted(rows, key=lambda r: (r.eligible_on, r.occupation_code, r.worker_id))


def push_list(service: Service, month: str) -> list[PushRow]:
    """The push list over every registered worker whose data was not erased."""
    month_bounds(month)
    with service.reading() as session:
        worker_ids = list(
            session.scalars(
                select(WorkerIdentityRow.worker_id)
                .where(WorkerIdentityRow.erased_at.is_(None))
                .order_by(WorkerIdentityRow.worker_id)
            )
        )
    rows = push_rows((service.archive(w) for w in worker_ids), month)
    logger.debug("push list %s: %s of %s workers", month, len(rows), len(worker_ids))
    return rows


def write_csv(rows: Iterable[PushRow], out: TextIO) -> int:
    """Write the rows as CSV with a header line; return how many were written."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    count = 0
    for row in rows:
        writer.writerow([getattr(row, column) for column in COLUMNS])
        count += 1
    return count

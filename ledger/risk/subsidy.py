"""Flag what looks like a subsidy claimed twice or beyond its limits (FACTS.md §5).

Each rule reads a subsidised enrolment against the worker's earlier,
unrevoked subsidised enrolments, wherever they were.
"""

from __future__ import annotations

from typing import Any

from ledger.risk.history import Fact, RiskHistory
from ledger.risk.rules import Context, Rule
from schemas.events import EventKind


def _subsidised(event: dict[str, Any], history: RiskHistory) -> list[Fact] | None:
    """The worker's earlier subsidised enrolments, or None for any other event."""
    if event["kind"] != EventKind.TRAINING_ENROLLED or not event["subsidised"]:
        return None
    earlier = history.live(event["worker_id"], EventKind.TRAINING_ENROLLED)
    return [f for f in earlier if f.event["subsidised"]]


def _target(event: dict[str, Any]) -> tuple[str, str | None, int | None]:
    return event["occupation_code"], event.get("work_type"), event.get("target_level")


def _repeat_subsidy(
    event: dict[str, Any], history: RiskHistory, _: Context
) -> str | None:
    for fact in _subsidised(event, history) or []:
        if _target(fact.event) == _target(event):
            level = event.get("target_level")
            return (
                f"occupation_code: {event['occupation_code']} level "
                f"{level if level is not None else '-'} was already subsidised "
                f"at {fact.issuer_id} (entry {fact.log_index}, "
                f"{fact.event['start_on']})"
            )
    return None


def _yearly_limit(
    event: dict[str, Any], history: RiskHistory, context: Context
) -> str | None:
    earlier = _subsidised(event, history)
    if earlier is None:
        return None
    year = event["start_on"][:4]
    same_year = [f for f in earlier if f.event["start_on"][:4] == year]
    limit = context.config.setting("yearly_limit", "max_per_year")
    if len(same_year) < limit:
        return None
    entries = ", ".join(str(f.log_index) for f in same_year)
    return (
        f"start_on: subsidised training {len(same_year) + 1} in {year}, "
        f"the limit is {limit} (entries {entries})"
    )


def _lifetime_limit(
    event: dict[str, Any], history: RiskHistory, context: Context
) -> str | None:
    earlier = _subsidised(event, history)
    limit = context.config.setting("lifetime_limit", "max_total")
    if earlier is None or len(earlier) < limit:
        return None
    return f"subsidised: training {len(earlier) + 1} in all, the limit is {limit}"


REPEAT_SUBSIDY = Rule(
    "repeat_subsidy",
    "flag",
    "重复享受补贴 a second subsidised training for the same occupation, work "
    "type and level (one subsidy per occupation and level)",
    _repeat_subsidy,
)
YEARLY_LIMIT = Rule(
    "yearly_limit",
    "flag",
    "超出年度补贴次数 more subsidised trainings in one year than the yearly limit",
    _yearly_limit,
)
LIFETIME_LIMIT = Rule(
    "lifetime_limit",
    "flag",
    "超出累计补贴次数 more subsidised trainings in all than the lifetime limit",
    _lifetime_limit,
)

"""Refuse what cannot be true: facts dated in the future, contradicted prerequisites.

A completion before its class started is refused already by the log's
reference checks (``ledger/references.py``, reason ``impossible_dates``),
and a fact after its own signature by the event schema; these rules add
what needs the calendar of the programme or the worker's other entries.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ledger.risk.history import HAPPENED, RiskHistory
from ledger.risk.rules import Context, Rule
from schemas.events import EventKind


def _future_fact(event: dict[str, Any], _: RiskHistory, context: Context) -> str | None:
    name = HAPPENED.get(EventKind(event["kind"]))
    if name is None:
        return None
    slack = context.config.setting("future_fact", "slack_days")
    latest = context.today + dt.timedelta(days=slack)
    day = dt.date.fromisoformat(event[name])
    if day <= latest:
        return None
    return f"{name}: {day} is after today {context.today} (China time)"


def _prerequisite_contradicted(
    event: dict[str, Any], history: RiskHistory, _: Context
) -> str | None:
    level = event.get("skill_level")
    if event["kind"] != EventKind.CERTIFICATE_ISSUED or level is None or level == 5:
        return None
    issued_on = event["issued_on"]
    for fact in history.live(event["worker_id"], EventKind.CERTIFICATE_ISSUED):
        held = fact.event
        if (
            held.get("skill_level") == level + 1
            and held["occupation_code"] == event["occupation_code"]
            and held["issued_on"] > issued_on
        ):
            return (
                f"issued_on: level {level} on {issued_on}, but the worker's level "
                f"{level + 1} certificate it builds on (entry {fact.log_index}) "
                f"was issued later, on {held['issued_on']}"
            )
    return None


FUTURE_FACT = Rule(
    "future_fact",
    "refuse",
    "事实日期晚于今天 a fact (completion, certificate, award, end, revocation) "
    "dated after the day it is logged",
    _future_fact,
)
PREREQUISITE_CONTRADICTED = Rule(
    "prerequisite_contradicted",
    "refuse",
    "证书早于其前置等级 a certificate dated before the lower-level certificate "
    "of the same occupation that the ledger shows it was built on",
    _prerequisite_contradicted,
)

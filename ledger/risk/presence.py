"""Flag a trainee who was in two places: overlapping classes, or two places in a day.

``overlapping_classes`` compares whole classes (enrolment start to
completion) when a class is completed; ``two_places`` compares the days a
trainee had to be present in person (a class's first day, its final
assessment) at different institutions, whether the classes overlap or not.
"""

from __future__ import annotations

from typing import Any

from ledger.risk.history import RiskHistory
from ledger.risk.rules import Context, Rule
from schemas.events import EventKind

_PRESENT = {
    EventKind.TRAINING_ENROLLED: "start_on",
    EventKind.TRAINING_COMPLETED: "completed_on",
}


def _overlapping_classes(
    event: dict[str, Any], history: RiskHistory, _: Context
) -> str | None:
    if event["kind"] != EventKind.TRAINING_COMPLETED:
        return None
    days = history.class_of(event)
    if days is None:
        return None
    for fact in history.live(event["worker_id"], EventKind.TRAINING_COMPLETED):
        if fact.issuer_id == event["issuer_id"]:
            continue
        other = history.class_of(fact.event)
        if other is not None and days[0] <= other[1] and other[0] <= days[1]:
            return (
                f"completed_on: the class {days[0]}..{days[1]} overlaps the class "
                f"{other[0]}..{other[1]} at {fact.issuer_id} (entry {fact.log_index})"
            )
    return None


def _two_places(event: dict[str, Any], history: RiskHistory, _: Context) -> str | None:
    name = _PRESENT.get(EventKind(event["kind"]))
    if name is None:
        return None
    day = event[name]
    for kind, other_name in _PRESENT.items():
        for fact in history.live(event["worker_id"], kind):
            if fact.issuer_id != event["issuer_id"] and fact.event[other_name] == day:
                return (
                    f"{name}: on {day} the trainee was also at {fact.issuer_id} "
                    f"({other_name} of entry {fact.log_index})"
                )
    return None


OVERLAPPING_CLASSES = Rule(
    "overlapping_classes",
    "flag",
    "培训时间重叠 a class completed at one institution that overlaps a class "
    "at another",
    _overlapping_classes,
)
TWO_PLACES = Rule(
    "two_places",
    "flag",
    "同日两地 a trainee due in person at two institutions on the same day "
    "(first day of a class, final assessment)",
    _two_places,
)

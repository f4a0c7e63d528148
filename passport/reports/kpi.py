"""The plan's KPIs for a year (annexes 1 and 2), counted from the ledger.

Counting takes these steps:

1. Read every entry and its issuer's system; leave out revoked entries.
2. Trainings: completions (or enrolments) dated in the year; by annex 2
   item and by the training institution's system, policy trainings only
   if the definitions say so.
3. Evaluations: certificates issued in the year, by level group and type.
4. Employment rate: the denominator's trainings of the year, and of them
   those with employment evidence within the window after the class ended.
5. Certification rate: workers in post on 31 December, and of them those
   holding a counted certificate issued by then.

Each figure carries the definition it was counted by and annex 1's target.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections import Counter
from dataclasses import dataclass
from importlib import resources
from typing import Any

from sqlalchemy import select

from issuers.tables import IssuerRow
from ledger.store.tables import EntryRow
from passport.reports.definitions import Definitions, EmploymentDefinition
from passport.service import Service
from schemas.catalogue import CatalogueItem, load_catalogue
from schemas.events import EventKind

K = EventKind
JUNIOR, SENIOR = (5, 4), (3, 2, 1)
OTHER = "其他 other"


@dataclass(frozen=True)
class Figure:
    """One KPI: its value, the target, and how it was counted."""

    key: str
    name_zh: str
    name_en: str
    value: float
    target: float | None
    unit: str
    definition: str
    numerator: int | None = None
    denominator: int | None = None


@dataclass(frozen=True)
class Breakdown:
    """Trainings (annex 2) and evaluations for one item or one system."""

    key: str
    label_zh: str
    label_en: str
    trainings: int
    target: int | None
    evaluations: int = 0


@dataclass(frozen=True)
class KpiReport:
    """The year's KPIs, by item and by system, and the definitions used."""

    year: int
    entries: int
    definitions: Definitions
    figures: list[Figure]
    by_item: list[Breakdown]
    by_system: list[Breakdown]


@functools.cache
def annex1() -> dict[str, Any]:
    """Annex 1's indicators and targets, as shipped."""
    text = resources.files("passport.reports").joinpath("data/annex1.json")
    data: dict[str, Any] = json.loads(text.read_text("utf-8"))
    return data


@dataclass
class _Ledger:
    """Step 1: the unrevoked events, indexed as the counts need them."""

    events: list[dict[str, Any]]
    systems: dict[str, str | None]
    enrolments: dict[tuple[str, str, str], dict[str, Any]]
    completions: dict[tuple[str, str, str], dict[str, Any]]
    ended: dict[tuple[str, str, str], str]

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e["kind"] == kind]


def _read(service: Service) -> _Ledger:
    # TODO: reads every entry into memory, fine for a training centre or the
    # demo; a city's log needs the counts done in SQL, shard by shard.
    with service.reading() as session:
        systems = {
            issuer: system
            for issuer, system in session.execute(
                select(IssuerRow.issuer_id, IssuerRow.system)
            )
        }
        rows = session.execute(
            select(EntryRow.log_index, EntryRow.leaf_data).order_by(EntryRow.log_index)
        ).all()
    by_index = {index: json.loads(data)["event"] for index, data in rows}
    revoked = {
        e["target_log_index"] for e in by_index.values() if e["kind"] == K.ENTRY_REVOKED
    }
    events = [
        e
        for i, e in by_index.items()
        if i not in revoked and e["kind"] != K.ENTRY_REVOKED
    ]

    def key(e: dict[str, Any], ref: str) -> tuple[str, str, str]:
        return (e["issuer_id"], e["worker_id"], e[ref])

    return _Ledger(
        events,
        systems,
        {key(e, "ref"): e for e in events if e["kind"] == K.TRAINING_ENROLLED},
        {
            key(e, "enrolment_ref"): e
            for e in events
            if e["kind"] == K.TRAINING_COMPLETED
        },
        {
            key(e, "employment_ref"): e["ended_on"]
            for e in events
            if e["kind"] == K.EMPLOYMENT_ENDED
        },
    )


def kpi_report(service: Service, *, year: int, definitions: Definitions) -> KpiReport:
    """Steps 1–5 of the module docstring for ``year``."""
    ledger = _read(service)
    trainings = _trainings(ledger, year, definitions)
    certificates = [
        e for e in ledger.of(K.CERTIFICATE_ISSUED) if e["issued_on"][:4] == str(year)
    ]
    levels = Counter(e.get("skill_level") for e in certificates)
    counts = {
        "trainings": len(trainings),
        "evaluations": len(certificates),
        "junior_evaluations": sum(levels[g] for g in JUNIOR),
        "senior_evaluations": sum(levels[g] for g in SENIOR),
        "special_abilities": levels[None],
    }
    employed, cohort = _employment(ledger, year, definitions)
    holding, in_post = _certification(ledger, year, definitions)
    figures = []
    for indicator in annex1()["indicators"]:
        key = indicator["key"]
        target = indicator["targets"].get(str(year))
        text = _definition(key, year, definitions)
        names = (key, indicator["name_zh"], indicator["name_en"])
        if key == "employment_rate":
            figures.append(_rate(names, employed, cohort, target, text))
        elif key == "certification_rate":
            figures.append(_rate(names, holding, in_post, target, text))
        else:
            figures.append(Figure(*names, counts[key], target, "人次", text))
    by_item, by_system = _breakdowns(ledger, year, definitions, trainings, certificates)
    entries = len(ledger.events)
    return KpiReport(year, entries, definitions, figures, by_item, by_system)


def _rate(
    names: tuple[str, str, str], part: int, whole: int, target: float | None, text: str
) -> Figure:
    value = part / whole if whole else 0.0
    return Figure(*names, value, target, "%", text, numerator=part, denominator=whole)


def _trainings(
    ledger: _Ledger, year: int, definitions: Definitions
) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Step 2: (enrolment, the counted entry) for each training of the year."""
    found = []
    if definitions.trainings.count == "completed":
        for key, completed in ledger.completions.items():
            enrolled = ledger.enrolments.get(key)
            if enrolled is not None and completed["completed_on"][:4] == str(year):
                found.append((enrolled, completed))
    else:
        found = [
            (e, e) for e in ledger.enrolments.values() if e["start_on"][:4] == str(year)
        ]
    return found


def _employment(
    ledger: _Ledger, year: int, definitions: Definitions
) -> tuple[int, int]:
    """Step 4: trainings followed by employment evidence, and the denominator."""
    rule = definitions.employment
    ends = _class_ends(ledger, year, rule)
    evidence = _evidence(ledger, list(rule.evidence))
    employed = sum(
        1 for worker, end in ends if _employed(end, evidence.get(worker, []), rule)
    )
    return employed, len(ends)


def _class_ends(
    ledger: _Ledger, year: int, rule: EmploymentDefinition
) -> list[tuple[str, dt.date]]:
    """The denominator: (worker, the day the class ended) for each training."""
    ends = []
    for key, enrolled in ledger.enrolments.items():
        completed = ledger.completions.get(key)
        if rule.denominator == "enrolled":
            if enrolled["start_on"][:4] == str(year):
                # a class left unfinished ends, for this count, when it began
                day = completed["completed_on"] if completed else enrolled["start_on"]
                ends.append((enrolled["worker_id"], dt.date.fromisoformat(day)))
            continue
        if completed is None or completed["completed_on"][:4] != str(year):
            continue
        if rule.denominator == "completed" or completed["passed"]:
            day = dt.date.fromisoformat(completed["completed_on"])
            ends.append((enrolled["worker_id"], day))
    return ends


def _employed(
    end: dt.date,
    evidence: list[tuple[dt.date, dt.date, str]],
    rule: EmploymentDefinition,
) -> bool:
    """Whether evidence of work falls in the window after ``end``."""
    window_end = end + dt.timedelta(days=rule.window_days)
    for start, stop, kind in evidence:
        if end <= start <= window_end:
            return True
        if kind == K.INSURANCE_PERIOD and start <= window_end and stop >= end:
            return True
        at_end = kind == K.EMPLOYMENT_STARTED and start <= end <= stop
        if rule.include_employed_at_end and at_end:
            return True
    return False


def _evidence(
    ledger: _Ledger, kinds: list[str]
) -> dict[str, list[tuple[dt.date, dt.date, str]]]:
    """Each worker's evidence of work: (first day, last day, kind)."""
    found: dict[str, list[tuple[dt.date, dt.date, str]]] = {}
    for e in ledger.events:
        if e["kind"] not in kinds:
            continue
        if e["kind"] == K.EMPLOYMENT_STARTED:
            end = ledger.ended.get((e["issuer_id"], e["worker_id"], e["ref"]))
            span = (
                dt.date.fromisoformat(e["started_on"]),
                dt.date.fromisoformat(end) if end else dt.date.max,
            )
        else:
            span = (_month_start(e["period_from"]), _month_end(e["period_to"]))
        found.setdefault(e["worker_id"], []).append((*span, e["kind"]))
    return found


def _month_start(month: str) -> dt.date:
    return dt.date(int(month[:4]), int(month[5:7]), 1)


def _month_end(month: str) -> dt.date:
    first = _month_start(month)
    return (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(
        days=1
    )


def _certification(
    ledger: _Ledger, year: int, definitions: Definitions
) -> tuple[int, int]:
    """Step 5: workers in post on 31 December holding a counted certificate."""
    rule = definitions.certification
    last_day = f"{year}-12-31"
    in_post = {
        e["worker_id"]
        for e in ledger.of(K.EMPLOYMENT_STARTED)
        if e["started_on"] <= last_day
        and (not rule.occupations or e["occupation_code"] in rule.occupations)
        and ledger.ended.get((e["issuer_id"], e["worker_id"], e["ref"]), "9999")
        > last_day
    }
    holding = {
        e["worker_id"]
        for e in ledger.of(K.CERTIFICATE_ISSUED)
        if e["issued_on"] <= last_day
        and e["certificate_type"] in rule.certificate_types
        and (not rule.occupations or e["occupation_code"] in rule.occupations)
    }
    return len(in_post & holding), len(in_post)


def _breakdowns(
    ledger: _Ledger,
    year: int,
    definitions: Definitions,
    trainings: list[tuple[dict[str, Any], dict[str, Any]]],
    certificates: list[dict[str, Any]],
) -> tuple[list[Breakdown], list[Breakdown]]:
    """Trainings against annex 2 by item and by system; evaluations by item."""
    catalogue = load_catalogue()
    policy = [
        (enrolled, counted)
        for enrolled, counted in trainings
        if enrolled["subsidised"] or not definitions.trainings.annex2_subsidised_only
    ]
    by_item = Counter(_item_key(counted) for _, counted in policy)
    evaluations = Counter(_item_key(e) for e in certificates)
    items = []
    for item in catalogue.items:
        target = item.targets.get(year)
        key = _label_key(item)
        items.append(
            Breakdown(
                key,
                catalogue.label(item),
                catalogue.label_en(item),
                by_item.pop(key, 0),
                target.total if target else None,
                evaluations.pop(key, 0),
            )
        )
    items.append(
        Breakdown(
            "other",
            OTHER,
            "other",
            sum(by_item.values()),
            None,
            sum(evaluations.values()),
        )
    )
    systems = Counter(
        ledger.systems.get(enrolled["issuer_id"]) for enrolled, _ in policy
    )
    totals = catalogue.annual_totals.get(year)
    by_system = [
        Breakdown(
            s.key,
            s.name_zh,
            s.name_en,
            systems.pop(s.key, 0),
            totals.by_system.get(s.key) if totals else None,
        )
        for s in catalogue.systems
    ]
    by_system.append(Breakdown("other", OTHER, "other", sum(systems.values()), None))
    return items, by_system


def _item_key(event: dict[str, Any]) -> str:
    """The annex 2 item of an event, or its occupation's for an unknown work type."""
    catalogue = load_catalogue()
    code, work_type = event["occupation_code"], event.get("work_type")
    for wanted in (work_type, None):
        for item in catalogue.items:
            if item.code == code and item.work_type == wanted:
                return _label_key(item)
    return "other"


def _label_key(item: CatalogueItem) -> str:
    return f"{item.code}|{item.work_type or ''}"


def _definition(key: str, year: int, definitions: Definitions) -> str:
    """The definition a figure was counted by, as printed beside it."""
    t, e, c = definitions.trainings, definitions.employment, definitions.certification
    if key == "trainings":
        what = "结业 completions" if t.count == "completed" else "开班 enrolments"
        return f"{what} dated in {year}, revoked entries left out"
    if key == "evaluations":
        return f"certificates (skill level and special ability) issued in {year}"
    if key == "junior_evaluations":
        return f"skill-level certificates at 五级 and 四级 issued in {year}"
    if key == "senior_evaluations":
        return f"skill-level certificates at 三级 to 一级 issued in {year}"
    if key == "special_abilities":
        return f"special-ability certificates issued in {year}"
    if key == "employment_rate":
        at_end = "counts" if e.include_employed_at_end else "does not count"
        return (
            f"denominator: {e.denominator} trainings of {year}; employed: "
            f"{' or '.join(e.evidence)} within {e.window_days} days after the "
            f"class ended; still employed at its end {at_end}"
        )
    occupations = ", ".join(c.occupations) or "every occupation"
    return (
        f"workers in post on {year}-12-31 ({occupations}) holding a "
        f"{' or '.join(c.certificate_types)} certificate issued by then"
    )

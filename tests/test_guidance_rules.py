"""Every path of every rule file, judged on a ledger that proves it and on an empty one.

The table is the rule files themselves: for each path, a ledger is built that
holds what each of its conditions asks (a prior certificate on a leap day, a
job from a month end, training with exactly the hours asked, a completed
apprenticeship), and the expected state, evidence and eligible day of each
condition follow from its type alone. Conditions the ledger cannot prove
(schooling, titles, age, text missing from the sources) must stay unknown.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from passport.guidance import describe, guidance_for
from passport.guidance.calendar import add_years
from passport.guidance.rules import (
    ApprenticeshipCompleted,
    Condition,
    Edition,
    OccupationRules,
    PriorCertificate,
    RulePath,
    Training,
    YearsOfWork,
    load_rule_file,
    rule_files,
)
from schemas.catalogue import ELDERLY_CARE_WORKER, load_catalogue
from tests.guidance_kit import D, Ledger

PRIOR_DAY = D("2020-02-29")  # a leap day: N years later is 28 February or 29
JOB_START = D("2010-01-31")  # a month end
TRAINED_ON = D("2021-01-31")
APPRENTICE = (D("2009-02-01"), D("2010-01-31"))
LAST_DAY = D("2040-12-31")

Case = tuple[OccupationRules, int, RulePath]


def _cases() -> list[pytest.ParameterSet]:
    cases = []
    for file in rule_files():
        rules = load_rule_file(file)
        for e, edition in enumerate(rules.editions):
            for path in edition.paths:
                cases.append(
                    pytest.param(
                        (rules, e, path),
                        id=f"{file.stem}-{edition.edition}-{path.level}{path.id}",
                    )
                )
    return cases


CASES = _cases()


def _as_of(rules: OccupationRules, index: int) -> dt.date:
    """The last day the edition is in force (or a far day for the newest)."""
    later = sorted(e.effective_from for e in rules.editions)
    after = [d for d in later if d > rules.editions[index].effective_from]
    return after[0] - dt.timedelta(days=1) if after else LAST_DAY


def _other_occupation(code: str) -> str:
    return "4-14-01-02" if code == ELDERLY_CARE_WORKER else ELDERLY_CARE_WORKER


@dataclass
class Built:
    """The ledger for one path and what each condition should come to."""

    book: Ledger
    states: list[str]
    evidence: list[set[int]]
    dates: list[dt.date | None]


def _prior(path: RulePath) -> PriorCertificate | None:
    return next((c for c in path.conditions if isinstance(c, PriorCertificate)), None)


def _build(rules: OccupationRules, path: RulePath, as_of: dt.date) -> Built:
    """Record what the path asks, and expect each condition's state from its type."""
    book = Ledger()
    prior = _prior(path)
    prior_index = None
    if prior is not None:
        occupation = (
            _other_occupation(rules.occupation_code)
            if prior.related
            else rules.occupation_code
        )
        prior_index = book.certificate(
            prior.level, PRIOR_DAY.isoformat(), occupation=occupation
        )
    job = None
    if any(isinstance(c, YearsOfWork) for c in path.conditions):
        job = book.job(JOB_START.isoformat(), occupation=rules.occupation_code)
    built = Built(book, [], [], [])
    for condition in path.conditions:
        state, evidence, day = _expect(
            condition, book, prior, prior_index, job, as_of, rules.occupation_code
        )
        built.states.append(state)
        built.evidence.append(evidence)
        built.dates.append(day)
    return built


def _expect(
    condition: Condition,
    book: Ledger,
    prior: PriorCertificate | None,
    prior_index: int | None,
    job: int | None,
    as_of: dt.date,
    code: str,
) -> tuple[str, set[int], dt.date | None]:
    if isinstance(condition, PriorCertificate):
        assert prior_index is not None
        if condition.related:  # related occupations are unknown in every file
            return "unknown", set(), None
        return "met", {prior_index}, PRIOR_DAY
    if isinstance(condition, YearsOfWork):
        assert job is not None
        if condition.from_prior_certificate:
            assert prior is not None
            if prior.related:
                return "unknown", set(), None
            reached = add_years(PRIOR_DAY, condition.years)
        else:
            reached = add_years(JOB_START, condition.years)
        state = "met" if reached <= as_of else "missing"
        return state, {job}, reached
    if isinstance(condition, Training):
        hours = condition.min_hours or 1
        # two classes, the second reaching the hours on TRAINED_ON exactly
        first = book.training(
            condition.level, max(hours - 1, 1), "2020-06-30", occupation=code
        )
        if hours > 1:
            second = book.training(
                condition.level, 1, TRAINED_ON.isoformat(), occupation=code
            )
            return "met", {first, second}, TRAINED_ON
        return "met", {first}, D("2020-06-30")
    if isinstance(condition, ApprenticeshipCompleted):
        start, end = APPRENTICE
        index = book.apprenticeship(start.isoformat(), end.isoformat(), occupation=code)
        return "met", {index}, end
    return "unknown", set(), None


def _expected_path(built: Built) -> tuple[bool | None, dt.date | None]:
    if "missing" in built.states:
        met: bool | None = False
    elif "unknown" in built.states:
        met = None
    else:
        met = True
    dates = built.dates
    if "unknown" in built.states or any(d is None for d in dates):
        return met, None
    return met, max(d for d in dates if d is not None)


def _judge(rules: OccupationRules, edition: Edition, path: RulePath, book: Ledger):
    as_of = _as_of(rules, rules.editions.index(edition))
    guidance = guidance_for(
        book.archive(),
        as_of=as_of,
        occupation_code=rules.occupation_code,
        target_level=path.level,
    )
    assert guidance.standard_zh == edition.standard_zh
    return guidance, next(p for p in guidance.paths if p.path_id == path.id)


@pytest.mark.parametrize("case", CASES)
def test_path_proved_by_the_ledger(case: Case) -> None:
    rules, index, path = case
    edition = rules.editions[index]
    built = _build(rules, path, _as_of(rules, index))
    guidance, judged = _judge(rules, edition, path, built.book)

    assert [c.kind for c in judged.conditions] == [c.type for c in path.conditions]
    assert [c.state for c in judged.conditions] == built.states
    for condition, evidence, day in zip(
        judged.conditions, built.evidence, built.dates, strict=True
    ):
        assert set(condition.evidence) >= evidence
        assert bool(condition.evidence) == (condition.state != "unknown")
        assert condition.eligible_on == day
        if condition.state == "unknown":
            assert "核实" in condition.detail_zh
            assert "check with the" in condition.detail_en
    assert (judged.met, judged.eligible_on) == _expected_path(built)
    # each path names its sources, and the guidance says what they are
    cited = sorted(set(path.cite).union(*(c.cite for c in path.conditions)))
    assert judged.sources == cited
    for key in cited:
        assert guidance.sources[key].startswith(rules.sources[key].title)
    line = next(zh for zh, _ in describe(guidance) if zh.startswith(f"路径{path.id}（"))
    assert line.endswith(f"[{', '.join(cited)}]")


@pytest.mark.parametrize("case", CASES)
def test_path_on_an_empty_ledger(case: Case) -> None:
    rules, index, path = case
    edition = rules.editions[index]
    guidance, judged = _judge(rules, edition, path, Ledger())
    provable = (PriorCertificate, YearsOfWork, Training, ApprenticeshipCompleted)
    expected = [
        "missing" if isinstance(c, provable) else "unknown" for c in path.conditions
    ]
    assert [c.state for c in judged.conditions] == expected
    assert all(not c.evidence for c in judged.conditions)
    assert judged.met is (False if "missing" in expected else None)
    assert judged.eligible_on is None
    assert guidance.current_step is None


@pytest.mark.parametrize("file", rule_files(), ids=lambda f: f.stem)
def test_rule_file_levels_agree_with_the_catalogue(file: object) -> None:
    rules = load_rule_file(file)  # type: ignore[arg-type]
    item = load_catalogue().item(rules.occupation_code)
    if item.levels is not None:
        assert rules.levels_known and tuple(rules.levels) == item.levels
    else:
        assert not rules.levels_known
    for edition in rules.editions:
        assert {p.level for p in edition.paths} == set(rules.levels)


def test_every_annex_occupation_has_a_rule_file() -> None:
    """Each occupation of annex 2 has a ladder and a rule file; abilities have none."""
    catalogue = load_catalogue()
    codes = {i.code for i in catalogue.items if i.type.value == "occupation"}
    assert codes == {f.stem for f in rule_files()}

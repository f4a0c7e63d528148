"""Promotion guidance: where a worker stands and what the next level still asks.

Reads only the worker's own ledger records that no later entry revoked, and the
rule file of the occupation (see ``rules``); dates are counted as ``calendar``
documents. Conditions the ledger cannot prove either way are "unknown" and say
whom to ask; they are never guessed as met or missing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from passport.archive import Archive
from passport.guidance.calendar import (
    Spell,
    date_reaching_years,
    merge_spells,
    months_covered,
    projected_date_reaching_years,
)
from passport.guidance.rules import (
    ApprenticeshipCompleted,
    Condition,
    Edition,
    GuidanceError,
    NoRulesError,
    OccupationRules,
    PriorCertificate,
    RulePath,
    Schooling,
    YearsOfWork,
    load_rules,
)
from schemas.catalogue import ELDERLY_CARE_WORKER, load_catalogue
from schemas.events import (
    CertificateIssued,
    CertificateType,
    EmploymentEnded,
    EmploymentStarted,
    EventKind,
)

State = Literal["met", "missing", "unknown"]
Lines = tuple[str, str]

_ASK_ZH = "请向评价机构核实"
_ASK_EN = "check with the evaluation institution"
_RELATED_UNKNOWN = (
    f"只计入本职业的工作记录；“相关职业”的范围未查到，相关职业的工作年限{_ASK_ZH}",
    "only work in this occupation is counted; which occupations are related was "
    f"not found, so for work in them {_ASK_EN}",
)
_APPOINTMENTS = (
    "一级/高级技师之上是特级技师、首席技师：由用人单位评聘的岗位，条件未公开（未知），"
    "请向用人单位了解",
    "above level 1 come 特级技师 and 首席技师: posts an employer appoints, whose "
    "conditions are not published (unknown); ask the employer",
)


@dataclass(frozen=True)
class ConditionStatus:
    """One condition of a path: met, missing or unknown, and the entries proving it."""

    kind: str
    state: State
    detail_zh: str
    detail_en: str
    evidence: list[int]
    eligible_on: dt.date | None


@dataclass(frozen=True)
class PathStatus:
    """One alternative path to the next level.

    ``met`` is False as soon as one condition is missing (all must hold),
    otherwise None while any condition is unknown. ``eligible_on`` is the day
    the last condition is (or is expected to be) met, None when it cannot be
    told.
    """

    path_id: str
    conditions: list[ConditionStatus]
    met: bool | None
    eligible_on: dt.date | None


@dataclass(frozen=True)
class Guidance:
    """Where a worker stands in one occupation and how to reach the next level."""

    occupation_code: str
    current_level: int | None
    current_since: dt.date | None
    next_level: int | None
    paths: list[PathStatus]
    earliest_eligible: dt.date | None
    notes: list[Lines]
    as_of: dt.date
    occupation_name_zh: str
    occupation_name_en: str
    standard_zh: str
    standard_en: str


@dataclass(frozen=True)
class _Certificate:
    level: int
    issued_on: dt.date
    log_index: int


@dataclass(frozen=True)
class _Job:
    spell: Spell
    evidence: tuple[int, ...]


@dataclass(frozen=True)
class _Facts:
    certificates: list[_Certificate]
    jobs: list[_Job]
    as_of: dt.date

    def holding(self, level: int) -> _Certificate | None:
        """The first certificate obtained at ``level`` or above, if any."""
        held = [c for c in self.certificates if c.level <= level]
        return min(held, key=lambda c: c.issued_on, default=None)


def _certificates(archive: Archive, code: str, as_of: dt.date) -> list[_Certificate]:
    """Skill-level certificates of the occupation, any work type, issued by as_of."""
    found = []
    for record in archive.active(EventKind.CERTIFICATE_ISSUED):
        event = record.event
        if not isinstance(event, CertificateIssued):
            continue
        if (
            event.certificate_type is CertificateType.SKILL_LEVEL
            and event.occupation_code == code
            and event.skill_level is not None
            and event.issued_on <= as_of
        ):
            found.append(
                _Certificate(event.skill_level, event.issued_on, record.log_index)
            )
    return found


def _jobs(archive: Archive, codes: set[str], notes: list[Lines]) -> list[_Job]:
    """Employment spells in the occupations, each start paired with its end."""
    ends: dict[tuple[str, str], list[tuple[dt.date, int]]] = {}
    for record in archive.active(EventKind.EMPLOYMENT_ENDED):
        event = record.event
        if not isinstance(event, EmploymentEnded):
            continue
        key = (event.issuer_id, event.employment_ref)
        ends.setdefault(key, []).append((event.ended_on, record.log_index))
    jobs = []
    for record in archive.active(EventKind.EMPLOYMENT_STARTED):
        event = record.event
        if not isinstance(event, EmploymentStarted):
            continue
        if event.occupation_code not in codes:
            continue
        # Two live ends for one start is an anomaly; the earlier end counts
        # less work, which is the safe side for an application.
        end = min(ends.get((event.issuer_id, event.ref), []), default=None)
        if end is not None and end[0] < event.started_on:
            notes.append(
                (
                    f"第{record.log_index}条入职记录的离职日期早于入职日期，未计入",
                    f"employment entry {record.log_index} ends before it starts; "
                    "not counted",
                )
            )
            continue
        spell = Spell(event.started_on, end[0] if end else None)
        evidence = (record.log_index, end[1]) if end else (record.log_index,)
        jobs.append(_Job(spell, evidence))
    return jobs


def _status(
    kind: str,
    state: State,
    text: Lines,
    evidence: Sequence[int] = (),
    eligible_on: dt.date | None = None,
) -> ConditionStatus:
    return ConditionStatus(kind, state, text[0], text[1], list(evidence), eligible_on)


def level_names(grade: int) -> Lines:
    """The level in Chinese and English as the catalogue names it, e.g. 三级/高级工."""
    catalogue = load_catalogue()
    return catalogue.level_name(grade), catalogue.level_name_en(grade)


def _span(months: int) -> Lines:
    years, rest = divmod(months, 12)
    if not years:
        return f"{rest}个月", f"{rest} month{'s' * (rest != 1)}"
    zh, en = f"{years}年", f"{years} year{'s' * (years != 1)}"
    if rest:
        zh, en = f"{zh}{rest}个月", f"{en} {rest} month{'s' * (rest != 1)}"
    return zh, en


def _prior(condition: PriorCertificate, facts: _Facts) -> ConditionStatus:
    name_zh, name_en = level_names(condition.level)
    held = facts.holding(condition.level)
    if held is None:
        text = (f"尚未取得{name_zh}证书", f"no {name_en} certificate yet")
        return _status("prior_certificate", "missing", text)
    text = (
        f"已持{name_zh}证书（{held.issued_on}）",
        f"holds the {name_en} certificate ({held.issued_on})",
    )
    return _status("prior_certificate", "met", text, [held.log_index], held.issued_on)


def _years(condition: YearsOfWork, path: RulePath, facts: _Facts) -> ConditionStatus:
    n = condition.years
    zh, en = f"累计工作满{n}年", f"{n} year{'s' * (n != 1)} of cumulative work"
    if condition.from_prior_certificate:
        level = next(
            c.level for c in path.conditions if isinstance(c, PriorCertificate)
        )
        name_zh, name_en = level_names(level)
        zh += f"（自取得{name_zh}证书起算）"
        en += f" (counted from the {name_en} certificate)"
        prior = facts.holding(level)
        if prior is None:
            text = (
                f"{zh}：须先取得{name_zh}证书",
                f"{en}: needs that certificate first",
            )
            return _status("years_of_work", "missing", text)
        counting_from = prior.issued_on
    elif facts.jobs:
        counting_from = min(job.spell.start for job in facts.jobs)
    else:
        text = (
            f"{zh}：账本中尚无本职业工作记录",
            f"{en}: the ledger holds no work in this occupation yet",
        )
        return _status("years_of_work", "missing", text)

    # 1. Reached by as_of: the entries of the spells it took are the evidence.
    spells = [job.spell for job in facts.jobs]
    reached = date_reaching_years(spells, n, counting_from, facts.as_of)
    last_day = reached - dt.timedelta(days=1) if reached else facts.as_of
    evidence = sorted(
        index
        for job in facts.jobs
        if job.spell.start <= last_day
        and (job.spell.end is None or job.spell.end >= counting_from)
        for index in job.evidence
    )
    if reached is not None:
        text = (f"{zh}（{reached}达到）", f"{en} (reached on {reached})")
        return _status("years_of_work", "met", text, evidence, reached)

    # 2. Not yet: say how much is done and when, if the current job goes on.
    counted = [
        Spell(max(s.start, counting_from), s.end)
        for s in merge_spells(spells, facts.as_of)
        if s.end is not None and s.end >= counting_from
    ]
    done_zh, done_en = _span(months_covered(counted))
    projected = projected_date_reaching_years(spells, n, counting_from, facts.as_of)
    if projected is None:
        text = (
            f"{zh}：尚缺，已累计{done_zh}，目前无在职记录",
            f"{en}: not yet, {done_en} so far, no current job on record",
        )
    else:
        text = (
            f"{zh}：尚缺，已累计{done_zh}，按目前在职预计{projected}达到",
            f"{en}: not yet, {done_en} so far, expected on {projected} "
            "if the current job goes on",
        )
    return _status("years_of_work", "missing", text, evidence, projected)


def _condition(condition: Condition, path: RulePath, facts: _Facts) -> ConditionStatus:
    """Status of one condition from the facts of the ledger."""
    if isinstance(condition, PriorCertificate):
        return _prior(condition, facts)
    if isinstance(condition, YearsOfWork):
        return _years(condition, path, facts)
    if isinstance(condition, ApprenticeshipCompleted):
        # TODO: read apprenticeship completion once an event kind records
        # 学徒期满; until then the ledger cannot say, so it stays unknown.
        text = (
            f"本职业或相关职业学徒期满：账本尚无学徒记录，{_ASK_ZH}",
            "apprenticeship in this or a related occupation completed: the ledger "
            f"records no apprenticeships yet, {_ASK_EN}",
        )
        return _status("apprenticeship_completed", "unknown", text)
    if isinstance(condition, Schooling):
        text = (
            f"学历：{condition.diploma_zh}；账本无学历记录，{_ASK_ZH}",
            f"schooling: {condition.diploma_en}; the ledger holds no schooling "
            f"records, {_ASK_EN}",
        )
        return _status("schooling", "unknown", text)
    note_zh = f"（{condition.note_zh}）" if condition.note_zh else ""
    note_en = f" ({condition.note_en})" if condition.note_en else ""
    text = (
        f"{condition.detail_zh}{note_zh}；{_ASK_ZH}",
        f"{condition.detail_en}{note_en}; {_ASK_EN}",
    )
    return _status("unknown", "unknown", text)


def _path(path: RulePath, facts: _Facts) -> PathStatus:
    """Status of one path: all its conditions must hold."""
    conditions = [_condition(c, path, facts) for c in path.conditions]
    states = {c.state for c in conditions}
    met = False if "missing" in states else (None if "unknown" in states else True)
    dates = [c.eligible_on for c in conditions]
    eligible_on = None
    if "unknown" not in states and all(d is not None for d in dates):
        eligible_on = max(d for d in dates if d is not None)
    return PathStatus(path.id, conditions, met, eligible_on)


def _notes(rules: OccupationRules, edition: Edition, level: int | None) -> list[Lines]:
    """Caveats that hold whatever the worker's records say."""
    notes = []
    if not edition.effective_from_exact:
        day = edition.effective_from
        notes.append(
            (
                f"该标准的施行日期未查到，按{day}计",
                f"the standard's exact effective date was not found; {day} is assumed",
            )
        )
    secondary = [key for key in edition.cite if rules.sources[key].status != "V"]
    if secondary:
        notes.append(
            (
                f"申报条件来自转载资料（{'、'.join(secondary)}），以评价机构公布的为准",
                f"the conditions come from secondary copies ({', '.join(secondary)}); "
                "the evaluation institution's published text prevails",
            )
        )
    if not rules.related_occupations:
        notes.append(_RELATED_UNKNOWN)
    if level == 1:
        notes.append(_APPOINTMENTS)
    return notes


def _direct(edition: Edition, facts: _Facts, levels: Sequence[int]) -> list[Lines]:
    """Notes on higher levels whose paths the worker already meets."""
    notes = []
    for level in levels:
        name_zh, name_en = level_names(level)
        for path in edition.paths_to(level):
            if _path(path, facts).met:
                notes.append(
                    (
                        f"已满足{name_zh}路径{path.id}的条件，可直接申报",
                        f"already meets path {path.id} to {name_en}; can apply for it",
                    )
                )
    return notes


def guidance_for(
    archive: Archive,
    *,
    as_of: dt.date,
    occupation_code: str = ELDERLY_CARE_WORKER,
    target_level: int | None = None,
) -> Guidance:
    """Guidance on the ladder of one occupation from the worker's own records.

    1. Take the edition of the rules in force on ``as_of``.
    2. Collect the facts: skill-level certificates of the occupation and
       employment spells in it (or a related one), revoked entries left out.
    3. The current level is the highest certificate held; the target is the
       next level up, unless ``target_level`` asks for another above it.
    4. Evaluate every path to the target; the earliest eligible day is the
       earliest over the paths with no unknown condition.
    5. Note caveats, and any higher level the worker could apply for directly.
    """
    rules = load_rules(occupation_code)
    edition = rules.edition_on(as_of)
    if edition is None:
        raise NoRulesError(
            f"rules: no edition of {occupation_code} in force on {as_of}"
        )

    # TODO: competition awards can also grant a level (竞赛获奖晋升), and insurance
    # months could prove work without an employment entry; both are left out
    # until their rules are data like the 申报条件.
    data_notes: list[Lines] = []
    codes = {occupation_code, *rules.related_occupations}
    certificates = _certificates(archive, occupation_code, as_of)
    facts = _Facts(certificates, _jobs(archive, codes, data_notes), as_of)

    current = min(certificates, key=lambda c: (c.level, c.issued_on), default=None)
    level = current.level if current else None
    above = sorted({p.level for p in edition.paths if level is None or p.level < level})
    if target_level is not None and target_level not in above:
        raise GuidanceError(
            f"target level: {target_level} is not a level above the current one "
            f"in {occupation_code}, expected one of {above}"
        )
    next_level = target_level or (above[-1] if above else None)

    paths = [_path(p, facts) for p in edition.paths_to(next_level or 0)]
    # A path with an unknown condition has no eligible_on, so min skips it.
    dates = [p.eligible_on for p in paths if p.eligible_on is not None]
    higher = [lv for lv in above if next_level is not None and lv < next_level]
    notes = _notes(rules, edition, level) + data_notes + _direct(edition, facts, higher)
    return Guidance(
        occupation_code=occupation_code,
        current_level=level,
        current_since=current.issued_on if current else None,
        next_level=next_level,
        paths=paths,
        earliest_eligible=min(dates, default=None),
        notes=notes,
        as_of=as_of,
        occupation_name_zh=rules.name_zh,
        occupation_name_en=rules.name_en,
        standard_zh=edition.standard_zh,
        standard_en=edition.standard_en,
    )

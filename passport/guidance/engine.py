"""Promotion guidance: where a worker stands and what the next step still asks.

Reads only the worker's own ledger records that no later entry revoked, and
the rule file of the occupation (see ``rules``) with the contest rules (see
``contests``); dates are counted as ``calendar`` documents. The ladder is the
eight steps of 新八级工: 学徒工 (a completed apprenticeship), the certified
grades 五级 … 一级, then 特级技师 and 首席技师, posts an employer appoints to
for a term.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass

from passport.archive import Archive
from passport.guidance.conditions import (
    ASK_EN,
    ASK_ZH,
    ConditionStatus,
    State,
    judge,
    level_names,
    status,
)
from passport.guidance.contests import AwardOutcome, award_outcomes, load_contests
from passport.guidance.facts import Facts, Lines, collect
from passport.guidance.rules import (
    Edition,
    GuidanceError,
    NoRulesError,
    OccupationRules,
    RulePath,
    load_rules,
    rule_files,
)
from schemas.catalogue import ELDERLY_CARE_WORKER, load_catalogue
from schemas.events import Post
from schemas.identifiers import OCCUPATION_CODE_PATTERN

COMPETITION = "competition"
APPOINTMENT = "appointment"
"""Path ids of the paths that do not come from a rule file."""

_STEP_OF_POST = {Post.SPECIAL_GRADE_TECHNICIAN: 7, Post.CHIEF_TECHNICIAN: 8}
_RELATED_UNKNOWN = (
    f"只计入本职业的记录；“相关职业”的范围未查到，相关职业的工作年限与证书{ASK_ZH}",
    "only records in this occupation are counted; which occupations are related "
    f"was not found, so for work and certificates in them {ASK_EN}",
)


@dataclass(frozen=True)
class PathStatus:
    """One alternative path to the next step.

    ``met`` is False as soon as one condition is missing (all must hold),
    otherwise None while any condition is unknown. ``eligible_on`` is the day
    the last condition is (or is expected to be) met, None when it cannot be
    told.
    """

    path_id: str
    conditions: list[ConditionStatus]
    met: bool | None
    eligible_on: dt.date | None
    sources: list[str]


@dataclass(frozen=True)
class Guidance:
    """Where a worker stands in one occupation and how to reach the next step.

    Steps are those of the eight-level ladder (1 学徒工 … 8 首席技师); levels
    are national grades (5 … 1), None above or below the certified grades.
    """

    occupation_code: str
    current_step: int | None
    current_level: int | None
    current_since: dt.date | None
    current_until: dt.date | None
    next_step: int | None
    next_level: int | None
    paths: list[PathStatus]
    earliest_eligible: dt.date | None
    notes: list[Lines]
    as_of: dt.date
    occupation_name_zh: str
    occupation_name_en: str
    standard_zh: str
    standard_en: str
    sources: dict[str, str]


def step_names(step: int) -> Lines:
    """A ladder step as printed, e.g. 三级/高级工 or 特级技师."""
    found = load_catalogue().ladder[step - 1]
    if found.grade is not None:
        return level_names(found.grade)
    return found.name_zh, found.name_en


def _path_status(
    path_id: str, conditions: list[ConditionStatus], sources: list[str]
) -> PathStatus:
    """A path whose conditions must all hold."""
    states = {c.state for c in conditions}
    met = False if "missing" in states else (None if "unknown" in states else True)
    dates = [c.eligible_on for c in conditions]
    eligible_on = None
    if "unknown" not in states and all(d is not None for d in dates):
        eligible_on = max(d for d in dates if d is not None)
    return PathStatus(path_id, conditions, met, eligible_on, sources)


def _path(path: RulePath, facts: Facts, related_known: bool) -> PathStatus:
    cited = sorted(set(path.cite).union(*(c.cite for c in path.conditions)))
    return _path_status(
        path.id, [judge(c, path, facts, related_known) for c in path.conditions], cited
    )


def _contest_sources(*outcomes: AwardOutcome) -> list[str]:
    """The sources of the contest rules the outcomes were judged by, if any."""
    contests = load_contests()
    rules = [r for o in outcomes if (r := contests.rule_for(o.award)) is not None]
    if not rules:
        return []
    return sorted({*contests.once_per_year_cite, *(k for r in rules for k in r.cite)})


def _competition_path(facts: Facts, current: int | None, target: int) -> PathStatus:
    """The competition path to ``target``, from the worker's awards in the occupation.

    Met by an award that grants ``target`` or higher and more than the worker
    held; unknown if some award's outcome is unknown; missing otherwise.
    """
    outcomes = award_outcomes(facts, load_contests())
    useful = [
        o
        for o in outcomes
        if o.outcome == "granted"
        and o.level is not None
        and o.level <= target
        and (current is None or o.level < current)
    ]
    if useful:
        best = min(useful, key=lambda o: (o.level or 0, o.award.awarded_on))
        assert best.level is not None
        name_zh, name_en = level_names(best.level)
        text = (
            f"竞赛获奖晋升：{best.text_zh}至{name_zh}",
            f"competition award: {best.text_en} to {name_en}",
        )
        day = best.award.awarded_on
        condition = status(
            "competition_award", "met", text, [best.award.log_index], day
        )
        return _path_status(COMPETITION, [condition], _contest_sources(best))
    unknown = [o for o in outcomes if o.outcome == "unknown"]
    shown = unknown or outcomes
    zh = "；".join(o.text_zh for o in shown)
    en = "; ".join(o.text_en for o in shown)
    state: State = "unknown" if unknown else "missing"
    condition = status("competition_award", state, (f"竞赛获奖晋升：{zh}", en))
    return _path_status(COMPETITION, [condition], _contest_sources(*shown))


def _appointment_path(facts: Facts, current_step: int) -> PathStatus:
    """The way to the next post: appointed by an employer on unpublished conditions."""
    conditions = []
    if current_step == 6:
        held = facts.holding(1)
        assert held is not None
        text = (
            f"已持一级/高级技师证书（{held.issued_on}）",
            f"holds the Level 1/Senior Technician certificate ({held.issued_on})",
        )
        conditions.append(
            status("prior_certificate", "met", text, [held.log_index], held.issued_on)
        )
    name_zh, name_en = step_names(current_step + 1)
    text = (
        f"由用人单位评聘为{name_zh}：任职年限、名额、聘期等条件未公开，请向用人单位核实",
        f"appointed {name_en} by the employer: years in post, quotas and term are "
        "not published; check with the employer",
    )
    conditions.append(status("appointment", "unknown", text))
    # FACTS.md §1 [U]: no primary text on the conditions of these posts
    return _path_status(APPOINTMENT, conditions, [])


def _notes(rules: OccupationRules, edition: Edition) -> list[Lines]:
    """Caveats that hold whatever the worker's records say."""
    notes = []
    if edition.basis == "template":
        notes.append(
            (
                f"未查到本职业标准原文：申报条件按国家职业标准编制技术规程（2023年版）"
                f"的通用模板列出，以本职业标准为准，{ASK_ZH}",
                "the occupation's own standard was not found: the conditions are "
                "the generic template of the 2023 drafting rules, and the "
                f"occupation's standard prevails; {ASK_EN}",
            )
        )
    if not rules.levels_known:
        notes.append(
            (
                f"本职业设有哪些等级未查到，按五级至一级列出，{ASK_ZH}",
                f"which levels the occupation certifies was not found; all five are "
                f"listed, {ASK_EN}",
            )
        )
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
    return notes


def _direct(
    edition: Edition, facts: Facts, levels: list[int], related_known: bool
) -> list[Lines]:
    """Notes on higher levels whose paths the worker already meets."""
    notes = []
    for level in levels:
        name_zh, name_en = level_names(level)
        for path in edition.paths_to(level):
            if _path(path, facts, related_known).met:
                notes.append(
                    (
                        f"已满足{name_zh}路径{path.id}的条件，可直接申报",
                        f"already meets path {path.id} to {name_en}; can apply for it",
                    )
                )
    return notes


def _standing(facts: Facts) -> tuple[int | None, dt.date | None, dt.date | None]:
    """The current step, since when, and until when (an appointment's term)."""
    posts = [a for a in facts.appointments if a.term_end >= facts.as_of]
    if posts:
        post = max(posts, key=lambda a: (_STEP_OF_POST[a.post], a.term_start))
        return _STEP_OF_POST[post.post], post.term_start, post.term_end
    best = min(facts.certificates, key=lambda c: (c.level, c.issued_on), default=None)
    if best is not None:
        return 7 - best.level, best.issued_on, None
    done = min(facts.apprenticeships, key=lambda a: a.completed_on, default=None)
    if done is not None:
        return 1, done.completed_on, None
    return None, None, None


def guidance_for(
    archive: Archive,
    *,
    as_of: dt.date,
    occupation_code: str = ELDERLY_CARE_WORKER,
    target_level: int | None = None,
) -> Guidance:
    """Guidance on the ladder of one occupation from the worker's own records.

    1. Take the edition of the rules in force on ``as_of``.
    2. Collect the facts: certificates, employment, training, apprenticeships,
       appointments and awards, revoked entries left out.
    3. The current step is an appointment in its term, else the highest
       certificate, else a completed apprenticeship. The target is the next
       grade up, unless ``target_level`` asks for another above it; above the
       highest grade it is the next post.
    4. Evaluate every path to the target, with awards as one more path; the
       earliest eligible day is the earliest over the paths with no unknown
       condition.
    5. Note caveats, and any higher level the worker could apply for directly.
    """
    rules = load_rules(occupation_code)
    edition = rules.edition_on(as_of)
    if edition is None:
        raise NoRulesError(
            f"rules: no edition of {occupation_code} in force on {as_of}"
        )
    facts = collect(archive, occupation_code, rules.related_occupations, as_of)
    related_known = bool(rules.related_occupations)
    step, since, until = _standing(facts)
    level = min((c.level for c in facts.certificates), default=None)

    posted = step is not None and step >= 7
    above = sorted(
        {
            p.level
            for p in edition.paths
            if not posted and (level is None or p.level < level)
        }
    )
    if target_level is not None and target_level not in above:
        raise GuidanceError(
            f"target level: {target_level} is not a level above the current one "
            f"in {occupation_code}, expected one of {above}"
        )
    next_level = target_level or (above[-1] if above else None)
    notes = _notes(rules, edition) + facts.notes
    paths: list[PathStatus] = []
    next_step: int | None = None
    if next_level is not None:
        next_step = 7 - next_level
        paths = [_path(p, facts, related_known) for p in edition.paths_to(next_level)]
        if facts.awards:
            paths.append(_competition_path(facts, level, next_level))
        higher = [lv for lv in above if lv < next_level]
        notes += _direct(edition, facts, higher, related_known)
    elif step is not None and 6 <= step < 8 and 1 in rules.levels:
        next_step = step + 1
        paths = [_appointment_path(facts, step)]
    if posted and level != 1:
        notes.append(
            (
                "账本中未见一级/高级技师证书，评聘依据请向用人单位核实",
                "the ledger holds no Level 1 certificate; for the grounds of the "
                "appointment check with the employer",
            )
        )
    ended = [a for a in facts.appointments if a.term_end < as_of]
    for post in ended:
        name_zh, name_en = step_names(_STEP_OF_POST[post.post])
        notes.append(
            (
                f"{name_zh}聘期已于{post.term_end}届满（第{post.log_index}条）",
                f"the {name_en} term ended on {post.term_end} (entry {post.log_index})",
            )
        )
    # A path with an unknown condition has no eligible_on, so min skips it.
    dates = [p.eligible_on for p in paths if p.eligible_on is not None]
    return Guidance(
        occupation_code=occupation_code,
        current_step=step,
        current_level=level,
        current_since=since,
        current_until=until,
        next_step=next_step,
        next_level=next_level,
        paths=paths,
        earliest_eligible=min(dates, default=None),
        notes=notes,
        as_of=as_of,
        occupation_name_zh=rules.name_zh,
        occupation_name_en=rules.name_en,
        standard_zh=edition.standard_zh,
        standard_en=edition.standard_en,
        sources=_cited_sources(rules, paths),
    )


def _cited_sources(rules: OccupationRules, paths: list[PathStatus]) -> dict[str, str]:
    """Title and addresses of every source the paths cite, by key."""
    contests = load_contests().sources
    found = {}
    for key in sorted({k for p in paths for k in p.sources}):
        source = rules.sources.get(key) or contests.get(key)
        if source is not None:
            found[key] = " ".join([source.title, *source.urls])
    return found


@functools.cache
def occupations_with_rules() -> tuple[str, ...]:
    """Occupation codes that have a rule file."""
    return tuple(file.stem for file in rule_files())


def worker_occupations(archive: Archive) -> list[str]:
    """Occupations with a rule file in which the worker has any live record."""
    known = set(occupations_with_rules())
    found = {
        code
        for record in archive.records
        if record.revoked_by is None
        and isinstance(code := getattr(record.event, "occupation_code", None), str)
        and re.fullmatch(OCCUPATION_CODE_PATTERN, code)
        and code in known
    }
    return sorted(found)


def levels_met(archive: Archive, *, as_of: dt.date, occupation_code: str) -> list[int]:
    """Levels one of whose paths in the edition in force the worker already meets."""
    try:
        rules = load_rules(occupation_code)
    except NoRulesError:
        return []
    edition = rules.edition_on(as_of)
    if edition is None:
        return []
    facts = collect(archive, occupation_code, rules.related_occupations, as_of)
    related_known = bool(rules.related_occupations)
    return sorted(
        {p.level for p in edition.paths if _path(p, facts, related_known).met}
    )


def worker_guidance(archive: Archive, *, as_of: dt.date) -> list[Guidance]:
    """Guidance in every occupation the worker has records in, whose rules apply."""
    result = []
    for code in worker_occupations(archive):
        try:
            result.append(guidance_for(archive, as_of=as_of, occupation_code=code))
        except NoRulesError:
            continue  # no edition in force yet on as_of: nothing to advise
    return result

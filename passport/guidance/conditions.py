"""Each condition of a path judged from the ledger: met, missing or unknown.

A condition is "met" with the entries that prove it and the day it was met;
"missing" when the ledger shows it does not hold yet (with the day it is
expected to, where running work makes that predictable); "unknown" when the
ledger cannot tell either way, saying whom to ask. Unknown is never guessed
as met or missing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from passport.guidance.calendar import (
    Spell,
    date_reaching_years,
    merge_spells,
    months_covered,
    projected_date_reaching_years,
)
from passport.guidance.facts import Certificate, Facts, Lines, first_at
from passport.guidance.rules import (
    Age,
    ApprenticeshipCompleted,
    Condition,
    PriorCertificate,
    ProfessionalTitle,
    RulePath,
    Schooling,
    Training,
    YearsOfWork,
)
from schemas.catalogue import load_catalogue

State = Literal["met", "missing", "unknown"]

ASK_ZH = "请向评价机构核实"
ASK_EN = "check with the evaluation institution"


@dataclass(frozen=True)
class ConditionStatus:
    """One condition of a path: met, missing or unknown, and the entries proving it."""

    kind: str
    state: State
    detail_zh: str
    detail_en: str
    evidence: list[int]
    eligible_on: dt.date | None


def status(
    kind: str,
    state: State,
    text: Lines,
    evidence: Sequence[int] = (),
    eligible_on: dt.date | None = None,
) -> ConditionStatus:
    """A condition status from its parts."""
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


def _named(certificates: list[Certificate]) -> Lines:
    catalogue = load_catalogue()
    zh = "、".join(
        f"{catalogue.display_name(c.occupation_code)}{level_names(c.level)[0]}"
        f"（{c.issued_on}，第{c.log_index}条）"
        for c in certificates
    )
    en = "; ".join(
        f"{catalogue.display_name(c.occupation_code, english=True)} "
        f"{level_names(c.level)[1]} ({c.issued_on}, entry {c.log_index})"
        for c in certificates
    )
    return zh, en


def prior_held(
    condition: PriorCertificate, facts: Facts, related_known: bool
) -> tuple[State, Certificate | None, list[Certificate]]:
    """Whether the prior certificate is held: the state, the proof, the candidates."""
    if not condition.related:
        held = facts.holding(condition.level)
        return ("met" if held else "missing"), held, []
    if related_known:
        held = first_at(facts.related, condition.level)
        return ("met" if held else "missing"), held, []
    candidates = [c for c in facts.elsewhere if c.level <= condition.level]
    return ("unknown" if candidates else "missing"), None, candidates


def _prior(
    condition: PriorCertificate, facts: Facts, related_known: bool
) -> ConditionStatus:
    name_zh, name_en = level_names(condition.level)
    which_zh, which_en = (
        ("相关职业", "a related occupation's ") if (condition.related) else ("", "")
    )
    state, held, candidates = prior_held(condition, facts, related_known)
    if held is not None:
        text = (
            f"已持{which_zh}{name_zh}证书（{held.issued_on}）",
            f"holds {which_en or 'the '}{name_en} certificate ({held.issued_on})",
        )
        return status(
            "prior_certificate", "met", text, [held.log_index], held.issued_on
        )
    if state == "unknown":
        zh, en = _named(candidates)
        text = (
            f"须持相关职业{name_zh}证书：账本中有{zh}，是否属相关职业，{ASK_ZH}",
            f"needs {which_en}{name_en} certificate: the ledger holds {en}; "
            f"whether that occupation is related, {ASK_EN}",
        )
        return status("prior_certificate", "unknown", text)
    text = (
        f"尚未取得{which_zh}{name_zh}证书",
        f"no {which_en}{name_en} certificate yet",
    )
    return status("prior_certificate", "missing", text)


def _years(
    condition: YearsOfWork, path: RulePath, facts: Facts, related_known: bool
) -> ConditionStatus:
    n = condition.years
    zh, en = f"累计工作满{n}年", f"{n} year{'s' * (n != 1)} of cumulative work"
    if condition.from_prior_certificate:
        prior = next(c for c in path.conditions if isinstance(c, PriorCertificate))
        name_zh, name_en = level_names(prior.level)
        zh += f"（自取得{name_zh}证书起算）"
        en += f" (counted from the {name_en} certificate)"
        state, held, _ = prior_held(prior, facts, related_known)
        if state == "unknown":
            text = (
                f"{zh}：须先确认该证书，{ASK_ZH}",
                f"{en}: that certificate must be confirmed first; {ASK_EN}",
            )
            return status("years_of_work", "unknown", text)
        if held is None:
            text = (
                f"{zh}：须先取得{name_zh}证书",
                f"{en}: needs that certificate first",
            )
            return status("years_of_work", "missing", text)
        counting_from = held.issued_on
    elif facts.jobs:
        counting_from = min(job.spell.start for job in facts.jobs)
    else:
        text = (
            f"{zh}：账本中尚无本职业工作记录",
            f"{en}: the ledger holds no work in this occupation yet",
        )
        return status("years_of_work", "missing", text)

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
        return status("years_of_work", "met", text, evidence, reached)

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
    return status("years_of_work", "missing", text, evidence, projected)


def _training(condition: Training, facts: Facts) -> ConditionStatus:
    """Passed classes aimed at the level, their hours summed in date order."""
    name_zh, name_en = level_names(condition.level)
    need = condition.min_hours
    zh = f"完成{name_zh}正规培训" + (f"不少于{need}标准学时" if need else "并结业")
    en = f"completed training for {name_en}" + (
        f", at least {need} hours" if need else ""
    )
    done, evidence = 0, []
    for training in facts.trainings:
        if not training.passed or training.level != condition.level:
            continue
        done += training.hours
        evidence.append(training.log_index)
        if need is None or done >= need:
            text = (
                f"{zh}（{training.completed_on}达到，共{done}学时）",
                f"{en} (reached on {training.completed_on}, {done} hours)",
            )
            return status("training", "met", text, evidence, training.completed_on)
    if not evidence:
        text = (
            f"{zh}：账本中尚无该等级培训结业记录",
            f"{en}: the ledger holds no completed training for that level yet",
        )
        return status("training", "missing", text)
    text = (
        f"{zh}：已完成{done}学时，尚缺{(need or 0) - done}学时",
        f"{en}: {done} hours so far, {(need or 0) - done} to go",
    )
    return status("training", "missing", text, evidence)


def _apprenticeship(facts: Facts, related_known: bool) -> ConditionStatus:
    zh, en = (
        "本职业或相关职业学徒期满",
        "apprenticeship in this or a related occupation",
    )
    done = min(facts.apprenticeships, key=lambda a: a.completed_on, default=None)
    if done is not None:
        text = (f"{zh}（{done.completed_on}）", f"{en} completed ({done.completed_on})")
        return status(
            "apprenticeship_completed", "met", text, [done.log_index], done.completed_on
        )
    if facts.other_apprenticeships and not related_known:
        text = (
            f"{zh}：账本中有其他职业的学徒期满记录，是否属相关职业，{ASK_ZH}",
            f"{en}: the ledger holds an apprenticeship in another occupation; "
            f"whether it is related, {ASK_EN}",
        )
        return status("apprenticeship_completed", "unknown", text)
    text = (f"{zh}：账本中尚无学徒期满记录", f"{en}: none completed on record")
    return status("apprenticeship_completed", "missing", text)


def judge(
    condition: Condition, path: RulePath, facts: Facts, related_known: bool
) -> ConditionStatus:
    """Status of one condition from the facts of the ledger."""
    if isinstance(condition, PriorCertificate):
        return _prior(condition, facts, related_known)
    if isinstance(condition, YearsOfWork):
        return _years(condition, path, facts, related_known)
    if isinstance(condition, Training):
        return _training(condition, facts)
    if isinstance(condition, ApprenticeshipCompleted):
        return _apprenticeship(facts, related_known)
    if isinstance(condition, Age):
        text = (
            f"年满{condition.years}周岁，从事或准备从事本职业：账本不记录出生日期，"
            f"{ASK_ZH}",
            f"aged {condition.years} or over, working or about to work in the "
            f"occupation: the ledger records no birth dates; {ASK_EN}",
        )
        return status("age", "unknown", text)
    if isinstance(condition, ProfessionalTitle):
        text = (
            f"职称：{condition.title_zh}；账本无职称记录，{ASK_ZH}",
            f"professional title: {condition.title_en}; the ledger holds no "
            f"titles, {ASK_EN}",
        )
        return status("professional_title", "unknown", text)
    if isinstance(condition, Schooling):
        text = (
            f"学历：{condition.diploma_zh}；账本无学历记录，{ASK_ZH}",
            f"schooling: {condition.diploma_en}; the ledger holds no schooling "
            f"records, {ASK_EN}",
        )
        return status("schooling", "unknown", text)
    note_zh = f"（{condition.note_zh}）" if condition.note_zh else ""
    note_en = f" ({condition.note_en})" if condition.note_en else ""
    text = (
        f"{condition.detail_zh}{note_zh}；{ASK_ZH}",
        f"{condition.detail_en}{note_en}; {ASK_EN}",
    )
    return status("unknown", "unknown", text)

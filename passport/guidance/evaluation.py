"""Evaluation guidance (技能评价指引): what a trainee with no certificate can sit.

For each occupation or special ability in which the worker passed training
but holds no certificate at the level trained for, name the evaluation
(职业技能等级认定 at that level, or 专项职业能力考核) and the evaluation
institutions the trust list accredits for it, with a key in force.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from passport.archive import Archive
from passport.guidance.conditions import level_names
from passport.guidance.engine import levels_met
from passport.guidance.facts import Lines
from passport.guidance.rules import NoRulesError, load_rules
from schemas.catalogue import load_catalogue
from schemas.events import (
    CertificateIssued,
    CertificateType,
    EventKind,
    TrainingCompleted,
)
from schemas.trust import IssuerKind, TrustedIssuer, TrustList


@dataclass(frozen=True)
class Institution:
    """An accredited evaluation institution, as the trust list names it."""

    issuer_id: str
    name: str


@dataclass(frozen=True)
class EvaluationAdvice:
    """One evaluation the worker can sit, the training behind it, who offers it."""

    code: str
    work_type: str | None
    certificate_type: CertificateType
    level: int | None
    completed_on: dt.date
    hours: int
    evidence: list[int]
    institutions: list[Institution]
    path_met: bool = False
    """A path to ``level`` is already met, so the worker may apply for it."""


def _key_in_force(issuer: TrustedIssuer, day: dt.date) -> bool:
    for key in issuer.keys:
        started = key.valid_from.date() <= day
        running = key.valid_until is None or key.valid_until.date() >= day
        sound = key.compromised_since is None or key.compromised_since.date() > day
        if started and running and sound:
            return True
    return False


def offering(
    trust_list: TrustList, code: str, level: int | None, day: dt.date
) -> list[Institution]:
    """Evaluation institutions accredited for ``code`` at ``level`` on ``day``."""
    found = []
    for issuer in trust_list.issuers:
        scope = issuer.accreditation
        if issuer.kind is not IssuerKind.EVALUATION_INSTITUTION:
            continue
        if EventKind.CERTIFICATE_ISSUED not in scope.event_kinds:
            continue
        if scope.occupations and code not in scope.occupations:
            continue
        # grades run 5 (lowest) to 1: accredited to 3 certifies 5, 4 and 3
        if level is not None and (
            scope.highest_level is None or level < scope.highest_level
        ):
            continue
        if _key_in_force(issuer, day):
            found.append(Institution(issuer.issuer_id, issuer.name))
    return sorted(found, key=lambda i: i.issuer_id)


def _lowest_level(code: str) -> int | None:
    try:
        return max(load_rules(code).levels)
    except NoRulesError:
        return None


def evaluation_guidance(
    archive: Archive, trust_list: TrustList, *, as_of: dt.date
) -> list[EvaluationAdvice]:
    """Evaluations to sit after passed training that no certificate followed.

    1. Group the passed completions by occupation (or ability) and work type.
    2. The level to sit is the highest one trained for; a class naming no
       level points to the occupation's lowest level.
    3. When a path to a higher level is already met (promotion guidance says
       so), that level is the one to apply for.
    4. Leave out what a certificate of that code at that level or above covers.
    5. Name the institutions accredited for it.
    """
    certificates = [
        r.event
        for r in archive.active(EventKind.CERTIFICATE_ISSUED)
        if isinstance(r.event, CertificateIssued) and r.event.issued_on <= as_of
    ]
    groups: dict[tuple[str, str | None], list[tuple[TrainingCompleted, int]]] = {}
    for record in archive.active(EventKind.TRAINING_COMPLETED):
        event = record.event
        if (
            isinstance(event, TrainingCompleted)
            and event.passed
            and event.completed_on <= as_of
        ):
            key = (event.occupation_code, event.work_type)
            groups.setdefault(key, []).append((event, record.log_index))
    advice = []
    for (code, work_type), done in sorted(groups.items(), key=lambda kv: kv[0][0]):
        ability = "-" not in code
        levels = [e.target_level for e, _ in done if e.target_level is not None]
        level = None if ability else (min(levels) if levels else _lowest_level(code))
        met = [] if ability else levels_met(archive, as_of=as_of, occupation_code=code)
        path_met = bool(met) and (level is None or min(met) <= level)
        if path_met:
            level = min(met)
        held = [c for c in certificates if c.occupation_code == code]
        if ability and held:
            continue
        if not ability and any(
            c.skill_level is not None and (level is None or c.skill_level <= level)
            for c in held
        ):
            continue
        last = max(done, key=lambda pair: pair[0].completed_on)[0]
        advice.append(
            EvaluationAdvice(
                code=code,
                work_type=work_type,
                certificate_type=(
                    CertificateType.SPECIAL_ABILITY
                    if ability
                    else CertificateType.SKILL_LEVEL
                ),
                level=level,
                completed_on=last.completed_on,
                hours=sum(e.hours for e, _ in done),
                evidence=sorted(index for _, index in done),
                institutions=offering(trust_list, code, level, as_of),
                path_met=path_met,
            )
        )
    return advice


def describe_evaluation(advice: EvaluationAdvice) -> list[Lines]:
    """Lines (Chinese, English) of one piece of evaluation advice."""
    catalogue = load_catalogue()
    name_zh = catalogue.display_name(advice.code, advice.work_type)
    name_en = catalogue.display_name(advice.code, advice.work_type, english=True)
    if advice.level is None and advice.certificate_type is CertificateType.SKILL_LEVEL:
        what = (
            f"{name_zh}职业技能等级认定（等级未知，请向评价机构核实）",
            f"the skill-level evaluation in {name_en} (level unknown; check with "
            "the evaluation institution)",
        )
    elif advice.level is None:
        what = (
            f"专项职业能力考核：{name_zh}（{advice.code}）",
            f"the special-ability assessment {name_en} ({advice.code})",
        )
    else:
        level_zh, level_en = level_names(advice.level)
        what = (
            f"{name_zh} {level_zh} 职业技能等级认定",
            f"the skill-level evaluation in {name_en} at {level_en}",
        )
    entries = "、".join(str(i) for i in advice.evidence)
    sit = ("可参加", "sit ")
    if advice.path_met:
        # the same words as promotion guidance's note on a path already met
        sit = (
            "已满足该等级申报条件，可直接申报",
            "meets its conditions, so may apply for ",
        )
    lines = [
        (
            f"技能评价指引：已完成{name_zh}培训（{advice.completed_on}结业，共"
            f"{advice.hours}学时，第{entries}条），尚无相应证书；{sit[0]}{what[0]}",
            f"Evaluation guidance: training in {name_en} completed "
            f"({advice.completed_on}, {advice.hours} hours, entries {entries}) "
            f"with no certificate yet; {sit[1]}{what[1]}",
        )
    ]
    if advice.institutions:
        names = "、".join(f"{i.name}（{i.issuer_id}）" for i in advice.institutions)
        ids = ", ".join(i.issuer_id for i in advice.institutions)
        lines.append(
            (
                f"开展该评价的备案评价机构：{names}",
                f"accredited evaluation institutions offering it: {ids}",
            )
        )
    else:
        lines.append(
            (
                "信任列表中暂无备案开展该评价的评价机构，请向人社部门咨询",
                "no institution on the trust list is accredited for it; ask the "
                "human-resources department",
            )
        )
    return lines

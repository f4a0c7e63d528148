"""Guidance as lines of text, Chinese with English beside, for a CLI or a PDF."""

from __future__ import annotations

import datetime as dt

from passport.archive import Archive
from passport.guidance.engine import (
    APPOINTMENT,
    COMPETITION,
    Guidance,
    PathStatus,
    step_names,
    worker_guidance,
    worker_occupations,
)
from passport.guidance.evaluation import describe_evaluation, evaluation_guidance
from passport.guidance.facts import Lines
from passport.guidance.rules import load_rules
from schemas.trust import TrustList

_MARKS = {"met": "✓", "missing": "✗", "unknown": "？"}
_PATH_LABELS: dict[bool | None, Lines] = {
    True: ("已满足", "met"),
    False: ("未满足", "not met"),
    None: ("待核实", "to be checked"),
}
_PATH_NAMES = {
    COMPETITION: ("竞赛晋升路径", "Competition path"),
    APPOINTMENT: ("评聘路径", "Appointment path"),
}


def _path_line(path: PathStatus) -> Lines:
    label_zh, label_en = _PATH_LABELS[path.met]
    name_zh, name_en = _PATH_NAMES.get(
        path.path_id, (f"路径{path.path_id}", f"Path {path.path_id}")
    )
    zh = "；".join(f"{c.detail_zh}{_MARKS[c.state]}" for c in path.conditions)
    en = "; ".join(f"{c.detail_en} {_MARKS[c.state]}" for c in path.conditions)
    cited = f" [{', '.join(path.sources)}]" if path.sources else ""
    return (
        f"{name_zh}（{label_zh}）：{zh}{cited}",
        f"{name_en} ({label_en}): {en}{cited}",
    )


def _current(g: Guidance) -> Lines:
    if g.current_step is None:
        return "当前等级：尚无职业技能等级证书", "Current level: none yet"
    zh, en = step_names(g.current_step)
    if g.current_until is not None:
        return (
            f"当前等级：{zh}（聘期{g.current_since}至{g.current_until}）",
            f"Current level: {en} (term {g.current_since} to {g.current_until})",
        )
    if g.current_step == 1:
        return (
            f"当前等级：{zh}（{g.current_since}学徒期满）",
            f"Current level: {en} (apprenticeship completed {g.current_since})",
        )
    since = g.current_since
    return f"当前等级：{zh}（{since}取得）", f"Current level: {en} ({since})"


def describe(guidance: Guidance) -> list[Lines]:
    """Lines (Chinese, English) that a CLI or a PDF can print as they are."""
    g = guidance
    lines = [
        (
            f"职业：{g.occupation_name_zh}（{g.occupation_code}）；"
            f"依据：{g.standard_zh}；截至{g.as_of}",
            f"Occupation: {g.occupation_name_en} ({g.occupation_code}); "
            f"per {g.standard_en}; as of {g.as_of}",
        ),
        _current(g),
    ]
    if g.next_step is None:
        lines.append(("下一等级：无（已是最高等级）", "Next level: none (the highest)"))
    else:
        zh, en = step_names(g.next_step)
        lines.append((f"下一等级：{zh}", f"Next level: {en}"))
    lines.extend(_path_line(path) for path in g.paths)
    day = g.earliest_eligible
    if day is not None and day <= g.as_of:
        lines.append((f"已可申报（自{day}起）", f"May apply now (since {day})"))
    elif day is not None:
        lines.append((f"最早可申报日期：{day}", f"Earliest date to apply: {day}"))
    elif g.paths:
        lines.append(("最早可申报日期：尚无法确定", "Earliest date to apply: unknown"))
    lines.extend((f"说明：{zh}", f"Note: {en}") for zh, en in g.notes)
    return lines


def describe_worker(
    archive: Archive, *, as_of: dt.date, trust_list: TrustList | None
) -> list[Lines]:
    """Guidance in every occupation of the worker, then evaluation guidance.

    Evaluation guidance names accredited institutions, so it needs the trust
    list; without one it is left out.
    """
    lines = guidance_notices(archive, as_of=as_of)
    for guidance in worker_guidance(archive, as_of=as_of):
        lines.extend(describe(guidance))
    if trust_list is not None:
        for advice in evaluation_guidance(archive, trust_list, as_of=as_of):
            lines.extend(describe_evaluation(advice))
    return lines


def guidance_notices(archive: Archive, *, as_of: dt.date) -> list[Lines]:
    """Why there is no promotion guidance: no records yet, or no edition in force."""
    codes = worker_occupations(archive)
    if not codes:
        return [
            (
                "尚无记录：账本中还没有您在已收录职业中的职业技能记录，暂无晋升指引",
                "No records yet: the ledger holds none of your records in the "
                "occupations covered, so there is no promotion guidance",
            )
        ]
    lines = []
    for code in codes:
        rules = load_rules(code)
        if rules.edition_on(as_of) is not None:
            continue
        first = min(edition.effective_from for edition in rules.editions)
        lines.append(
            (
                f"职业：{rules.name_zh}（{code}）；{as_of}尚无施行中的国家职业技能"
                f"标准版本（最早的版本自{first}起施行），暂无晋升指引",
                f"Occupation: {rules.name_en} ({code}); no edition of the national "
                f"occupational skill standard is in force on {as_of} (the first "
                f"takes effect on {first}), so there is no promotion guidance",
            )
        )
    return lines

"""Promotion through skills competitions: the contests' rules as data, and awards.

The rules are ``contests.toml`` next to this module (FACTS.md §2.7). An award
is judged by the first contest rule that matches it; with none, or where
the rule needs what the ledger does not hold (a share of the field, the
places a 优胜奖 reaches), the outcome is unknown. At most one competition
promotion counts per calendar year of the award.
"""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, model_validator

from passport.guidance.facts import Award, Facts
from passport.guidance.rules import (
    Cite,
    Level,
    RuleFileError,
    Source,
    SourceKey,
    StrictModel,
    Text,
    error_location,
)

CONTESTS_FILE = Path(str(files("passport.guidance") / "contests.toml"))

Outcome = Literal["granted", "unknown", "not_promoted", "same_year"]
_ASK_ZH = "请向评价机构核实"
_ASK_EN = "check with the evaluation institution"


class ContestAward(StrictModel):
    """Which placing grants which level; the first that applies counts."""

    award_zh: Text
    award_en: Text
    top: int | None = Field(default=None, ge=1)
    top_share: int | None = Field(default=None, ge=1, le=100)
    requires: Level | None = None
    grants: Level
    holder_of: Level | None = None
    holder_grants: Level | None = None
    cite: Cite

    @model_validator(mode="after")
    def _consistent(self) -> ContestAward:
        if self.top is not None and self.top_share is not None:
            raise ValueError("top and top_share: give one or neither")
        if (self.holder_of is None) != (self.holder_grants is None):
            raise ValueError("holder_of and holder_grants: give both or neither")
        return self


class ContestRule(StrictModel):
    """One contest whose promotion rule is known."""

    id: Text
    name_zh: Text
    contest_class: Literal["national", "provincial_1", "provincial_2", "enterprise"]
    name_contains: list[Text] = Field(min_length=1)
    cite: Cite
    awards: list[ContestAward] = Field(alias="award", min_length=1)


class ContestRules(StrictModel):
    """All known contest rules and the once-a-year limit."""

    format: Literal[1]
    once_per_year: bool
    once_per_year_cite: Cite
    sources: dict[SourceKey, Source]
    contests: list[ContestRule] = Field(alias="contest")

    def rule_for(self, award: Award) -> ContestRule | None:
        """The first contest rule matching the award's class and name."""
        for rule in self.contests:
            if rule.contest_class == award.contest_class and all(
                part in award.contest for part in rule.name_contains
            ):
                return rule
        return None


def load_contest_file(file: Path) -> ContestRules:
    """Read and validate a contest file; raises RuleFileError naming each problem."""
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise RuleFileError(file, [("(file)", str(exc))]) from exc
    try:
        rules = ContestRules.model_validate(data)
    except ValidationError as exc:
        problems = [(error_location(err["loc"]), err["msg"]) for err in exc.errors()]
        raise RuleFileError(file, problems) from exc
    cited = [("once_per_year_cite", rules.once_per_year_cite)]
    for c, contest in enumerate(rules.contests):
        cited.append((f"contest[{c}].cite", contest.cite))
        cited += [
            (f"contest[{c}].award[{a}].cite", award.cite)
            for a, award in enumerate(contest.awards)
        ]
    problems = [
        (where, f"unknown source key {key!r}")
        for where, keys in cited
        for key in keys
        if key not in rules.sources
    ]
    if problems:
        raise RuleFileError(file, problems)
    return rules


@functools.cache
def load_contests() -> ContestRules:
    """The packaged contest rules, validated once."""
    return load_contest_file(CONTESTS_FILE)


@dataclass(frozen=True)
class AwardOutcome:
    """What one award grants: a level, nothing, or unknown, and why."""

    award: Award
    outcome: Outcome
    level: int | None
    text_zh: str
    text_en: str


def _judge(award: Award, rule: ContestRule | None, facts: Facts) -> AwardOutcome:
    """The outcome of one award under its contest's rule, ignoring the yearly limit."""
    head_zh = f"{award.contest}第{award.rank}名（{award.awarded_on}）"
    head_en = f"{award.contest}, rank {award.rank} ({award.awarded_on})"
    if rule is None:
        return AwardOutcome(
            award,
            "unknown",
            None,
            f"{head_zh}：该竞赛的晋升规则未查到，{_ASK_ZH}",
            f"{head_en}: the contest's promotion rule was not found; {_ASK_EN}",
        )
    held_level = min(
        (c.level for c in facts.certificates if c.issued_on <= award.awarded_on),
        default=None,
    )
    unsure: ContestAward | None = None
    for entry in rule.awards:
        if entry.requires is not None and (
            held_level is None or held_level > entry.requires
        ):
            continue
        if entry.top is None:
            unsure = unsure or entry
            continue
        if award.rank > entry.top:
            continue
        level = entry.grants
        if (
            entry.holder_of is not None
            and held_level is not None
            and held_level <= entry.holder_of
        ):
            level = entry.holder_grants or level
        return AwardOutcome(
            award,
            "granted",
            level,
            f"{head_zh}：按{rule.name_zh}规则（{entry.award_zh}）可晋升",
            f"{head_en}: promotes under the rule of {rule.name_zh} ({entry.award_en})",
        )
    if unsure is not None:
        share = (
            f"前{unsure.top_share}%须知参赛人数，账本未记录"
            if unsure.top_share
            else f"{unsure.award_zh}对应的名次未查到"
        )
        share_en = (
            f"the top {unsure.top_share}% needs the size of the field, which the "
            "ledger does not record"
            if unsure.top_share
            else f"which ranks {unsure.award_en} covers was not found"
        )
        return AwardOutcome(
            award,
            "unknown",
            None,
            f"{head_zh}：{share}，{_ASK_ZH}",
            f"{head_en}: {share_en}; {_ASK_EN}",
        )
    return AwardOutcome(
        award,
        "not_promoted",
        None,
        f"{head_zh}：名次未达{rule.name_zh}的晋升标准",
        f"{head_en}: below the placings {rule.name_zh} promotes",
    )


def award_outcomes(facts: Facts, rules: ContestRules) -> list[AwardOutcome]:
    """Every award of the occupation in date order, the yearly limit applied.

    1. Judge each award by its contest's rule.
    2. Once an award grants a promotion in a calendar year, later awards of
       that year grant none (when the rules set the limit).
    """
    outcomes = []
    promoted_years: set[int] = set()
    for award in facts.awards:
        outcome = _judge(award, rules.rule_for(award), facts)
        year = award.awarded_on.year
        if outcome.outcome == "granted" and rules.once_per_year:
            if year in promoted_years:
                outcome = AwardOutcome(
                    award,
                    "same_year",
                    None,
                    f"{award.contest}第{award.rank}名（{award.awarded_on}）："
                    f"{year}年已有一次竞赛晋升，每年限一次",
                    f"{award.contest}, rank {award.rank} ({award.awarded_on}): "
                    f"a competition already promoted in {year}; once a year at most",
                )
            else:
                promoted_years.add(year)
        outcomes.append(outcome)
    return outcomes

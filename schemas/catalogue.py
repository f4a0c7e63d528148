"""The plan's catalogue: annex 2 items, the six systems and the eight-level ladder.

The data is ``schemas/data/catalogue.json``, copied from annex 2 of 渝人社规〔2026〕7号
(the policy-training targets per item, year and system). Skill levels use the
national grade: 5 = 五级/初级工 … 1 = 一级/高级技师; ``levels`` is None where
the certified levels of an occupation are not known (see domain/FACTS.md §2).
"""

from __future__ import annotations

import functools
import json
import re
from enum import StrEnum
from importlib import resources
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from schemas.identifiers import ABILITY_CODE_PATTERN, OCCUPATION_CODE_PATTERN

Grade = Annotated[int, Field(ge=1, le=5)]

ELDERLY_CARE_WORKER = "4-10-01-05"  # 养老护理员, the occupation the plan centres on

_GRADE_ZH = {5: "五级", 4: "四级", 3: "三级", 2: "二级", 1: "一级"}


class CatalogueError(LookupError):
    """A code, work type, system or grade that the catalogue does not hold."""


class ItemType(StrEnum):
    """What an annex 2 item is: 职业, 工种 or 专项职业能力."""

    OCCUPATION = "occupation"
    WORK_TYPE = "work_type"
    SPECIAL_ABILITY = "special_ability"

    @property
    def name_zh(self) -> str:
        """The Chinese term the annex prints."""
        return _TYPE_ZH[self]


_TYPE_ZH = {
    ItemType.OCCUPATION: "职业",
    ItemType.WORK_TYPE: "工种",
    ItemType.SPECIAL_ABILITY: "专项职业能力",
}


class StepKind(StrEnum):
    """How a worker reaches a step of the ladder."""

    APPRENTICESHIP = "apprenticeship"  # a 学徒 contract with an employer, no grade
    CERTIFICATE = "certificate"  # 职业技能等级认定 by an evaluation institution
    APPOINTMENT = "appointment"  # a post an employer appoints to (评聘)


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class System(_Frozen):
    """One of the six 行业系统 that annex 2 assigns training targets to."""

    key: str
    name_zh: str
    department_zh: str
    name_en: str


class YearTarget(_Frozen):
    """A year's policy-training target in person-times (人次) as the annex gives it."""

    total: int = Field(ge=0)
    by_system: dict[str, Annotated[int, Field(ge=0)]]


class CatalogueItem(_Frozen):
    """One row of annex 2."""

    seq: int = Field(ge=1)
    name_zh: str
    name_en: str
    type: ItemType
    code: str
    parent_code: str | None = None
    levels: tuple[Grade, ...] | None = None
    targets: dict[int, YearTarget]

    @model_validator(mode="after")
    def _code_fits_type(self) -> CatalogueItem:
        pattern = (
            ABILITY_CODE_PATTERN
            if self.type is ItemType.SPECIAL_ABILITY
            else OCCUPATION_CODE_PATTERN
        )
        if re.fullmatch(pattern, self.code) is None:
            raise ValueError(f"code: {self.code!r} does not fit a {self.type.value}")
        if (self.type is ItemType.WORK_TYPE) != (self.parent_code is not None):
            raise ValueError(f"parent_code: only a work type has one, item {self.seq}")
        if self.parent_code is not None and self.parent_code != self.code:
            raise ValueError(
                f"parent_code: a work type carries its occupation's code, "
                f"{self.parent_code} != {self.code}"
            )
        if self.levels is not None and list(self.levels) != sorted(
            set(self.levels), reverse=True
        ):
            raise ValueError(f"levels: expected grades lowest first, got {self.levels}")
        return self

    @property
    def work_type(self) -> str | None:
        """The work-type name that events carry beside the occupation code."""
        return self.name_zh if self.type is ItemType.WORK_TYPE else None


class LadderStep(_Frozen):
    """A step of the eight-level ladder (新八级工), lowest first."""

    step: int = Field(ge=1, le=8)
    name_zh: str
    name_en: str
    grade: Grade | None
    kind: StepKind


class Catalogue(_Frozen):
    """Annex 2 of the plan with lookups by code, system and grade."""

    source: str
    years: tuple[int, ...]
    systems: tuple[System, ...]
    annual_totals: dict[int, YearTarget]
    items: tuple[CatalogueItem, ...]
    ladder: tuple[LadderStep, ...]

    @model_validator(mode="after")
    def _consistent(self) -> Catalogue:
        codes = {item.code for item in self.items if item.type is ItemType.OCCUPATION}
        for item in self.items:
            if item.parent_code is not None and item.parent_code not in codes:
                raise ValueError(f"parent_code: no occupation {item.parent_code}")
        keys = sorted(system.key for system in self.systems)
        tables = [(f"item {item.seq}", item.targets) for item in self.items]
        for where, table in [*tables, ("annual_totals", self.annual_totals)]:
            if tuple(table) != self.years:
                raise ValueError(
                    f"targets: {where} has years {list(table)}, "
                    f"expected {list(self.years)}"
                )
            for year, target in table.items():
                if sorted(target.by_system) != keys:
                    raise ValueError(
                        f"targets: {where} in {year} names systems "
                        f"{sorted(target.by_system)}, expected {keys}"
                    )
        if [step.step for step in self.ladder] != list(range(1, 9)):
            raise ValueError("ladder: expected steps 1 to 8 in order")
        return self

    def item(self, code: str, work_type: str | None = None) -> CatalogueItem:
        """The item with this code and work type (None for the occupation itself)."""
        found = self._find(code, work_type)
        if found is None:
            raise CatalogueError(
                f"catalogue item: no item with code {code!r} "
                f"and work type {work_type!r}"
            )
        return found

    def _find(self, code: str, work_type: str | None) -> CatalogueItem | None:
        for item in self.items:
            if item.code == code and item.work_type == work_type:
                return item
        return None

    def parent(self, item: CatalogueItem) -> CatalogueItem | None:
        """The occupation a work type belongs to, or None for any other item."""
        return None if item.parent_code is None else self.item(item.parent_code)

    def label(self, item: CatalogueItem) -> str:
        """The item as annex 2 prints it, e.g. 养老护理员（社区助老员）."""
        parent = self.parent(item)
        return item.name_zh if parent is None else f"{parent.name_zh}（{item.name_zh}）"

    def label_en(self, item: CatalogueItem) -> str:
        """The item in English, e.g. Elderly Care Worker (Dementia Care Worker)."""
        parent = self.parent(item)
        return item.name_en if parent is None else f"{parent.name_en} ({item.name_en})"

    def display_name(
        self, code: str, work_type: str | None = None, *, english: bool = False
    ) -> str:
        """The label to show for a code, its occupation's for an unknown work type.

        A code the catalogue does not hold is shown as the code itself, so a
        record of an occupation outside annex 2 still reads sensibly.
        """
        found = self._find(code, work_type) or self._find(code, None)
        if found is None:
            return code
        return self.label_en(found) if english else self.label(found)

    def system(self, key: str) -> System:
        """The system with this key, e.g. 民政."""
        for system in self.systems:
            if system.key == key:
                return system
        raise CatalogueError(f"system: no system {key!r}")

    def step(self, grade: int) -> LadderStep:
        """The ladder step certified at this national grade (5 … 1)."""
        for step in self.ladder:
            if step.grade == grade:
                return step
        raise CatalogueError(f"skill level: expected a grade from 1 to 5, got {grade}")

    def level_name(self, grade: int) -> str:
        """The level as a certificate prints it, e.g. 三级/高级工."""
        step = self.step(grade)
        return f"{_GRADE_ZH[grade]}/{step.name_zh}"

    def level_name_en(self, grade: int) -> str:
        """The level in English, e.g. Level 3/Senior Worker."""
        return f"Level {grade}/{self.step(grade).name_en}"


@functools.cache
def load_catalogue() -> Catalogue:
    """The catalogue shipped in ``schemas/data/catalogue.json``, parsed once."""
    text = (
        resources.files("schemas")
        .joinpath("data/catalogue.json")
        .read_text(encoding="utf-8")
    )
    return Catalogue.model_validate(json.loads(text))

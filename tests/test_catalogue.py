"""The catalogue of annex 2 against the plan's own totals and FACTS.md."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from pydantic import ValidationError

from schemas.catalogue import (
    ELDERLY_CARE_WORKER,
    Catalogue,
    CatalogueError,
    CatalogueItem,
    ItemType,
    StepKind,
    load_catalogue,
)

CATALOGUE = load_catalogue()
SYSTEMS = ["人社", "民政", "农委", "卫健", "医保", "工会"]
# the 年度合计 row of annex 2, the same in 2026, 2027 and 2028
ANNEX_ROW = {"人社": 18000, "民政": 14000, "农委": 2000, "卫健": 2000, "医保": 2000}
ANNEX_ROW["工会"] = 2000
# FACTS.md §3.4
OCCUPATION_CODE = re.compile(r"^[1-8]-\d{2}-\d{2}-\d{2}$")
ABILITY_CODE = re.compile(r"^\d{16}$")


def test_twenty_items_in_annex_order() -> None:
    assert [item.seq for item in CATALOGUE.items] == list(range(1, 21))
    assert CATALOGUE.years == (2026, 2027, 2028)


@pytest.mark.parametrize("year", [2026, 2027, 2028])
def test_annex_totals_add_up(year: int) -> None:
    declared = CATALOGUE.annual_totals[year]
    assert declared.total == 40000
    assert declared.by_system == ANNEX_ROW
    assert sum(item.targets[year].total for item in CATALOGUE.items) == 40000
    for system in SYSTEMS:
        column = sum(item.targets[year].by_system[system] for item in CATALOGUE.items)
        assert column == ANNEX_ROW[system], system


@pytest.mark.parametrize("item", CATALOGUE.items, ids=lambda item: str(item.seq))
def test_item_systems_sum_to_its_total(item: CatalogueItem) -> None:
    for target in item.targets.values():
        assert list(target.by_system) == SYSTEMS
        assert sum(target.by_system.values()) == target.total


@pytest.mark.parametrize("item", CATALOGUE.items, ids=lambda item: str(item.seq))
def test_codes_match_facts(item: CatalogueItem) -> None:
    if item.type is ItemType.SPECIAL_ABILITY:
        assert ABILITY_CODE.fullmatch(item.code)
        assert item.levels is None
    else:
        assert OCCUPATION_CODE.fullmatch(item.code)
    assert CATALOGUE.item(item.code, item.work_type) is item


def test_types_and_parents() -> None:
    types = [item.type for item in CATALOGUE.items]
    assert types.count(ItemType.OCCUPATION) == 9
    assert types.count(ItemType.WORK_TYPE) == 5
    assert types.count(ItemType.SPECIAL_ABILITY) == 6
    assert [t.name_zh for t in ItemType] == ["职业", "工种", "专项职业能力"]
    community = CATALOGUE.item(ELDERLY_CARE_WORKER, "社区助老员")
    parent = CATALOGUE.parent(community)
    assert parent is not None and parent.name_zh == "养老护理员"
    assert CATALOGUE.parent(parent) is None
    assert community.targets[2026].by_system["民政"] == 2600
    assert CATALOGUE.label(community) == "养老护理员（社区助老员）"
    assert CATALOGUE.label_en(community) == (
        "Elderly Care Worker (Community Elderly Assistant)"
    )
    assert CATALOGUE.label(parent) == "养老护理员"


@pytest.mark.parametrize(
    ("code", "work_type", "name_zh", "name_en", "levels"),
    [
        ("4-10-01-05", None, "养老护理员", "Elderly Care Worker", (5, 4, 3, 2, 1)),
        (
            "4-14-02-05",
            None,
            "老年人能力评估师",
            "Elderly Capability Assessor",
            (3, 2, 1),
        ),
        ("4-14-02-02", None, "健康管理师", "Health Manager", (3, 2, 1)),
        ("4-14-01-03", None, "健康照护师", "Health Caregiver", (5, 4, 3)),
        ("4-14-01-02", None, "医疗护理员", "Medical Care Assistant", None),
        ("4-10-01-05", "老年助浴员", "老年助浴员", "Elderly Bathing Assistant", None),
        ("4071202000000006", None, "照料老年人", "Caring for Older People", None),
    ],
)
def test_names_and_known_levels(
    code: str,
    work_type: str | None,
    name_zh: str,
    name_en: str,
    levels: tuple[int, ...] | None,
) -> None:
    item = CATALOGUE.item(code, work_type)
    assert (item.name_zh, item.name_en, item.levels) == (name_zh, name_en, levels)


def test_six_systems_with_english_names() -> None:
    assert [system.key for system in CATALOGUE.systems] == SYSTEMS
    assert CATALOGUE.system("民政").name_en == "Civil Affairs"
    assert all(system.name_en and system.department_zh for system in CATALOGUE.systems)


def test_ladder_has_eight_steps_in_order() -> None:
    ladder = CATALOGUE.ladder
    assert [step.name_zh for step in ladder] == [
        "学徒工",
        "初级工",
        "中级工",
        "高级工",
        "技师",
        "高级技师",
        "特级技师",
        "首席技师",
    ]
    assert [step.grade for step in ladder] == [None, 5, 4, 3, 2, 1, None, None]
    assert [step.kind for step in ladder[6:]] == [StepKind.APPOINTMENT] * 2
    assert {step.kind for step in ladder[1:6]} == {StepKind.CERTIFICATE}


@pytest.mark.parametrize(
    ("grade", "zh", "en"),
    [
        (5, "五级/初级工", "Level 5/Junior Worker"),
        (3, "三级/高级工", "Level 3/Senior Worker"),
        (1, "一级/高级技师", "Level 1/Senior Technician"),
    ],
)
def test_level_names(grade: int, zh: str, en: str) -> None:
    assert CATALOGUE.level_name(grade) == zh
    assert CATALOGUE.level_name_en(grade) == en


def test_elderly_care_worker_constant() -> None:
    item = CATALOGUE.item(ELDERLY_CARE_WORKER)
    assert (item.name_zh, item.type) == ("养老护理员", ItemType.OCCUPATION)


@pytest.mark.parametrize(
    ("code", "work_type", "zh", "en"),
    [
        (ELDERLY_CARE_WORKER, None, "养老护理员", "Elderly Care Worker"),
        (
            ELDERLY_CARE_WORKER,
            "社区助老员",
            "养老护理员（社区助老员）",
            "Elderly Care Worker (Community Elderly Assistant)",
        ),
        # a work type outside annex 2 shows its occupation
        (ELDERLY_CARE_WORKER, "护工", "养老护理员", "Elderly Care Worker"),
        (
            "4-14-01-02",
            "护工",
            "医疗护理员（护工）",
            "Medical Care Assistant (Patient Care Aide)",
        ),
        ("4071202000000006", None, "照料老年人", "Caring for Older People"),
        # a special ability has no work types: its own name
        ("4071202000000006", "护工", "照料老年人", "Caring for Older People"),
        # nothing in the catalogue: the code itself, in either language
        ("4-99-01-01", None, "4-99-01-01", "4-99-01-01"),
        ("4-99-01-01", "护工", "4-99-01-01", "4-99-01-01"),
    ],
)
def test_display_name(code: str, work_type: str | None, zh: str, en: str) -> None:
    assert CATALOGUE.display_name(code, work_type) == zh
    assert CATALOGUE.display_name(code, work_type, english=False) == zh
    assert CATALOGUE.display_name(code, work_type, english=True) == en


@pytest.mark.parametrize(
    ("lookup", "message"),
    [
        (
            lambda: CATALOGUE.item("4-10-01-05", "护工"),
            "no item with code '4-10-01-05'",
        ),
        (lambda: CATALOGUE.item("4-99-01-01"), "no item with code '4-99-01-01'"),
        (lambda: CATALOGUE.system("教育"), "system: no system '教育'"),
        (lambda: CATALOGUE.level_name(6), "expected a grade from 1 to 5, got 6"),
        (lambda: CATALOGUE.level_name_en(0), "expected a grade from 1 to 5, got 0"),
    ],
)
def test_unknown_lookups_refused(lookup: Callable[[], object], message: str) -> None:
    with pytest.raises(CatalogueError, match=message):
        lookup()


def _raw_item(**changes: object) -> dict[str, object]:
    data = CATALOGUE.item("4-10-01-05", "社区助老员").model_dump(mode="json")
    data.update(changes)
    return data


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"parent_code": None}, "parent_code: only a work type has one"),
        ({"code": "4-10-1-05", "parent_code": "4-10-1-05"}, "does not fit"),
        ({"parent_code": "4-14-01-02"}, "a work type carries its occupation's code"),
        ({"levels": [1, 2]}, "levels: expected grades lowest first"),
    ],
)
def test_malformed_item_refused(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        CatalogueItem.model_validate(_raw_item(**changes))


def test_catalogue_with_orphan_work_type_refused() -> None:
    data = CATALOGUE.model_dump(mode="json")
    data["items"] = [item for item in data["items"] if item["seq"] != 5]
    with pytest.raises(ValidationError, match="parent_code: no occupation 4-14-01-02"):
        Catalogue.model_validate(data)


def test_catalogue_with_missing_year_refused() -> None:
    data = CATALOGUE.model_dump(mode="json")
    del data["items"][3]["targets"]["2027"]
    with pytest.raises(ValidationError, match=r"item 4 has years \[2026, 2028\]"):
        Catalogue.model_validate(data)


def test_catalogue_with_unknown_system_refused() -> None:
    data = CATALOGUE.model_dump(mode="json")
    data["annual_totals"]["2026"]["by_system"]["教育"] = 1
    with pytest.raises(ValidationError, match="annual_totals in 2026 names systems"):
        Catalogue.model_validate(data)

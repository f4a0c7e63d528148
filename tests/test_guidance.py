"""Promotion guidance for 养老护理员 from built archives, and the rule-file loader."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from passport.archive import Archive
from passport.guidance import (
    GuidanceError,
    NoRulesError,
    RuleFileError,
    describe,
    guidance_for,
)
from passport.guidance.rules import (
    YearsOfWork,
    load_rule_file,
    load_rules,
    rule_files,
)
from schemas.catalogue import load_catalogue
from tests.guidance_kit import CODE, D, Ledger, ledger, states

RULES = load_rules(CODE)
EDITION = RULES.editions[0]


# One scenario per path of the rule file, asked with that path's level as the
# target: (archive, as_of, condition states, path met, path eligible_on).
Scenario = tuple[Archive, str, list[str], bool | None, str | None]
SCENARIOS: dict[tuple[int, str], Scenario] = {
    (5, "a"): (
        ledger(lambda b: b.job("2023-05-10")),
        "2024-05-10",
        ["met"],
        True,
        "2024-05-10",
    ),
    (5, "b"): (
        ledger(lambda b: b.apprenticeship("2023-03-01", "2024-02-29")),
        "2024-05-10",
        ["met"],
        True,
        "2024-02-29",
    ),
    (4, "a"): (
        ledger(lambda b: b.job("2022-01-01"), lambda b: b.certificate(5, "2023-05-10")),
        "2025-05-10",
        ["met", "met"],
        True,
        "2025-05-10",
    ),
    (4, "b"): (
        ledger(lambda b: b.job("2021-04-30")),
        "2025-04-30",
        ["met"],
        True,
        "2025-04-30",
    ),
    (4, "c"): (ledger(), "2025-01-01", ["unknown"], None, None),
    (3, "a"): (
        ledger(lambda b: b.job("2020-01-01"), lambda b: b.certificate(4, "2021-01-31")),
        "2025-01-31",
        ["met", "met"],
        True,
        "2025-01-31",
    ),
    (3, "b"): (
        ledger(lambda b: b.certificate(4, "2021-01-31")),
        "2025-01-31",
        ["met", "unknown"],
        None,
        None,
    ),
    (3, "c"): (
        ledger(lambda b: b.job("2020-01-01"), lambda b: b.certificate(4, "2021-01-31")),
        "2025-01-31",
        ["met", "met", "unknown"],
        None,
        None,
    ),
    (2, "a"): (
        ledger(lambda b: b.job("2019-01-01"), lambda b: b.certificate(3, "2020-02-29")),
        "2024-02-29",
        ["met", "met"],
        True,
        "2024-02-29",
    ),
    (2, "b"): (
        ledger(lambda b: b.job("2019-01-01"), lambda b: b.certificate(3, "2020-02-29")),
        "2030-01-01",
        ["met", "unknown", "unknown"],
        None,
        None,
    ),
    (1, "a"): (
        ledger(lambda b: b.job("2010-01-01"), lambda b: b.certificate(2, "2015-06-30")),
        "2030-01-01",
        ["met", "unknown"],
        None,
        None,
    ),
}
RULE_PATHS = {(p.level, p.id): p for p in EDITION.paths}


def test_every_path_of_the_rule_file_has_a_scenario() -> None:
    assert set(SCENARIOS) == set(RULE_PATHS)


@pytest.mark.parametrize(("level", "path_id"), sorted(RULE_PATHS, reverse=True))
def test_path(level: int, path_id: str) -> None:
    archive, as_of, expected, met, eligible_on = SCENARIOS[(level, path_id)]
    guidance = guidance_for(archive, as_of=D(as_of), target_level=level)
    path = next(p for p in guidance.paths if p.path_id == path_id)

    rule = RULE_PATHS[(level, path_id)]
    assert [c.kind for c in path.conditions] == [c.type for c in rule.conditions]
    assert [c.state for c in path.conditions] == expected
    assert path.met is met
    assert path.eligible_on == (D(eligible_on) if eligible_on else None)
    for condition in path.conditions:
        assert bool(condition.evidence) == (condition.state == "met")
        if condition.state == "unknown":
            assert condition.eligible_on is None
            assert "请向评价机构核实" in condition.detail_zh
            assert "check with the evaluation institution" in condition.detail_en


def test_nothing_on_record() -> None:
    guidance = guidance_for(ledger(), as_of=D("2025-01-01"))
    assert (guidance.current_level, guidance.current_since) == (None, None)
    assert guidance.next_level == 5
    assert [p.path_id for p in guidance.paths] == ["a", "b"]
    assert states(guidance, "a") == ["missing"]
    assert states(guidance, "b") == ["missing"]
    assert [p.met for p in guidance.paths] == [False, False]
    assert guidance.earliest_eligible is None
    zh = [line for line, _ in describe(guidance)]
    assert "当前等级：尚无职业技能等级证书" in zh
    assert "最早可申报日期：尚无法确定" in zh


@pytest.mark.parametrize(
    ("start", "as_of", "state", "eligible_on"),
    [
        ("2023-05-10", "2024-05-09", "missing", "2024-05-10"),
        ("2023-05-10", "2024-05-10", "met", "2024-05-10"),
        ("2020-02-29", "2021-02-27", "missing", "2021-02-28"),
        ("2020-02-29", "2021-02-28", "met", "2021-02-28"),
        ("2023-01-31", "2024-01-30", "missing", "2024-01-31"),
        ("2023-04-30", "2024-04-30", "met", "2024-04-30"),
    ],
)
def test_one_year_of_work_on_the_anniversary(
    start: str, as_of: str, state: str, eligible_on: str
) -> None:
    guidance = guidance_for(ledger(lambda b: b.job(start)), as_of=D(as_of))
    assert guidance.next_level == 5
    assert states(guidance, "a") == [state]
    assert guidance.paths[0].eligible_on == D(eligible_on)
    assert guidance.earliest_eligible == D(eligible_on)


def test_level_five_and_years_counted_from_the_certificate() -> None:
    archive = ledger(
        lambda b: b.job("2022-01-01"), lambda b: b.certificate(5, "2023-05-10")
    )
    guidance = guidance_for(archive, as_of=D("2024-06-01"))
    assert (guidance.current_level, guidance.current_since) == (5, D("2023-05-10"))
    assert guidance.next_level == 4
    by_id = {p.path_id: p for p in guidance.paths}
    # Path a counts from the certificate, not from 2022-01-01.
    assert by_id["a"].eligible_on == D("2025-05-10")
    assert by_id["b"].eligible_on == D("2026-01-01")
    assert by_id["c"].eligible_on is None
    assert guidance.earliest_eligible == D("2025-05-10")
    assert by_id["a"].conditions[0].evidence == [1]
    assert by_id["a"].conditions[1].evidence == [0]

    lines = describe(guidance)
    assert lines[0] == (
        "职业：养老护理员（4-10-01-05）；"
        "依据：国家职业技能标准 养老护理员（2019年版）；截至2024-06-01",
        "Occupation: Elderly Care Worker (4-10-01-05); per National Occupational "
        "Skill Standard: Elderly Care Worker (2019 edition); "
        "as of 2024-06-01",
    )
    # level names as the catalogue gives them, so a passport shows one style
    assert (
        "当前等级：五级/初级工（2023-05-10取得）",
        "Current level: Level 5/Junior Worker (2023-05-10)",
    ) in lines
    assert ("下一等级：四级/中级工", "Next level: Level 4/Intermediate Worker") in lines
    zh, en = next(line for line in lines if line[0].startswith("路径a"))
    assert zh == (
        "路径a（未满足）：已持五级/初级工证书（2023-05-10）✓；"
        "累计工作满2年（自取得五级/初级工证书起算）：尚缺，已累计1年，"
        "按目前在职预计2025-05-10达到✗ [S8]"
    )
    assert en.startswith(
        "Path a (not met): holds the Level 5/Junior Worker certificate"
    )
    assert "expected on 2025-05-10 if the current job goes on" in en
    assert ("最早可申报日期：2025-05-10", "Earliest date to apply: 2025-05-10") in lines


def test_earliest_eligible_is_the_minimum_over_known_paths() -> None:
    archive = ledger(
        lambda b: b.job("2020-01-01"), lambda b: b.certificate(5, "2024-01-15")
    )
    guidance = guidance_for(archive, as_of=D("2024-06-01"))
    by_id = {p.path_id: p for p in guidance.paths}
    assert by_id["a"].eligible_on == D("2026-01-15")
    assert (by_id["b"].met, by_id["b"].eligible_on) == (True, D("2024-01-01"))
    assert guidance.earliest_eligible == D("2024-01-01")
    assert (
        "已可申报（自2024-01-01起）",
        "May apply now (since 2024-01-01)",
    ) in describe(guidance)


def test_four_years_without_certificate_reach_level_four_directly() -> None:
    archive = ledger(lambda b: b.job("2021-04-30"))
    guidance = guidance_for(archive, as_of=D("2025-05-01"))
    assert guidance.next_level == 5
    assert ("已满足四级/中级工路径b的条件，可直接申报") in [
        zh for zh, _ in guidance.notes
    ]
    direct = guidance_for(archive, as_of=D("2025-05-01"), target_level=4)
    assert states(direct, "b") == ["met"]
    assert states(direct, "a") == ["missing", "missing"]
    assert direct.earliest_eligible == D("2025-04-30")


def test_revoked_entries_are_ignored() -> None:
    book = Ledger()
    book.job("2020-01-01", "2020-12-31")
    book.revoke(book.certificate(5, "2020-06-30"), "2020-07-01")
    book.revoke(1, "2021-01-05")  # the end of the job: it runs on
    guidance = guidance_for(book.archive(), as_of=D("2024-01-01"))
    assert guidance.current_level is None
    assert guidance.next_level == 5
    assert states(guidance, "a") == ["met"]
    assert guidance.paths[0].conditions[0].evidence == [0]
    assert guidance.earliest_eligible == D("2021-01-01")


def test_end_by_another_issuer_does_not_close_the_job() -> None:
    archive = ledger(lambda b: b.job("2020-01-01", "2020-03-31", end_issuer="emp-0002"))
    guidance = guidance_for(archive, as_of=D("2024-01-01"))
    assert states(guidance, "a") == ["met"]
    assert guidance.paths[0].conditions[0].evidence == [0]


def test_work_in_another_occupation_does_not_count() -> None:
    archive = ledger(lambda b: b.job("2020-01-01", occupation="4-14-01-02"))
    guidance = guidance_for(archive, as_of=D("2024-01-01"))
    assert states(guidance, "a") == ["missing"]


@pytest.mark.parametrize(
    ("occupation", "work_type", "on", "level"),
    [
        (CODE, "失智老年人照护", "2023-01-01", 5),
        ("4-14-01-02", None, "2023-01-01", None),
        (CODE, None, "2024-06-02", None),
    ],
    ids=["work-type-counts", "other-occupation", "issued-after-as-of"],
)
def test_which_certificates_count(
    occupation: str, work_type: str | None, on: str, level: int | None
) -> None:
    archive = ledger(
        lambda b: b.certificate(5, on, occupation=occupation, work_type=work_type)
    )
    assert guidance_for(archive, as_of=D("2024-06-01")).current_level == level


def test_unknown_stays_unknown_next_to_a_missing_condition() -> None:
    guidance = guidance_for(ledger(), as_of=D("2025-01-01"), target_level=2)
    assert states(guidance, "b") == ["missing", "unknown", "unknown"]
    path = guidance.paths[1]
    assert (path.met, path.eligible_on) == (False, None)
    assert "2018年编制模板为累计工作满3年" in path.conditions[2].detail_zh


def test_at_level_one_the_next_step_is_an_appointment() -> None:
    guidance = guidance_for(
        ledger(lambda b: b.certificate(1, "2022-03-01")), as_of=D("2024-01-01")
    )
    assert (guidance.current_level, guidance.next_level) == (1, None)
    assert (guidance.current_step, guidance.next_step) == (6, 7)
    [path] = guidance.paths
    assert path.path_id == "appointment"
    assert [c.state for c in path.conditions] == ["met", "unknown"]
    assert path.conditions[0].evidence == [0]
    assert "由用人单位评聘为特级技师" in path.conditions[1].detail_zh
    assert "未公开" in path.conditions[1].detail_zh
    assert (path.met, path.eligible_on, guidance.earliest_eligible) == (
        None,
        None,
        None,
    )
    lines = describe(guidance)
    assert ("下一等级：特级技师", "Next level: Special-Grade Technician") in lines
    assert any(zh.startswith("评聘路径（待核实）") for zh, _ in lines)


def test_notes_say_what_is_uncertain_in_the_rules() -> None:
    zh = [line for line, _ in guidance_for(ledger(), as_of=D("2025-01-01")).notes]
    assert "该标准的施行日期未查到，按2019-10-01计" in zh
    assert any("相关职业" in line for line in zh)
    assert any("S8" in line for line in zh)


@pytest.mark.parametrize(
    ("archive", "kwargs", "error", "match"),
    [
        (
            ledger(lambda b: b.certificate(4, "2020-01-01")),
            {"target_level": 5},
            GuidanceError,
            "target level: 5 is not a level above",
        ),
        (
            ledger(),
            {"as_of": D("2019-09-30")},
            NoRulesError,
            "no edition of 4-10-01-05 in force on 2019-09-30",
        ),
        (
            ledger(),
            {"occupation_code": "4-99-99-99"},
            NoRulesError,
            "no rule file for occupation '4-99-99-99'",
        ),
        (
            ledger(),
            {"occupation_code": "../x"},
            NoRulesError,
            "no rule file for occupation",
        ),
    ],
)
def test_guidance_errors(
    archive: Archive, kwargs: dict[str, Any], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        guidance_for(archive, **{"as_of": D("2024-01-01"), **kwargs})


BASE_RULES = """
format = 1
occupation_code = "4-10-01-05"
name_zh = "养老护理员"
name_en = "Elderly Care Worker"
levels = [5, 4, 3, 2, 1]
related_occupations = []

[sources.S8]
title = "申报条件"
status = "S"
urls = ["http://example.org/s8"]

[[edition]]
standard_zh = "标准（2019年版）"
standard_en = "standard (2019)"
edition = "2019"
effective_from = 2019-10-01
effective_from_exact = false
cite = ["S8"]

[[edition.path]]
level = 4
id = "a"
cite = ["S8"]

[[edition.path.condition]]
type = "prior_certificate"
level = 5
cite = ["S8"]

[[edition.path.condition]]
type = "years_of_work"
years = 2
from_prior_certificate = true
cite = ["S8"]
"""
PRIOR_BLOCK = """[[edition.path.condition]]
type = "prior_certificate"
level = 5
cite = ["S8"]
"""


@pytest.mark.parametrize("file", rule_files(), ids=lambda f: f.name)
def test_rule_files_load_and_cite_known_sources(file: Path) -> None:
    rules = load_rule_file(file)
    assert file.stem == rules.occupation_code
    # guidance prints these names beside the catalogue's on the same passport
    catalogue = load_catalogue()
    assert rules.name_zh == catalogue.display_name(rules.occupation_code)
    assert rules.name_en == catalogue.display_name(rules.occupation_code, english=True)
    for edition in rules.editions:
        for path in edition.paths:
            cited = set(path.cite).union(*(c.cite for c in path.conditions))
            assert cited <= set(rules.sources)


def test_base_rules_are_valid(tmp_path: Path) -> None:
    file = tmp_path / f"{CODE}.toml"
    file.write_text(BASE_RULES, encoding="utf-8")
    assert load_rule_file(file).editions[0].paths_to(4)[0].id == "a"


@pytest.mark.parametrize(
    ("old", "new", "where", "what"),
    [
        pytest.param(
            'type = "years_of_work"',
            'type = "height"',
            "edition[0].path[0].condition[1]",
            "'height'",
            id="unknown-condition-type",
        ),
        pytest.param(
            'level = 5\ncite = ["S8"]',
            "level = 5",
            "edition[0].path[0].condition[0].prior_certificate.cite",
            "Field required",
            id="condition-without-citation",
        ),
        pytest.param(
            'id = "a"\ncite = ["S8"]',
            'id = "a"',
            "edition[0].path[0].cite",
            "Field required",
            id="path-without-citation",
        ),
        pytest.param(
            "level = 4",
            "level = 6",
            "edition[0].path[0].level",
            "less than or equal to 5",
            id="bad-level",
        ),
        pytest.param(
            'id = "a"\ncite = ["S8"]',
            'id = "a"\ncite = ["S99"]',
            "edition[0].path[0].cite",
            "unknown source key 'S99'",
            id="unknown-source-key",
        ),
        pytest.param(
            'type = "prior_certificate"\nlevel = 5',
            'type = "prior_certificate"\nlevel = 3',
            "edition[0].path[0].condition[0].level",
            "prior certificate level 3 is not below target level 4",
            id="prior-not-below-target",
        ),
        pytest.param(
            PRIOR_BLOCK,
            "",
            "edition[0].path[0].condition[0].from_prior_certificate",
            "no prior_certificate condition in the path to count from",
            id="years-from-missing-prior",
        ),
        pytest.param(
            "years = 2",
            "years = 2\nmonths = 3",
            "edition[0].path[0].condition[1].years_of_work.months",
            "Extra inputs are not permitted",
            id="extra-field",
        ),
        pytest.param(
            "effective_from = 2019-10-01",
            "effective_from = 2019-10-01 x",
            "(file)",
            "Expected newline",
            id="toml-syntax",
        ),
        pytest.param(
            'occupation_code = "4-10-01-05"',
            'occupation_code = "4-10-01-06"',
            "occupation_code",
            "does not match file name",
            id="file-name-mismatch",
        ),
    ],
)
def test_rule_file_errors_name_file_and_place(
    tmp_path: Path, old: str, new: str, where: str, what: str
) -> None:
    assert old in BASE_RULES
    file = tmp_path / f"{CODE}.toml"
    file.write_text(BASE_RULES.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(RuleFileError) as caught:
        load_rule_file(file)
    message = str(caught.value)
    assert message.startswith(f"rule file {file}: ")
    assert any(w == where and what in m for w, m in caught.value.problems), message


def test_repeated_path_id_is_refused(tmp_path: Path) -> None:
    path_block = BASE_RULES[BASE_RULES.index("[[edition.path]]") :]
    file = tmp_path / f"{CODE}.toml"
    file.write_text(BASE_RULES + "\n" + path_block, encoding="utf-8")
    with pytest.raises(RuleFileError, match=r"edition\[0\]\.path\[1\]\.id: path 'a'"):
        load_rule_file(file)


def test_edition_in_force_on_a_day(tmp_path: Path) -> None:
    later = (
        BASE_RULES[BASE_RULES.index("[[edition]]") :]
        .replace("effective_from = 2019-10-01", "effective_from = 2027-01-01")
        .replace("years = 2", "years = 3")
    )
    file = tmp_path / f"{CODE}.toml"
    file.write_text(BASE_RULES + "\n" + later, encoding="utf-8")
    rules = load_rule_file(file)

    def years_on(day: str) -> int | None:
        edition = rules.edition_on(D(day))
        if edition is None:
            return None
        condition = edition.paths[0].conditions[1]
        assert isinstance(condition, YearsOfWork)
        return condition.years

    assert years_on("2019-09-30") is None
    assert years_on("2019-10-01") == 2
    assert years_on("2026-12-31") == 2
    assert years_on("2027-01-01") == 3

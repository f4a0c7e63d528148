"""The ladder beyond certificates: apprentices, posts, awards, hours, editions."""

from __future__ import annotations

from pathlib import Path

import pytest

from passport.archive import Archive
from passport.guidance import (
    NoRulesError,
    describe,
    describe_worker,
    guidance_for,
    worker_guidance,
)
from passport.guidance.contests import (
    ContestRule,
    award_outcomes,
    load_contest_file,
    load_contests,
)
from passport.guidance.facts import Award, collect
from passport.guidance.rules import RuleFileError
from tests.guidance_kit import (
    CODE,
    NO_RECORDS,
    NOT_IN_FORCE,
    D,
    Ledger,
    ledger,
    states,
)

ASSESSOR = "4-14-02-05"  # 老年人能力评估师
MANAGER = "4-14-02-02"  # 健康管理师
TIANJIN_1 = "2025年天津市养老护理职业技能竞赛"


def test_completed_apprenticeship_is_the_first_step() -> None:
    archive = ledger(lambda b: b.apprenticeship("2023-03-01", "2024-02-29"))
    guidance = guidance_for(archive, as_of=D("2024-06-01"))
    assert (guidance.current_step, guidance.current_level) == (1, None)
    assert guidance.current_since == D("2024-02-29")
    assert (guidance.next_step, guidance.next_level) == (2, 5)
    assert states(guidance, "b") == ["met"]
    assert guidance.paths[1].conditions[0].evidence == [0]
    assert guidance.earliest_eligible == D("2024-02-29")
    assert (
        "当前等级：学徒工（2024-02-29学徒期满）",
        "Current level: Apprentice (apprenticeship completed 2024-02-29)",
    ) in describe(guidance)


def test_apprenticeship_in_another_occupation_is_unknown() -> None:
    archive = ledger(
        lambda b: b.apprenticeship("2023-03-01", "2024-03-01", occupation=MANAGER)
    )
    guidance = guidance_for(archive, as_of=D("2024-06-01"))
    assert guidance.current_step is None
    assert states(guidance, "b") == ["unknown"]
    assert "是否属相关职业" in guidance.paths[1].conditions[0].detail_zh


def test_revoked_apprenticeship_does_not_count() -> None:
    def steps(b: Ledger) -> None:
        b.revoke(b.apprenticeship("2023-03-01", "2024-03-01"), "2024-04-01")

    guidance = guidance_for(ledger(steps), as_of=D("2024-06-01"))
    assert guidance.current_step is None
    assert states(guidance, "b") == ["missing"]


def test_appointment_in_its_term_is_the_current_step() -> None:
    archive = ledger(
        lambda b: b.certificate(1, "2018-03-01"),
        lambda b: b.appointment("special_grade_technician", "2023-01-01", "2025-12-31"),
    )
    guidance = guidance_for(archive, as_of=D("2024-06-01"))
    assert (guidance.current_step, guidance.current_level) == (7, 1)
    assert (guidance.current_since, guidance.current_until) == (
        D("2023-01-01"),
        D("2025-12-31"),
    )
    assert guidance.next_step == 8
    [path] = guidance.paths
    assert (path.path_id, [c.state for c in path.conditions]) == (
        "appointment",
        ["unknown"],
    )
    lines = describe(guidance)
    assert (
        "当前等级：特级技师（聘期2023-01-01至2025-12-31）",
        "Current level: Special-Grade Technician (term 2023-01-01 to 2025-12-31)",
    ) in lines
    assert ("下一等级：首席技师", "Next level: Chief Technician") in lines


def test_appointment_after_its_term_leaves_the_certificate() -> None:
    archive = ledger(
        lambda b: b.certificate(1, "2018-03-01"),
        lambda b: b.appointment("special_grade_technician", "2021-01-01", "2023-12-31"),
    )
    guidance = guidance_for(archive, as_of=D("2024-01-01"))
    assert (guidance.current_step, guidance.next_step) == (6, 7)
    assert "特级技师聘期已于2023-12-31届满（第1条）" in [z for z, _ in guidance.notes]
    # the last day of the term is still in it
    assert guidance_for(archive, as_of=D("2023-12-31")).current_step == 7


def test_chief_technician_is_the_top() -> None:
    archive = ledger(
        lambda b: b.certificate(1, "2018-03-01"),
        lambda b: b.appointment("chief_technician", "2024-01-01", "2027-12-31"),
    )
    guidance = guidance_for(archive, as_of=D("2024-06-01"))
    assert (guidance.current_step, guidance.next_step, guidance.paths) == (8, None, [])


@pytest.mark.parametrize(
    ("contest", "contest_class", "rank", "held", "state", "grants"),
    [
        pytest.param(TIANJIN_1, "provincial_1", 3, 4, "met", 2, id="tianjin-top-10"),
        pytest.param(TIANJIN_1, "provincial_1", 10, 2, "met", 1, id="holder-of-2"),
        pytest.param(TIANJIN_1, "provincial_1", 11, 4, "missing", None, id="rank-11"),
        pytest.param(
            "2025年天津市某企业技能比武",
            "enterprise",
            1,
            5,
            "unknown",
            None,
            id="share",
        ),
        pytest.param(
            "2025年“巴渝工匠”杯养老护理职业技能竞赛",
            "provincial_1",
            1,
            4,
            "unknown",
            None,
            id="no-rule-for-chongqing",
        ),
        pytest.param(
            "第一届中华人民共和国职业技能大赛",
            "national",
            1,
            4,
            "unknown",
            None,
            id="national-places-unknown",
        ),
        pytest.param(
            "2021年上海市养老护理职业技能竞赛",
            "provincial_1",
            1,
            2,
            "met",
            1,
            id="sh-1",
        ),
        pytest.param(
            "2021年上海市养老护理职业技能竞赛",
            "provincial_1",
            4,
            3,
            "unknown",
            None,
            id="sh-share",
        ),
    ],
)
def test_competition_path(
    contest: str,
    contest_class: str,
    rank: int,
    held: int,
    state: str,
    grants: int | None,
) -> None:
    archive = ledger(
        lambda b: b.certificate(held, "2020-03-01"),
        lambda b: b.award(contest, contest_class, rank, "2025-11-20"),
    )
    guidance = guidance_for(archive, as_of=D("2026-01-01"))
    path = next(p for p in guidance.paths if p.path_id == "competition")
    [condition] = path.conditions
    assert condition.state == state
    if state == "met":
        assert (condition.evidence, path.eligible_on) == ([1], D("2025-11-20"))
        assert guidance.earliest_eligible == D("2025-11-20")
        outcome = award_outcomes(collect(archive, CODE, [], D("2026-01-01")), RULES)
        assert outcome[0].level == grants
    else:
        assert condition.evidence == [] and path.eligible_on is None
    if state == "unknown":
        assert "请向评价机构核实" in condition.detail_zh
    # a contest with a known rule cites it; one without cites nothing
    [award] = collect(archive, CODE, [], D("2026-01-01")).awards
    assert bool(path.sources) == (RULES.rule_for(award) is not None)
    assert bool(path.sources) == (
        "天津" in contest or "上海" in contest or "中华" in contest
    )


RULES = load_contests()


def test_one_competition_promotion_a_year() -> None:
    contest = "天津市职业技能竞赛"
    archive = ledger(
        lambda b: b.certificate(4, "2020-03-01"),
        lambda b: b.award(f"2024年{contest}", "provincial_2", 2, "2024-05-01"),
        lambda b: b.award(f"2024年{contest}", "provincial_2", 1, "2024-12-31"),
        lambda b: b.award(f"2025年{contest}", "provincial_2", 3, "2025-01-01"),
    )
    facts = collect(archive, CODE, [], D("2026-01-01"))
    outcomes = award_outcomes(facts, RULES)
    assert [o.outcome for o in outcomes] == ["granted", "same_year", "granted"]
    assert "2024年已有一次竞赛晋升，每年限一次" in outcomes[1].text_zh
    assert [o.level for o in outcomes] == [3, None, 3]


def test_awards_in_other_occupations_give_no_path() -> None:
    archive = ledger(
        lambda b: b.award(
            TIANJIN_1, "provincial_1", 1, "2025-11-20", occupation=MANAGER
        )
    )
    guidance = guidance_for(archive, as_of=D("2026-01-01"))
    assert [p.path_id for p in guidance.paths] == ["a", "b"]


@pytest.mark.parametrize(
    ("hours", "state", "detail"),
    [(179, "missing", "已完成179学时，尚缺1学时"), (180, "met", "共180学时")],
)
def test_training_hours_at_the_boundary(hours: int, state: str, detail: str) -> None:
    archive = ledger(
        lambda b: b.job("2020-01-31", occupation=MANAGER),
        lambda b: b.training(3, hours - 100, "2024-01-31", occupation=MANAGER),
        lambda b: b.training(3, 100, "2024-02-29", occupation=MANAGER),
        # neither a failed class nor one for another level counts
        lambda b: b.training(3, 50, "2024-03-01", occupation=MANAGER, passed=False),
        lambda b: b.training(2, 50, "2024-03-01", occupation=MANAGER),
    )
    guidance = guidance_for(archive, as_of=D("2024-06-01"), occupation_code=MANAGER)
    path = next(p for p in guidance.paths if p.path_id == "b")
    training = path.conditions[2]
    assert (training.kind, training.state) == ("training", state)
    assert detail in training.detail_zh
    assert training.evidence == [1, 2]
    assert training.eligible_on == (D("2024-02-29") if state == "met" else None)
    assert path.met is (None if state == "met" else False)


def test_related_prior_certificate_is_unknown_with_its_candidates() -> None:
    archive = ledger(lambda b: b.certificate(4, "2021-05-31"))
    guidance = guidance_for(archive, as_of=D("2023-01-01"), occupation_code=ASSESSOR)
    assert guidance.current_step is None and guidance.next_level == 3
    assert states(guidance, "a") == ["unknown", "unknown"]
    detail = guidance.paths[0].conditions[0].detail_zh
    assert "账本中有养老护理员四级/中级工（2021-05-31，第0条）" in detail
    empty = guidance_for(ledger(), as_of=D("2023-01-01"), occupation_code=ASSESSOR)
    assert states(empty, "a") == ["missing", "missing"]


@pytest.mark.parametrize(
    ("as_of", "edition", "paths"),
    [
        ("2024-12-31", "（2021年版）", ["a", "b", "c"]),
        ("2025-01-01", "2025年报考指南", ["a", "b", "c", "d", "e", "f"]),
    ],
)
def test_edition_in_force_decides_the_paths(
    as_of: str, edition: str, paths: list[str]
) -> None:
    guidance = guidance_for(ledger(), as_of=D(as_of), occupation_code=ASSESSOR)
    assert edition in guidance.standard_zh
    assert [p.path_id for p in guidance.paths] == paths


def test_no_edition_before_the_first() -> None:
    with pytest.raises(NoRulesError, match="no edition of 4-14-02-05 in force on"):
        guidance_for(ledger(), as_of=D("2021-01-31"), occupation_code=ASSESSOR)


def test_template_occupation_says_so() -> None:
    guidance = guidance_for(
        ledger(), as_of=D("2024-01-01"), occupation_code="4-14-01-02"
    )
    notes = [zh for zh, _ in guidance.notes]
    assert any("通用模板" in zh and "请向评价机构核实" in zh for zh in notes)
    assert any("本职业设有哪些等级未查到" in zh for zh in notes)
    assert states(guidance, "a") == ["unknown"]


@pytest.mark.parametrize(
    ("certified", "as_of", "state", "eligible_on"),
    [
        ("2020-02-29", "2022-02-27", "missing", "2022-02-28"),
        ("2020-02-29", "2022-02-28", "met", "2022-02-28"),
        ("2020-02-29", "2024-02-28", "met", "2022-02-28"),
        ("2023-01-31", "2025-01-30", "missing", "2025-01-31"),
        ("2023-01-31", "2025-01-31", "met", "2025-01-31"),
        ("2022-12-31", "2024-12-31", "met", "2024-12-31"),
        ("2022-08-31", "2024-08-30", "missing", "2024-08-31"),
    ],
)
def test_years_after_a_certificate_at_month_ends_and_leap_days(
    certified: str, as_of: str, state: str, eligible_on: str
) -> None:
    archive = ledger(
        lambda b: b.job("2019-01-01"), lambda b: b.certificate(5, certified)
    )
    guidance = guidance_for(archive, as_of=D(as_of))
    path = next(p for p in guidance.paths if p.path_id == "a")
    assert [c.state for c in path.conditions] == ["met", state]
    assert path.eligible_on == D(eligible_on)


def test_work_started_on_a_leap_day_reaches_a_year_on_28_february() -> None:
    archive = ledger(lambda b: b.job("2024-02-29"))
    assert states(guidance_for(archive, as_of=D("2025-02-27")), "a") == ["missing"]
    reached = guidance_for(archive, as_of=D("2025-02-28"))
    assert states(reached, "a") == ["met"]
    assert reached.earliest_eligible == D("2025-02-28")


def test_worker_guidance_covers_each_occupation_on_record() -> None:
    archive = ledger(
        lambda b: b.job("2020-01-01"),
        lambda b: b.training(3, 180, "2024-01-31", occupation=MANAGER),
    )
    found = worker_guidance(archive, as_of=D("2024-06-01"))
    assert [g.occupation_code for g in found] == [CODE, MANAGER]
    assert worker_guidance(ledger(), as_of=D("2024-06-01")) == []


def test_no_records_yet_is_said_plainly() -> None:
    assert describe_worker(ledger(), as_of=D("2024-06-01"), trust_list=None) == [
        NO_RECORDS
    ]


def test_before_any_edition_is_in_force_says_so() -> None:
    archive = ledger(lambda b: b.certificate(4, "2019-08-19"))
    assert describe_worker(archive, as_of=D("2019-09-30"), trust_list=None) == [
        NOT_IN_FORCE
    ]
    assert describe_worker(archive, as_of=D("2019-10-01"), trust_list=None)[0] == (
        "职业：养老护理员（4-10-01-05）；依据：国家职业技能标准 养老护理员"
        "（2019年版）；截至2019-10-01",
        "Occupation: Elderly Care Worker (4-10-01-05); per National Occupational "
        "Skill Standard: Elderly Care Worker (2019 edition); as of 2019-10-01",
    )


@pytest.mark.parametrize(
    ("old", "new", "what"),
    [
        ('cite = ["S15a"]', 'cite = ["S99"]', "unknown source key 'S99'"),
        ("top = 10\n", "top = 10\ntop_share = 10\n", "give one or neither"),
        ("holder_grants = 1\ncite", "cite", "give both or neither"),
        ('contest_class = "national"', 'contest_class = "city"', "Input should be"),
    ],
)
def test_contest_file_errors(tmp_path: Path, old: str, new: str, what: str) -> None:
    text = (Path(__file__).parents[1] / "passport/guidance/contests.toml").read_text(
        encoding="utf-8"
    )
    assert old in text
    file = tmp_path / "contests.toml"
    file.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(RuleFileError, match=what):
        load_contest_file(file)


def _award_cases() -> list[pytest.ParameterSet]:
    return [
        pytest.param(rule, index, id=f"{rule.id}-{index}")
        for rule in RULES.contests
        for index in range(len(rule.awards))
    ]


@pytest.mark.parametrize(("rule", "index"), _award_cases())
def test_every_contest_award_entry(rule: ContestRule, index: int) -> None:
    """Each award entry of contests.toml, at its exact rank limit and one below it."""
    entry = rule.awards[index]
    name = "2025年" + "".join(rule.name_contains) + "竞赛"
    holder = entry.requires or entry.holder_of or 5

    def judge(rank: int, held: int = holder) -> tuple[str, int | None]:
        archive = ledger(
            lambda b: b.certificate(held, "2020-03-01"),
            lambda b: b.award(name, rule.contest_class, rank, "2025-11-20"),
        )
        [outcome] = award_outcomes(collect(archive, CODE, [], D("2026-01-01")), RULES)
        assert RULES.rule_for(facts_award(archive)) == rule
        return outcome.outcome, outcome.level

    if entry.top is None:
        # a share of the field, or places never published: unknown at any rank
        # that no earlier entry with a known limit covers
        earlier = [a.top for a in rule.awards[:index] if a.top is not None]
        rank = max(earlier, default=0) + 1
        assert judge(rank) == ("unknown", None)
        return
    expected = entry.holder_grants if entry.holder_of is not None else entry.grants
    assert judge(entry.top) == ("granted", expected)
    if entry.holder_of is not None and entry.requires is None:
        assert judge(entry.top, held=entry.holder_of + 1) == ("granted", entry.grants)
    later_known = [a for a in rule.awards[index + 1 :] if a.top is not None]
    if not later_known and all(a.top is not None for a in rule.awards):
        assert judge(entry.top + 1) == ("not_promoted", None)


def facts_award(archive: Archive) -> Award:
    [award] = collect(archive, CODE, [], D("2026-01-01")).awards
    return award

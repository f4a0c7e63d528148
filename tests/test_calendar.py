"""The two counting rules of passport.guidance.calendar, at their edges."""

from __future__ import annotations

import datetime as dt

import pytest

from passport.guidance.calendar import (
    Spell,
    add_months,
    add_years,
    date_reaching_years,
    merge_spells,
    months_covered,
    projected_date_reaching_years,
)

D = dt.date.fromisoformat


@pytest.mark.parametrize(
    ("day", "years", "expected"),
    [
        ("2020-02-29", 1, "2021-02-28"),
        ("2020-02-29", 4, "2024-02-29"),
        ("2020-02-29", 2, "2022-02-28"),
        ("2023-01-31", 1, "2024-01-31"),
        ("2023-04-30", 2, "2025-04-30"),
        ("2023-12-31", 1, "2024-12-31"),
        ("2023-05-10", 0, "2023-05-10"),
        # backwards too, as the demo counts ages back from its as_of
        ("2024-02-29", -18, "2006-02-28"),
        ("2024-02-29", -20, "2004-02-29"),
        ("2026-11-30", -63, "1963-11-30"),
    ],
)
def test_add_years_corresponding_day(day: str, years: int, expected: str) -> None:
    assert add_years(D(day), years) == D(expected)


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        ("2023-01-31", 1, "2023-02-28"),
        ("2024-01-31", 1, "2024-02-29"),
        ("2023-01-31", 3, "2023-04-30"),
        ("2023-03-31", 1, "2023-04-30"),
        # The corresponding day, not the month end: 30 Apr + 1 month is 30 May.
        ("2023-04-30", 1, "2023-05-30"),
        ("2023-01-31", 13, "2024-02-29"),
        ("2023-12-15", 1, "2024-01-15"),
        ("2023-11-30", 14, "2025-01-30"),
    ],
)
def test_add_months_corresponding_day(day: str, months: int, expected: str) -> None:
    assert add_months(D(day), months) == D(expected)


def test_spell_refuses_end_before_start() -> None:
    with pytest.raises(ValueError, match="spell: ends 2023-01-01 before it starts"):
        Spell(D("2023-02-01"), D("2023-01-01"))


@pytest.mark.parametrize(
    ("spells", "expected"),
    [
        pytest.param(
            [("2020-01-01", "2020-03-31"), ("2020-04-01", "2020-06-30")],
            [("2020-01-01", "2020-06-30")],
            id="touching",
        ),
        pytest.param(
            [("2020-01-01", "2020-05-31"), ("2020-03-01", "2020-08-31")],
            [("2020-01-01", "2020-08-31")],
            id="overlapping",
        ),
        pytest.param(
            [("2020-01-01", "2020-12-31"), ("2020-03-01", "2020-04-30")],
            [("2020-01-01", "2020-12-31")],
            id="nested",
        ),
        pytest.param(
            [("2020-06-01", "2020-06-30"), ("2020-01-01", "2020-03-31")],
            [("2020-01-01", "2020-03-31"), ("2020-06-01", "2020-06-30")],
            id="gap-and-unsorted",
        ),
        pytest.param(
            [("2020-01-01", None), ("2019-01-01", "2019-12-30")],
            [("2019-01-01", "2019-12-30"), ("2020-01-01", "2021-01-01")],
            id="running-to-as-of",
        ),
        pytest.param(
            [("2020-01-01", "2022-01-01"), ("2021-02-01", None)],
            [("2020-01-01", "2021-01-01")],
            id="later-end-and-later-start-cut",
        ),
    ],
)
def test_merge_spells(
    spells: list[tuple[str, str | None]], expected: list[tuple[str, str]]
) -> None:
    given = [Spell(D(a), D(b) if b else None) for a, b in spells]
    merged = merge_spells(given, as_of=D("2021-01-01"))
    assert merged == [Spell(D(a), D(b)) for a, b in expected]


@pytest.mark.parametrize(
    ("spells", "years", "since", "as_of", "reached", "projected"),
    [
        pytest.param(
            [("2023-05-10", None)],
            1,
            "2023-05-10",
            "2024-05-10",
            "2024-05-10",
            "2024-05-10",
            id="running-reaches-on-anniversary",
        ),
        pytest.param(
            [("2023-05-10", None)],
            1,
            "2023-05-10",
            "2024-05-09",
            None,
            "2024-05-10",
            id="running-day-before",
        ),
        pytest.param(
            [("2020-02-29", None)],
            1,
            "2020-02-29",
            "2021-03-01",
            "2021-02-28",
            "2021-02-28",
            id="leap-day-start",
        ),
        pytest.param(
            [("2023-01-31", None)],
            1,
            "2023-01-31",
            "2024-06-01",
            "2024-01-31",
            "2024-01-31",
            id="month-end-start",
        ),
        pytest.param(
            # July 2020 (31 days) without work pushes the anniversary by 31 days.
            [("2020-01-01", "2020-06-30"), ("2020-08-01", None)],
            1,
            "2020-01-01",
            "2021-06-01",
            "2021-02-01",
            "2021-02-01",
            id="gap-pushes-later",
        ),
        pytest.param(
            [("2020-01-01", "2020-06-30"), ("2020-07-01", None)],
            1,
            "2020-01-01",
            "2021-06-01",
            "2021-01-01",
            "2021-01-01",
            id="touching-no-gap",
        ),
        pytest.param(
            [("2020-01-01", "2020-12-31"), ("2020-03-01", "2021-06-30")],
            1,
            "2020-01-01",
            "2022-01-01",
            "2021-01-01",
            "2021-01-01",
            id="overlap-counted-once",
        ),
        pytest.param(
            # Counting from a certificate day inside a spell; work before it is
            # ignored and the 30-day gap in 2024 pushes the date.
            [("2020-01-01", "2024-03-31"), ("2024-05-01", None)],
            2,
            "2023-05-10",
            "2026-01-01",
            "2025-06-09",
            "2025-06-09",
            id="counted-from-certificate",
        ),
        pytest.param(
            # Counting starts before any work: the wait counts as a gap.
            [("2023-06-01", None)],
            1,
            "2023-05-10",
            "2024-05-31",
            None,
            "2024-06-01",
            id="counting-before-first-spell",
        ),
        pytest.param(
            [("2023-05-10", "2023-12-31")],
            1,
            "2023-05-10",
            "2025-01-01",
            None,
            None,
            id="ended-short-no-projection",
        ),
    ],
)
def test_date_reaching_years(
    spells: list[tuple[str, str | None]],
    years: int,
    since: str,
    as_of: str,
    reached: str | None,
    projected: str | None,
) -> None:
    given = [Spell(D(a), D(b) if b else None) for a, b in spells]
    args = (given, years, D(since), D(as_of))
    assert date_reaching_years(*args) == (D(reached) if reached else None)
    assert projected_date_reaching_years(*args) == (D(projected) if projected else None)


def test_date_reaching_years_refuses_zero_years() -> None:
    with pytest.raises(ValueError, match="years of work: must be at least 1, got 0"):
        date_reaching_years([], 0, D("2023-01-01"), D("2024-01-01"))


@pytest.mark.parametrize(
    ("spells", "expected"),
    [
        pytest.param([], 0, id="none"),
        pytest.param([("2023-01-31", "2023-02-26")], 0, id="short-of-a-month"),
        pytest.param([("2023-01-31", "2023-02-27")], 1, id="month-end"),
        pytest.param([("2023-04-30", "2023-05-29")], 1, id="30-apr"),
        pytest.param([("2023-04-30", "2023-05-28")], 0, id="30-apr-short"),
        pytest.param([("2020-02-29", "2021-02-27")], 12, id="leap-year"),
        pytest.param(
            [("2020-01-01", "2020-06-30"), ("2020-06-15", "2020-12-31")],
            12,
            id="overlap-once",
        ),
        pytest.param(
            [("2020-01-01", "2020-01-31"), ("2020-03-01", "2020-03-31")],
            2,
            id="two-months-with-gap",
        ),
    ],
)
def test_months_covered(spells: list[tuple[str, str]], expected: int) -> None:
    assert months_covered([Spell(D(a), D(b)) for a, b in spells]) == expected


def test_months_covered_agrees_with_years() -> None:
    spells = [Spell(D("2021-03-15"), D("2021-09-30")), Spell(D("2021-11-01"), None)]
    reached = date_reaching_years(spells, 1, D("2021-03-15"), D("2023-01-01"))
    assert reached is not None
    day_before = merge_spells(spells, reached - dt.timedelta(days=1))
    assert months_covered(day_before) == 12
    assert months_covered(merge_spells(spells, reached - dt.timedelta(days=2))) == 11


def test_months_covered_refuses_running_spell() -> None:
    with pytest.raises(ValueError, match="still running; merge_spells with as_of"):
        months_covered([Spell(D("2023-01-01"), None)])

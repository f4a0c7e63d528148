"""Date arithmetic for application conditions: years after a date, years of work.

Two rules, and everything here follows from them:

1. **Corresponding day.** N years (or months) after day d is the day with the
   same number N years (months) later; when that month is too short, it is the
   month's last day. So 2020-02-29 + 1 year = 2021-02-28 and 2023-01-31 +
   1 month = 2023-02-28, while 2023-04-30 + 1 month = 2023-05-30. Always count
   from the original day, never step by step.
2. **Cumulative work.** Employment spells are merged (overlaps, nesting and
   spells touching end to start become one). Counting from a day c, cumulative
   work reaches N years on day ``add_years(c, N)`` pushed later by the total
   length in days of the gaps without work between c and that day. Put
   differently, it is the first day by which the days worked since c equal the
   days from c to ``add_years(c, N)``.

A ``Spell`` covers whole days from ``start`` to ``end`` inclusive; the day a
condition is reached is the first day on which it holds (the day after the
last day of work needed).
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Spell:
    """Days of work from ``start`` to ``end`` inclusive; ``end`` None while running."""

    start: dt.date
    end: dt.date | None = None

    def __post_init__(self) -> None:
        if self.end is not None and self.end < self.start:
            raise ValueError(f"spell: ends {self.end} before it starts {self.start}")

    @property
    def days(self) -> int:
        """Number of days covered by a closed spell."""
        if self.end is None:
            raise ValueError(f"spell: the spell from {self.start} is still running")
        return (self.end - self.start).days + 1


def add_months(day: dt.date, months: int) -> dt.date:
    """The corresponding day ``months`` later, or that month's last day (rule 1)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


def add_years(day: dt.date, years: int) -> dt.date:
    """The corresponding day ``years`` later, or that month's last day (rule 1)."""
    return add_months(day, 12 * years)


def _merge(spells: Iterable[Spell], until: dt.date) -> list[Spell]:
    """Closed, sorted, disjoint spells; running ones and later ends cut at ``until``."""
    merged: list[Spell] = []
    for spell in sorted(spells, key=lambda s: s.start):
        if spell.start > until:
            continue
        end = until if spell.end is None else min(spell.end, until)
        last = merged[-1] if merged else None
        # Compare by difference: a running spell in a projection ends on date.max.
        if (
            last is not None
            and last.end is not None
            and (spell.start - last.end).days <= 1
        ):
            merged[-1] = Spell(last.start, max(last.end, end))
        else:
            merged.append(Spell(spell.start, end))
    return merged


def merge_spells(spells: Iterable[Spell], as_of: dt.date) -> list[Spell]:
    """Merge spells into disjoint closed ones, each running spell ending at ``as_of``.

    Spells starting after ``as_of`` are dropped and later ends are cut to
    ``as_of``, since no one has worked those days yet.
    """
    return _merge(spells, as_of)


def _date_covering(merged: list[Spell], days: int, counting_from: dt.date) -> dt.date:
    """First day by which ``days`` days were worked since ``counting_from`` (rule 2)."""
    worked = 0
    for spell in merged:
        if spell.end is None or spell.end < counting_from:
            continue
        start = max(spell.start, counting_from)
        length = (spell.end - start).days + 1
        if worked + length >= days:
            return start + dt.timedelta(days=days - worked)
        worked += length
    return dt.date.max


def _days_in_years(counting_from: dt.date, years: int) -> int:
    if years < 1:
        raise ValueError(f"years of work: must be at least 1, got {years}")
    return (add_years(counting_from, years) - counting_from).days


def date_reaching_years(
    spells: Iterable[Spell], years: int, counting_from: dt.date, as_of: dt.date
) -> dt.date | None:
    """The day cumulative work since ``counting_from`` reached ``years`` (rule 2).

    None when it is not reached on or before ``as_of``.
    """
    days = _days_in_years(counting_from, years)
    reached = _date_covering(merge_spells(spells, as_of), days, counting_from)
    return reached if reached <= as_of else None


def projected_date_reaching_years(
    spells: Iterable[Spell], years: int, counting_from: dt.date, as_of: dt.date
) -> dt.date | None:
    """The day ``years`` are reached if running spells go on (rule 2).

    Equal to ``date_reaching_years`` once reached; None when nothing is
    running and the recorded work falls short.
    """
    spells = list(spells)
    days = _days_in_years(counting_from, years)
    reached = _date_covering(merge_spells(spells, as_of), days, counting_from)
    if reached <= as_of:
        return reached
    if not any(spell.end is None for spell in spells):
        return None
    # A running spell goes on indefinitely; recorded ends stay as they are.
    projected = _date_covering(_merge(spells, dt.date.max), days, counting_from)
    return None if projected == dt.date.max else projected


def months_covered(spells: Iterable[Spell]) -> int:
    """Whole months of work in closed spells, consistent with rule 2.

    m months are covered when the days worked reach the days from the first
    start to ``add_months(first start, m)``; so 12 months covered is exactly
    one year reached.
    """
    spells = list(spells)
    if not spells:
        return 0
    running = [s for s in spells if s.end is None]
    if running:
        raise ValueError(
            f"months covered: the spell from {running[0].start} is still running; "
            "merge_spells with as_of first"
        )
    merged = _merge(spells, dt.date.max)
    first = merged[0].start
    worked = sum(spell.days for spell in merged)
    months = worked // 31
    while (add_months(first, months + 1) - first).days <= worked:
        months += 1
    return months

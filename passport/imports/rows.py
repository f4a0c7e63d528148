"""One roster row to the unsigned events it records, or the problems that stop it.

A row's events carry everything but ``worker_id`` and ``signed_at``, which
the importer fills once the worker is registered. Their ``ref`` is derived
from the row's content, never from the ID number, so that importing the
same file again names the same records.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from passport.imports.cleaning import (
    Cell,
    CellProblem,
    clean_date,
    clean_flag,
    clean_id_number,
    clean_int,
    clean_level,
    clean_name,
    text_of,
    written_of,
)
from passport.imports.columns import ImportKind
from schemas.catalogue import load_catalogue
from schemas.identifiers import ABILITY_CODE_PATTERN, OCCUPATION_CODE_PATTERN


@dataclass(frozen=True)
class Note:
    """One line of the report about a cell: a problem, or what was cleaned."""

    field: str
    value: str
    reason: str
    detail: str


@dataclass
class RowDraft:
    """A row as read: the person, the draft events, and what was found."""

    row: int
    id_number: str | None = None
    name: str | None = None
    name_as_written: str | None = None
    events: list[dict[str, Any]] = field(default_factory=list)
    problems: list[Note] = field(default_factory=list)
    cleaned: list[Note] = field(default_factory=list)


@functools.cache
def _occupations() -> dict[str, tuple[str, str | None]]:
    """Catalogue labels and names to (code, work type)."""
    catalogue = load_catalogue()
    found: dict[str, tuple[str, str | None]] = {}
    for item in catalogue.items:
        found[_fold(catalogue.label(item))] = (item.code, item.work_type)
        found.setdefault(_fold(item.name_zh), (item.code, item.work_type))
    return found


def _fold(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def resolve_occupation(cell: Cell) -> tuple[str, str | None]:
    """A code (4-10-01-05 or 16 digits) or an annex 2 name to (code, work type)."""
    raw = _fold(text_of(cell))
    if not raw:
        raise CellProblem("missing", "empty cell")
    if re.fullmatch(OCCUPATION_CODE_PATTERN, raw) or re.fullmatch(
        ABILITY_CODE_PATTERN, raw
    ):
        return raw, None
    found = _occupations().get(raw)
    if found is None:
        raise CellProblem(
            "occupation_unknown", f"{raw!r} is neither a code nor an annex 2 item"
        )
    return found


def draft_row(
    row: int, cells: list[Cell], columns: dict[str, int], *, kind: ImportKind
) -> RowDraft:
    """Clean a row's cells and build its draft events."""
    draft = RowDraft(row)

    def cell(name: str) -> Cell:
        position = columns.get(name)
        return (
            cells[position] if position is not None and position < len(cells) else None
        )

    def take(name: str, clean: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return clean(cell(name), *args, **kwargs)
        except CellProblem as problem:
            draft.problems.append(
                Note(name, written_of(cell(name)), problem.reason, problem.detail)
            )
            return None

    identity = take("id_number", clean_id_number)
    if identity is not None:
        draft.id_number, repaired = identity
        if repaired:
            draft.cleaned.append(
                Note("id_number", written_of(cell("id_number")), "cleaned", repaired)
            )
    draft.name = take("name", clean_name)
    raw_name = "" if cell("name") is None else str(cell("name"))
    if draft.name is not None and draft.name != raw_name:
        draft.name_as_written = raw_name
        draft.cleaned.append(Note("name", raw_name, "cleaned", f"as {draft.name}"))
    occupation = take("occupation", resolve_occupation)
    level = take("level", clean_level) if "level" in columns else None
    if kind is ImportKind.CERTIFICATE:
        facts = _certificate(draft, take, occupation, level)
    else:
        facts = _training(take, cell, occupation, level, "end_on" in columns)
    if not draft.problems and facts:
        draft.events = facts
    return draft


def _certificate(
    draft: RowDraft,
    take: Any,
    occupation: tuple[str, str | None] | None,
    level: int | None,
) -> list[dict[str, Any]]:
    number = take("certificate_no", _certificate_no)
    issued_on: dt.date | None = take("issued_on", clean_date)
    if occupation is None or number is None or issued_on is None:
        return []
    code, work_type = occupation
    special = re.fullmatch(ABILITY_CODE_PATTERN, code) is not None
    if not special and level is None:
        draft.problems.append(
            Note("level", "", "missing", "a skill-level certificate needs its level")
        )
        return []
    event: dict[str, Any] = {
        "kind": "certificate.issued",
        "ref": number,
        "certificate_type": "special_ability" if special else "skill_level",
        "occupation_code": code,
        "certificate_no": number,
        "issued_on": issued_on.isoformat(),
    }
    if work_type is not None:
        event["work_type"] = work_type
    if not special:
        event["skill_level"] = level
    return [event]


def _certificate_no(cell: Cell) -> str:
    number = re.sub(r"\s+", "", text_of(cell)).upper()
    if not number:
        raise CellProblem("missing", "empty cell")
    if not re.fullmatch(r"[A-Z0-9]{8,32}", number):
        raise CellProblem(
            "certificate_no_invalid", f"{number!r}: expected 8 to 32 letters or digits"
        )
    return number


def _training(
    take: Any,
    cell: Any,
    occupation: tuple[str, str | None] | None,
    level: int | None,
    has_end: bool,
) -> list[dict[str, Any]]:
    start_on: dt.date | None = take("start_on", clean_date)
    end_on: dt.date | None = None
    if has_end and text_of(cell("end_on")):
        end_on = take("end_on", clean_date)
    hours: int | None = take("hours", clean_int, low=1, high=2000)
    subsidised: bool | None = take("subsidised", clean_flag, default=True)
    passed: bool | None = take("passed", clean_flag, default=True)
    if occupation is None or start_on is None or hours is None:
        return []
    if subsidised is None or passed is None:
        return []
    if end_on is not None and end_on < start_on:
        take("end_on", _not_before, start_on)
        return []
    code, work_type = occupation
    class_no = text_of(cell("class_no"))
    course = text_of(cell("course")) or _course_name(code, work_type, level)
    seed = f"{code}|{work_type}|{level}|{start_on}|{class_no}|{course}"
    ref = f"TR-{start_on:%Y%m%d}-{hashlib.sha256(seed.encode()).hexdigest()[:10]}"
    common: dict[str, Any] = {"occupation_code": code}
    if work_type is not None:
        common["work_type"] = work_type
    if level is not None:
        common["target_level"] = level
    enrolled = {
        "kind": "training.enrolled",
        "ref": ref,
        **common,
        "course": course[:200],
        "start_on": start_on.isoformat(),
        "planned_hours": hours,
        "subsidised": subsidised,
    }
    if end_on is None:
        return [enrolled]
    completed = {
        "kind": "training.completed",
        "ref": f"{ref}-done",
        "enrolment_ref": ref,
        **common,
        "completed_on": end_on.isoformat(),
        "hours": hours,
        "passed": passed,
    }
    return [enrolled, completed]


def _not_before(cell: Cell, start_on: dt.date) -> None:
    raise CellProblem(
        "end_before_start", f"{clean_date(cell)} is before the start {start_on}"
    )


def _course_name(code: str, work_type: str | None, level: int | None) -> str:
    catalogue = load_catalogue()
    label = catalogue.display_name(code, work_type)
    return f"{label}（{catalogue.level_name(level)}）培训" if level else f"{label}培训"

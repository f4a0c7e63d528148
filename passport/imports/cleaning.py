"""Cleaning the cells of an institution's roster: ID numbers, dates, names, numbers.

Each cleaner takes the cell as the file held it (text, or a number or date
when an XLSX cell was typed) and returns the clean value or raises
``CellProblem`` with a reason code and a sentence for the report.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from schemas.identifiers import IdentifierError, id_check_char, normalize_id_number

Cell = str | int | float | dt.datetime | dt.date | None

# Excel day 0 is 1899-12-30 once its fictitious 1900-02-29 is accounted for.
_EXCEL_EPOCH = dt.date(1899, 12, 30)
_SERIALS = range(20000, 80000)  # 1954-10-03 … 2119-01-10: plausible roster dates
_SCIENTIFIC = re.compile(r"[0-9](\.[0-9]+)?E\+?[0-9]+")
_SPACES = re.compile(r"[\s\u3000]+")
# Middle dots people type between the parts of a name (少数民族, foreign names).
_DOTS = re.compile(r"[·•‧・･∙⋅．.]+")
_DATE_FORMS = (
    re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日?"),
    re.compile(r"(\d{4})[./\-](\d{1,2})[./\-](\d{1,2})"),
    re.compile(r"(\d{4})(\d{2})(\d{2})"),
)


class CellProblem(ValueError):
    """A cell that cannot be used, with a stable reason code."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


def written_of(cell: Cell) -> str:
    """The cell as the file wrote it, for the report (a whole float without .0)."""
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell)


def text_of(cell: Cell) -> str:
    """The cell as text, full-width characters folded and spaces trimmed."""
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    return unicodedata.normalize("NFKC", str(cell)).strip()


def clean_id_number(cell: Cell) -> tuple[str, str | None]:
    """The 18-character ID number and a note on what was repaired, or raise.

    1. A typed number cell has lost every digit after the 15th (Excel keeps
       15 significant digits), unless it is a 15-digit legacy number.
    2. Scientific notation (5.00102E+17) is what Excel shows of such a number.
    3. Full-width digits, spaces and a lowercase x are cleaned.
    4. 18 digits ending in zeros that fail the check lost their last digits.
    5. 17 digits that an X completes lost their X.
    6. A 15-digit number is upgraded (GB 11643, century 19).
    """
    if isinstance(cell, float | int) and not isinstance(cell, bool):
        digits = f"{int(cell)}"
        if len(digits) > 15:
            raise CellProblem(
                "id_number_as_number",
                "stored as a number, Excel kept only 15 significant digits; "
                "format the column as text and re-enter it",
            )
    raw = text_of(cell)
    if not raw:
        raise CellProblem("missing", "empty cell")
    if _SCIENTIFIC.fullmatch(raw.upper()):
        raise CellProblem(
            "id_number_scientific",
            "Excel scientific notation, the last digits are lost; "
            "format the column as text and re-enter it",
        )
    value = _SPACES.sub("", raw).upper()
    if re.fullmatch(r"[0-9]{15}[0]{3}", value) and id_check_char(value[:17]) != "0":
        raise CellProblem(
            "id_number_digits_lost",
            "ends in zeros where Excel dropped digits (beyond the 15th)",
        )
    if re.fullmatch(r"[0-9]{17}", value) and id_check_char(value) == "X":
        raise CellProblem("id_number_lost_x", "17 digits: the final X was lost")
    try:
        normalised = normalize_id_number(value)
    except IdentifierError as exc:
        raise CellProblem("id_number_invalid", str(exc)) from None
    if len(value) == 15:
        return normalised, "15-digit number upgraded to 18"
    written = "" if cell is None else str(cell)
    if value != written:
        return normalised, "cleaned spaces, full-width digits or a lowercase x"
    return normalised, None


def clean_date(cell: Cell) -> dt.date:
    """A date from a typed cell, an Excel serial or the ways people write one."""
    if isinstance(cell, dt.datetime):
        return cell.date()
    if isinstance(cell, dt.date):
        return cell
    raw = _SPACES.sub("", text_of(cell))
    if not raw:
        raise CellProblem("missing", "empty cell")
    if re.fullmatch(r"[0-9]{5}(\.0+)?", raw):
        serial = int(float(raw))
        if serial in _SERIALS:
            return _EXCEL_EPOCH + dt.timedelta(days=serial)
    for form in _DATE_FORMS:
        match = form.fullmatch(raw)
        if match is None:
            continue
        year, month, day = (int(part) for part in match.groups())
        try:
            return dt.date(year, month, day)
        except ValueError:
            raise CellProblem("date_invalid", f"{raw} is not a date") from None
    raise CellProblem(
        "date_unreadable",
        f"{raw!r}: expected a date like 2024-01-01, 2024年1月1日, 2024.1.1, "
        "2024/1/1, 20240101 or an Excel date",
    )


def clean_name(cell: Cell) -> str:
    """A name in NFC with spaces removed and one middle dot between its parts."""
    raw = unicodedata.normalize("NFC", "" if cell is None else str(cell))
    name = _SPACES.sub("", raw)
    if not name:
        raise CellProblem("missing", "empty cell")
    name = _DOTS.sub("·", name).strip("·")
    if not name:
        raise CellProblem("name_invalid", "only dots")
    return name


def clean_int(cell: Cell, *, low: int, high: int) -> int:
    """A whole number from low to high, written with or without a unit."""
    raw = text_of(cell)
    match = re.fullmatch(r"([0-9]+)(\.0+)?\s*(学时|小时|课时|h)?", raw)
    if match is None:
        raise CellProblem("number_invalid", f"{raw!r} is not a whole number")
    value = int(match.group(1))
    if not low <= value <= high:
        raise CellProblem("number_out_of_range", f"{value} is not from {low} to {high}")
    return value


_LEVELS = {
    "五级": 5,
    "初级": 5,
    "初级工": 5,
    "四级": 4,
    "中级": 4,
    "中级工": 4,
    "三级": 3,
    "高级": 3,
    "高级工": 3,
    "二级": 2,
    "技师": 2,
    "一级": 1,
    "高级技师": 1,
}


def clean_level(cell: Cell) -> int | None:
    """A national grade 1–5 from 三级, 高级工, 三级/高级工, 3 or 3级; None if blank."""
    raw = _SPACES.sub("", text_of(cell))
    if not raw or raw in ("-", "--", "无"):
        return None
    for part in re.split(r"[/／（）()]", raw):
        if part in _LEVELS:
            return _LEVELS[part]
        match = re.fullmatch(r"([1-5])级?", part)
        if match:
            return int(match.group(1))
    raise CellProblem("level_invalid", f"{raw!r} is not a skill level")


_YES = {"是", "否", "y", "n", "yes", "no", "1", "0", "true", "false", "合格", "不合格"}


def clean_flag(cell: Cell, *, default: bool) -> bool:
    """是/否, 合格/不合格, yes/no, 1/0; ``default`` when blank."""
    raw = text_of(cell).lower()
    if not raw:
        return default
    if raw not in _YES:
        raise CellProblem("flag_invalid", f"{raw!r}: expected 是 or 否")
    return raw in ("是", "y", "yes", "1", "true", "合格")

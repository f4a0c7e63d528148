"""Batch certificate checks as tables: CSV or XLSX in, the same kind out.

The input has a header row naming the two columns, in Chinese or English
(``证书编号``/``certificate_no`` and ``姓名``/``name``); other columns are
ignored. CSV may be UTF-8 (with or without BOM) or GB18030, as Excel saves
it in China. The result table repeats the two columns and adds the result
code, its words and the revocation date.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from typing import Literal

from openpyxl import Workbook, load_workbook

from passport.checks import CheckRequest, CheckResult, with_text
from passport.errors import ServiceError

TableKind = Literal["csv", "xlsx"]
MAX_ROWS = 10_000
"""The most rows one batch may hold."""
COLUMNS = {
    "certificate_no": ("证书编号", "certificate_no"),
    "name": ("姓名", "name"),
}
RESULT_HEADER = (
    "证书编号 certificate_no",
    "姓名 name",
    "核查结果 result",
    "说明 detail",
    "撤销日期 revoked_on",
)
XLSX_MAGIC = b"PK\x03\x04"


class TableError(ServiceError):
    """A batch table that cannot be read: says where and what."""


def kind_of(filename: str, data: bytes) -> TableKind:
    """The table kind, from the file's first bytes (XLSX is a ZIP file)."""
    if data.startswith(XLSX_MAGIC):
        return "xlsx"
    if filename.lower().endswith(".xlsx"):
        raise TableError(f"{filename}: not an XLSX file (no ZIP header)")
    return "csv"


def read_table(data: bytes, kind: TableKind) -> list[CheckRequest]:
    """The rows of a batch table; raise TableError naming the row or header."""
    rows = _xlsx_rows(data) if kind == "xlsx" else _csv_rows(data)
    try:
        header = next(rows)
    except StopIteration:
        raise TableError("table: empty, expected a header row") from None
    positions = _positions(header)
    requests: list[CheckRequest] = []
    blank = 0  # blank rows since the last filled one
    for number, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            blank += 1
            continue
        # a blank row between filled ones keeps its place (and is ``invalid``),
        # so result row n answers input row n; blank rows at the end are dropped
        requests.extend([CheckRequest(certificate_no="", name="")] * blank)
        blank = 0
        if len(requests) >= MAX_ROWS:
            raise TableError(f"table: more than {MAX_ROWS} rows; split it")
        cells = [row[i] if i < len(row) else "" for i in positions]
        if any("\n" in cell for cell in cells):
            raise TableError(f"row {number}: a cell holds a line break")
        requests.append(CheckRequest(certificate_no=cells[0], name=cells[1]))
    return requests


def _positions(header: Sequence[str]) -> list[int]:
    """Where the certificate number and name columns are in the header row."""
    words = [set(cell.strip().lower().split()) for cell in header]
    positions = []
    for column, accepted in COLUMNS.items():
        found = [i for i, cell in enumerate(words) if cell & set(accepted)]
        if len(found) != 1:
            raise TableError(
                f"header: expected one column named {' or '.join(accepted)} "
                f"for {column}, found {len(found)}"
            )
        positions.append(found[0])
    return positions


def _csv_rows(data: bytes) -> Iterator[list[str]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError as exc:
            raise TableError(
                f"csv: byte {exc.start} is neither UTF-8 nor GB18030"
            ) from None
    try:
        yield from csv.reader(io.StringIO(text, newline=""))
    except csv.Error as exc:
        raise TableError(f"csv: {exc}") from None


def _xlsx_rows(data: bytes) -> Iterator[list[str]]:
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise TableError(f"xlsx: cannot be opened ({type(exc).__name__})") from None
    try:
        sheet = book.worksheets[0]
        for row in sheet.iter_rows(values_only=True):
            yield ["" if value is None else str(value) for value in row]
    finally:
        book.close()


def write_table(results: Sequence[CheckResult], kind: TableKind) -> bytes:
    """The result table in the kind the batch came in."""
    rows = [RESULT_HEADER] + [_row(r) for r in results]
    if kind == "xlsx":
        book = Workbook(write_only=True)
        sheet = book.create_sheet("核查结果 results")
        for row in rows:
            sheet.append(list(row))
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()
    text = io.StringIO(newline="")
    writer = csv.writer(text)
    writer.writerows(rows)
    # a BOM, so that Excel opens the Chinese as UTF-8
    return text.getvalue().encode("utf-8-sig")


def _row(result: CheckResult) -> tuple[str, str, str, str, str]:
    worded = with_text(result)
    return (
        _cell(worded.certificate_no),
        _cell(worded.name),
        worded.result,
        worded.detail,
        worded.revoked_on or "",
    )


def _cell(value: str) -> str:
    """A cell that a spreadsheet will not run as a formula."""
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value

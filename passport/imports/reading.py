"""Reading a roster file: XLSX, or CSV in whatever encoding Excel saved it.

Encodings are told apart without guessing from statistics:

1. A byte-order mark names UTF-8 or UTF-16 (Excel's "Unicode text" is
   UTF-16 LE with a BOM, tab-separated).
2. UTF-16 without a BOM shows as NUL bytes beside each ASCII character.
3. Otherwise the bytes are tried as UTF-8, then GBK (what Chinese Excel
   writes as "CSV"), then GB18030 (its superset, for rare characters); the
   first that decodes wins. Chinese text in GBK is almost never valid UTF-8.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

from passport.imports.cleaning import Cell

_XLSX_MAGIC = b"PK\x03\x04"


class RosterError(ValueError):
    """A file that cannot be read as a roster at all."""


@dataclass(frozen=True)
class Roster:
    """The header and the data rows of a file, with the encoding it was read in."""

    header: list[str]
    rows: list[tuple[int, list[Cell]]]
    encoding: str


def read_roster(data: bytes) -> Roster:
    """Read an XLSX or CSV/TSV roster; raise RosterError saying why not."""
    if data.startswith(_XLSX_MAGIC):
        return _read_xlsx(data)
    encoding = detect_encoding(data)
    text = data.decode(encoding)
    return _read_text(text.removeprefix("\ufeff"), encoding)


def detect_encoding(data: bytes) -> str:
    """The encoding of a text file, by BOM, NUL pattern or trial decoding."""
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    sample = data[:4096]
    if 0 in sample:
        # text in UTF-8 or GBK never holds NUL; UTF-16 does after each ASCII
        # character (the tabs and line ends at least), odd bytes in LE
        odd = sample[1::2].count(0)
        return "utf-16-le" if odd >= sample[::2].count(0) else "utf-16-be"
    for encoding in ("utf-8", "gbk", "gb18030"):
        try:
            data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return encoding
    raise RosterError("file: neither UTF-8, UTF-16 nor GB18030 text, nor XLSX")


def _read_text(text: str, encoding: str) -> Roster:
    first = text.split("\n", 1)[0]
    delimiter = "\t" if first.count("\t") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    lines = _numbered(reader)
    try:
        _, header = next(lines)
    except StopIteration:
        raise RosterError("file: empty, no header row") from None
    rows: list[tuple[int, list[Cell]]] = [(n, list(row)) for n, row in lines]
    return Roster([str(h) for h in header], rows, encoding)


def _numbered(reader: Iterator[list[str]]) -> Iterator[tuple[int, list[str]]]:
    """Rows that hold anything, numbered as a spreadsheet shows them."""
    for number, row in enumerate(reader, start=1):
        if any(cell.strip() for cell in row):
            yield number, row


def _read_xlsx(data: bytes) -> Roster:
    # Imported here: openpyxl takes a while to load and CSV files need none of it.
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise RosterError(f"file: not a readable XLSX workbook ({exc})") from exc
    try:
        sheet = book.worksheets[0]
        rows: list[tuple[int, list[Cell]]] = []
        header: list[str] | None = None
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells: list[Cell] = [_cell(v) for v in values]
            if not any(c not in (None, "") for c in cells):
                continue
            if header is None:
                header = ["" if c is None else str(c) for c in cells]
            else:
                rows.append((number, cells))
    finally:
        book.close()
    if header is None:
        raise RosterError("file: the first sheet is empty, no header row")
    return Roster(header, rows, "xlsx")


def _cell(value: object) -> Cell:
    if value is None or isinstance(value, str | int | float):
        return value
    if isinstance(value, dt.datetime | dt.date):
        return value
    return str(value)

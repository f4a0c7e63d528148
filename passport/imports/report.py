"""The per-row report of an import, as CSV (UTF-8 with BOM, for Excel) or XLSX."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from passport.imports.importer import ImportPlan

HEADER = (
    "行 row",
    "状态 status",
    "列 column",
    "值 value",
    "原因 reason",
    "说明 detail",
)


def report_lines(plan: ImportPlan) -> list[tuple[str, ...]]:
    """One line per note of each row; a row without notes gets one line."""
    lines: list[tuple[str, ...]] = []
    for result in plan.rows:
        if not result.notes:
            lines.append((str(result.row), result.status, "", "", "", ""))
        for note in result.notes:
            column = "" if note.field == "row" else plan.column_of(note.field)
            lines.append(
                (
                    str(result.row),
                    result.status,
                    column,
                    note.value,
                    note.reason,
                    note.detail,
                )
            )
    return lines


def report_csv(plan: ImportPlan) -> str:
    """The report as CSV text."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(report_lines(plan))
    return buffer.getvalue()


def write_report(plan: ImportPlan, path: Path) -> None:
    """Write the report to ``path``: XLSX if it ends in .xlsx, else CSV."""
    if path.suffix.lower() != ".xlsx":
        path.write_text(report_csv(plan), encoding="utf-8-sig")
        return
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("导入报告 import report")
    sheet.append(list(HEADER))
    for line in report_lines(plan):
        sheet.append([int(line[0]), *line[1:]])
    book.save(path)

"""`skillpass report kpi`: the plan's KPIs for a year, as PDF or HTML, CSV or JSON."""

from __future__ import annotations

from contextlib import closing
from pathlib import Path
from typing import Annotated

import typer

from passport.cli.common import (
    DbOption,
    HomeOption,
    console,
    fail,
    open_service,
    usage_errors,
)

report_app = typer.Typer(help="Reports for the authority.", no_args_is_help=True)


@report_app.command("kpi")
def kpi(
    year: Annotated[int, typer.Option("--year", help="The plan year, e.g. 2026.")],
    out: Annotated[
        Path, typer.Option("--out", help="The report: .pdf or .html.")
    ] = Path("kpi.pdf"),
    data: Annotated[
        Path | None, typer.Option("--data", help="Also the figures: .csv or .json.")
    ] = None,
    definitions: Annotated[
        Path | None,
        typer.Option("--definitions", help="Counting definitions (TOML)."),
    ] = None,
    db: DbOption = None,
    home: HomeOption = None,
) -> None:
    """Count the year's KPIs from the ledger and write them against the targets."""
    from passport.reports.definitions import load_definitions
    from passport.reports.kpi import kpi_report
    from passport.reports.render import (
        shown,
        shown_target,
        to_csv,
        to_html,
        to_json,
        write_pdf,
    )

    if out.suffix.lower() not in (".pdf", ".html"):
        fail(f"--out: expected a .pdf or .html file, got {out}")
    if data is not None and data.suffix.lower() not in (".csv", ".json"):
        fail(f"--data: expected a .csv or .json file, got {data}")
    with usage_errors():
        chosen = load_definitions(definitions)
    with closing(open_service(db, home)) as service, usage_errors():
        report = kpi_report(service, year=year, definitions=chosen)
        if out.suffix.lower() == ".pdf":
            write_pdf(report, out)
        else:
            out.write_text(to_html(report), encoding="utf-8")
        if data is not None:
            text = to_json(report) if data.suffix.lower() == ".json" else to_csv(report)
            data.write_text(text, encoding="utf-8")
    for figure in report.figures:
        console.print(
            f"{figure.name_zh} {figure.name_en}: {shown(figure)} "
            f"(目标 target {shown_target(figure)}) — {figure.definition}"
        )
    console.print(f"written to {out}" + (f" and {data}" if data else ""))

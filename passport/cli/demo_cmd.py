"""`skillpass demo`: the whole product on the bundled programme data."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from passport.cli.common import DbOption, console, usage_errors

if TYPE_CHECKING:
    from passport.demo.run import DemoReport


def demo(
    out: Annotated[
        Path, typer.Option("--out", help="Directory for the demo's output.")
    ] = Path("demo-out"),
    workers: Annotated[int, typer.Option(help="How many workers to generate.")] = 2000,
    seed: Annotated[
        int, typer.Option(help="Seed of the deterministic generator.")
    ] = 2026,
    db: DbOption = None,
) -> None:
    """Sign a programme's records into the ledger, issue and verify passports."""
    if workers < 1:
        raise typer.BadParameter(
            f"expected at least 1, got {workers}", param_hint="--workers"
        )
    from passport.demo.run import run_demo

    with usage_errors():
        report = run_demo(out, workers=workers, seed=seed, db=db, console=console)
    _summary(report, out)
    if report.verified != len(report.passports) or report.tampered_refused != len(
        report.passports
    ):
        raise typer.Exit(1)


def _summary(report: DemoReport, out: Path) -> None:
    appended = sum(report.appended.values())
    kinds = ", ".join(f"{k} {v}" for k, v in sorted(report.appended.items()))
    console.rule("summary 小结")
    console.print(
        f"workers 人员 {report.workers}; entries 记录 {appended} ({kinds}); "
        f"already present 已存在 {report.duplicates}; "
        f"refused 拒绝 {sum(report.refused.values())}"
    )
    console.print(
        f"passports 护照 {len(report.passports)} in {out / 'passports'}; "
        f"verified 通过 {report.verified}; "
        f"tampered copies refused 篡改件被拒 {report.tampered_refused}"
    )
    timings = ", ".join(f"{name} {s:.1f} s" for name, s in report.timings.items())
    console.print(f"timings 用时: {timings}")

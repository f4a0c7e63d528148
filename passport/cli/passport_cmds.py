"""`skillpass passport issue` and `skillpass guidance`."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from passport.cli.common import (
    DbOption,
    HomeOption,
    console,
    fail,
    open_service,
    resolve_worker,
    usage_errors,
)
from passport.guidance import GuidanceError, describe, guidance_for
from passport.issuance import SECTIONS, PassportOptions, issue_passport
from passport.pdf import render_passport

passport_app = typer.Typer(help="Skills passports.", no_args_is_help=True)


@passport_app.command("issue")
def issue(
    worker: Annotated[
        str, typer.Argument(help="Worker id, or the worker's ID number.")
    ],
    out: Annotated[Path, typer.Option("--out", help="The PDF file to write.")],
    days: Annotated[int, typer.Option(help="Days until the passport expires.")] = 90,
    hide: Annotated[
        list[str] | None,
        typer.Option(help=f"A section to leave out: {', '.join(SECTIONS)}."),
    ] = None,
    db: DbOption = None,
    home: HomeOption = None,
) -> None:
    """Issue a passport PDF with its QR code for one worker."""
    hidden = set(hide or [])
    if hidden - set(SECTIONS):
        fail(f"--hide: unknown section {sorted(hidden - set(SECTIONS))[0]!r}")
    if not 1 <= days <= 3660:
        fail(f"--days: expected 1 to 3660, got {days}")
    service = open_service(db, home)
    worker_id = resolve_worker(service, worker)
    options = PassportOptions(sections=frozenset(SECTIONS) - hidden, valid_days=days)
    with usage_errors():
        view = issue_passport(service, worker_id, options=options)
        render_passport(view, out)
    console.print(
        f"passport {view.passport_id} ({view.verification_code}) written to {out}; "
        f"valid until {view.expires_at:%Y-%m-%d}",
        highlight=False,
    )


def guidance(
    worker: Annotated[
        str, typer.Argument(help="Worker id, or the worker's ID number.")
    ],
    as_of: Annotated[
        str | None, typer.Option(help="Date to judge on, YYYY-MM-DD (default today).")
    ] = None,
    db: DbOption = None,
    home: HomeOption = None,
) -> None:
    """Promotion guidance on the eight-level ladder for one worker."""
    try:
        day = dt.date.fromisoformat(as_of) if as_of else dt.date.today()
    except ValueError:
        fail(f"--as-of: {as_of!r} is not a date like 2026-12-31")
    service = open_service(db, home)
    archive = service.archive(resolve_worker(service, worker))
    try:
        lines = describe(guidance_for(archive, as_of=day))
    except GuidanceError as exc:
        fail(str(exc))
    for zh, en in lines:
        console.print(zh, highlight=False)
        console.print(f"  {en}", style="dim", highlight=False)

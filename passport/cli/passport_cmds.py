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
from schemas.passport import SECTIONS

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
    from passport.issuance import (
        PassportOptions,
        issue_passport,
    )

    unknown = set(hide or []) - set(SECTIONS)
    if unknown:
        fail(f"--hide: unknown section {sorted(unknown)[0]!r}")
    with usage_errors():
        options = PassportOptions(
            sections=frozenset(SECTIONS) - set(hide or []), valid_days=days
        )
    service = open_service(db, home)
    worker_id = resolve_worker(service, worker)
    with usage_errors():
        view = issue_passport(service, worker_id, out=out, options=options)
    console.print(
        f"passport {view.passport_id} ({view.verification_code}) written to {out}; "
        f"valid until {view.expires_at:%Y-%m-%d}"
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
        console.print(zh)
        console.print(f"  {en}", style="dim")

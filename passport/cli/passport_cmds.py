"""`skillpass passport issue` and `skillpass guidance`."""

from __future__ import annotations

import datetime as dt
import json
from contextlib import closing
from pathlib import Path
from typing import Annotated

import typer

from passport.cli.common import (
    NEGATIVE,
    OK,
    DbOption,
    HomeOption,
    console,
    fail,
    open_service,
    resolve_worker,
    usage_errors,
)
from passport.guidance import GuidanceError, describe_worker
from schemas.passport import DEFAULT_SECTIONS, SECTIONS

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
    guidance: Annotated[
        bool,
        typer.Option(
            "--guidance", help="Add the promotion guidance section (晋升指引)."
        ),
    ] = False,
    show: Annotated[
        list[str] | None,
        typer.Option(help="Show only this section (repeat for several)."),
    ] = None,
    lang: Annotated[
        str, typer.Option(help="Printed first: zh or en; the other stands beside.")
    ] = "zh",
    db: DbOption = None,
    home: HomeOption = None,
) -> None:
    """Issue a passport PDF with its QR code for one worker.

    Insurance is shown only as months insured, never amounts or accounts.
    """
    from passport.issuance import (
        PassportOptions,
        issue_passport,
    )

    for option, chosen in (("--hide", hide), ("--show", show)):
        unknown = set(chosen or []) - set(SECTIONS)
        if unknown:
            fail(f"{option}: unknown section {sorted(unknown)[0]!r}")
    if hide and show:
        fail("--hide and --show: give one or the other")
    if guidance and "guidance" in (hide or []):
        fail("--guidance: the guidance section is also hidden with --hide")
    shown = set(show or DEFAULT_SECTIONS) | ({"guidance"} if guidance else set())
    with usage_errors():
        options = PassportOptions(
            sections=frozenset(shown - set(hide or [])), valid_days=days, language=lang
        )
    with closing(open_service(db, home)) as service:
        worker_id = resolve_worker(service, worker)
        with usage_errors():
            view = issue_passport(service, worker_id, out=out, options=options)
    console.print(
        f"passport {view.passport_id} ({view.verification_code}) written to {out}; "
        f"valid until {view.expires_at:%Y-%m-%d}"
    )


@passport_app.command("lookup")
def lookup(
    code: Annotated[
        str,
        typer.Argument(help="The 核验码 printed under the QR, e.g. T5LK-DVSJ-SMVE-2."),
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    db: DbOption = None,
    home: HomeOption = None,
) -> None:
    """Check a passport by its verification code online: exit 0 if valid, 1 if not.

    The answer is the one its QR gets online, from the service's records.
    """
    from passport.cli.verify_cmd import print_verdict
    from passport.verification import lookup_passport

    now = dt.datetime.now(dt.UTC)
    with closing(open_service(db, home)) as service, usage_errors():
        verdict = lookup_passport(service, code, now=now, verifier="command line")
    if as_json:
        console.print_json(json.dumps(verdict.to_json(now=now), ensure_ascii=False))
    else:
        print_verdict(verdict, now)
    raise typer.Exit(OK if verdict.valid else NEGATIVE)


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
    """Promotion and evaluation guidance on the eight-level ladder for one worker."""
    day = _day(as_of)
    with closing(open_service(db, home)) as service:
        worker_id = resolve_worker(service, worker)
        with usage_errors():
            service.identity(worker_id)
        archive = service.archive(worker_id)
        try:
            lines = describe_worker(archive, as_of=day, trust_list=service.trust_list())
        except GuidanceError as exc:
            fail(str(exc))
    for zh, en in lines:
        console.print(zh)
        console.print(f"  {en}", style="dim")


def guidance_push(
    month: Annotated[
        str, typer.Option("--month", help="The month, YYYY-MM, e.g. 2026-12.")
    ],
    out: Annotated[Path, typer.Option("--out", help="The CSV file to write.")],
    db: DbOption = None,
    home: HomeOption = None,
) -> None:
    """The push list (等级晋升指引): workers newly eligible in a month, as CSV."""
    from passport.guidance.push import month_bounds, push_list, write_csv

    try:
        month_bounds(month)
    except GuidanceError as exc:
        fail(f"--{exc}")
    with closing(open_service(db, home)) as service, usage_errors():
        rows = push_list(service, month)
        with out.open("w", encoding="utf-8", newline="") as file:
            count = write_csv(rows, file)
    console.print(
        f"{count} 人次 worker-occupations newly eligible in {month} written to {out}"
    )


def _day(as_of: str | None) -> dt.date:
    try:
        return dt.date.fromisoformat(as_of) if as_of else dt.date.today()
    except ValueError:
        fail(f"--as-of: {as_of!r} is not a date like 2026-12-31")

"""`skillpass review list|resolve`: the authority's queue of risk flags."""

from __future__ import annotations

import json
from contextlib import closing
from typing import Annotated, Literal

import typer

from passport.cli.common import (
    DbOption,
    HomeOption,
    console,
    open_service,
    usage_errors,
)

review_app = typer.Typer(
    help="Risk flags raised at append, for the authority to review.",
    no_args_is_help=True,
)


@review_app.command("list")
def list_command(
    all_flags: Annotated[
        bool, typer.Option("--all", help="Also the flags already decided.")
    ] = False,
    rule: Annotated[str | None, typer.Option("--rule", help="Only this rule.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON Lines.")] = False,
    db: DbOption = None,
    home: HomeOption = None,
) -> None:
    """List the open flags (or all), oldest first."""
    from passport.review import list_flags

    with closing(open_service(db, home)) as service:
        flags = list_flags(service, include_resolved=all_flags, rule=rule)
    for flag in flags:
        if as_json:
            print(
                json.dumps(
                    {
                        **flag.__dict__,
                        "flagged_at": f"{flag.flagged_at:%Y-%m-%dT%H:%M:%SZ}",
                    },
                    ensure_ascii=False,
                )
            )
            continue
        state = flag.decision or "待核查 open"
        console.print(
            f"#{flag.flag_id} [{flag.rule}] entry {flag.log_index} by "
            f"{flag.issuer_id}: {flag.detail} ({state})"
        )
    if not as_json:
        console.print(f"{len(flags)} 条 flag(s)")


@review_app.command("resolve")
def resolve_command(
    flag_id: Annotated[int, typer.Argument(help="The flag's number.")],
    decision: Annotated[
        Literal["confirmed", "dismissed"],
        typer.Option("--decision", help="confirmed (act on it) or dismissed."),
    ],
    note: Annotated[str, typer.Option("--note", help="Why, for the record.")],
    reviewer: Annotated[str, typer.Option("--by", help="Who decides.")],
    db: DbOption = None,
    home: HomeOption = None,
) -> None:
    """Record a decision on a flag; the ledger is not touched."""
    from passport.review import resolve_flag
    from passport.service import utc_now_seconds

    with closing(open_service(db, home)) as service, usage_errors():
        resolve_flag(
            service,
            flag_id,
            decision=decision,
            note=note,
            reviewer=reviewer,
            now=utc_now_seconds(),
        )
    console.print(f"#{flag_id}: {decision}")

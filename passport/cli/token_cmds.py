"""`skillpass token …`: the authority issues and revokes the API's bearer tokens."""

from __future__ import annotations

import datetime as dt
from contextlib import closing
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
from schemas.api import Role

token_app = typer.Typer(
    help="Bearer tokens of the API, one per principal.", no_args_is_help=True
)


@token_app.command("issue")
def issue(
    role: Annotated[Role, typer.Option(help="Whom the token speaks for.")],
    name: Annotated[
        str | None,
        typer.Option(help="Who holds it (a verifier's name is recorded as such)."),
    ] = None,
    worker: Annotated[
        str | None,
        typer.Option(help="For --role worker: the worker id or ID number."),
    ] = None,
    issuer: Annotated[
        str | None, typer.Option(help="For --role issuer: the issuer id.")
    ] = None,
    db: DbOption = None,
    home: HomeOption = None,
) -> None:
    """Issue a token and print it once; only its hash is kept."""
    from passport.tokens import issue_token

    if worker is not None and issuer is not None:
        fail("token: give --worker or --issuer, not both")
    with closing(open_service(db, home)) as service, usage_errors():
        subject = resolve_worker(service, worker) if worker is not None else issuer
        principal, token = issue_token(
            service,
            role=role,
            subject=subject,
            name=name or subject or role.value,
            now=dt.datetime.now(dt.UTC),
        )
    note = (
        f"issued {principal.role} token {principal.token_id}"
        + (f" for {principal.subject}" if principal.subject else "")
        + "; it is shown only now"
    )
    console.print(token)
    typer.echo(note, err=True)


@token_app.command("list")
def list_tokens(db: DbOption = None, home: HomeOption = None) -> None:
    """Every token: id, role, subject, name, issued and revoked times."""
    from passport.tokens import list_tokens as rows

    with closing(open_service(db, home)) as service:
        found = rows(service)
    for row in found:
        revoked = f" revoked {row.revoked_at:%Y-%m-%dT%H:%M}" if row.revoked_at else ""
        console.print(
            f"{row.token_id} {row.role} {row.subject or '-'} {row.name} "
            f"issued {row.issued_at:%Y-%m-%dT%H:%M}{revoked}"
        )


@token_app.command("revoke")
def revoke(
    token_id: Annotated[str, typer.Argument(help="The token's 16-hex-digit id.")],
    db: DbOption = None,
    home: HomeOption = None,
) -> None:
    """Revoke a token; the API refuses it from the next request on."""
    from passport.tokens import revoke_token

    with closing(open_service(db, home)) as service, usage_errors():
        revoke_token(service, token_id, now=dt.datetime.now(dt.UTC))
    console.print(f"revoked token {token_id}")

"""`skillpass worker erase` and `worker link`: personal data, the worker's view."""

from __future__ import annotations

from contextlib import closing
from typing import Annotated

import typer

from passport.cli.common import (
    DbOption,
    HomeOption,
    console,
    open_service,
    resolve_worker,
    usage_errors,
)
from passport.verdict import STATUS_TEXT

worker_app = typer.Typer(help="Workers and their personal data.", no_args_is_help=True)


@worker_app.command("erase")
def erase(
    worker: Annotated[
        str, typer.Argument(help="Worker id, or the worker's ID number.")
    ],
    reason: Annotated[
        str, typer.Option("--reason", help="Why, e.g. the request's file number.")
    ],
    db: DbOption = None,
    home: HomeOption = None,
) -> None:
    """Erase a worker's name and ID number; the log and its proofs stay valid.

    Irreversible. Issued passports then verify as "holder data erased", and
    the ID number cannot be registered again. An unknown or already erased
    worker is a usage error (exit 2), the earlier erasure's time and reason shown.
    """
    from passport.erasure import erase_worker
    from passport.service import utc_now_seconds

    with closing(open_service(db, home)) as service, usage_errors():
        worker_id = resolve_worker(service, worker)
        erasure = erase_worker(service, worker_id, now=utc_now_seconds(), reason=reason)
    zh, en = STATUS_TEXT["holder_erased"]
    console.print(
        f"已删除 erased: worker {worker_id} at {erasure.erased_at:%Y-%m-%dT%H:%M:%SZ}; "
        f"已签发护照 {erasure.passports} 本，核验结果为「{zh}」 "
        f"{erasure.passports} issued passport(s) now verify as {en!r}"
    )


@worker_app.command("link")
def link(
    worker: Annotated[
        str, typer.Argument(help="Worker id, or the worker's ID number.")
    ],
    days: Annotated[int, typer.Option(help="Days until the link expires.")] = 7,
    db: DbOption = None,
    home: HomeOption = None,
) -> None:
    """Print a link to the worker's own view: archive, passports, who checked.

    Give it to the worker only: whoever holds the link sees the archive.
    """
    from passport.service import utc_now_seconds
    from passport.worker_links import create_link, link_url

    with closing(open_service(db, home)) as service, usage_errors():
        worker_id = resolve_worker(service, worker)
        token, expires_at = create_link(
            service, worker_id, days=days, now=utc_now_seconds()
        )
        url = link_url(service, token)
    console.print(url)
    console.print(f"有效期至 valid until {expires_at:%Y-%m-%dT%H:%M:%SZ}")

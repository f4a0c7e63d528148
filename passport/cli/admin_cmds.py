"""`skillpass init`, `skillpass audit` and `skillpass serve`."""

from __future__ import annotations

from contextlib import closing
from pathlib import Path
from typing import Annotated

import typer

from ledger.errors import AuditFailure, MalformedNote
from ledger.note import parse_note
from passport.cli.common import (
    NEGATIVE,
    DbOption,
    HomeOption,
    console,
    fail,
    open_service,
    usage_errors,
)


def init(db: DbOption = None, home: HomeOption = None) -> None:
    """Create the database schema and the service keys (once)."""
    with closing(open_service(db, home, create_keys=True)) as service:
        version = service.trust_list().version
        url = service.engine.url.render_as_string(hide_password=True)
        keys_dir = service.settings.keys_dir
    console.print(f"ready: database {url}, keys in {keys_dir}, trust list v{version}")


def audit(
    checkpoint: Annotated[
        list[Path] | None,
        typer.Option(help="A signed checkpoint kept elsewhere (repeatable)."),
    ] = None,
    db: DbOption = None,
    home: HomeOption = None,
) -> None:
    """Re-verify every signature, chain and the tree; exit 1 at the first fault.

    Then list the entries signed by a key compromised before they were logged.
    """
    from passport.issuer_admin import compromised_entries

    witnessed = [_read_checkpoint(path) for path in checkpoint or []]
    with closing(open_service(db, home)) as service:
        try:
            report = service.audit(witnessed)
        except AuditFailure as exc:
            fail(f"audit failed at {exc}", NEGATIVE)
        flagged = compromised_entries(service)
    console.print(
        f"audit passed: {report.tree_size} entries, {report.workers} workers, "
        f"{report.checkpoints} signed checkpoints"
    )
    if flagged:
        console.print(
            f"签发密钥已泄露 signed by a compromised key: {len(flagged)} entries"
        )
    for log_index, why in flagged:
        console.print(f"  entry {log_index}: {why}")


def _read_checkpoint(path: Path) -> str:
    """A ``--checkpoint`` file's note; an unreadable or garbled one is a usage error."""
    with usage_errors():
        data = path.read_bytes()
    try:
        parse_note(data)
    except MalformedNote as exc:
        fail(f"--checkpoint {path}: not a signed checkpoint: {exc}")
    return data.decode("utf-8")


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    db: DbOption = None,
    home: HomeOption = None,
) -> None:
    """Run the HTTP API and the verification page."""
    import uvicorn

    from passport.web.app import create_app
    from passport.web.logs import log_config

    with closing(open_service(db, home)) as service:
        uvicorn.run(create_app(service), host=host, port=port, log_config=log_config())

"""`skillpass init`, `skillpass audit` and `skillpass serve`."""

from __future__ import annotations

from typing import Annotated

import typer

from ledger.errors import AuditFailure
from passport.cli.common import (
    NEGATIVE,
    DbOption,
    HomeOption,
    console,
    fail,
    open_service,
)


def init(db: DbOption = None, home: HomeOption = None) -> None:
    """Create the database schema and the service keys (once)."""
    service = open_service(db, home, create_keys=True)
    version = service.signed_trust_list().trust_list.version
    console.print(
        f"ready: database {service.engine.url.render_as_string(hide_password=True)}, "
        f"keys in {service.settings.keys_dir}, trust list v{version}"
    )


def audit(db: DbOption = None, home: HomeOption = None) -> None:
    """Re-verify every signature, chain and the tree; exit 1 at the first fault."""
    service = open_service(db, home)
    try:
        report = service.audit()
    except AuditFailure as exc:
        fail(f"audit failed at {exc}", NEGATIVE)
    console.print(
        f"audit passed: {report.tree_size} entries, {report.workers} workers, "
        f"{report.checkpoints} signed checkpoints"
    )


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    db: DbOption = None,
    home: HomeOption = None,
) -> None:
    """Run the HTTP API and the verification page."""
    import uvicorn

    from passport.web.app import create_app

    service = open_service(db, home)
    uvicorn.run(create_app(service), host=host, port=port)

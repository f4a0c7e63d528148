"""What every command shares: options, opening the service, errors to exit codes.

Exit codes: 0 success or valid, 1 a negative answer (invalid, tampered),
2 a usage error (bad arguments, missing keys or files).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.console import Console

from issuers.errors import IssuerError
from ledger.errors import LedgerError
from passport.config import Settings, SettingsError
from passport.errors import ServiceError
from schemas.identifiers import IdentifierError

if TYPE_CHECKING:
    from passport.service import Service

OK, NEGATIVE, USAGE = 0, 1, 2


def discard_output(stream: IO[str]) -> None:
    """Send the rest of ``stream``'s output nowhere: its reader has gone."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, stream.fileno())
    os.close(devnull)


class _Console(Console):
    """A console that outlives its reader (``skillpass verify … | head -1``)."""

    def on_broken_pipe(self) -> None:
        """Print nothing more but carry on, so the exit code is still the answer."""
        self.quiet = True
        discard_output(self.file)


# Printed text holds names, file paths, QR content and DIDs (did:key:…): never
# read as markup or as emoji codes.
console = _Console(markup=False, highlight=False, emoji=False)
errors = _Console(
    stderr=True, markup=False, highlight=False, emoji=False, soft_wrap=True
)

DbOption = Annotated[
    str | None,
    typer.Option("--db", help="Database URL (default: SKILLPASS_DB, else SQLite)."),
]
HomeOption = Annotated[
    Path | None,
    typer.Option("--home", help="Data and key directory (default: SKILLPASS_HOME)."),
]


def fail(message: str, code: int = USAGE) -> NoReturn:
    """Print an error and leave with ``code``."""
    errors.print(f"error: {message}", style="red")
    raise typer.Exit(code)


@contextmanager
def usage_errors() -> Iterator[None]:
    """Turn the domain's refusals into a clear message and exit code 2."""
    try:
        yield
    except (
        ServiceError,
        SettingsError,
        IssuerError,
        IdentifierError,
        LedgerError,
    ) as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"{exc.filename}: {exc.strerror}")


def open_service(
    db: str | None, home: Path | None, *, create_keys: bool = False
) -> Service:
    """The service on the chosen database, keys loaded (or created if asked)."""
    # Imported here: the database layer is not needed by `skillpass verify`,
    # which an employer runs offline and should start at once.
    from passport.service import Service

    with usage_errors():
        return Service.open(Settings.load(db=db, home=home), create_keys=create_keys)


def resolve_worker(service: Service, worker: str) -> str:
    """Accept a pseudonymous worker id, or an ID number to derive it from."""
    from passport.workers import worker_id_for

    if len(worker) == 32 and all(c in "0123456789abcdef" for c in worker):
        return worker
    with usage_errors():
        return worker_id_for(worker, service.keys.pseudonym)


def configure_logging(verbose: bool) -> None:
    """Warnings by default, everything with ``--verbose``."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )

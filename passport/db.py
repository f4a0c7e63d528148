"""Opening the database and bringing its schema to the newest migration."""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DatabaseError, OperationalError

from ledger.store.engine import make_engine
from passport.errors import ServiceError

logger = logging.getLogger(__name__)


def alembic_config() -> Config:
    """Alembic's configuration for the migrations shipped in this package."""
    config = Config()
    config.set_main_option("script_location", "passport:migrations")
    return config


def migrate(engine: Engine) -> None:
    """Upgrade the schema to the newest revision (a no-op when it is current)."""
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    logger.debug("schema at head on %s", engine.dialect.name)


IN_MEMORY = (None, "", ":memory:")
URL_FORMS = "sqlite:///PATH or postgresql://USER@HOST/DB"


def parse_database_url(url: str) -> URL:
    """The parsed ``--db`` or ``SKILLPASS_DB`` URL; or a ServiceError saying why."""
    try:
        return make_url(url)
    except ArgumentError:
        # not echoed: a mistyped URL may still hold a password
        raise ServiceError(
            f"database URL: not a URL (--db or SKILLPASS_DB); expected {URL_FORMS}"
        ) from None


def prepare_home(home: Path, url: str, *, create: bool) -> None:
    """Create the home and a SQLite file's folder for ``init``, else require them."""
    parsed = parse_database_url(url)
    folders = [("home", home)]
    if parsed.get_backend_name() == "sqlite" and parsed.database not in IN_MEMORY:
        folders.append(("database", Path(parsed.database).parent))
    for what, folder in folders:
        if folder.is_dir():
            continue
        if folder.exists():
            raise ServiceError(f"{what}: {folder} is not a directory")
        if not create:
            raise ServiceError(
                f"{what}: {folder} does not exist; create it with `skillpass init`"
            )
        folder.mkdir(parents=True)
        logger.info("created %s", folder)


def open_database(url: str) -> Engine:
    """An engine for ``url`` whose schema is current; or a ServiceError saying why."""
    parsed = parse_database_url(url)
    shown = parsed.render_as_string(hide_password=True)
    try:
        engine = make_engine(url)
    except ArgumentError:
        raise ServiceError(
            f"database URL: {shown}: no database driver named "
            f"{parsed.drivername!r}; expected {URL_FORMS}"
        ) from None
    try:
        migrate(engine)
    except DatabaseError as exc:
        engine.dispose()
        # only "cannot open": a fault inside a database that opened is not hidden
        if not isinstance(exc, OperationalError) and type(exc) is not DatabaseError:
            raise
        logger.debug("cannot open %s: %s", shown, exc.orig)
        sqlite = engine.dialect.name == "sqlite"
        why = (
            "the file cannot be opened or is not a SQLite database"
            if sqlite
            else "the server cannot be reached or refused the login"
        )
        raise ServiceError(f"database: cannot open {shown}: {why}") from None
    return engine

"""Database engines: SQLite (WAL) as the embedded default, PostgreSQL for a city.

Writers to the log are serialised: on SQLite by ``BEGIN IMMEDIATE`` (the
database write lock, taken up front), on PostgreSQL by a transaction-scoped
advisory lock. Readers never wait for writers.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from ledger.errors import LogBusy

logger = logging.getLogger(__name__)

# Any constant works; it names the lock that serialises appends on PostgreSQL.
PG_APPEND_LOCK = 0x534B494C4C50

BUSY_TIMEOUT_S = 10.0
"""How long a writer waits for the log's lock before giving up with LogBusy."""


def database_url(url: str) -> str:
    """Normalise a URL: plain ``postgresql://`` uses psycopg 3."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def make_engine(
    url: str, *, busy_timeout_s: float = BUSY_TIMEOUT_S, **kwargs: Any
) -> Engine:
    """An engine for ``url`` with the settings the ledger relies on."""
    url = database_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": busy_timeout_s}, **kwargs)
        event.listen(
            engine, "connect", functools.partial(_sqlite_connect, busy_timeout_s)
        )
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    engine = create_engine(url, pool_pre_ping=True, **kwargs)
    return engine.execution_options(busy_timeout_s=busy_timeout_s)


def _sqlite_connect(busy_timeout_s: float, dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event issue BEGIN itself, so that writers can
    # ask for BEGIN IMMEDIATE instead of pysqlite's deferred BEGIN.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_s * 1000)}")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
    connection.exec_driver_sql(f"BEGIN {mode}")


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction that holds the log's single-writer lock until it ends.

    Raises LogBusy when another writer keeps the lock past the busy timeout.
    """
    sqlite = engine.dialect.name == "sqlite"
    options = {"sqlite_begin": "IMMEDIATE"} if sqlite else {}
    try:
        with (
            engine.connect().execution_options(**options) as connection,
            connection.begin(),
        ):
            if not sqlite:
                timeout_s = connection.get_execution_options()["busy_timeout_s"]
                connection.execute(
                    text(f"SET LOCAL lock_timeout = '{int(timeout_s * 1000)}ms'")
                )
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"),
                    {"key": PG_APPEND_LOCK},
                )
            yield connection
    except OperationalError as exc:
        if is_busy(exc):
            logger.debug("log busy: %s", exc.orig)
            raise LogBusy("log: another writer holds the lock; retry") from exc
        raise


def is_busy(exc: OperationalError) -> bool:
    """Whether a database error means "another writer holds the lock; retry"."""
    message = str(exc.orig)
    return "database is locked" in message or "lock timeout" in message

"""Alembic environment: runs on the connection that ``passport.db`` hands over."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

import issuers.tables  # noqa: F401  (registers the tables on the shared metadata)
import ledger.store.tables  # noqa: F401
import passport.tables  # noqa: F401
from ledger.store.base import Base
from ledger.store.engine import make_engine

config = context.config
target_metadata = Base.metadata


def run_migrations() -> None:
    """Migrate the given connection, or one opened from the configured URL."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.begin() as opened:
        _run(opened)


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()

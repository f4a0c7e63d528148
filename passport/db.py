"""Opening the database and bringing its schema to the newest migration."""

from __future__ import annotations

import logging

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

from ledger.store.engine import make_engine

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


def open_database(url: str) -> Engine:
    """An engine for ``url`` whose schema is current."""
    engine = make_engine(url)
    migrate(engine)
    return engine

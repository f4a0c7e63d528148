"""Fixtures: a fresh database per test on each engine, real files and servers.

PostgreSQL tests run against ``SKILLPASS_TEST_PG`` (a URL); each test gets a
schema of its own, dropped afterwards. Without the variable they are skipped;
CI sets it and fails when the server is unreachable.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from ledger.store.engine import database_url, make_engine
from passport.db import migrate

PG_URL = os.environ.get("SKILLPASS_TEST_PG")


def _postgres_engine(schema: str) -> Engine:
    assert PG_URL is not None
    return make_engine(PG_URL, connect_args={"options": f"-csearch_path={schema}"})


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url_and_engine(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[str, Engine]]:
    """A migrated, empty database on each engine."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'skillpass.db'}"
        engine = make_engine(url)
        migrate(engine)
        yield url, engine
        engine.dispose()
        return
    if not PG_URL:
        pytest.skip("SKILLPASS_TEST_PG is not set")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(database_url(PG_URL))
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    engine = _postgres_engine(schema)
    migrate(engine)
    url = PG_URL + ("&" if "?" in PG_URL else "?") + f"options=-csearch_path%3D{schema}"
    yield url, engine
    engine.dispose()
    with admin.begin() as connection:
        connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


@pytest.fixture
def engine(db_url_and_engine: tuple[str, Engine]) -> Engine:
    """A migrated, empty database on each engine."""
    return db_url_and_engine[1]

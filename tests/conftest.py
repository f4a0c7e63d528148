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
from passport.config import Settings
from passport.db import migrate
from passport.service import Service
from passport.tokens import Role, issue_token
from tests import kit

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
        if os.environ.get("SKILLPASS_REQUIRE_PG"):
            pytest.fail("SKILLPASS_REQUIRE_PG is set but SKILLPASS_TEST_PG is not")
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


PASSPHRASE = "test-passphrase"


@pytest.fixture
def passphrase(monkeypatch: pytest.MonkeyPatch) -> str:
    """The key passphrase, set in the environment as the service expects."""
    monkeypatch.setenv("SKILLPASS_KEY_PASSPHRASE", PASSPHRASE)
    return PASSPHRASE


ID_NUMBER = "11010519491231002X"


@pytest.fixture
def service(
    db_url_and_engine: tuple[str, Engine], tmp_path: Path, passphrase: str
) -> Iterator[Service]:
    url, _ = db_url_and_engine
    service = Service.open(Settings.load(db=url, home=tmp_path), create_keys=True)
    yield service
    service.close()


@pytest.fixture
def issuers(service: Service) -> dict[str, kit.Issuer]:
    issuers = kit.standard_issuers()
    kit.register_issuers(service, issuers)
    return issuers


@pytest.fixture
def worker(service: Service, issuers: dict[str, kit.Issuer]) -> str:
    [worker_id] = service.register_workers([(ID_NUMBER.lower(), " 吉𠮷 ")])
    train, evaluator = issuers["train"], issuers["eval"]
    outcomes = service.submit(
        [
            train.sign(kit.enrolment(worker_id, "train-001", "T-1")),
            train.sign(kit.completion(worker_id, "train-001", "T-1-done", "T-1")),
            evaluator.sign(kit.certificate(worker_id, "eval-001", "C-1")),
            evaluator.sign(kit.certificate(worker_id, "eval-001", "C-2", level=4)),
        ]
    )
    assert all(o.entry for o in outcomes)
    return worker_id


@pytest.fixture
def authority_token(service: Service) -> str:
    """A bearer token of the authority, which may call every endpoint."""
    _, token = issue_token(
        service, role=Role.AUTHORITY, subject=None, name="测试人社局", now=kit.EPOCH
    )
    return token

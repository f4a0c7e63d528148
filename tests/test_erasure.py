"""Erasing a worker's personal data on both engines: the log and its proofs survive.

The ``worker`` fixture registers 吉𠮷 with ID number 11010519491231002X (given
in lowercase) and appends four entries about them.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, inspect, select, table, text
from typer.testing import CliRunner

from ledger import merkle
from ledger.checkpoint import open_checkpoint
from ledger.entry import as_utc
from ledger.log import utc_now
from ledger.store.tables import CheckpointRow, EntryRow, TreeNodeRow
from passport.cli.main import app as cli
from passport.erasure import AlreadyErased, erase_worker
from passport.issuance import issue_passport
from passport.service import Service, ServiceError
from passport.verdict import STATUS_TEXT
from passport.verification import verify_online
from passport.web.app import create_app
from passport.workers import IdentityConflict
from tests import kit
from tests.conftest import ID_NUMBER

NAME = "吉𠮷"
PERSONAL = (NAME, ID_NUMBER, ID_NUMBER.lower())
WIDE = {"COLUMNS": "200"}
REASON = "本人申请删除 request of the person, file 2026-017"
EARLIER = dt.datetime(2026, 11, 30, 8, 15, tzinfo=dt.UTC)


@pytest.fixture
def passport_qr(service: Service, worker: str) -> str:
    """The QR text of a passport issued to the worker before any erasure."""
    return issue_passport(service, worker, out=io.BytesIO()).qr_text


def _erase(service: Service, worker_id: str) -> None:
    erase_worker(service, worker_id, now=utc_now(), reason=REASON)


def _log_state(engine: Engine) -> list[list[tuple[Any, ...]]]:
    """Every row of the log's three tables, in a fixed order."""
    with engine.connect() as connection:
        return [
            [tuple(row) for row in connection.execute(select(t).order_by(*order))]
            for t, order in (
                (EntryRow, [EntryRow.log_index]),
                (TreeNodeRow, [TreeNodeRow.level, TreeNodeRow.node_index]),
                (CheckpointRow, [CheckpointRow.tree_size]),
            )
        ]


def _mentions(engine: Engine) -> set[tuple[str, str]]:
    """(table, value) for each personal value found anywhere in the database."""
    found = set()
    with engine.connect() as connection:
        for name in inspect(connection).get_table_names():
            for row in connection.execute(select(text("*")).select_from(table(name))):
                for value in row:
                    as_text = _as_text(value)
                    found |= {(name, p) for p in PERSONAL if p in as_text}
    return found


def _as_text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def test_erasure_keeps_every_hash_checkpoint_and_proof(
    service: Service, worker: str, passport_qr: str
) -> None:
    before, note = _log_state(service.engine), service.log.checkpoint()
    checkpoint = open_checkpoint(note, [service.keys.log.verifier])

    _erase(service, worker)

    assert _log_state(service.engine) == before
    assert service.log.checkpoint() == note
    assert service.audit().tree_size == checkpoint.tree_size == 4
    entries = service.log.worker_entries(worker)
    assert len(entries) == 4
    for entry in entries:
        proof = service.log.inclusion_proof(entry.log_index, checkpoint.tree_size)
        merkle.verify_inclusion(
            entry.leaf_hash,
            entry.log_index,
            checkpoint.tree_size,
            proof,
            checkpoint.root_hash,
        )


def test_issued_passport_verifies_as_holder_erased(
    service: Service, worker: str, passport_qr: str
) -> None:
    assert verify_online(service, passport_qr, now=utc_now()).status == "valid"

    _erase(service, worker)

    verdict = verify_online(service, passport_qr, now=utc_now())
    assert verdict.authentic and not verdict.valid
    assert verdict.status == "holder_erased"
    assert STATUS_TEXT[verdict.status] == ("持证人个人信息已删除", "holder data erased")


def test_name_and_id_number_are_gone_from_every_table(
    service: Service, worker: str, passport_qr: str
) -> None:
    assert {p for _, p in _mentions(service.engine)} == set(PERSONAL) - {
        ID_NUMBER.lower()
    }

    _erase(service, worker)

    assert _mentions(service.engine) == set()
    identity = service.identity(worker)
    assert (identity.name, identity.id_number) == (None, None)
    assert identity.erased_at is not None


def test_sqlite_file_keeps_no_copy_of_erased_data(
    service: Service, worker: str, tmp_path: Path
) -> None:
    """Freed space and the write-ahead log would otherwise keep the old row."""
    if service.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL keeps dead row versions until VACUUM")
    files = [tmp_path / f"skillpass.db{suffix}" for suffix in ("", "-wal")]

    def traces() -> set[str]:
        data = b"".join(f.read_bytes() for f in files if f.exists())
        return {p for p in PERSONAL if p.encode() in data}

    assert traces() == {NAME, ID_NUMBER}
    _erase(service, worker)
    assert traces() == set()


def test_no_passport_after_erasure(service: Service, worker: str) -> None:
    _erase(service, worker)
    with pytest.raises(ServiceError, match="personal data was erased"):
        issue_passport(service, worker, out=io.BytesIO())


def test_registering_the_id_number_again_is_refused(
    service: Service, worker: str
) -> None:
    _erase(service, worker)
    try:
        service.register_workers([(ID_NUMBER, NAME)])
    except IdentityConflict as exc:
        assert "erased" in str(exc)
    else:
        raise AssertionError("an erased worker was registered again")
    assert service.identity(worker).name is None


def test_refusals_name_the_worker_and_the_reason(service: Service, worker: str) -> None:
    with pytest.raises(ServiceError, match=r"^reason: expected 1 to 200 .*got 0$"):
        erase_worker(service, worker, now=utc_now(), reason="  ")
    with pytest.raises(ServiceError, match=f"worker: {'f' * 32} is not registered"):
        erase_worker(service, "f" * 32, now=utc_now(), reason=REASON)
    erased = erase_worker(service, worker, now=EARLIER, reason=f"  {REASON} ")
    assert (erased.erased_at, erased.reason) == (EARLIER, REASON)
    with pytest.raises(AlreadyErased) as again:
        _erase(service, worker)
    assert str(again.value) == (
        f"worker: {worker}'s personal data was already erased "
        f"at 2026-11-30T08:15:00Z ({REASON})"
    )


def test_reason_and_time_are_stored_for_the_authority_not_in_the_log(
    service: Service, worker: str, engine: Engine
) -> None:
    before = _log_state(engine)
    erase_worker(service, worker, now=EARLIER, reason=REASON)
    identity = service.identity(worker)
    assert (identity.erasure_reason, as_utc(identity.erased_at)) == (REASON, EARLIER)
    assert _log_state(engine) == before
    assert not any(REASON in str(row) for rows in before for row in rows)


def test_cli_erases_by_id_number_then_exits_2(
    service: Service,
    worker: str,
    db_url_and_engine: tuple[str, Engine],
    tmp_path: Path,
) -> None:
    where = ["--db", db_url_and_engine[0], "--home", str(tmp_path)]
    runner = CliRunner()

    erased = runner.invoke(
        cli, ["worker", "erase", ID_NUMBER, "--reason", REASON, *where], env=WIDE
    )
    assert erased.exit_code == 0, erased.output
    assert f"erased: worker {worker} at " in erased.stdout
    assert "已签发护照 0 本" in erased.stdout
    assert service.identity(worker).erased_at is not None

    again = runner.invoke(
        cli, ["worker", "erase", worker, "--reason", REASON, *where], env=WIDE
    )
    erased_at = f"{service.identity(worker).erased_at:%Y-%m-%dT%H:%M:%SZ}"
    assert (again.exit_code, again.stderr) == (
        2,
        f"error: worker: {worker}'s personal data was already erased "
        f"at {erased_at} ({REASON})\n",
    )

    unknown = runner.invoke(
        cli, ["worker", "erase", "f" * 32, "--reason", "x", *where], env=WIDE
    )
    assert unknown.exit_code == 2
    assert "is not registered" in unknown.stderr
    blank = runner.invoke(
        cli, ["worker", "erase", worker, "--reason", " ", *where], env=WIDE
    )
    assert blank.exit_code == 2
    assert "reason: expected 1 to 200 characters, got 0" in blank.stderr


@pytest.fixture
def client(service: Service, authority_token: str) -> Iterator[TestClient]:
    app = create_app(service)
    headers = {"Authorization": f"Bearer {authority_token}"}
    with TestClient(app, headers=headers) as client:
        yield client


def test_api_erases_then_answers_409_404_and_422(
    client: TestClient, service: Service, worker: str, passport_qr: str
) -> None:
    url = f"/api/v1/workers/{worker}/identity"

    erased = client.request("DELETE", url, json={"reason": REASON})
    assert erased.status_code == 200, erased.text
    receipt = erased.json()
    assert (receipt["worker_id"], receipt["passports"]) == (worker, 1)
    assert receipt["reason"] == service.identity(worker).erasure_reason == REASON
    assert service.identity(worker).erased_at is not None

    again = client.request("DELETE", url, json={"reason": REASON})
    assert again.status_code == 409
    assert again.json()["reason"] == "already_erased"

    unknown = client.request(
        "DELETE", f"/api/v1/workers/{'f' * 32}/identity", json={"reason": REASON}
    )
    assert unknown.status_code == 404
    assert "is not registered" in unknown.json()["detail"]
    assert client.request("DELETE", url).status_code == 422
    assert client.request("DELETE", url, json={"reason": ""}).status_code == 422


def test_no_new_events_about_an_erased_worker_but_revocations(
    service: Service, worker: str, issuers: dict[str, kit.Issuer]
) -> None:
    _erase(service, worker)
    train = issuers["train"]
    [outcome] = service.submit(
        [train.sign(kit.enrolment(worker, "train-001", "after-erasure"))]
    )
    assert outcome.refused is not None
    assert outcome.refused.reason == "erased_worker"
    target = service.log.worker_entries(worker)[0]
    revocation = {
        "kind": "entry.revoked",
        "worker_id": worker,
        "issuer_id": "train-001",
        "ref": "R-erased",
        "signed_at": "2025-01-01T00:00:00Z",
        "target_log_index": target.log_index,
        "target_leaf_hash": target.leaf_hash.hex(),
        "reason": "录入错误 data-entry error",
        "revoked_on": "2025-01-01",
    }
    [revoked] = service.submit([train.sign(revocation)])
    assert revoked.entry is not None

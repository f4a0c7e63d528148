"""The trust commands as an operator runs them: issuers, keys, tokens, signing, verify.

Each command runs through Typer on the same database as the fixtures; the
trust-list cache is refreshed over real HTTP from a local server.
"""

from __future__ import annotations

import functools
import io
import json
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from passport.cli.main import app as cli
from passport.config import Settings
from passport.issuance import issue_passport
from passport.service import Service
from tests import kit

WIDE = {"COLUMNS": "200"}


@pytest.fixture
def where(db_url_and_engine: tuple[str, Engine], tmp_path: Path) -> list[str]:
    return ["--db", db_url_and_engine[0], "--home", str(tmp_path)]


def _run(*args: str, env: dict[str, str] | None = None) -> object:
    return CliRunner().invoke(cli, list(args), env={**WIDE, **(env or {})})


def test_issuer_lifecycle_through_the_cli(
    service: Service, where: list[str], tmp_path: Path
) -> None:
    registered = CliRunner().invoke(
        cli,
        [
            "issuer",
            "register",
            "eval-042",
            "--name",
            "重庆测试评价中心",
            "--kind",
            "evaluation_institution",
            "--uscc",
            "91110000600037341A",
            "--event-kind",
            "certificate.issued",
            "--event-kind",
            "entry.revoked",
            "--occupation",
            "4-10-01-05",
            "--highest-level",
            "3",
            *where,
        ],
        env=WIDE,
    )
    assert registered.exit_code == 0, registered.output
    assert "credit code flagged for review" in registered.stdout

    keygen = CliRunner().invoke(cli, ["keygen", str(tmp_path / "eval.pem")], env=WIDE)
    assert keygen.exit_code == 0, keygen.output
    public = keygen.stdout.strip()
    added = CliRunner().invoke(
        cli,
        [
            "issuer",
            "key",
            "add",
            "eval-042",
            "--public-key",
            public,
            "--valid-from",
            "2024-01-01T00:00:00+08:00",
            *where,
        ],
        env=WIDE,
    )
    assert added.exit_code == 0, added.output
    kid = added.stdout.split()[2]
    assert f"key {kid}: 2023-12-31T16:00:00Z – …" in added.stdout

    second = CliRunner().invoke(cli, ["keygen", str(tmp_path / "eval2.pem")], env=WIDE)
    rotated = CliRunner().invoke(
        cli,
        [
            "issuer",
            "key",
            "rotate",
            "eval-042",
            kid,
            "--public-key",
            second.stdout.strip(),
            "--at",
            "2025-01-01T00:00:00Z",
            *where,
        ],
        env=WIDE,
    )
    assert rotated.exit_code == 0, rotated.output
    assert f"key {kid}: 2023-12-31T16:00:00Z – 2025-01-01T00:00:00Z" in rotated.stdout

    compromised = CliRunner().invoke(
        cli,
        [
            "issuer",
            "key",
            "compromise",
            "eval-042",
            kid,
            "--since",
            "2024-06-01T00:00:00Z",
            *where,
        ],
        env=WIDE,
    )
    assert compromised.exit_code == 0, compromised.output
    assert "compromised since 2024-06-01T00:00:00Z" in compromised.stdout

    shown = CliRunner().invoke(cli, ["issuer", "show", "eval-042", *where], env=WIDE)
    assert "highest level 3" in shown.stdout and shown.stdout.count("  key ") == 2
    naive = CliRunner().invoke(
        cli,
        ["issuer", "key", "retire", "eval-042", kid, "--at", "2025-01-01", *where],
        env=WIDE,
    )
    assert naive.exit_code == 2
    assert "has no time zone; add Z or +08:00" in naive.stderr
    twice = CliRunner().invoke(
        cli, ["issuer", "key", "retire", "eval-042", kid, *where], env=WIDE
    )
    assert twice.exit_code == 2
    assert "is already retired since 2025-01-01T00:00:00Z" in twice.stderr


def test_sign_locally_then_submit(
    service: Service,
    where: list[str],
    worker: str,
    issuers: dict[str, kit.Issuer],
    tmp_path: Path,
) -> None:
    from cryptography.hazmat.primitives import serialization

    key_file = tmp_path / "train.pem"
    key_file.write_bytes(
        issuers["train"].key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    events = tmp_path / "events.jsonl"
    event = kit.enrolment(worker, "train-001", "T-7")
    event["planned_hours"] = 80.0  # made canonical (80) when signed
    events.write_text(json.dumps(event, ensure_ascii=False) + "\n", encoding="utf-8")
    signed = tmp_path / "signed.jsonl"

    result = CliRunner().invoke(
        cli, ["sign", "--key", str(key_file), str(events), "--out", str(signed)]
    )
    assert result.exit_code == 0, result.output
    line = json.loads(signed.read_text("utf-8"))
    assert '"planned_hours":80,' in signed.read_text("utf-8")
    assert line["event"] == {**event, "planned_hours": 80}

    submitted = CliRunner().invoke(cli, ["submit", str(signed), *where])
    assert submitted.exit_code == 0, submitted.output
    assert json.loads(submitted.stdout.splitlines()[0])["status"] == "appended"

    events.write_text('{"kind": "training.enrolled"}\n', encoding="utf-8")
    bad = CliRunner().invoke(cli, ["sign", "--key", str(key_file), str(events)])
    assert bad.exit_code == 2
    assert "line 1: training.enrolled.worker_id: Field required" in bad.stderr


def test_token_issue_list_revoke(
    service: Service, where: list[str], worker: str
) -> None:
    issued = CliRunner().invoke(
        cli, ["token", "issue", "--role", "worker", "--worker", worker, *where]
    )
    assert issued.exit_code == 0, issued.output
    token = issued.stdout.strip()
    token_id = token.split("_")[1]
    assert token.startswith("sp1_") and f"worker token {token_id}" in issued.stderr
    listed = CliRunner().invoke(cli, ["token", "list", *where], env=WIDE)
    assert f"{token_id} worker {worker}" in listed.stdout
    assert token.split("_", 2)[2] not in listed.stdout
    revoked = CliRunner().invoke(cli, ["token", "revoke", token_id, *where])
    assert revoked.exit_code == 0
    again = CliRunner().invoke(cli, ["token", "revoke", token_id, *where])
    assert again.exit_code == 2 and "is already revoked" in again.stderr
    unbound = CliRunner().invoke(cli, ["token", "issue", "--role", "issuer", *where])
    assert unbound.exit_code == 2
    assert "a issuer token needs the issuer" in unbound.stderr


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(root))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}/trust-list.json"
    server.shutdown()
    server.server_close()


def test_verify_works_from_a_cached_trust_list(
    service: Service, worker: str, served: tuple[Path, str], tmp_path: Path
) -> None:
    root, url = served
    old = tmp_path / "old.json"
    service.export_trust_list(old)
    service.publish_trust_list()
    version = service.export_trust_list(root / "trust-list.json")
    qr = issue_passport(service, worker, out=io.BytesIO()).qr_text
    env = {"SKILLPASS_TRUST_CACHE": str(tmp_path / "cache" / "trust-list.json")}

    none = _run("verify", qr, env=env)
    assert none.exit_code == 2
    assert "none cached at" in none.stderr

    fresh = _run("verify", "--trust-list-url", url, qr, env=env)
    assert fresh.exit_code == 0, fresh.output
    assert f"Trust list v{version}, 0 天前签发 issued 0 days ago, from {url}" in (
        fresh.stdout
    )
    cached = _run("verify", "--json", qr, env=env)
    answer = json.loads(cached.stdout)["trust_list"]
    assert (answer["version"], answer["age_days"], answer["stale"]) == (
        version,
        0,
        False,
    )
    assert answer["source"] == f"cache {env['SKILLPASS_TRUST_CACHE']}"

    (root / "trust-list.json").write_bytes(old.read_bytes())
    rollback = _run("verify", "--trust-list-url", url, qr, env=env)
    assert rollback.exit_code == 1
    assert f"is older than the cached version {version}" in rollback.stderr
    (root / "trust-list.json").unlink()
    offline = _run("verify", "--trust-list-url", url, qr, env=env)
    assert offline.exit_code == 0
    assert "using the cached trust list" in offline.stderr

    other_home = tmp_path / "other"
    stranger = Service.open(
        Settings.load(db=f"sqlite:///{tmp_path / 'other.db'}", home=other_home),
        create_keys=True,
    )
    stranger.export_trust_list(root / "trust-list.json")
    stranger.close()
    switched = _run("verify", "--trust-list-url", url, qr, env=env)
    assert switched.exit_code == 1
    assert "not the pinned key" in switched.stderr

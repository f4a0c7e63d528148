"""Credentials through the HTTP API and the `skillpass vc` commands, both engines."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from passport.service import Service
from passport.web.app import create_app
from tests import kit
from tests.conftest import PASSPHRASE
from verify.statuslist import bit_is_set, decode_bitstring


@pytest.fixture
def client(service: Service, authority_token: str) -> Iterator[TestClient]:
    headers = {"Authorization": f"Bearer {authority_token}"}
    with TestClient(create_app(service), headers=headers) as client:
        yield client


def _certificates(service: Service, worker: str) -> list[int]:
    return [
        r.log_index
        for r in service.archive(worker).records
        if r.kind == "certificate.issued"
    ]


def _revoke(service: Service, issuer: kit.Issuer, worker: str, index: int) -> None:
    target = service.log.entry(index)
    [outcome] = service.submit(
        [
            issuer.sign(
                {
                    "kind": "entry.revoked",
                    "worker_id": worker,
                    "issuer_id": issuer.issuer_id,
                    "ref": f"R-{index}",
                    "signed_at": "2024-06-01T02:00:00Z",
                    "target_log_index": index,
                    "target_leaf_hash": target.leaf_hash.hex(),
                    "reason": "证书信息有误 wrong details",
                    "revoked_on": "2024-06-01",
                }
            )
        ]
    )
    assert outcome.entry is not None


def test_credential_and_status_list_endpoints(
    client: TestClient,
    service: Service,
    worker: str,
    issuers: dict[str, kit.Issuer],
) -> None:
    first, second = _certificates(service, worker)
    response = client.get(f"/api/v1/credentials/{first}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/vc+ld+json"
    credential = response.json()
    assert credential["id"].endswith(f"/api/v1/credentials/{first}")

    listed = client.get(f"/api/v1/workers/{worker}/credentials").json()
    assert [c["id"] for c in listed] == [
        credential["id"],
        credential["id"].replace(f"/{first}", f"/{second}"),
    ]

    _revoke(service, issuers["eval"], worker, second)
    status = client.get("/api/v1/credentials/status/0")
    assert status.status_code == 200
    bits = decode_bitstring(status.json()["credentialSubject"]["encodedList"])
    assert bit_is_set(bits, second) and not bit_is_set(bits, first)
    listed = client.get(f"/api/v1/workers/{worker}/credentials").json()
    assert [c["id"] for c in listed] == [credential["id"]]


@pytest.mark.parametrize(
    ("path", "status", "detail"),
    [
        ("/api/v1/credentials/0", 404, "entry 0 is a training.enrolled"),
        ("/api/v1/credentials/9999", 404, "no entry at log index 9999"),
        ("/api/v1/credentials/-1", 422, "log_index"),
        ("/api/v1/credentials/status/7", 404, "status list: 7 covers no entry"),
        ("/api/v1/workers/" + "c" * 32 + "/credentials", 404, "is not registered"),
    ],
)
def test_credential_refusals_are_clear(
    client: TestClient, worker: str, path: str, status: int, detail: str
) -> None:
    response = client.get(path)
    assert response.status_code == status
    assert detail in response.json()["detail"]


def test_openapi_lists_the_credential_endpoints(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in (
        "/api/v1/credentials/{log_index}",
        "/api/v1/credentials/status/{number}",
        "/api/v1/workers/{worker_id}/credentials",
    ):
        assert "get" in paths[path]


def _skillpass(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "passport", *args],
        capture_output=True,
        text=True,
        env=dict(os.environ, SKILLPASS_KEY_PASSPHRASE=PASSPHRASE, COLUMNS="200"),
        timeout=120,
        check=False,
    )


def _json_out(completed: subprocess.CompletedProcess[str]) -> Any:
    return json.loads(completed.stdout)


def test_vc_export_and_offline_verify(
    service: Service,
    worker: str,
    issuers: dict[str, kit.Issuer],
    db_url_and_engine: tuple[str, Engine],
    tmp_path: Path,
) -> None:
    url, _ = db_url_and_engine
    home = ["--home", str(tmp_path), "--db", url]
    trust = tmp_path / "trust-list.json"
    service.export_trust_list(trust)
    out = tmp_path / "vc"
    first, second = _certificates(service, worker)

    exported = _skillpass("vc", "export", worker, "--out", str(out), *home)
    assert exported.returncode == 0, exported.stderr
    assert "2 credentials" in exported.stdout
    assert sorted(p.name for p in out.iterdir()) == [
        f"credential-{first}.json",
        f"credential-{second}.json",
        "status-0.json",
    ]
    credential = out / f"credential-{second}.json"
    plain = _skillpass("vc", "verify", str(credential), "--trust-list", str(trust))
    assert plain.returncode == 0, plain.stderr
    assert "✓ 有效 Valid" in plain.stdout
    assert "未被撤销 Not revoked (status list checked)" in plain.stdout
    assert "信任列表 Trust list v" in plain.stdout
    verdict = _skillpass(
        "verify", str(credential), "--trust-list", str(trust), "--json"
    )
    assert verdict.returncode == 0, verdict.stderr
    assert _json_out(verdict)["cryptosuites"] == ["eddsa-rdfc-2022", "eddsa-jcs-2022"]

    # revoked in the ledger: the new status list says so
    _revoke(service, issuers["eval"], worker, second)
    fresh = tmp_path / "fresh"
    assert (
        _skillpass("vc", "export", worker, "--out", str(fresh), *home).returncode == 0
    )
    revoked = _skillpass(
        "vc",
        "verify",
        str(credential),
        "--trust-list",
        str(trust),
        "--status-list",
        str(fresh / "status-0.json"),
        "--json",
    )
    assert revoked.returncode == 1
    [reason] = _json_out(revoked)["reasons"]
    assert reason["code"] == "revoked"
    assert f"revocation bit {second} of" in reason["message"]


def test_vc_verify_negative_answers_and_usage_errors(
    service: Service, worker: str, tmp_path: Path
) -> None:
    trust = tmp_path / "trust-list.json"
    service.export_trust_list(trust)
    from passport.credentials import credential_for_entry

    credential = credential_for_entry(service, _certificates(service, worker)[0])
    credential["credentialSubject"]["licenseNumber"] = "S000050123456245000000"
    changed = tmp_path / "changed.json"
    changed.write_text(json.dumps(credential, ensure_ascii=False), "utf-8")
    bad = _skillpass("vc", "verify", str(changed), "--trust-list", str(trust))
    assert bad.returncode == 1
    assert "原因 reason [bad_signature]" in bad.stdout

    garbage = tmp_path / "garbage.json"
    garbage.write_text("[1, 2", "utf-8")
    usage = _skillpass("vc", "verify", str(garbage), "--trust-list", str(trust))
    assert usage.returncode == 2
    assert f"{garbage}: not a JSON document (line 1, column 6)" in usage.stderr
    missing = _skillpass("vc", "verify", str(changed), "--trust-list", "nowhere.json")
    assert missing.returncode == 2
    assert "cannot read nowhere.json" in missing.stderr


def test_vc_verify_without_a_trust_list_is_a_negative_answer() -> None:
    sample = Path(__file__).parent / "data" / "ob3" / "samples"
    simple = _skillpass(
        "vc", "verify", str(sample / "1edtech-validator_ob30_simple.json")
    )
    assert simple.returncode == 1, simple.stderr
    assert simple.stdout.splitlines()[:2] == [
        "✗ 未经信任列表核验 Not verified against a trust list",
        "  原因 reason [issuer_unchecked]: 签名有效，但签发方未核验 signatures "
        "valid, but issuer: no trust list given, so whoever signed may have "
        "written any issuer name; verify with --trust-list",
    ]
    assert "Example Corp https://example.com/issuers/876543" in simple.stdout
    assert "无撤销状态项 The credential has no status entry" in simple.stdout
    revoked = sample / "1edtech-validator_ob30_bsl_credential-status-revoked.json"
    unchecked = _skillpass("vc", "verify", str(revoked), "--json")
    assert unchecked.returncode == 1
    verdict = _json_out(unchecked)
    assert (verdict["valid"], [r["code"] for r in verdict["reasons"]]) == (
        False,
        ["issuer_unchecked"],
    )
    assert verdict["status_unchecked"] == [
        json.loads(revoked.read_text())["credentialStatus"]["statusListCredential"]
    ]

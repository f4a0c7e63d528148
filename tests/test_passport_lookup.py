"""Passports looked up by their 核验码, empty ones refused, time labels in English."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from passport.cli.main import app as cli
from passport.ratelimit import BucketSize, TokenBucket
from passport.service import Service
from passport.verification import BadVerificationCode, passport_id_of
from passport.web.app import create_app
from passport.web.checks_api import CheckLimits
from schemas.events import EventKind
from schemas.passport import SECTIONS
from tests import kit
from verify.reader import read_qr_text


@pytest.fixture
def client(service: Service, authority_token: str) -> Iterator[TestClient]:
    """A client of the authority, which may issue passports for any worker."""
    headers = {"Authorization": f"Bearer {authority_token}"}
    with TestClient(create_app(service), headers=headers) as client:
        yield client


def _issue(client: TestClient, worker: str, tmp_path: Path) -> tuple[str, str]:
    """Issue a passport over the API: its QR text and its verification code."""
    response = client.post(f"/api/v1/workers/{worker}/passports", json={})
    assert response.status_code == 200
    pdf = tmp_path / "p.pdf"
    pdf.write_bytes(response.content)
    return read_qr_text(str(pdf)), response.headers["X-Verification-Code"]


def _same_parts(answer: dict[str, Any]) -> dict[str, Any]:
    """The answer without the parts that differ by design: when, and QR order."""
    passport = dict(answer["passport"] or {})
    if passport:
        passport["certificates"] = sorted(
            passport["certificates"], key=lambda c: c["certificate_no"]
        )
    return {**answer, "trust_list": None, "passport": passport}


def _where(service: Service) -> list[str]:
    return ["--db", service.settings.db_url, "--home", str(service.settings.home)]


def test_code_reads_back_into_the_passport_id() -> None:
    assert passport_id_of("T5LK-DVSJ-SMVE-2") == "9f56a1d649932a4d"
    assert passport_id_of(" t5lk dvsj smve 2 ") == "9f56a1d649932a4d"
    with pytest.raises(BadVerificationCode, match="expected 13 characters A-Z 2-7"):
        passport_id_of("T5LK-DVSJ-SMVE-1")


def test_lookup_answers_as_the_qr_does(
    client: TestClient,
    service: Service,
    issuers: dict[str, kit.Issuer],
    worker: str,
    tmp_path: Path,
) -> None:
    qr_text, code = _issue(client, worker, tmp_path)
    scanned = client.post("/api/v1/verify", json={"qr": qr_text}).json()
    looked_up = client.get(f"/api/v1/passports/{code}")
    assert looked_up.status_code == 200
    assert looked_up.json()["status"] == "valid"
    assert looked_up.json()["passport"]["holder"] == {
        "masked_name": "吉*",
        "id_last4": "002X",
    }
    assert _same_parts(looked_up.json()) == _same_parts(scanned)

    # revoke one certificate it shows: both answers turn to revoked
    evaluator = issuers["eval"]
    record = next(service.archive(worker).active(EventKind.CERTIFICATE_ISSUED))
    shown = service.log.entry(record.log_index)
    revocation = kit.revocation(worker, "eval-001", "R-1", target=shown, reason="误发")
    assert service.submit([evaluator.sign(revocation)])[0].entry
    scanned = client.post("/api/v1/verify", json={"qr": qr_text}).json()
    looked_up = client.get(f"/api/v1/passports/{code.lower()}").json()
    assert looked_up["status"] == scanned["status"] == "revoked"
    assert _same_parts(looked_up) == _same_parts(scanned)
    log = client.get(f"/api/v1/workers/{worker}/verifications").json()
    verifiers = sorted(str(row["verifier"]) for row in log)
    assert verifiers == ["None", "None", "lookup", "lookup"]


def test_lookup_of_an_unknown_or_malformed_code(client: TestClient) -> None:
    unknown = client.get("/api/v1/passports/AAAA-AAAA-AAAA-A")
    assert unknown.status_code == 200
    assert unknown.json()["status"] == "unknown_passport"
    assert unknown.json()["reasons"][0]["message"] == (
        "passport: no passport with code AAAA-AAAA-AAAA-A"
    )
    bad = client.get("/api/v1/passports/ABC-1")
    assert bad.status_code == 422
    assert bad.json() == {
        "reason": "bad_verification_code",
        "detail": "verification code: expected 13 characters A-Z 2-7 "
        "(e.g. T5LK-DVSJ-SMVE-2), got 'ABC-1'",
    }


def test_lookups_share_the_certificate_check_budget(service: Service) -> None:
    limits = CheckLimits(requests=TokenBucket(BucketSize(capacity=2, rate=0.01)))
    with TestClient(create_app(service, check_limits=limits)) as client:
        assert client.get("/api/v1/passports/AAAA-AAAA-AAAA-A").status_code == 200
        check = {"certificate_no": "S0000", "name": "张三"}
        assert client.post("/api/v1/certificate-checks", json=check).status_code == 200
        refused = client.get("/api/v1/passports/AAAA-AAAA-AAAA-A")
    assert refused.status_code == 429
    assert refused.json()["detail"] == "passport lookups: too many; retry later"
    assert int(refused.headers["retry-after"]) >= 1


def test_cli_lookup(client: TestClient, service: Service, worker: str, tmp_path: Path):
    _, code = _issue(client, worker, tmp_path)
    found = CliRunner().invoke(cli, ["passport", "lookup", code, *_where(service)])
    assert found.exit_code == 0, found.output
    assert found.output.startswith("✓ 有效 valid\n")
    assert "持证人 Holder: 吉*（身份证尾号 ID ending 002X）" in found.output
    unknown = CliRunner().invoke(
        cli, ["passport", "lookup", "AAAA-AAAA-AAAA-A", *_where(service)]
    )
    assert unknown.exit_code == 1
    assert unknown.output.startswith("✗ 系统中无此护照 passport unknown to the service")
    bad = CliRunner().invoke(cli, ["passport", "lookup", "XYZ", *_where(service)])
    assert bad.exit_code == 2
    assert "verification code: expected 13 characters A-Z 2-7" in bad.output


def test_empty_passport_is_refused(
    client: TestClient, service: Service, worker: str, tmp_path: Path
) -> None:
    before = service.log.size()
    none = client.post(f"/api/v1/workers/{worker}/passports", json={"sections": []})
    assert none.status_code == 422
    assert none.json() == {
        "reason": "empty_passport",
        "detail": f"sections: none chosen; show at least one of {', '.join(SECTIONS)}",
    }
    nothing = client.post(
        f"/api/v1/workers/{worker}/passports", json={"sections": ["awards"]}
    )
    assert nothing.status_code == 422
    assert nothing.json()["detail"] == (
        f"sections: nothing to show; worker {worker} has no records in awards"
    )
    args = ["passport", "issue", worker, "--out", str(tmp_path / "p.pdf")]
    hidden = [arg for section in SECTIONS for arg in ("--hide", section)]
    refused = CliRunner().invoke(cli, [*args, *hidden, *_where(service)])
    assert refused.exit_code == 2
    assert "sections: none chosen" in refused.output
    assert not (tmp_path / "p.pdf").exists()
    assert service.log.size() == before


def test_time_label_in_the_page_language(
    client: TestClient, worker: str, tmp_path: Path
) -> None:
    qr_text, _ = _issue(client, worker, tmp_path)
    path = qr_text[qr_text.index("/V/") :]
    english = client.get(path + "?lang=en").text
    assert "(Beijing time, UTC+8)" in english and "北京时间" not in english
    assert "(北京时间 UTC+8)" in client.get(path).text

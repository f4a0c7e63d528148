"""Roles on the API: bearer tokens, 401 and 403 with the reason, open endpoints."""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient

from issuers.keys import raw_public
from ledger.log import utc_now
from passport.errors import ServiceError
from passport.issuance import issue_passport
from passport.service import Service
from passport.tokens import Role, issue_token, revoke_token
from passport.web.app import create_app
from tests import kit


@pytest.fixture
def app_client(service: Service) -> Iterator[TestClient]:
    with TestClient(create_app(service)) as client:
        yield client


def _token(service: Service, role: Role, subject: str | None = None) -> str:
    _, token = issue_token(
        service, role=role, subject=subject, name=f"某{role}", now=utc_now()
    )
    return token


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_no_token_or_a_bad_one_is_a_401_with_a_challenge(
    app_client: TestClient, service: Service, worker: str
) -> None:
    url = f"/api/v1/workers/{worker}/archive"
    missing = app_client.get(url)
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"] == 'Bearer realm="skillpass"'
    assert missing.json() == {
        "reason": "unauthenticated",
        "detail": "authorization: send Authorization: Bearer <token>",
    }
    token = _token(service, Role.AUTHORITY)
    for bad in ("nonsense", token[:-1] + ("A" if token[-1] != "A" else "B")):
        refused = app_client.get(url, headers=_auth(bad))
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"] == (
            'Bearer realm="skillpass", error="invalid_token"'
        )
        assert refused.json() == {
            "reason": "invalid_token",
            "detail": "token: not a token this service issued",
        }
    assert app_client.get(url, headers=_auth(token)).status_code == 200
    revoke_token(service, token.split("_")[1], now=utc_now())
    revoked = app_client.get(url, headers=_auth(token))
    assert revoked.status_code == 401
    assert revoked.json()["detail"] == f"token: {token.split('_')[1]} was revoked"


def test_a_worker_reads_only_their_own_archive(
    app_client: TestClient, service: Service, worker: str
) -> None:
    [other] = service.register_workers([("360426199101010071", "刘䶮")])
    mine = _auth(_token(service, Role.WORKER, worker))
    own = app_client.get(f"/api/v1/workers/{worker}/archive", headers=mine)
    assert own.status_code == 200 and len(own.json()["records"]) == 4
    for path in ("archive", "verifications", "guidance"):
        theirs = app_client.get(f"/api/v1/workers/{other}/{path}", headers=mine)
        assert theirs.status_code == 403
        assert theirs.json() == {
            "reason": "forbidden",
            "detail": "worker_id: a worker token reaches only its own archive",
        }
    erase = app_client.request(
        "DELETE",
        f"/api/v1/workers/{worker}/identity",
        json={"reason": "x"},
        headers=mine,
    )
    assert erase.status_code == 403
    assert erase.json()["detail"] == (
        "role: a worker token may not do this; it needs authority"
    )
    guidance = app_client.get(f"/api/v1/workers/{worker}/guidance", headers=mine)
    assert guidance.status_code == 200
    push = app_client.get("/api/v1/guidance/push?month=2025-12", headers=mine)
    assert push.status_code == 403


def test_issuers_submit_only_their_own_events(
    app_client: TestClient,
    service: Service,
    worker: str,
    issuers: dict[str, kit.Issuer],
) -> None:
    train = _auth(_token(service, Role.ISSUER, "train-001"))
    signed = issuers["eval"].sign(kit.certificate(worker, "eval-001", "C-9"))
    size = service.log.size()
    refused = app_client.post(
        "/api/v1/events", json=signed.model_dump(mode="json"), headers=train
    )
    assert refused.status_code == 403
    assert refused.json()["detail"] == (
        "event 0: issuer_id 'eval-001' is not the token's issuer train-001"
    )
    assert service.log.size() == size
    evaluator = _auth(_token(service, Role.ISSUER, "eval-001"))
    appended = app_client.post(
        "/api/v1/events", json=signed.model_dump(mode="json"), headers=evaluator
    )
    assert appended.status_code == 201, appended.text
    reading = app_client.get(f"/api/v1/workers/{worker}/archive", headers=evaluator)
    assert reading.status_code == 403
    verifier = _auth(_token(service, Role.VERIFIER))
    submitting = app_client.post(
        "/api/v1/events", json=signed.model_dump(mode="json"), headers=verifier
    )
    assert submitting.status_code == 403
    assert submitting.json()["detail"] == (
        "role: a verifier token may not do this; it needs authority, issuer"
    )


def test_verification_stays_open_and_names_a_verifier_with_a_token(
    app_client: TestClient, service: Service, worker: str
) -> None:
    view = issue_passport(service, worker, out=io.BytesIO())
    anonymous = app_client.post("/api/v1/verify", json={"qr": view.qr_text})
    assert anonymous.json()["status"] == "valid"
    page = app_client.get(view.qr_text[view.qr_text.index("/V/") :])
    assert page.status_code == 200
    assert app_client.get("/api/v1/trust-list").status_code == 200
    assert app_client.get("/api/v1/log/checkpoint").status_code == 200

    verifier = _auth(_token(service, Role.VERIFIER))
    named = app_client.post(
        "/api/v1/verify",
        json={"qr": view.qr_text, "verifier": "冒名 someone else"},
        headers=verifier,
    )
    assert named.json()["status"] == "valid"
    log = app_client.get(
        f"/api/v1/workers/{worker}/verifications",
        headers=_auth(_token(service, Role.WORKER, worker)),
    ).json()
    assert [row["verifier"] for row in log] == ["某verifier", "web page", None]


def test_the_authority_manages_issuers_over_http(
    app_client: TestClient, service: Service, issuers: dict[str, kit.Issuer]
) -> None:
    authority = _auth(_token(service, Role.AUTHORITY))
    body = {
        "issuer_id": "emp-077",
        "name": "重庆测试养老院",
        "kind": "employer",
        "uscc": "91110000600037341A",
        "accreditation": {"event_kinds": ["employment.started"]},
    }
    issuer = _auth(_token(service, Role.ISSUER, "eval-001"))
    assert (
        app_client.post("/api/v1/issuers", json=body, headers=issuer).status_code == 403
    )
    created = app_client.post("/api/v1/issuers", json=body, headers=authority)
    assert created.status_code == 201, created.text
    assert created.json()["issuer"]["uscc_flagged"] is True
    version = created.json()["trust_list_version"]

    key = raw_public(Ed25519PrivateKey.generate().public_key())
    added = app_client.post(
        "/api/v1/issuers/emp-077/keys",
        json={
            "public_key": base64.b64encode(key).decode(),
            "valid_from": "2026-01-01T00:00:00Z",
        },
        headers=authority,
    )
    assert added.status_code == 201, added.text
    kid = added.json()["key_id"]
    compromised = app_client.post(
        f"/api/v1/issuers/emp-077/keys/{kid}/compromise",
        json={"since": "2026-02-01T00:00:00Z"},
        headers=authority,
    )
    assert compromised.json()["issuer"]["keys"][0]["compromised_since"] == (
        "2026-02-01T00:00:00Z"
    )
    assert compromised.json()["trust_list_version"] == version + 2
    published = app_client.get("/api/v1/trust-list").json()["trust_list"]
    assert published["version"] == version + 2

    again = app_client.post("/api/v1/issuers", json=body, headers=authority)
    assert (again.status_code, again.json()["reason"]) == (409, "registry_refused")
    unknown = app_client.post(
        "/api/v1/issuers/emp-077/keys/00000000/retire",
        json={"at": "2026-03-01T00:00:00Z"},
        headers=authority,
    )
    assert unknown.status_code == 404
    assert unknown.json()["detail"] == "key: 00000000 is not a key of emp-077"
    bad_key = app_client.post(
        "/api/v1/issuers/emp-077/keys",
        json={"public_key": "AAAA", "valid_from": "2026-01-01T00:00:00Z"},
        headers=authority,
    )
    assert bad_key.status_code == 422
    assert bad_key.json()["detail"].startswith("body.public_key: Value error")


def test_tokens_are_bound_to_whom_they_name(service: Service, worker: str) -> None:
    with pytest.raises(ServiceError, match=r"^token: a worker token needs the worker"):
        issue_token(service, role=Role.WORKER, subject=None, name="x", now=utc_now())
    with pytest.raises(ServiceError, match=r"^issuer: nobody-1 is not registered"):
        issue_token(
            service, role=Role.ISSUER, subject="nobody-1", name="x", now=utc_now()
        )
    with pytest.raises(ServiceError, match=r"^worker: 0+ is not registered"):
        issue_token(
            service, role=Role.WORKER, subject="0" * 32, name="x", now=utc_now()
        )
    with pytest.raises(ServiceError, match=r"^token: a verifier token is bound to no"):
        issue_token(
            service, role=Role.VERIFIER, subject=worker, name="x", now=utc_now()
        )

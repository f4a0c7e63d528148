"""The HTTP API and the verification page, through the real app on both engines."""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator

import pytest
import rfc8785
from fastapi.testclient import TestClient
from pypdf import PdfReader

from ledger import merkle
from ledger.checkpoint import open_checkpoint
from ledger.log import utc_now
from ledger.note import NoteVerifier
from ledger.shards import period_of, shard_origin
from passport.service import Service
from passport.web.app import create_app
from tests import kit
from verify.reader import read_qr_text


@pytest.fixture
def client(service: Service, authority_token: str) -> Iterator[TestClient]:
    headers = {"Authorization": f"Bearer {authority_token}"}
    with TestClient(create_app(service), headers=headers) as client:
        yield client


def test_submit_register_and_read_archive(
    client: TestClient, issuers: dict[str, kit.Issuer]
) -> None:
    response = client.post(
        "/api/v1/workers", json={"id_number": "360426199101010071", "name": "刘䶮"}
    )
    assert response.status_code == 201
    worker_id = response.json()["worker_id"]
    signed = issuers["train"].sign(kit.enrolment(worker_id, "train-001", "T-9"))
    body = signed.model_dump(mode="json")

    first = client.post("/api/v1/events", json=body)
    assert first.status_code == 201, first.text
    assert first.json()["status"] == "appended" and first.json()["log_index"] == 0
    again = client.post("/api/v1/events", json=body)
    assert (again.status_code, again.json()["status"]) == (200, "duplicate")

    body["event"]["planned_hours"] = 81
    refused = client.post("/api/v1/events", json=body)
    assert refused.status_code == 422
    assert refused.json()["reason"] == "bad_signature"

    archive = client.get(f"/api/v1/workers/{worker_id}/archive").json()
    assert [r["kind"] for r in archive["records"]] == ["training.enrolled"]
    assert "刘䶮" not in client.get("/api/v1/log/entries/0").text


def test_bad_id_number_is_a_clear_422(client: TestClient) -> None:
    response = client.post(
        "/api/v1/workers", json={"id_number": "110105194912310021", "name": "张三"}
    )
    assert response.status_code == 422
    assert response.json() == {
        "reason": "bad_identifier",
        "detail": "id number: check character is 1, expected X",
    }


def test_passport_pdf_and_page(client: TestClient, worker: str, tmp_path) -> None:
    response = client.post(
        f"/api/v1/workers/{worker}/passports", json={"valid_days": 30}
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert "吉𠮷" in PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    pdf = tmp_path / "p.pdf"
    pdf.write_bytes(response.content)
    qr_text = read_qr_text(str(pdf))

    verdict = client.post(
        "/api/v1/verify", json={"qr": qr_text, "verifier": "某养老院"}
    )
    assert verdict.json()["status"] == "valid"
    assert verdict.json()["passport"]["holder"] == {
        "masked_name": "吉*",
        "id_last4": "002X",
    }

    path = qr_text[qr_text.index("/V/") :]
    page = client.get(path)
    assert page.status_code == 200
    assert 'data-status="valid"' in page.text and "吉*" in page.text
    assert "002X" in page.text and "有效" in page.text
    english = client.get(path.replace("/V/", "/v/", 1) + "?lang=en")
    assert "compare with the name and the last 4 digits" in english.text

    tampered = path[:-5] + ("A" if path[-5] != "A" else "B") + path[-4:]
    bad = client.get(tampered)
    assert 'data-status="valid"' not in bad.text and "✗" in bad.text

    log = client.get(f"/api/v1/workers/{worker}/verifications").json()
    assert [row["verifier"] for row in log] == ["web page", "web page", "某养老院"]
    archive = client.get(f"/api/v1/workers/{worker}/archive").json()
    assert archive["verifications"] == log


def test_log_endpoints_check_with_the_trust_list_key(
    client: TestClient, worker: str
) -> None:
    trust_list = client.get("/api/v1/trust-list").json()["trust_list"]
    verifier = NoteVerifier.from_vkey(trust_list["log"]["verifier_key"])
    note = client.get("/api/v1/log/checkpoint")
    assert note.headers["content-type"].startswith("text/plain")
    shard = shard_origin(trust_list["log"]["origin"], period_of(utc_now()))
    checkpoint = open_checkpoint(note.text, [verifier], origin=shard)
    assert checkpoint.tree_size == 4
    for index in range(4):
        entry = client.get(f"/api/v1/log/entries/{index}").json()
        leaf = merkle.leaf_hash(rfc8785.dumps(entry))
        proof = client.get(
            "/api/v1/log/proof/inclusion", params={"index": index, "tree_size": 4}
        ).json()
        assert base64.b64decode(proof["leaf_hash"]) == leaf
        merkle.verify_inclusion(
            leaf,
            index,
            4,
            [base64.b64decode(h) for h in proof["hashes"]],
            checkpoint.root_hash,
        )
    missing = client.get(
        "/api/v1/log/proof/inclusion", params={"index": 4, "tree_size": 4}
    )
    assert missing.status_code == 404
    assert (
        missing.json()["detail"] == "inclusion proof: index 4 is not below tree size 4"
    )
    same = client.get("/api/v1/log/proof/consistency", params={"first": 4, "second": 4})
    assert same.json()["hashes"] == []
    beyond = client.get(
        "/api/v1/log/proof/consistency", params={"first": 2, "second": 9}
    )
    assert beyond.status_code == 404


def test_openapi_is_served(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert "/api/v1/events" in spec["paths"]
    assert client.get("/docs").status_code == 200
    # schemathesis found the plain-text endpoints' errors listed as text/plain
    checkpoint = spec["paths"]["/api/v1/log/checkpoint"]["get"]["responses"]
    assert list(checkpoint["404"]["content"]) == ["application/json"]
    missing = client.get("/api/v1/log/checkpoint", params={"period": 1900})
    assert missing.headers["content-type"] == "application/json"
    # the bearer scheme is declared, and used where a token is needed
    assert spec["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "sp1_<id>_<secret>",
        "description": "A token the authority issued with `skillpass token issue`.",
    }
    # schemathesis found an unreadable batch table answered 422, undocumented
    batch = spec["paths"]["/api/v1/certificate-checks/batch"]["post"]["responses"]
    assert "422" in batch
    garbage = client.post("/api/v1/certificate-checks/batch", content=b"\x00\x01")
    assert garbage.status_code == 422 and garbage.json()["reason"]
    archive = spec["paths"]["/api/v1/workers/{worker_id}/archive"]["get"]
    assert archive["security"] == [{"bearer": []}]
    assert "security" not in spec["paths"]["/api/v1/trust-list"]["get"]


@pytest.mark.parametrize(
    ("method", "path", "body", "detail"),
    [
        ("post", "/api/v1/workers", '{"id_number":"1","name":"\\ud800"}', "name"),
        ("post", "/api/v1/verify", '{"qr":"\\u0000\\ud800"}', "qr"),
        ("get", "/api/v1/log/entries/99999999999999999999999", None, "index"),
        (
            "get",
            "/api/v1/log/proof/inclusion?index=5&tree_size=1e23",
            None,
            "tree_size",
        ),
    ],
)
def test_garbage_gets_a_clear_422_never_a_500(
    client: TestClient, method: str, path: str, body: str | None, detail: str
) -> None:
    if method == "get":
        response = client.get(path)
    else:
        headers = {"content-type": "application/json"}
        response = client.post(path, content=body, headers=headers)
    assert response.status_code == 422
    assert response.json()["reason"] == "malformed"
    assert response.json()["detail"].split(":")[0].endswith(detail)


def test_batches_are_limited(client: TestClient, worker: str) -> None:
    body = [{"event": {}, "signature": {"key_id": "0" * 8, "value": ""}}] * 1001
    response = client.post("/api/v1/events/batch", json=body)
    assert response.status_code == 422
    assert "at most 1000 items" in response.json()["detail"]


def test_unknown_worker_is_a_404_everywhere(client: TestClient) -> None:
    for path in ("archive", "verifications"):
        response = client.get(f"/api/v1/workers/{'0' * 32}/{path}")
        assert response.status_code == 404
        assert response.json()["detail"] == f"worker: {'0' * 32} is not registered"


def test_registering_an_id_under_another_name_is_a_409(
    client: TestClient, worker: str
) -> None:
    response = client.post(
        "/api/v1/workers", json={"id_number": "11010519491231002X", "name": "李四"}
    )
    assert response.status_code == 409
    assert response.json()["reason"] == "identity_conflict"


NUL_AT_1 = "character U+0000 (Cc) at 1 is a control or format character"


def test_control_and_format_characters_are_refused_in_events(
    client: TestClient, service: Service, worker: str, issuers: dict[str, kit.Issuer]
) -> None:
    size = service.log.size()
    for field, value, where, offset in (
        ("course", "a\u0000b", "course", 1),
        ("course", "护理\u202e培训", "course", 2),
        ("ref", "T\u200d9", "ref", 1),
    ):
        event = kit.enrolment(worker, "train-001", "T-9") | {field: value}
        body = issuers["train"].sign(event).model_dump(mode="json")
        response = client.post("/api/v1/events", json=body)
        category = "Cc" if value[offset] == "\u0000" else "Cf"
        assert response.status_code == 422
        assert response.json()["reason"] == "malformed"
        assert response.json()["detail"] == (
            f"training.enrolled.{where}: Value error, character "
            f"U+{ord(value[offset]):04X} ({category}) at {offset} is a control or "
            f"format character"
        )
    assert service.log.size() == size


def test_control_characters_are_refused_in_api_inputs(
    client: TestClient, service: Service, worker: str
) -> None:
    page = client.get("/V/ABC", params={"org": "a\u0000\n\u001b"})
    assert (page.status_code, page.json()) == (
        422,
        {"reason": "malformed", "detail": f"query.org: Value error, {NUL_AT_1}"},
    )
    verify = client.post("/api/v1/verify", json={"qr": "x", "verifier": "a\u0000"})
    assert verify.json()["detail"] == f"body.verifier: Value error, {NUL_AT_1}"
    erase = client.request(
        "DELETE", f"/api/v1/workers/{worker}/identity", json={"reason": "P\u0000"}
    )
    assert (erase.status_code, erase.json()["detail"]) == (
        422,
        f"body.reason: Value error, {NUL_AT_1}",
    )
    assert service.identity(worker).erased_at is None


@pytest.mark.parametrize(
    ("path", "body", "field", "message"),
    [
        (
            "passports",
            {"valid_days": "30"},
            "valid_days",
            "Input should be a valid integer",
        ),
        (
            "passports",
            {"valid_days": True},
            "valid_days",
            "Input should be a valid integer",
        ),
        (
            "passports",
            {"valid_days": 30.0},
            "valid_days",
            "Input should be a valid integer",
        ),
        ("links", {"days": "7"}, "days", "Input should be a valid integer"),
        ("links", {"days": False}, "days", "Input should be a valid integer"),
    ],
)
def test_request_bodies_are_strict_about_types(
    client: TestClient,
    worker: str,
    path: str,
    body: dict[str, object],
    field: str,
    message: str,
) -> None:
    response = client.post(f"/api/v1/workers/{worker}/{path}", json=body)
    assert (response.status_code, response.json()) == (
        422,
        {"reason": "malformed", "detail": f"body.{field}: {message}"},
    )


def test_strict_bodies_still_take_well_typed_values(
    client: TestClient, worker: str
) -> None:
    response = client.post(f"/api/v1/workers/{worker}/links", json={"days": 3})
    assert response.status_code == 201
    check = client.post(
        "/api/v1/certificate-checks", json={"certificate_no": 1, "name": "吉𠮷"}
    )
    assert (
        check.json()["detail"] == "body.certificate_no: Input should be a valid string"
    )
    worker_body = {"id_number": 360426199101010071, "name": "刘䶮"}
    registered = client.post("/api/v1/workers", json=worker_body)
    assert (
        registered.json()["detail"] == "body.id_number: Input should be a valid string"
    )


def test_review_resolutions_are_strict_and_plain_text(client: TestClient) -> None:
    body = {"decision": "dismissed", "note": "ok\u001b[31m", "reviewer": "王审核"}
    escape = client.post("/api/v1/review/flags/1/resolution", json=body)
    assert (escape.status_code, escape.json()["detail"]) == (
        422,
        "body.note: Value error, character U+001B (Cc) at 2 is a control or "
        "format character",
    )
    number = client.post(
        "/api/v1/review/flags/1/resolution", json=body | {"note": "ok", "reviewer": 7}
    )
    assert number.json()["detail"] == "body.reviewer: Input should be a valid string"

"""How revocation, correction and compromise show in credentials and certificate checks.

Both engines: the status list sets the bit of what no longer stands, a
correction's credential states the corrected fact, a worker reads only
their own credentials, and a certificate check follows a corrected number.
"""

from __future__ import annotations

from fastapi.testclient import TestClient

from ledger.log import utc_now
from passport import issuer_admin
from passport.checks import CheckRequest, check_certificates
from passport.credentials import (
    credential_for_entry,
    status_list_credential,
    worker_credentials,
)
from passport.service import Service
from passport.tokens import Role, issue_token
from passport.web.app import create_app
from schemas.events import EventKind
from tests import kit
from tests.trust_kit import after_next_second, key_of, revocation, signed_now
from verify.statuslist import bit_is_set, decode_bitstring


def _status_bits(service: Service) -> bytes:
    document = status_list_credential(service, 0)
    return decode_bitstring(document["credentialSubject"]["encodedList"])


def test_credentials_follow_corrections_and_compromise(
    service: Service, worker: str, issuers: dict[str, kit.Issuer]
) -> None:
    evaluator = issuers["eval"]
    first, second = (
        r.log_index
        for r in service.archive(worker).active(EventKind.CERTIFICATE_ISSUED)
    )
    corrected = kit.certificate(worker, "eval-001", "C-2", level=4)
    corrected["issued_on"] = "2024-05-09"
    [outcome] = service.submit(
        [
            evaluator.sign(
                revocation(
                    service.log.entry(second), worker, kind="entry.corrected",
                    ref="K-1", corrected_on="2025-01-01", corrected=corrected,
                )
            )
        ]
    )  # fmt: skip
    assert outcome.entry is not None
    correction = outcome.entry.log_index

    bits = _status_bits(service)
    assert bit_is_set(bits, second)
    assert not bit_is_set(bits, first) and not bit_is_set(bits, correction)
    credential = credential_for_entry(service, correction)
    assert credential["id"].endswith(f"/api/v1/credentials/{correction}")
    assert credential["awardedDate"].startswith("2024-05-09")
    leaf = outcome.entry.leaf_hash.hex()
    assert credential["evidence"][0]["description"] == (
        f"log_index {correction}; RFC 9162 leaf hash {leaf}"
    )
    ids = [c["id"] for c in worker_credentials(service, worker)]
    assert [i.rsplit("/", 1)[1] for i in ids] == [str(first), str(correction)]

    since = after_next_second()
    [stolen] = service.submit(
        [evaluator.sign(signed_now(kit.certificate(worker, "eval-001", "C-3")))]
    )
    assert stolen.entry is not None
    after_next_second()
    issuer_admin.compromise_key(
        service, issuer_id="eval-001", key_id=key_of(evaluator), since=since
    )
    bits = _status_bits(service)
    assert bit_is_set(bits, stolen.entry.log_index) and not bit_is_set(bits, first)
    ids = [c["id"] for c in worker_credentials(service, worker)]
    assert str(stolen.entry.log_index) not in [i.rsplit("/", 1)[1] for i in ids]


def test_a_worker_reads_only_their_own_credentials(
    service: Service, worker: str
) -> None:
    [other] = service.register_workers([("360426199101010071", "刘䶮")])
    _, theirs = issue_token(
        service, role=Role.WORKER, subject=other, name="x", now=utc_now()
    )
    _, mine = issue_token(
        service, role=Role.WORKER, subject=worker, name="y", now=utc_now()
    )
    [first, _] = (
        r.log_index
        for r in service.archive(worker).active(EventKind.CERTIFICATE_ISSUED)
    )
    with TestClient(create_app(service)) as client:
        refused = client.get(
            f"/api/v1/credentials/{first}",
            headers={"Authorization": f"Bearer {theirs}"},
        )
        listed = client.get(
            f"/api/v1/workers/{worker}/credentials",
            headers={"Authorization": f"Bearer {theirs}"},
        )
        own = client.get(
            f"/api/v1/credentials/{first}", headers={"Authorization": f"Bearer {mine}"}
        )
        anonymous = client.get(f"/api/v1/credentials/{first}")
        status = client.get("/api/v1/credentials/status/0")
    assert (refused.status_code, listed.status_code) == (403, 403)
    assert refused.json()["detail"] == (
        "worker_id: a worker token reaches only its own archive"
    )
    assert own.status_code == 200 and anonymous.status_code == 401
    assert status.status_code == 200


def test_a_corrected_certificate_number_checks_as_the_new_one(
    service: Service, worker: str, issuers: dict[str, kit.Issuer]
) -> None:
    target = service.log.worker_entries(worker)[2]
    old_number = target.event["certificate_no"]
    corrected = {**target.event, "certificate_no": "S000050123456245000777"}
    [outcome] = service.submit(
        [
            issuers["eval"].sign(
                revocation(
                    target, worker, kind="entry.corrected", ref="K-1",
                    reason="证书编号录入错误 number mistyped",
                    corrected_on="2024-12-30", corrected=corrected,
                )
            )
        ]
    )  # fmt: skip
    assert outcome.entry is not None, outcome.refused
    name = service.identity(worker).name
    assert name is not None
    checked = check_certificates(
        service,
        [
            CheckRequest(old_number, name),
            CheckRequest(corrected["certificate_no"], name),
        ],
    )
    assert [(c.result, c.revoked_on) for c in checked] == [
        ("revoked", "2024-12-30"),
        ("match", None),
    ]

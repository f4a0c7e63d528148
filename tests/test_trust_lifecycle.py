"""Key rotation, retirement, compromise, revocation and correction on both engines.

What a key signed while valid stays valid after rotation and retirement;
what was logged after a key's compromise time T verifies as "signed by a
compromised key" in the archive, the audit and the online passport check;
a revoked or corrected entry verifies as revoked with its date and reason.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from issuers.errors import NotRegistered, RegistryError
from issuers.keys import raw_public
from ledger.log import utc_now
from passport import issuer_admin
from passport.checks import CheckRequest, check_certificates
from passport.cli.main import app as cli
from passport.issuance import issue_passport
from passport.service import Service
from passport.verification import verify_online
from passport.web.app import create_app
from schemas.trust import Accreditation, IssuerKind
from tests import kit
from tests.trust_kit import after_next_second, key_of, revocation, signed_now


def test_rotation_keeps_what_the_old_key_signed(
    service: Service, worker: str, issuers: dict[str, kit.Issuer]
) -> None:
    evaluator = issuers["eval"]
    old_kid = key_of(evaluator)
    view = issue_passport(service, worker, out=io.BytesIO())
    version = service.trust_list().version
    new_key = Ed25519PrivateKey.generate()

    at = utc_now().replace(microsecond=0)
    changed = issuer_admin.rotate_key(
        service,
        issuer_id="eval-001",
        key_id=old_kid,
        public_key=raw_public(new_key.public_key()),
        at=at,
    )

    assert changed.trust_list_version == version + 1
    windows = {k.key_id: (k.valid_from, k.valid_until) for k in changed.issuer.keys}
    assert windows == {old_kid: (kit.EPOCH, at), changed.key_id: (at, None)}
    # what the old key signed while valid: archive, audit and passport stand
    assert all(r.standing for r in service.archive(worker).records)
    assert service.audit().tree_size == 4
    assert verify_online(service, view.qr_text, now=utc_now()).status == "valid"

    late = evaluator.sign(signed_now(kit.certificate(worker, "eval-001", "C-3")))
    [refused] = service.submit([late])
    assert refused.refused is not None and refused.refused.reason == "not_current"
    assert f"is outside the validity of key {old_kid}" in refused.refused.detail
    rotated = kit.Issuer("eval-001", new_key, evaluator.trusted)
    [appended] = service.submit(
        [rotated.sign(signed_now(kit.certificate(worker, "eval-001", "C-3")))]
    )
    assert appended.entry is not None
    assert service.audit().tree_size == 5


def test_retired_key_and_refused_changes(
    service: Service, worker: str, issuers: dict[str, kit.Issuer]
) -> None:
    kid = key_of(issuers["train"])
    at = utc_now().replace(microsecond=0)
    changed = issuer_admin.retire_key(service, issuer_id="train-001", key_id=kid, at=at)
    assert changed.issuer.keys[0].valid_until == at
    assert all(r.standing for r in service.archive(worker).records)
    assert service.audit().tree_size == 4
    version = service.trust_list().version

    with pytest.raises(RegistryError, match=r"^key: .* is already retired since "):
        issuer_admin.retire_key(service, issuer_id="train-001", key_id=kid, at=at)
    with pytest.raises(NotRegistered, match=r"^key: 00000000 is not a key of "):
        issuer_admin.retire_key(
            service, issuer_id="train-001", key_id="00000000", at=at
        )
    with pytest.raises(NotRegistered, match=r"^issuer: nobody-1 is not registered"):
        issuer_admin.add_key(
            service, issuer_id="nobody-1", public_key=b"k" * 32, valid_from=at
        )
    with pytest.raises(RegistryError, match=r"^valid_until: .* is not after"):
        issuer_admin.add_key(
            service,
            issuer_id="train-001",
            public_key=b"k" * 32,
            valid_from=at,
            valid_until=at,
        )
    # a refused change publishes nothing
    assert service.trust_list().version == version


def test_compromise_flags_only_what_was_logged_after_t(
    service: Service, worker: str, issuers: dict[str, kit.Issuer], authority_token: str
) -> None:
    evaluator = issuers["eval"]
    kid = key_of(evaluator)
    since = after_next_second()
    [stolen] = service.submit(
        [evaluator.sign(signed_now(kit.certificate(worker, "eval-001", "C-3")))]
    )
    assert stolen.entry is not None
    view = issue_passport(service, worker, out=io.BytesIO())
    assert stolen.entry.log_index in [c.log_index for c in view.certificates]
    after_next_second()  # the mark is published after the entry was logged

    issuer_admin.compromise_key(service, issuer_id="eval-001", key_id=kid, since=since)

    records = {r.log_index: r for r in service.archive(worker).records}
    index = stolen.entry.log_index
    expected = (
        f"signature.key_id: key {kid} of eval-001 is compromised since "
        f"{since:%Y-%m-%dT%H:%M:%SZ}; entry {index} was logged after that"
    )
    assert records[index].compromised == expected
    assert [i for i, r in records.items() if r.compromised] == [index]
    assert issuer_admin.compromised_entries(service) == [(index, expected)]
    assert service.audit().tree_size == 5  # the log itself is intact
    where = ["--db", service.settings.db_url, "--home", str(service.settings.home)]
    audited = CliRunner().invoke(cli, ["audit", *where], env={"COLUMNS": "300"})
    assert audited.exit_code == 0, audited.output
    assert "signed by a compromised key: 1 entries" in audited.stdout
    assert f"  entry {index}: {expected}" in audited.stdout

    verdict = verify_online(service, view.qr_text, now=utc_now())
    assert verdict.status == "key_compromised"
    assert [f.message for f in verdict.findings] == [expected]
    headers = {"Authorization": f"Bearer {authority_token}"}
    with TestClient(create_app(service), headers=headers) as client:
        archive = client.get(f"/api/v1/workers/{worker}/archive").json()
        page = client.get(view.qr_text[view.qr_text.index("/V/") :])
    assert [r["compromised"] for r in archive["records"]] == [None] * 4 + [expected]
    assert 'data-status="key_compromised"' in page.text
    assert "签发密钥已泄露" in page.text
    again = issue_passport(service, worker, out=io.BytesIO())
    assert index not in [c.log_index for c in again.certificates]
    assert verify_online(service, again.qr_text, now=utc_now()).valid

    [refused] = service.submit(
        [evaluator.sign(signed_now(kit.certificate(worker, "eval-001", "C-4")))]
    )
    assert refused.refused is not None
    assert refused.refused.reason == "key_compromised"

    with pytest.raises(RegistryError, match=r"is already compromised since"):
        issuer_admin.compromise_key(
            service, issuer_id="eval-001", key_id=kid, since=utc_now()
        )


def test_revocation_and_correction_show_everywhere(
    service: Service, worker: str, issuers: dict[str, kit.Issuer], authority_token: str
) -> None:
    evaluator = issuers["eval"]
    view = issue_passport(service, worker, out=io.BytesIO())
    first, second = (service.log.entry(c.log_index) for c in view.certificates)
    corrected = {**second.event, "issued_on": "2024-05-09"}
    outcomes = service.submit(
        [
            evaluator.sign(
                revocation(
                    first,
                    worker,
                    kind="entry.revoked",
                    ref="R-1",
                    revoked_on="2025-01-01",
                )
            ),
            evaluator.sign(
                revocation(
                    second,
                    worker,
                    kind="entry.corrected",
                    ref="K-1",
                    reason="发证日期有误 wrong date",
                    corrected_on="2025-01-01",
                    corrected=corrected,
                )
            ),
        ]
    )
    assert all(o.entry for o in outcomes), [o.refused for o in outcomes]
    revoked_at, corrected_at = (o.entry.log_index for o in outcomes if o.entry)

    records = {r.log_index: r for r in service.archive(worker).records}
    assert records[first.log_index].revocation is not None
    assert records[first.log_index].revocation.describe(first.log_index) == (
        f"entry {first.log_index}: revoked by entry {revoked_at} on 2025-01-01: "
        "考核舞弊 exam misconduct"
    )
    assert records[second.log_index].revoked_by == corrected_at
    assert records[corrected_at].event.issued_on == dt.date(2024, 5, 9)
    assert records[corrected_at].correction is not None

    verdict = verify_online(service, view.qr_text, now=utc_now())
    assert verdict.status == "revoked"
    assert sorted(f.message for f in verdict.findings) == sorted(
        [
            f"entry {first.log_index}: revoked by entry {revoked_at} on 2025-01-01: "
            "考核舞弊 exam misconduct",
            f"entry {second.log_index}: corrected by entry {corrected_at} on "
            "2025-01-01: 发证日期有误 wrong date",
        ]
    )
    again = issue_passport(service, worker, out=io.BytesIO())
    assert [(c.log_index, c.issued_on) for c in again.certificates] == [
        (corrected_at, dt.date(2024, 5, 9))
    ]
    assert verify_online(service, again.qr_text, now=utc_now()).valid
    assert service.audit().tree_size == 6

    headers = {"Authorization": f"Bearer {authority_token}"}
    with TestClient(create_app(service), headers=headers) as client:
        archive = client.get(f"/api/v1/workers/{worker}/archive").json()
        page = client.get(view.qr_text[view.qr_text.index("/V/") :])
    shown = {r["log_index"]: r for r in archive["records"]}
    assert shown[first.log_index]["revocation"] == {
        "log_index": revoked_at,
        "revoked_on": "2025-01-01",
        "reason": "考核舞弊 exam misconduct",
        "corrected": False,
    }
    assert shown[second.log_index]["revocation"]["corrected"] is True
    assert shown[corrected_at]["corrects"] == second.log_index
    assert shown[corrected_at]["kind"] == "certificate.issued"
    assert shown[corrected_at]["event"]["issued_on"] == "2024-05-09"
    assert 'data-status="revoked"' in page.text
    assert "考核舞弊 exam misconduct" in page.text

    # certificate checks: the revoked one says so, the corrected one holds
    name = service.identity(worker).name
    assert name is not None
    numbers = [first.event["certificate_no"], second.event["certificate_no"]]
    checked = check_certificates(service, [CheckRequest(n, name) for n in numbers])
    assert [(c.result, c.revoked_on) for c in checked] == [
        ("revoked", "2025-01-01"),
        ("match", None),
    ]


@pytest.mark.parametrize(
    ("change", "reason", "detail"),
    [
        (
            {"corrected": {"kind": "training.enrolled"}},
            "malformed",
            "corrected.training.enrolled",
        ),
        ({"corrected_worker": kit.WORKER_B}, "malformed", "corrected.worker_id"),
        ({"target": "revoked"}, "conflicting_reference", "is already revoked"),
        ({"target": "enrolment"}, "not_accredited", "was signed by train-001"),
        (
            {"level": 2},
            "not_accredited",
            "skill_level: eval-001 may certify up to level 3, not 2",
        ),
    ],
)
def test_corrections_are_refused_with_the_reason(
    service: Service,
    worker: str,
    issuers: dict[str, kit.Issuer],
    change: dict[str, Any],
    reason: str,
    detail: str,
) -> None:
    evaluator = issuers["eval"]
    entries = service.log.worker_entries(worker)
    enrolment, certificate = entries[0], entries[2]
    if change.get("target") == "revoked":
        [done] = service.submit(
            [
                evaluator.sign(
                    revocation(
                        certificate,
                        worker,
                        kind="entry.revoked",
                        ref="R-1",
                        revoked_on="2025-01-01",
                    )
                )
            ]
        )
        assert done.entry is not None
    target = enrolment if change.get("target") == "enrolment" else certificate
    corrected = kit.certificate(worker, "eval-001", "C-1", level=change.get("level", 4))
    corrected.update(change.get("corrected", {}))
    if "corrected_worker" in change:
        corrected["worker_id"] = change["corrected_worker"]
    size = service.log.size()

    [outcome] = service.submit(
        [
            evaluator.sign(
                revocation(
                    target,
                    worker,
                    kind="entry.corrected",
                    ref="K-1",
                    corrected_on="2025-01-01",
                    corrected=corrected,
                )
            )
        ]
    )

    assert outcome.refused is not None, outcome
    assert outcome.refused.reason == reason
    assert detail in outcome.refused.detail
    assert service.log.size() == size


def test_correction_must_keep_the_kind(
    service: Service, worker: str, issuers: dict[str, kit.Issuer]
) -> None:
    train = issuers["train"]
    enrolment = service.log.worker_entries(worker)[0]
    completion = kit.completion(worker, "train-001", "T-1-done", "T-1")
    [outcome] = service.submit(
        [
            train.sign(
                {
                    **revocation(enrolment, worker),
                    "issuer_id": "train-001",
                    "kind": "entry.corrected",
                    "ref": "K-1",
                    "corrected_on": "2025-01-01",
                    "corrected": completion,
                }
            )
        ]
    )
    assert outcome.refused is not None
    assert (outcome.refused.reason, outcome.refused.detail) == (
        "conflicting_reference",
        f"corrected.kind: entry {enrolment.log_index} is a training.enrolled, "
        "not a training.completed",
    )


def test_registration_flags_a_failing_credit_code(service: Service) -> None:
    scope = Accreditation(event_kinds=["employment.started"])
    good = issuer_admin.register(
        service,
        issuer_id="emp-009",
        name="重庆测试养老院",
        kind=IssuerKind.EMPLOYER,
        uscc="91110000600037341L",
        accreditation=scope,
        now=kit.EPOCH,
    )
    flagged = issuer_admin.register(
        service,
        issuer_id="emp-010",
        name="重庆测试护理站",
        kind=IssuerKind.EMPLOYER,
        uscc="91110000600037341A",
        accreditation=scope,
        now=kit.EPOCH,
    )
    assert (good.issuer.uscc_flagged, flagged.issuer.uscc_flagged) == (False, True)
    assert flagged.trust_list_version == good.trust_list_version + 1
    listed = {i.issuer_id: i.uscc_flagged for i in service.trust_list().issuers}
    assert listed == {"emp-009": False, "emp-010": True}
    with pytest.raises(RegistryError, match=r"^uscc: expected 18 characters"):
        issuer_admin.register(
            service,
            issuer_id="emp-011",
            name="x",
            kind=IssuerKind.EMPLOYER,
            uscc="9111",
            accreditation=scope,
            now=kit.EPOCH,
        )
    with pytest.raises(RegistryError, match=r"^issuer: emp-009 is already registered"):
        issuer_admin.register(
            service,
            issuer_id="emp-009",
            name="x",
            kind=IssuerKind.EMPLOYER,
            uscc="91110000600037341L",
            accreditation=scope,
            now=kit.EPOCH,
        )

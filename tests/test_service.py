"""The service end to end on both engines: keys, submit, passports, verification."""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import re
import zlib
from pathlib import Path

import pytest
from sqlalchemy import insert, select, text

from issuers.errors import KeyStoreError
from issuers.tables import TrustListRow
from ledger.errors import AuditFailure
from passport.config import Settings
from passport.issuance import PassportOptions, issue_passport
from passport.service import Service, ServiceError
from passport.verdict import verify_offline
from passport.verification import verification_log, verify_online
from passport.workers import IdentityConflict, masked_name
from schemas.identifiers import IdentifierError
from tests import kit
from tests.conftest import ID_NUMBER
from verify.qrtext import parse_qr_text


def test_worker_id_is_a_keyed_hash_of_the_normalised_id(
    service: Service, worker: str
) -> None:
    fifteen = "110105491231002"
    assert service.register_workers([(fifteen, "吉𠮷")]) == [worker]
    identity = service.identity(worker)
    assert (identity.id_number, identity.name) == (ID_NUMBER, "吉𠮷")
    for entry in service.log.worker_entries(worker):
        assert ID_NUMBER not in entry.leaf_data.decode()
        assert "吉" not in entry.leaf_data.decode()


def test_keys_are_never_made_again_when_loading_fails(
    service: Service, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key_file = tmp_path / "keys" / "authority.pem"
    before = key_file.read_bytes()
    assert b"ENCRYPTED PRIVATE KEY" in before
    monkeypatch.setenv("SKILLPASS_KEY_PASSPHRASE", "wrong")
    settings = Settings.load(db=service.settings.db_url, home=tmp_path)
    with pytest.raises(KeyStoreError, match=r"cannot decrypt .*authority\.pem"):
        Service.open(settings, create_keys=True)
    monkeypatch.delenv("SKILLPASS_KEY_PASSPHRASE")
    with pytest.raises(KeyStoreError, match="SKILLPASS_KEY_PASSPHRASE is not set"):
        Service.open(settings)
    assert key_file.read_bytes() == before


@pytest.mark.parametrize("name", ["authority.pem", "log.pem", "pseudonym.secret"])
def test_missing_key_file_is_an_error_not_a_new_key(
    service: Service, tmp_path: Path, passphrase: str, name: str
) -> None:
    (tmp_path / "keys" / name).unlink()
    settings = Settings.load(db=service.settings.db_url, home=tmp_path)
    with pytest.raises(KeyStoreError, match=f"keys: {name.split('.')[0]} missing"):
        Service.open(settings, create_keys=True)
    assert not (tmp_path / "keys" / name).exists()


def test_no_keys_and_no_init_is_a_clear_error(tmp_path: Path, passphrase: str) -> None:
    settings = Settings.load(home=tmp_path)
    with pytest.raises(ServiceError, match="create them with `skillpass init`"):
        Service.open(settings)


def test_existing_keys_on_a_new_database_are_registered_there(
    service: Service, tmp_path: Path, passphrase: str
) -> None:
    fresh = Settings.load(db=f"sqlite:///{tmp_path / 'other.db'}", home=tmp_path)
    other = Service.open(fresh)
    try:
        assert other.trust_list().authority == service.trust_list().authority
        [mine], [theirs] = (s.trust_list().passport_signers for s in (other, service))
        assert mine.public_key == theirs.public_key
    finally:
        other.close()


def test_passport_verifies_offline_and_online(service: Service, worker: str) -> None:
    view = issue_passport(service, worker, out=io.BytesIO())
    assert view.holder.name == "吉𠮷" and view.holder.masked_name == "吉*"
    assert [c.certificate_no[15] for c in view.certificates] == ["4", "5"]
    assert [line.level_name for line in view.levels] == ["四级/中级工"]
    now = view.issued_at + dt.timedelta(days=1)
    verdict = verify_offline(view.qr_text, service.trust_list(), now=now)
    assert verdict.valid and verdict.passport is not None
    assert verdict.passport.id_last4 == "002X"
    assert {c.certificate_no for c in verdict.passport.certificates} == {
        c.certificate_no for c in view.certificates
    }
    online = verify_online(service, view.qr_text, now=now, verifier="某养老院")
    assert online.valid, online.findings
    [logged] = verification_log(service, worker)
    assert (logged.result, logged.verifier) == ("valid", "某养老院")


@pytest.mark.parametrize(
    ("shift", "status"),
    [
        (dt.timedelta(days=-1), "not_yet_valid"),
        (dt.timedelta(days=30), "expired"),
    ],
)
def test_passport_outside_its_dates(
    service: Service, worker: str, shift: dt.timedelta, status: str
) -> None:
    view = issue_passport(
        service, worker, out=io.BytesIO(), options=PassportOptions(valid_days=30)
    )
    verdict = verify_offline(
        view.qr_text, service.trust_list(), now=view.issued_at + shift
    )
    assert verdict.authentic and verdict.current is False
    assert verdict.status == status


def _reencode(qr_text: str, cose: bytes) -> str:
    url, _ = parse_qr_text(qr_text)
    encoded = base64.b32encode(zlib.compress(cose, 9)).decode().rstrip("=")
    return f"{url}/V/{encoded}"


def test_forged_or_foreign_passport_is_refused(service: Service, worker: str) -> None:
    view = issue_passport(service, worker, out=io.BytesIO())
    now = view.issued_at
    _, cose = parse_qr_text(view.qr_text)
    forged = bytearray(cose)
    forged[40] ^= 0x01
    verdict = verify_offline(
        _reencode(view.qr_text, bytes(forged)), service.trust_list(), now=now
    )
    assert not verdict.valid and verdict.status in {"bad_signature", "malformed"}

    stranger = service.trust_list().model_copy(update={"passport_signers": []})
    verdict = verify_offline(view.qr_text, stranger, now=now)
    assert verdict.status == "unknown_signer"
    assert "is not a passport signer on trust list" in verdict.findings[0].message

    elsewhere = view.qr_text.replace("HTTP://127.0.0.1:8000", "HTTPS://EVIL.EXAMPLE")
    verdict = verify_offline(elsewhere, service.trust_list(), now=now)
    assert verdict.status == "malformed"
    assert "expected HTTP://127.0.0.1:8000" in verdict.findings[0].message


def test_revoked_certificate_shows_online(
    service: Service, worker: str, issuers: dict[str, kit.Issuer]
) -> None:
    view = issue_passport(service, worker, out=io.BytesIO())
    target = service.log.entry(view.certificates[0].log_index)
    [outcome] = service.submit(
        [
            issuers["eval"].sign(
                {
                    "kind": "entry.revoked",
                    "worker_id": worker,
                    "issuer_id": "eval-001",
                    "ref": "R-1",
                    "signed_at": "2025-01-01T00:00:00Z",
                    "target_log_index": target.log_index,
                    "target_leaf_hash": target.leaf_hash.hex(),
                    "reason": "考核舞弊 exam misconduct",
                    "revoked_on": "2025-01-01",
                }
            )
        ]
    )
    assert outcome.entry is not None
    verdict = verify_online(service, view.qr_text, now=view.issued_at)
    assert verdict.status == "revoked"
    assert "on 2025-01-01: 考核舞弊 exam misconduct" in verdict.findings[0].message
    assert verify_offline(view.qr_text, service.trust_list(), now=view.issued_at).valid
    again = issue_passport(service, worker, out=io.BytesIO())
    assert [c.log_index for c in again.certificates] == [view.certificates[1].log_index]


def test_unknown_worker_gets_no_passport(service: Service) -> None:
    with pytest.raises(ServiceError, match=r"worker: 0+ is not registered"):
        issue_passport(service, "0" * 32, out=io.BytesIO())


def test_audit_passes_on_a_fresh_log(service: Service, worker: str) -> None:
    report = service.audit()
    assert (report.tree_size, report.workers) == (4, 1)


def test_events_about_unknown_workers_or_naming_them_are_refused(
    service: Service, worker: str, issuers: dict[str, kit.Issuer]
) -> None:
    train = issuers["train"]
    stranger = kit.enrolment("0" * 32, "train-001", "S-1")
    named = kit.enrolment(worker, "train-001", "S-2") | {"course": "吉𠮷的护理培训"}
    size = service.log.size()
    outcomes = service.submit([train.sign(stranger), train.sign(named)])
    assert [(o.refused.reason, o.refused.detail) for o in outcomes] == [
        ("unknown_worker", f"worker_id: {'0' * 32} is not registered"),
        ("personal_data", "event: contains the worker's name"),
    ]
    assert service.log.size() == size


@pytest.mark.parametrize(
    "course",
    ["吉 𠮷的护理培训", "吉\u3000𠮷", "护理 吉\t𠮷", "吉\u00a0𠮷"],
)
def test_events_naming_the_worker_spaced_or_full_width_are_refused(
    service: Service, worker: str, issuers: dict[str, kit.Issuer], course: str
) -> None:
    size = service.log.size()
    named = kit.enrolment(worker, "train-001", "S-3") | {"course": course}
    [outcome] = service.submit([issuers["train"].sign(named)])
    assert outcome.refused is not None
    assert (outcome.refused.reason, outcome.refused.detail) == (
        "personal_data",
        "event: contains the worker's name",
    )
    assert "𠮷" not in outcome.refused.detail
    assert service.log.size() == size


@pytest.mark.parametrize(
    "written",
    [
        "500103 19900307 1239",
        "500103-1990-0307-1239",
        "500103.1990.0307.1239",
        "５００１０３１９９００３０７１２３９",
        "500103900307123",
    ],
)
def test_events_with_an_id_number_in_any_grouping_are_refused(
    service: Service, worker: str, issuers: dict[str, kit.Issuer], written: str
) -> None:
    size = service.log.size()
    event = kit.enrolment(worker, "train-001", "S-4") | {"course": f"学员 {written}"}
    [outcome] = service.submit([issuers["train"].sign(event)])
    assert outcome.refused is not None
    assert (outcome.refused.reason, outcome.refused.detail) == (
        "malformed",
        "training.enrolled.course: Value error, must not contain a resident ID number",
    )
    assert service.log.size() == size


def test_a_trust_list_altered_in_the_database_stops_the_service(
    service: Service, tmp_path: Path, passphrase: str
) -> None:
    with service.engine.begin() as connection:
        document = connection.execute(
            select(TrustListRow.document).order_by(TrustListRow.version.desc())
        ).scalar_one()
        forged = document.replace('"highest_level":3', '"highest_level":1')
        version = json.loads(document)["trust_list"]["version"] + 1
        forged = forged.replace(f'"version":{version - 1}', f'"version":{version}')
        connection.execute(
            insert(TrustListRow).values(
                version=version, issued_at=kit.EPOCH, document=forged
            )
        )
    settings = Settings.load(db=service.settings.db_url, home=tmp_path)
    with pytest.raises(ServiceError, match="was the database altered"):
        Service.open(settings)


def test_settings_fixed_by_the_trust_list_win_over_the_environment(
    service: Service, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SKILLPASS_VERIFY_URL", "https://elsewhere.example/")
    settings = Settings.load(db=service.settings.db_url, home=tmp_path)
    with pytest.raises(ServiceError, match=r"HTTPS://ELSEWHERE\.EXAMPLE differs from"):
        Service.open(settings)
    monkeypatch.delenv("SKILLPASS_VERIFY_URL")
    again = Service.open(Settings.load(db=service.settings.db_url, home=tmp_path))
    try:
        assert again.verify_url == service.verify_url == "HTTP://127.0.0.1:8000"
    finally:
        again.close()


def test_lost_key_directory_is_not_replaced_by_new_keys(
    service: Service, tmp_path: Path, passphrase: str
) -> None:
    (tmp_path / "keys").rename(tmp_path / "keys-away")
    settings = Settings.load(db=service.settings.db_url, home=tmp_path)
    with pytest.raises(ServiceError, match="restore the key directory from backup"):
        Service.open(settings, create_keys=True)
    assert not (tmp_path / "keys").exists()


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("   ", "expected 1 to 32 characters, got 0"),
        ("张" * 33, "expected 1 to 32 characters, got 33"),
        ("张\u0000三", "U+0000 (Cc) cannot be printed"),
        ("张\u200d三", "U+200D (Cf) cannot be printed"),
        ("张\ue000", "U+E000 (Co) cannot be printed"),
        ("张\U00031350", "U+31350 (Cn) cannot be printed"),
    ],
)
def test_unprintable_names_are_refused_at_registration(
    service: Service, name: str, message: str
) -> None:
    with pytest.raises(IdentifierError, match=re.escape(message)):
        service.register_workers([("360426199101010071", name)])


def test_names_are_kept_as_given_and_not_renamed(service: Service, worker: str) -> None:
    [other] = service.register_workers([("360426199101010071", "\uf900明")])
    assert service.identity(other).name == "\uf900明"  # not NFC's U+8C48
    with pytest.raises(IdentityConflict, match="registered under another name"):
        service.register_workers([(ID_NUMBER, "李四")])
    assert masked_name("李") == "*"


def test_audit_sees_a_log_rolled_back_with_its_checkpoints(
    service: Service, worker: str
) -> None:
    issue_passport(service, worker, out=io.BytesIO())
    kept = service.checkpoint_file.read_text("utf-8")
    assert "\n4\n" in kept
    with service.engine.begin() as connection:
        kit.drop_append_only_triggers(connection)
        for table in ("entries", "tree_nodes", "checkpoints"):
            connection.execute(text(f"DELETE FROM {table}"))
    with pytest.raises(
        AuditFailure, match=r"truncated log: a checkpoint of \S+/\d{4} signed size 4"
    ):
        service.audit()
    service.checkpoint_file.unlink()
    with pytest.raises(AuditFailure, match="passports were issued when the log held 4"):
        service.audit()

"""Verifiable Credentials made from ledger entries: shape, schema, trust, status."""

from __future__ import annotations

import copy
import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jsonschema import Draft201909Validator

from issuers.errors import KeyStoreError
from issuers.keys import raw_public
from issuers.registry import add_issuer_key, register_issuer
from passport.config import Settings
from passport.credentials import (
    credential_for_entry,
    export_credentials,
    sign_credential,
    status_list_credential,
)
from passport.errors import ServiceError
from passport.service import Service
from schemas.trust import Accreditation, IssuerKind, TrustList
from tests import kit
from verify.credential import CredentialCheck, verify_credential
from verify.errors import (
    BadSignature,
    Expired,
    KeyCompromised,
    MalformedInput,
    NotYetValid,
    Revoked,
    UntrustedSigner,
)
from verify.multikey import did_key
from verify.statuslist import bit_is_set, decode_bitstring

DATA = Path(__file__).parent / "data" / "ob3"
SCHEMA = json.loads(
    (DATA / "schema" / "ob_v3p0_achievementcredential_schema.json").read_text()
)
NOW = dt.datetime.now(dt.UTC)
SIGNER = Ed25519PrivateKey.generate()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _certificates(service: Service, worker_id: str) -> list[int]:
    archive = service.archive(worker_id)
    return [r.log_index for r in archive.records if r.kind == "certificate.issued"]


def _status(service: Service) -> dict[str, dict[str, Any]]:
    document = status_list_credential(service, 0)
    return {document["id"]: document}


def _verify(
    credential: dict[str, Any],
    trust_list: TrustList,
    status_lists: dict[str, dict[str, Any]] | None = None,
    at: dt.datetime | None = None,
) -> CredentialCheck:
    return verify_credential(
        credential,
        trust_list=trust_list,
        status_lists=status_lists or {},
        at=at or dt.datetime.now(dt.UTC),
    )


def test_certificate_credential_is_an_ob3_achievement_tied_to_its_entry(
    service: Service, worker: str, issuers: dict[str, kit.Issuer]
) -> None:
    level_4 = _certificates(service, worker)[1]
    credential = credential_for_entry(service, level_4)
    entry = service.log.entry(level_4)
    signer = raw_public(service.keys.credential_signer.public_key())

    assert credential["type"] == ["VerifiableCredential", "AchievementCredential"]
    assert credential["id"] == f"http://127.0.0.1:8000/api/v1/credentials/{level_4}"
    assert credential["issuer"]["id"] == did_key(signer)
    assert credential["validFrom"] == "2024-05-08T00:00:00+08:00"
    subject = credential["credentialSubject"]
    assert subject["id"] == f"urn:skillpass:worker:{worker}"
    assert subject["licenseNumber"] == entry.event["certificate_no"]
    achievement = subject["achievement"]
    assert achievement["achievementType"] == "Certificate"
    assert achievement["name"] == "职业技能等级证书 养老护理员 四级/中级工"
    assert achievement["alignment"][0]["targetCode"] == "4-10-01-05"
    [levels] = achievement["resultDescription"]
    assert [level["level"] for level in levels["rubricCriterionLevel"]] == list("54321")
    assert subject["result"] == [
        {
            "type": ["Result"],
            "resultDescription": levels["id"],
            "achievedLevel": "urn:skillpass:skill-level:4",
        }
    ]
    evaluator = raw_public(issuers["eval"].key.public_key())
    assert achievement["creator"]["id"] == did_key(evaluator)
    assert achievement["creator"]["name"] == "测试机构 eval-001"
    assert entry.leaf_hash.hex() in credential["evidence"][0]["description"]
    assert credential["credentialStatus"]["statusListIndex"] == str(level_4)
    assert [p["cryptosuite"] for p in credential["proof"]] == [
        "eddsa-rdfc-2022",
        "eddsa-jcs-2022",
    ]


def test_credential_validates_against_the_ob3_schema(
    service: Service, worker: str
) -> None:
    credential = credential_for_entry(service, _certificates(service, worker)[0])
    Draft201909Validator(SCHEMA).validate(credential)


def test_credential_verifies_with_the_trust_list_and_status_list(
    service: Service, worker: str
) -> None:
    credential = credential_for_entry(service, _certificates(service, worker)[0])
    check = _verify(credential, service.trust_list(), _status(service))
    authority = service.trust_list().authority.name
    assert check.trusted_as == f"credential signer of {authority}"
    assert [p.cryptosuite for p in check.proofs] == [
        "eddsa-rdfc-2022",
        "eddsa-jcs-2022",
    ]
    assert check.status_unchecked == ()
    unchecked = _verify(credential, service.trust_list())
    assert unchecked.status_unchecked == (
        credential["credentialStatus"]["statusListCredential"],
    )


def test_revocation_shows_in_the_status_list_and_the_verification(
    service: Service, worker: str, issuers: dict[str, kit.Issuer]
) -> None:
    first, second = _certificates(service, worker)
    credential = credential_for_entry(service, second)
    before = _status(service)
    target = service.log.entry(second)
    [outcome] = service.submit(
        [
            issuers["eval"].sign(
                {
                    "kind": "entry.revoked",
                    "worker_id": worker,
                    "issuer_id": "eval-001",
                    "ref": "R-1",
                    "signed_at": "2024-06-01T02:00:00Z",
                    "target_log_index": second,
                    "target_leaf_hash": target.leaf_hash.hex(),
                    "reason": "证书信息有误 wrong details",
                    "revoked_on": "2024-06-01",
                }
            )
        ]
    )
    assert outcome.entry is not None
    after = _status(service)
    [document] = after.values()
    bits = decode_bitstring(document["credentialSubject"]["encodedList"])
    assert bit_is_set(bits, second) and not bit_is_set(bits, first)

    _verify(credential, service.trust_list(), before)  # the old list: not yet
    with pytest.raises(Revoked, match=rf"revocation bit {second} of .*/status/0"):
        _verify(credential, service.trust_list(), after)
    _verify(credential_for_entry(service, first), service.trust_list(), after)


def test_export_writes_live_credentials_and_their_status_list(
    service: Service, worker: str, tmp_path: Path
) -> None:
    written = export_credentials(service, worker, tmp_path / "vc")
    names = sorted(p.name for p in written)
    first, second = _certificates(service, worker)
    assert names == sorted(
        [f"credential-{first}.json", f"credential-{second}.json", "status-0.json"]
    )
    status = json.loads((tmp_path / "vc" / "status-0.json").read_text())
    for path in written[:2]:
        _verify(
            json.loads(path.read_text()), service.trust_list(), {status["id"]: status}
        )


def test_awards_and_special_abilities_become_credentials(
    service: Service, worker: str
) -> None:
    judge = kit.make_issuer(
        "contest-001",
        IssuerKind.EVALUATION_INSTITUTION,
        ["certificate.issued", "competition.awarded"],
    )
    with service.session() as session:
        register_issuer(
            session,
            issuer_id="contest-001",
            name="重庆市职业技能鉴定中心",
            kind=judge.trusted.kind,
            uscc=judge.trusted.uscc,
            accreditation=Accreditation(
                event_kinds=judge.trusted.accreditation.event_kinds
            ),
            now=kit.EPOCH,
        )
        add_issuer_key(
            session,
            issuer_id="contest-001",
            public_key=raw_public(judge.key.public_key()),
            valid_from=kit.EPOCH,
        )
    service.publish_trust_list()
    base = {"worker_id": worker, "issuer_id": "contest-001"}
    award, ability = service.submit(
        [
            judge.sign(
                {
                    **base,
                    "kind": "competition.awarded",
                    "ref": "A-1",
                    "signed_at": "2024-10-10T02:00:00Z",
                    "occupation_code": "4-10-01-05",
                    "contest": "2024年“巴渝工匠”杯养老护理职业技能竞赛",
                    "contest_class": "provincial_1",
                    "rank": 3,
                    "awarded_on": "2024-10-09",
                }
            ),
            judge.sign(
                {
                    **base,
                    "kind": "certificate.issued",
                    "ref": "ZX5012324000001",
                    "signed_at": "2024-11-10T02:00:00Z",
                    "certificate_type": "special_ability",
                    "occupation_code": "4071202000000006",
                    "certificate_no": "ZX5012324000001",
                    "issued_on": "2024-11-08",
                }
            ),
        ]
    )
    assert award.entry is not None and ability.entry is not None
    validator = Draft201909Validator(SCHEMA)
    for outcome, kind, name in (
        (
            award,
            "Award",
            "职业技能竞赛获奖 2024年“巴渝工匠”杯养老护理职业技能竞赛 第3名",
        ),
        (ability, "Certificate", "专项职业能力证书 照料老年人"),
    ):
        assert outcome.entry is not None
        credential = credential_for_entry(service, outcome.entry.log_index)
        achievement = credential["credentialSubject"]["achievement"]
        assert (achievement["achievementType"], achievement["name"]) == (kind, name)
        validator.validate(credential)
        _verify(credential, service.trust_list(), _status(service))
    award_vc = credential_for_entry(service, award.entry.log_index)
    assert award_vc["credentialSubject"]["result"][0]["value"] == "3"


def test_entries_without_a_credential_are_refused(
    service: Service, worker: str
) -> None:
    with pytest.raises(ServiceError, match=r"entry 0 is a training\.enrolled"):
        credential_for_entry(service, 0)
    with pytest.raises(ServiceError, match="no entry at log index 99"):
        credential_for_entry(service, 99)
    with pytest.raises(ServiceError, match="status list: 1 covers no entry"):
        status_list_credential(service, 1)


# Each way verification fails, on one real credential.


@pytest.fixture
def issued(service: Service, worker: str) -> tuple[dict[str, Any], TrustList]:
    return credential_for_entry(service, _certificates(service, worker)[0]), (
        service.trust_list()
    )


@pytest.mark.parametrize("suite", [0, 1])
def test_a_changed_credential_fails_each_proof(
    issued: tuple[dict[str, Any], TrustList], suite: int
) -> None:
    credential, trust_list = issued
    changed = copy.deepcopy(credential)
    changed["credentialSubject"]["licenseNumber"] = "S000050123456245999999"
    changed["proof"] = [changed["proof"][suite]]
    name = changed["proof"][0]["cryptosuite"]
    with pytest.raises(BadSignature, match=rf"proof\[0\]: {name} signature by did:key"):
        _verify(changed, trust_list)


def test_a_signer_off_the_trust_list_is_untrusted(
    issued: tuple[dict[str, Any], TrustList],
) -> None:
    credential, trust_list = issued
    stranger = trust_list.model_copy(update={"credential_signers": []})
    with pytest.raises(UntrustedSigner, match="is not a credential signer of trust"):
        _verify(credential, stranger)


def test_a_compromised_or_retired_signer_is_refused(
    issued: tuple[dict[str, Any], TrustList],
) -> None:
    credential, trust_list = issued
    [key] = trust_list.credential_signers
    for update, error, message in (
        ({"compromised_since": NOW - dt.timedelta(days=1)}, KeyCompromised, "since"),
        ({"valid_until": NOW - dt.timedelta(days=1)}, UntrustedSigner, "window"),
    ):
        changed = key.model_copy(update=update)
        listed = trust_list.model_copy(update={"credential_signers": [changed]})
        with pytest.raises(error, match=message):
            _verify(credential, listed)


def test_validity_window(issued: tuple[dict[str, Any], TrustList]) -> None:
    credential, trust_list = issued
    with pytest.raises(NotYetValid, match="validFrom: 2024-05-08T00:00:00"):
        _verify(credential, trust_list, at=dt.datetime(2024, 5, 1, tzinfo=dt.UTC))
    signed = _self_signed({**credential, "validUntil": "2025-01-01T00:00:00Z"}, SIGNER)
    with pytest.raises(Expired, match="validUntil: 2025-01-01T00:00:00Z is before"):
        verify_credential(signed, trust_list=None, status_lists={}, at=_now())


def test_an_expired_status_list_is_refused(
    service: Service, worker: str, issued: tuple[dict[str, Any], TrustList]
) -> None:
    credential, trust_list = issued
    late = NOW + dt.timedelta(days=2)
    with pytest.raises(Expired, match=r"validUntil: .* is before"):
        _verify(credential, trust_list, _status(service), at=late)


def test_a_time_without_zone_is_refused() -> None:
    credential = _self_signed(
        {
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": ["VerifiableCredential"],
            "issuer": {"id": "did:key:z"},
            "validFrom": "2024-05-08T00:00:00",
            "credentialSubject": {"id": "urn:skillpass:worker:x"},
        },
        SIGNER,
    )
    with pytest.raises(MalformedInput, match=r"validFrom: .* has no time zone"):
        verify_credential(credential, trust_list=None, status_lists={}, at=_now())


def _self_signed(document: dict[str, Any], key: Ed25519PrivateKey) -> dict[str, Any]:
    """The document re-issued by the did:key of ``key``."""
    did = did_key(raw_public(key.public_key()))
    unsigned = {k: v for k, v in document.items() if k != "proof"}
    unsigned["issuer"] = {**unsigned["issuer"], "id": did}
    return sign_credential(unsigned, private_key=key, created=NOW)


def test_a_status_list_of_another_issuer_is_refused(
    service: Service, issued: tuple[dict[str, Any], TrustList]
) -> None:
    credential, _ = issued
    [(url, status)] = _status(service).items()
    foreign = _self_signed(status, SIGNER)
    with pytest.raises(UntrustedSigner, match=f"status list: {url} is issued by"):
        verify_credential(
            credential, trust_list=None, status_lists={url: foreign}, at=_now()
        )


def test_a_key_not_the_issuers_is_refused(
    issued: tuple[dict[str, Any], TrustList],
) -> None:
    credential, _ = issued
    mine = _self_signed(credential, SIGNER)
    # keep the proofs by SIGNER, but claim the service as issuer
    mine["issuer"] = credential["issuer"]
    del mine["proof"]
    forged = sign_credential(mine, private_key=SIGNER, created=NOW)
    with pytest.raises(UntrustedSigner, match="is not the issuer did:key:"):
        verify_credential(forged, trust_list=None, status_lists={}, at=_now())


def test_a_self_issued_did_key_credential_verifies_without_a_trust_list(
    issued: tuple[dict[str, Any], TrustList],
) -> None:
    credential, trust_list = issued
    theirs = _self_signed(credential, SIGNER)
    check = verify_credential(theirs, trust_list=None, status_lists={}, at=_now())
    assert check.trusted_as is None
    assert check.issuer_id == did_key(raw_public(SIGNER.public_key()))
    with pytest.raises(UntrustedSigner, match="is not a credential signer"):
        _verify(theirs, trust_list)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda c: c.pop("proof"), "carries no proof"),
        (lambda c: c.update(proof=[]), "proof set is empty"),
        (lambda c: c["proof"][0].update(cryptosuite="ecdsa-rdfc-2019"), "cryptosuite"),
        (lambda c: c["proof"][0].update(type="Ed25519Signature2020"), "type is"),
        (lambda c: c["proof"][0].update(previousProof="urn:x"), "proof chains"),
        (lambda c: c["proof"][0].update(proofValue="z3yx"), "64-byte signature"),
        (lambda c: c["proof"][0].update(proofValue="u3yx"), "not base58-btc"),
        (lambda c: c.update({"@context": ["https://x.example/v1"]}), "must begin"),
        (lambda c: c.update(type=["AchievementCredential"]), "VerifiableCredential"),
        (lambda c: c.pop("issuer"), "names no issuer"),
        (
            lambda c: c["proof"][0].update(verificationMethod="https://x.example#k1"),
            "cannot resolve https://x.example#k1",
        ),
    ],
)
def test_malformed_credentials_are_refused(
    issued: tuple[dict[str, Any], TrustList],
    change: Callable[[dict[str, Any]], object],
    message: str,
) -> None:
    credential, trust_list = issued
    broken = copy.deepcopy(credential)
    change(broken)
    with pytest.raises((MalformedInput, UntrustedSigner), match=message):
        _verify(broken, trust_list)


def test_a_term_no_context_defines_is_never_signed(
    issued: tuple[dict[str, Any], TrustList],
) -> None:
    credential, _ = issued
    unsigned = {k: v for k, v in credential.items() if k != "proof"}
    unsigned["credentialSubject"] = {**unsigned["credentialSubject"], "nickname": "x"}
    with pytest.raises(MalformedInput, match="'nickname' is not defined"):
        sign_credential(unsigned, private_key=SIGNER, created=NOW)
    unsigned["@context"] = [*unsigned["@context"], "https://x.example/ctx"]
    with pytest.raises(MalformedInput, match=r"https://x\.example/ctx is not vendored"):
        sign_credential(unsigned, private_key=SIGNER, created=NOW)


def test_init_adds_a_credential_signer_to_keys_that_predate_it(
    service: Service, worker: str, tmp_path: Path, passphrase: str
) -> None:
    old = service.trust_list().credential_signers
    (tmp_path / "keys" / "credential_signer.pem").unlink()
    settings = Settings.load(db=service.settings.db_url, home=tmp_path)
    with pytest.raises(KeyStoreError, match=r"credential_signer missing .* predates"):
        Service.open(settings)
    upgraded = Service.open(settings, create_keys=True)
    try:
        signers = upgraded.trust_list().credential_signers
        assert len(signers) == 2 and set(old) < set(signers)
        credential = credential_for_entry(upgraded, _certificates(upgraded, worker)[0])
        _verify(credential, upgraded.trust_list(), _status(upgraded))
    finally:
        upgraded.close()


def test_a_work_type_has_an_achievement_of_its_own(
    service: Service, worker: str, issuers: dict[str, kit.Issuer]
) -> None:
    event = kit.certificate(worker, "eval-001", "C-W", work_type="社区助老员")
    [outcome] = service.submit([issuers["eval"].sign(event)])
    assert outcome.entry is not None
    credential = credential_for_entry(service, outcome.entry.log_index)
    achievement = credential["credentialSubject"]["achievement"]
    assert achievement["id"] == (
        "urn:skillpass:achievement:skill-level:4-10-01-05:"
        "%E7%A4%BE%E5%8C%BA%E5%8A%A9%E8%80%81%E5%91%98:5"
    )
    assert (
        achievement["name"] == "职业技能等级证书 养老护理员（社区助老员） 五级/初级工"
    )
    Draft201909Validator(SCHEMA).validate(credential)
    _verify(credential, service.trust_list(), _status(service))

"""Published vectors: W3C vc-di-eddsa (both suites) and 1EdTech Open Badges 3.0.

Sources are in ``tests/data/vc-di-eddsa/README.md`` and
``tests/data/ob3/README.md`` (copied from the shared vectors folder).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Any

import base58
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jsonschema import Draft201909Validator

from verify.credential import verify_credential
from verify.dataintegrity import JCS, RDFC, create_proof, hash_data, verify_proofs
from verify.errors import BadSignature, Revoked
from verify.jsonld import canonical_nquads
from verify.multikey import did_key_public_key, raw_public_key

DATA = Path(__file__).parent / "data"
W3C = DATA / "vc-di-eddsa"
OB3 = DATA / "ob3"
NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def _json(path: Path) -> Any:
    return json.loads(path.read_text("utf-8"))


def _w3c_key() -> Ed25519PrivateKey:
    secret = base58.b58decode(_json(W3C / "keyPair.json")["privateKeyMultibase"][1:])
    assert secret[:2] == b"\x80\x26"  # ed25519-priv multicodec, then the seed
    return Ed25519PrivateKey.from_private_bytes(secret[2:])


# (folder, suffix, unsigned input, cryptosuite)
W3C_CASES = [
    ("eddsa-rdfc-2022", "DataInt", "unsigned.json", RDFC),
    ("eddsa-rdfc-2022/employ", "DataInt", "employmentAuth.json", RDFC),
    ("eddsa-jcs-2022", "JCS", "unsigned.json", JCS),
]


@pytest.mark.parametrize(("folder", "suffix", "unsigned", "suite"), W3C_CASES)
def test_w3c_canonical_forms_hashes_and_signature(
    folder: str, suffix: str, unsigned: str, suite: str
) -> None:
    base = W3C / folder
    document = _json(W3C / unsigned)
    config = _json(base / f"proofConfig{suffix}.json")
    if suite == RDFC:
        canon_doc = canonical_nquads(document)
        canon_proof = canonical_nquads(config)
        assert canon_doc == (base / f"canonDoc{suffix}.txt").read_text("utf-8")
        assert canon_proof == (base / f"proofCanon{suffix}.txt").read_text("utf-8")
    data = hash_data(document, config, suite)
    assert data[:32].hex() == (base / f"proofHash{suffix}.txt").read_text().strip()
    assert data[32:].hex() == (base / f"docHash{suffix}.txt").read_text().strip()
    combined = (base / f"combinedHash{suffix}.txt").read_text().strip()
    assert data.hex() == combined

    proof = create_proof(
        document,
        private_key=_w3c_key(),
        verification_method=config["verificationMethod"],
        cryptosuite=suite,
        created=config["created"],
    )
    signed = _json(base / f"signed{suffix}.json")
    assert proof == signed["proof"]
    sig = base58.b58decode(proof["proofValue"][1:]).hex()
    assert sig == (base / f"sigHex{suffix}.txt").read_text().strip()


@pytest.mark.parametrize(
    "name",
    [
        "eddsa-rdfc-2022/signedDataInt.json",
        "eddsa-rdfc-2022/employ/signedDataInt.json",
        "eddsa-jcs-2022/signedJCS.json",
        "proof-set-chain/signedProofSet2.json",
    ],
)
def test_w3c_signed_vectors_verify_and_fail_when_changed(name: str) -> None:
    document = _json(W3C / name)
    proofs = verify_proofs(document, did_key_public_key)
    assert {p.verification_method.startswith("did:key:z6Mk") for p in proofs} == {True}
    document["validFrom"] = "2023-01-02T00:00:00Z"
    with pytest.raises(BadSignature, match=r"proof\[0\]: eddsa-.* does not verify"):
        verify_proofs(document, did_key_public_key)


def test_obv3_linked_data_proof_vector() -> None:
    expected = _json(OB3 / "ldp-test-vector" / "expected.json")
    unsigned = _json(OB3 / "ldp-test-vector" / "unsigned-credential.json")
    options = expected["proofOptions"]
    doc = (OB3 / "ldp-test-vector" / "document-canon.txt").read_text("utf-8")
    proof_canon = (OB3 / "ldp-test-vector" / "proof-canon.txt").read_text("utf-8")
    assert canonical_nquads(unsigned) == doc
    config = {**options, "@context": unsigned["@context"]}
    assert canonical_nquads(config) == proof_canon
    assert hash_data(unsigned, config, RDFC).hex() == expected["dataToSignHex"]

    seed = bytes.fromhex(expected["privateKeyHex_seed_then_pub"])[:32]
    proof = create_proof(
        unsigned,
        private_key=Ed25519PrivateKey.from_private_bytes(seed),
        verification_method=options["verificationMethod"],
        cryptosuite=RDFC,
        created=options["created"],
    )
    assert proof["proofValue"] == expected["proofValue"]
    assert hashlib.sha256(doc.encode()).hexdigest() == expected["documentHashHex"]


ONE_EDTECH_KEY = raw_public_key("z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi")


@pytest.mark.parametrize(
    "name",
    ["1edtech-validator_ob30_simple.json", "../ldp-test-vector/signed-credential.json"],
)
def test_1edtech_signed_credentials_verify(name: str) -> None:
    credential = _json(OB3 / "samples" / name)
    check = verify_credential(credential, trust_list=None, status_lists={}, at=NOW)
    assert check.issuer_id == credential["issuer"]["id"]
    assert check.trusted_as is None
    assert [p.cryptosuite for p in check.proofs] == [RDFC]


def test_1edtech_revoked_credential_shows_revoked_with_its_status_list() -> None:
    credential = _json(
        OB3 / "samples" / "1edtech-validator_ob30_bsl_credential-status-revoked.json"
    )
    status = _json(OB3 / "samples" / "1edtech-validator_ob30_bsl_testlist.json")
    url = credential["credentialStatus"]["statusListCredential"]
    check = verify_credential(credential, trust_list=None, status_lists={}, at=NOW)
    assert check.status_unchecked == (url,)
    with pytest.raises(Revoked, match=r"revocation bit 23 of https://raw"):
        verify_credential(
            credential, trust_list=None, status_lists={url: status}, at=NOW
        )


SCHEMA = _json(OB3 / "schema" / "ob_v3p0_achievementcredential_schema.json")


@pytest.mark.parametrize(
    ("name", "valid"),
    [
        ("samples/1edtech-validator_ob30_simple.json", True),
        ("samples/1edtech-validator_ob30_bsl_credential-status-revoked.json", True),
        ("samples/ob_v3p0_spec_fullOpenBadge_unsigned.json", True),
        ("ldp-test-vector/unsigned-credential.json", True),
        ("ldp-test-vector/signed-credential.json", True),
        ("samples/1edtech-validator_clr20_simple.json", False),
        ("samples/1edtech-validator_ob30_bsl_testlist.json", False),
    ],
)
def test_ob3_schema_on_the_samples(name: str, valid: bool) -> None:
    Draft201909Validator.check_schema(SCHEMA)
    errors = list(Draft201909Validator(SCHEMA).iter_errors(_json(OB3 / name)))
    assert (not errors) is valid


def test_full_open_badge_sample_canonicalises() -> None:
    sample = _json(OB3 / "samples" / "ob_v3p0_spec_fullOpenBadge_unsigned.json")
    sample.pop("proof", None)
    nquads = canonical_nquads(sample)
    assert "<https://purl.imsglobal.org/spec/vc/ob/vocab.html#Achievement>" in nquads

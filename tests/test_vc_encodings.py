"""Encodings under credentials: Multikey, did:key, status bitstrings, contexts."""

from __future__ import annotations

import base64
import gzip
import json
from pathlib import Path

import pytest

from verify.errors import MalformedInput
from verify.jsonld import (
    CREDENTIALS_V2,
    PINNED_CONTEXTS,
    canonical_nquads,
    load_context,
)
from verify.multikey import (
    did_key,
    did_key_public_key,
    public_key_multibase,
    raw_public_key,
    signature_from_proof_value,
    verification_method,
)
from verify.statuslist import (
    MIN_ENTRIES,
    bit_is_set,
    decode_bitstring,
    encode_bitstring,
)

DATA = Path(__file__).parent / "data"
W3C_KEY = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"


def test_multikey_and_did_key_round_trip() -> None:
    raw = raw_public_key(W3C_KEY)
    assert len(raw) == 32
    assert public_key_multibase(raw) == W3C_KEY
    assert did_key(raw) == f"did:key:{W3C_KEY}"
    assert verification_method(raw) == f"did:key:{W3C_KEY}#{W3C_KEY}"
    assert did_key_public_key(verification_method(raw)) == raw


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("did:web:example.com", "is not a did:key identifier"),
        (f"did:key:{W3C_KEY}#z6Mkother", "is not its key"),
        ("did:key:u6MkrJVna", "no leading z"),
        ("did:key:z0OIl", "is not base58-btc"),
        # an X25519 key (0xec01) is not an Ed25519 one
        ("did:key:z6LSbysY2xFMRpGMhb7tFTLMpeuPRaqaWM1yECx2AtzE3KCc", "not an Ed25519"),
    ],
)
def test_bad_did_keys_are_refused(value: str, message: str) -> None:
    with pytest.raises(MalformedInput, match=message):
        did_key_public_key(value)


def test_proof_values_are_64_byte_signatures() -> None:
    signed = json.loads(
        (DATA / "vc-di-eddsa/eddsa-jcs-2022/signedJCS.json").read_text()
    )
    hex_sig = (DATA / "vc-di-eddsa/eddsa-jcs-2022/sigHexJCS.txt").read_text().strip()
    assert signature_from_proof_value(signed["proof"]["proofValue"]).hex() == hex_sig
    with pytest.raises(MalformedInput, match="expected a 64-byte signature, got 3"):
        signature_from_proof_value("z2Xq7")


def test_status_bitstring_round_trip_and_bit_order() -> None:
    encoded = encode_bitstring([0, 23, MIN_ENTRIES - 1])
    bits = decode_bitstring(encoded)
    assert len(bits) * 8 == MIN_ENTRIES
    assert bits[0] == 0b1000_0000 and bits[2] == 0b0000_0001 and bits[-1] == 1
    assert [i for i in range(MIN_ENTRIES) if bit_is_set(bits, i)] == [
        0,
        23,
        MIN_ENTRIES - 1,
    ]
    assert encode_bitstring([23]) == encode_bitstring([23])  # no timestamp inside


def test_the_1edtech_status_list_has_bit_23_only() -> None:
    document = json.loads(
        (DATA / "ob3/samples/1edtech-validator_ob30_bsl_testlist.json").read_text()
    )
    bits = decode_bitstring(document["credentialSubject"]["encodedList"])
    assert [i for i in range(len(bits) * 8) if bit_is_set(bits, i)] == [23]


def _multibase(data: bytes) -> str:
    return "u" + base64.urlsafe_b64encode(data).decode().rstrip("=")


@pytest.mark.parametrize(
    ("encoded", "message"),
    [
        ("zH4sIAAAA", "not multibase base64url"),
        ("u!!!", r"^encodedList: not base64url of GZIP data \(damaged or altered\)$"),
        (
            _multibase(b"not gzip"),
            r"^encodedList: not base64url of GZIP data \(damaged or altered\)$",
        ),
        (_multibase(gzip.compress(bytes(100))), "800 entries, fewer than 131072"),
    ],
)
def test_bad_status_lists_are_refused(encoded: str, message: str) -> None:
    with pytest.raises(MalformedInput, match=message):
        decode_bitstring(encoded)


def test_a_status_index_outside_the_list_is_refused() -> None:
    bits = decode_bitstring(encode_bitstring([]))
    with pytest.raises(MalformedInput, match="131072 is outside the list's"):
        bit_is_set(bits, MIN_ENTRIES)
    with pytest.raises(ValueError, match="is not a multiple of 8"):
        encode_bitstring([], 1000)


def test_every_vendored_context_matches_its_pin() -> None:
    for url in PINNED_CONTEXTS:
        assert "@context" in load_context(url)


def test_a_vendored_context_with_other_bytes_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    name, _ = PINNED_CONTEXTS[CREDENTIALS_V2]
    monkeypatch.setitem(PINNED_CONTEXTS, CREDENTIALS_V2, (name, "0" * 64))
    load_context.cache_clear()
    try:
        with pytest.raises(MalformedInput, match=r"has SHA-256 8a9f.*, expected 0000"):
            load_context(CREDENTIALS_V2)
    finally:
        load_context.cache_clear()


def test_relative_iris_are_refused_not_dropped() -> None:
    document = {
        "@context": [CREDENTIALS_V2],
        "id": "credentials/1",
        "type": ["VerifiableCredential"],
    }
    with pytest.raises(MalformedInput, match=r"'credentials/1' at .* not an absolute"):
        canonical_nquads(document)

"""The compact passport wire format: round trips, size, and every refusal."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import re
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cbor2
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from issuers.keys import key_id, raw_public
from passport import qr
from passport.qr import QRTextError, make_qr, qr_version
from schemas.events import CertificateType
from verify.compact import (
    CLAIM_PASSPORT,
    CompactCertificate,
    CompactPassport,
    decode_claims,
    encode_claims,
    peek_kid,
    sign_compact,
    verify_compact,
)
from verify.cose import decode_sign1, sig_structure, sign1
from verify.errors import BadSignature, MalformedInput, VerificationError
from verify.qrtext import (
    QR_TEXT_ALPHABET,
    deflate,
    inflate,
    parse_qr_text,
    to_qr_text,
)

DCC = Path(__file__).parent / "data" / "dcc"
DCC_EXPECTED = json.loads((DCC / "expected.json").read_text())
VERIFY_URL = "HTTPS://SKILLPASS.EXAMPLE.CN"
QR_ALPHANUMERIC = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
KEY = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"passport signer").digest())
KID = bytes.fromhex(key_id(raw_public(KEY.public_key())))
OTHER_KEY = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"other").digest())
SKILL = CertificateType.SKILL_LEVEL
ABILITY = CertificateType.SPECIAL_ABILITY

# six certificates a Chongqing elderly-care worker may well hold: three
# levels of 养老护理员 (two stations, one employer self-evaluation), one
# 老年人能力评估师, two special abilities
CERTIFICATES = (
    CompactCertificate(
        SKILL, "4-10-01-05", 5, "S000050123456215000123", dt.date(2021, 6, 18)
    ),
    CompactCertificate(
        ABILITY,
        "4071202000000006",
        None,
        "S000050123456240001888",
        dt.date(2024, 3, 15),
    ),
    CompactCertificate(
        SKILL, "4-10-01-05", 4, "S000050123456234004567", dt.date(2023, 11, 2)
    ),
    CompactCertificate(
        SKILL, "4-14-02-05", 4, "S000050555555254000777", dt.date(2025, 5, 20)
    ),
    CompactCertificate(
        SKILL, "4-10-01-05", 3, "Y000150009876253000042", dt.date(2025, 9, 30)
    ),
    CompactCertificate(
        ABILITY, "4071202000000013", None, "S000050123456260000031", dt.date(2026, 1, 8)
    ),
)
NAMES = ["张*明", "𠮷*华", "王*䶮", "欧阳*娜", "阿*·*提"]


def make_passport(count: int, masked_name: str = "张*明") -> CompactPassport:
    return CompactPassport(
        passport_id="5f3a9c0e7b214d68",
        issued_at=dt.datetime(2026, 5, 12, 1, 30, 7, tzinfo=dt.UTC),
        expires_at=dt.datetime(2026, 8, 10, 1, 30, 7, tzinfo=dt.UTC),
        masked_name=masked_name,
        id_last4="002X",
        tree_size=1_284_377,
        certificates=CERTIFICATES[:count],
    )


def qr_text(count: int, masked_name: str = "张*明") -> str:
    cose = sign_compact(make_passport(count, masked_name), private_key=KEY, key_id=KID)
    return to_qr_text(cose, VERIFY_URL)


def signed(payload: Any, protected: Any = None, unprotected: Any = None) -> bytes:
    """A COSE_Sign1 by KEY over ``payload`` (bytes, or claims to encode)."""
    if not isinstance(payload, bytes):
        payload = cbor2.dumps(payload, canonical=True)
    if protected is None and unprotected is None:
        return sign1(payload, private_key=KEY, kid=KID)
    protected = protected if isinstance(protected, bytes) else cbor2.dumps(protected)
    signature = KEY.sign(sig_structure(protected, payload))
    message = [protected, unprotected or {}, payload, signature]
    return cbor2.dumps(cbor2.CBORTag(18, message), canonical=True)


def claims(count: int = 1) -> dict[Any, Any]:
    decoded: dict[Any, Any] = cbor2.loads(encode_claims(make_passport(count)))
    return decoded


@pytest.mark.parametrize("masked_name", NAMES)
@pytest.mark.parametrize("count", range(7))
def test_round_trip_through_qr_text(count: int, masked_name: str) -> None:
    passport = make_passport(count, masked_name)
    text = to_qr_text(
        sign_compact(passport, private_key=KEY, key_id=KID), "HTTP://127.0.0.1:8000"
    )
    assert set(text) <= set(QR_ALPHANUMERIC) - {" "}
    verify_url, cose = parse_qr_text(f"  {text}\n")
    assert verify_url == "HTTP://127.0.0.1:8000"
    assert verify_compact(cose, KEY.public_key()) == passport
    assert peek_kid(cose) == KID


def test_url_and_marker_are_read_in_any_case() -> None:
    text = qr_text(2)
    url, payload = text.split("/V/")
    # as a browser gives the link back: scheme and host in lowercase
    copied = f"{url.lower()}/v/{payload}"
    assert parse_qr_text(copied, expected_url=VERIFY_URL.lower()) == parse_qr_text(
        text, expected_url=VERIFY_URL
    )


def test_lowercase_payload_is_refused_at_its_first_letter() -> None:
    text = qr_text(1)
    start = text.index("/V/") + len("/V/")
    at = next(i for i in range(start, len(text)) if text[i].isalpha())
    message = (
        rf"^base32: character '{text[at].lower()}' at offset {at} is lowercase, "
        "expected A-Z 2-7$"
    )
    with pytest.raises(MalformedInput, match=message):
        parse_qr_text(text[:at] + text[at].lower() + text[at + 1 :])
    with pytest.raises(MalformedInput, match=message):
        parse_qr_text(text.lower())


@pytest.mark.parametrize(
    ("kind", "code", "level", "number", "issued_on", "wire_type"),
    [
        (SKILL, "4-10-01-05", 3, "S000050123456263000123", dt.date(2026, 2, 1), int),
        (SKILL, "1-01-00-01", 1, "Y999999999999991999999", dt.date(2099, 1, 1), int),
        # the year digits disagree with the date: kept whole
        (SKILL, "4-10-01-05", 3, "S000050123456253000123", dt.date(2026, 2, 1), bytes),
        # the level digit disagrees with the level: kept whole
        (SKILL, "4-10-01-05", 2, "S000050123456263000123", dt.date(2026, 2, 1), bytes),
        (SKILL, "4-10-01-05", 3, "Q000050123456263000123", dt.date(2026, 2, 1), bytes),
        (
            ABILITY,
            "0000000000000001",
            None,
            "S000050123456263000123",
            dt.date(1999, 12, 31),
            bytes,
        ),
        (ABILITY, "9999999999999999", None, "AB12CD34EFZP", dt.date(2000, 1, 1), bytes),
        (SKILL, "8-99-99-99", 5, "12345678", dt.date(2030, 7, 7), bytes),
        (SKILL, "4-10-01-05", 5, "P" * 31, dt.date(2030, 7, 7), bytes),
        (SKILL, "4-10-01-05", 5, "0" * 32, dt.date(2030, 7, 7), bytes),
    ],
)
def test_certificate_fields_round_trip(
    kind: CertificateType,
    code: str,
    level: int | None,
    number: str,
    issued_on: dt.date,
    wire_type: type,
) -> None:
    certificate = CompactCertificate(kind, code, level, number, issued_on)
    passport = CompactPassport(
        passport_id="0000000000000000",
        issued_at=dt.datetime(1970, 1, 1, tzinfo=dt.UTC),
        expires_at=dt.datetime(2038, 1, 19, 3, 14, 8, tzinfo=dt.UTC),
        masked_name="李*",
        id_last4="9999",
        tree_size=0,
        certificates=(certificate,),
    )
    payload = encode_claims(passport)
    assert type(cbor2.loads(payload)[CLAIM_PASSPORT][4][1]) is wire_type
    assert decode_claims(payload) == passport


def test_six_certificates_fit_version_12_m() -> None:
    distribution = {}
    for count in range(7):
        versions = {name: qr_version(qr_text(count, name)) for name in NAMES}
        distribution[count] = versions
        print(f"{count} certificates: QR version at level M by name {versions}")
    assert qr_version(qr_text(6)) <= 12, distribution
    assert all(v <= 12 for count in range(6) for v in distribution[count].values())


def test_qr_draws_exactly_the_qr_text_alphabet() -> None:
    # one definition, so what a QR text may hold and what a QR draws agree
    assert vars(qr)["QR_TEXT_ALPHABET"] is QR_TEXT_ALPHABET
    for char in map(chr, range(32, 127)):
        if char in QR_TEXT_ALPHABET:
            assert make_qr(char).version == 1
        else:
            with pytest.raises(QRTextError, match=re.escape(f"got {[char]!r}")):
                make_qr(char)
    # 44 characters: version 3-M holds 61 in alphanumeric mode, 42 in byte mode
    assert make_qr("".join(sorted(QR_TEXT_ALPHABET))).version == 3


def test_byte_budget() -> None:
    for count in (0, 3, 6):
        passport = make_passport(count)
        cose = sign_compact(passport, private_key=KEY, key_id=KID)
        print(
            f"{count} certificates: claims {len(encode_claims(passport))} B, "
            f"COSE {len(cose)} B, zlib {len(deflate(cose))} B, "
            f"URL {len(to_qr_text(cose, VERIFY_URL))} characters"
        )
        # tag, array, protected (10), unprotected, payload length (2), signature (66)
        assert len(cose) == len(encode_claims(passport)) + 81


def test_every_single_character_change_is_refused() -> None:
    text = qr_text(6)
    payload_start = text.index("/V/") + len("/V/")
    public_key = KEY.public_key()
    unchanged = parse_qr_text(text, expected_url=VERIFY_URL)
    changes = lowercase_in_url = 0
    for position, original in enumerate(text):
        # each other QR character, and the letter in lowercase, which a QR
        # cannot hold but a person or a program may type
        for replacement in QR_ALPHANUMERIC.replace(original, "") + original.lower():
            if replacement == original:
                continue
            changed = text[:position] + replacement + text[position + 1 :]
            if replacement.islower() and position < payload_start:
                # the unsigned URL and its marker are read in any case: the
                # same URL, so the same result, never a different passport
                assert parse_qr_text(changed, expected_url=VERIFY_URL) == unchanged
                lowercase_in_url += 1
                continue
            with pytest.raises(VerificationError):
                _, cose = parse_qr_text(changed, expected_url=VERIFY_URL)
                verify_compact(cose, public_key)
            changes += 1
    letters = sum(char.isalpha() for char in text)
    assert lowercase_in_url == sum(char.isalpha() for char in text[:payload_start])
    assert (
        changes + lowercase_in_url == len(text) * (len(QR_ALPHANUMERIC) - 1) + letters
    )


def test_signature_by_another_key_is_refused() -> None:
    cose = sign_compact(make_passport(3), private_key=OTHER_KEY, key_id=KID)
    assert peek_kid(cose) == KID
    with pytest.raises(BadSignature, match="signature: does not verify"):
        verify_compact(cose, KEY.public_key())


def test_kid_is_read_without_reading_the_claims() -> None:
    # claims no encoder writes: only the signature check may judge them
    cose = signed(b"\xff not cbor")
    assert peek_kid(cose) == KID
    with pytest.raises(MalformedInput, match="payload: not valid CBOR"):
        verify_compact(cose, KEY.public_key())
    forged = sign1(b"\xff not cbor", private_key=OTHER_KEY, kid=KID)
    with pytest.raises(BadSignature, match="signature: does not verify"):
        verify_compact(forged, KEY.public_key())


# the long (nibble) form of S000050123456215000123, whose short form applies
S_215_LONG = bytes.fromhex("B2000050123456215000123F")
DAYS_2021_06_18 = (dt.date(2021, 6, 18) - dt.date(2000, 1, 1)).days


def _reversed_header() -> bytes:
    # 4 before 1: a valid map, but not in deterministic key order
    return bytes([0xA2, 0x04, 0x44]) + KID + bytes([0x01, 0x27])


def _with(changes: dict[Any, Any], inner: dict[Any, Any] | None = None) -> Any:
    result = claims()
    result.update(changes)
    result[CLAIM_PASSPORT].update(inner or {})
    return {k: v for k, v in result.items() if v is not None}


REFUSALS: dict[str, tuple[Callable[[], bytes], str]] = {
    "alg ES256": (
        lambda: signed(claims(), protected={1: -7, 4: KID}),
        r"alg: -7 \(ES256\) is not supported, expected -8 \(EdDSA\)",
    ),
    "no alg": (lambda: signed(claims(), protected={4: KID}), "alg: missing"),
    "no kid": (
        lambda: signed(claims(), protected={1: -8}),
        "kid: missing from the protected header",
    ),
    "long kid": (
        lambda: signed(claims(), protected={1: -8, 4: KID * 2}),
        "kid: expected 4 bytes",
    ),
    "kid unprotected": (
        lambda: signed(claims(), protected={1: -8, 4: KID}, unprotected={4: KID}),
        r"unprotected header: expected empty, got keys \[4\]",
    ),
    "wrong tag": (
        lambda: cbor2.dumps(cbor2.CBORTag(17, cbor2.loads(signed(claims())).value)),
        r"cose: expected tag 18 \(COSE_Sign1\), got tag 17",
    ),
    "untagged": (
        lambda: cbor2.dumps(cbor2.loads(signed(claims())).value),
        r"cose: expected tag 18 \(COSE_Sign1\), got untagged CBOR",
    ),
    "truncated": (lambda: signed(claims())[:-1], "cose: truncated CBOR"),
    "trailing bytes": (
        lambda: signed(claims()) + b"\x00",
        "cose: trailing bytes: 1 after the CBOR item",
    ),
    "non-canonical header": (
        lambda: signed(claims(), protected=_reversed_header()),
        "protected header: not deterministic CBOR",
    ),
    "non-canonical payload": (
        # tree_size as a 4-byte integer where 1 byte would do
        lambda: signed(
            encode_claims(make_passport(0)).replace(b"\x03\x1a", b"\x03\x1b\0\0\0\0")
        ),
        "payload: not deterministic CBOR",
    ),
    "unknown claim": (lambda: signed(_with({1: "CQ"})), "claims: unknown key 1"),
    "unknown passport key": (
        lambda: signed(_with({}, {9: 0})),
        "claim -65537: unknown key 9",
    ),
    "missing exp": (lambda: signed(_with({4: None})), "claims: missing key 4"),
    "short cti": (lambda: signed(_with({7: b"1234567"})), "cti: expected 8 bytes"),
    "not triples": (
        lambda: signed(_with({}, {4: [41001055, 1]})),
        "certificates: expected an array of triples",
    ),
    "level 7": (
        lambda: signed(_with({}, {4: [41001057, b"\x12\x34\x56\x78", 9000]})),
        "kind_code: 41001057 is no occupation code and level",
    ),
    "bad nibble": (
        lambda: signed(_with({}, {4: [41001055, b"\x12\xc4\x56\x78", 9000]})),
        "certificate_no: nibble C at 2",
    ),
    "long form where short applies": (
        lambda: signed(_with({}, {4: [41001055, S_215_LONG, DAYS_2021_06_18]})),
        "payload: not the canonical encoding of its claims",
    ),
    "expired before issued": (
        lambda: signed(_with({4: 1_700_000_000})),
        "claims: expires_at: .* is not after issued_at",
    ),
}


@pytest.mark.parametrize("case", REFUSALS)
def test_malformed_cose_is_refused_with_reason(case: str) -> None:
    make, message = REFUSALS[case]
    with pytest.raises(MalformedInput, match=message):
        verify_compact(make(), KEY.public_key())


def _text_with(payload: bytes) -> str:
    return f"{VERIFY_URL}/V/" + base64.b32encode(payload).decode().rstrip("=")


QR_TEXT_REFUSALS: dict[str, tuple[Callable[[], str], str]] = {
    "zlib bomb": (
        lambda: _text_with(zlib.compress(b"\0" * 1_000_000, 9)),
        "zlib: inflates to more than 4096 bytes",
    ),
    "zlib truncated": (
        lambda: _text_with(deflate(signed(claims()))[:-5]),
        "zlib: stream truncated",
    ),
    "zlib trailing": (
        lambda: _text_with(deflate(b"x") + b"\0"),
        "zlib: trailing bytes: 1 after the stream",
    ),
    "not zlib": (
        lambda: _text_with(b"\x12\x34\x56\x78\x9a"),
        r"^zlib: the compressed data is damaged \(altered or misread\)$",
    ),
    "zlib checksum": (
        lambda: _text_with(deflate(signed(claims()))[:-1] + b"\0"),
        r"^zlib: the compressed data is damaged \(altered or misread\)$",
    ),
    "base32 length": (
        lambda: f"{VERIFY_URL}/V/ABC",
        "base32: 3 characters do not make whole bytes",
    ),
    "base32 padding bits": (
        lambda: _text_with(b"\x00")[:-1] + "B",
        "base32: last character 'B' at offset 32 has non-zero padding bits",
    ),
    "base32 alphabet": (
        lambda: qr_text(0)[:40] + "1" + qr_text(0)[41:],
        "base32: character '1' at offset 40 is not in A-Z 2-7",
    ),
    "empty": (lambda: f"{VERIFY_URL}/V/", "base32: nothing after /V/"),
    "outside alphabet": (
        lambda: "HTTPS://SKILL#PASS.EXAMPLE.CN/V/AAAA",
        "qr text: character '#' at offset 13",
    ),
    "non-ascii letter": (
        lambda: qr_text(0).replace("HTTPS", "HTTPſ"),
        "qr text: character 'ſ' at offset 4",
    ),
    "inner space": (
        lambda: qr_text(0).replace("/V/", "/V /"),
        "qr text: character ' '",
    ),
    "no path": (lambda: "HTTPS://SKILLPASS.EXAMPLE.CN/W/AAAA", "qr text: no /V/"),
    "not a url": (lambda: "FTP://X/V/AAAAAAAA", "verify url: 'FTP://X'"),
    "too long": (lambda: "A" * 5000, "qr text: 5000 characters"),
}


@pytest.mark.parametrize("case", QR_TEXT_REFUSALS)
def test_malformed_qr_text_is_refused_with_reason(case: str) -> None:
    make, message = QR_TEXT_REFUSALS[case]
    with pytest.raises(MalformedInput, match=message):
        parse_qr_text(make())


def test_qr_for_another_site_is_refused() -> None:
    text = qr_text(1).replace(VERIFY_URL, "HTTPS://SKILLPASS.EXAMPLE.COM")
    assert parse_qr_text(text)[0] == "HTTPS://SKILLPASS.EXAMPLE.COM"
    with pytest.raises(MalformedInput, match=r"verify url: .*COM, expected .*CN$"):
        parse_qr_text(text, expected_url=VERIFY_URL.lower())


@pytest.mark.parametrize(
    "verify_url", ["https://skillpass.example.cn", "HTTPS://A B", "HTTPS://X/", ""]
)
def test_verify_url_outside_the_alphabet_is_not_written(verify_url: str) -> None:
    with pytest.raises(ValueError, match="verify url: expected"):
        to_qr_text(b"\xd2", verify_url)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("passport_id", "5F3A9C0E7B214D68", "passport_id: expected 16 lowercase"),
        (
            "issued_at",
            dt.datetime(2026, 5, 12, 1, 30, 7, 5, tzinfo=dt.UTC),
            "issued_at: expected whole",
        ),
        ("masked_name", "", "masked_name: expected 1 to 32"),
        ("id_last4", "002x", "id_last4: expected 3 digits"),
        ("tree_size", -1, "tree_size: expected 0 or more"),
    ],
)
def test_passport_values_are_checked(field: str, value: Any, message: str) -> None:
    values = make_passport(0).__dict__ | {field: value}
    with pytest.raises(ValueError, match=message):
        CompactPassport(**values)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (
            (SKILL, "4100105", 3, "S000050123456263000123"),
            "code: expected an occupation",
        ),
        (
            (SKILL, "4-10-01-05", None, "S000050123456263000123"),
            "skill_level: expected 1",
        ),
        ((ABILITY, "4-10-01-05", None, "S000050123456263000123"), "code: expected 16"),
        ((ABILITY, "4071202000000006", 3, "S00005012345"), "skill_level: a special"),
        ((SKILL, "4-10-01-05", 3, "S0000501"[:7]), "certificate_no: expected 8"),
        (("competition", "4-10-01-05", 3, "S000050123456263000123"), "competition"),
    ],
)
def test_certificate_values_are_checked(
    values: tuple[Any, Any, Any, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        CompactCertificate(*values, issued_on=dt.date(2026, 1, 1))


@pytest.mark.parametrize("name", sorted(DCC_EXPECTED))
def test_dcc_cose_is_read_then_refused(name: str) -> None:
    vector = json.loads((DCC / name).read_text())
    expected = DCC_EXPECTED[name]
    cose = bytes.fromhex(vector["COSE"])
    if "COMPRESSED" in vector:
        assert inflate(bytes.fromhex(vector["COMPRESSED"])) == cose
    if expected["tag"] != 18:
        with pytest.raises(MalformedInput, match=f"got tag {expected['tag']}"):
            decode_sign1(cose)
        return
    message = decode_sign1(cose)
    assert message.protected_header[1] == expected["alg"]
    assert message.protected_header[4] == base64.b64decode(expected["kid_b64"])
    refusal = (
        rf"alg: {expected['alg']} \({expected['alg_name']}\) is not supported, "
        r"expected -8 \(EdDSA\)"
    )
    with pytest.raises(MalformedInput, match=refusal):
        verify_compact(cose, KEY.public_key())

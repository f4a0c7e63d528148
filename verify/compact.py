"""The compact passport: the signed claims a passport QR carries.

The container is the one the EU Digital COVID Certificate proved at scale:
CWT claims (RFC 8392) in deterministic CBOR (RFC 8949 §4.2), signed as a
COSE_Sign1 (RFC 9052) with EdDSA over Ed25519, compressed with zlib
(RFC 1950) and written as RFC 4648 base32 without padding, so that the QR
text stays in the QR alphanumeric alphabet::

    <VERIFY_URL>/V/<BASE32(ZLIB(COSE_Sign1))>

Wire format, in CDDL (RFC 8610); every number is a CBOR integer::

    COSE_Sign1 = #6.18([
        protected: bstr .cbor {1: -8, 4: bstr .size 4},   ; alg EdDSA, kid
        unprotected: {},
        payload: bstr .cbor claims,
        signature: bstr .size 64,   ; over ["Signature1", protected, h'', payload]
    ])
    claims = {
        4: uint,                ; exp: expires_at, seconds since 1970-01-01Z
        6: uint,                ; iat: issued_at, seconds since 1970-01-01Z
        7: bstr .size 8,        ; cti: passport_id
        -65537: passport,       ; private claim (RFC 8392 §9.1)
    }
    passport = {
        1: tstr,                ; masked_name, e.g. "张*明"
        2: uint,                ; id_last4: first three digits * 11 + last
                                ;   character (X = 10): "002X" -> 32
        3: uint,                ; tree_size: ledger size at issuance
        4: [* certificate],     ; certificates, in order, three items each
    }
    certificate = (
        kind_code: uint,        ; skill level: occupation code digits * 10 +
                                ;   skill_level ("4-10-01-05", 3 -> 41001053);
                                ;   special ability: 16-digit code * 10
        certificate_no: uint / nint / bstr,
        issued_on: int,         ; days since 2000-01-01
    )

``certificate_no`` takes one of three forms:

- ``uint n`` or ``nint -1-n``: the 22-character number of 人社鉴发〔2019〕2号
  (Y or S, then 21 digits) of a skill-level certificate whose characters
  14-16 are the year of ``issued_on`` (two digits) and ``skill_level``. The
  letter is Y for uint and S for nint; with ``d`` the 18 digits of ``n``
  (zero-padded), the number is letter + d[0:12] + YY + level + d[12:18].
  An encoder must use this form whenever it applies.
- ``bstr``: any other number, four bits a symbol, high nibble first: a
  digit is its value; a letter is two nibbles, 0xA0 + its index (A = 0xA0,
  Z = 0xB9); an odd count is padded with a final 0xF.

Why these choices, measured on the URL of six realistic certificates with
``HTTPS://SKILLPASS.EXAMPLE.CN``: numbers as text 449 characters, as
nibbles 430, with the short form 420, as flat triples instead of an array
per certificate 415 (QR version 12-M holds 419).

Map keys are all 0-23 or the one private key, so the length-first order of
RFC 7049 §3.9 and the bytewise order of RFC 8949 §4.2.1 agree. A decoder
refuses any message that is not the exact encoding of the claims it carries,
so each passport has one encoding and every changed byte is noticed.

The QR text around these bytes is written and read by ``verify.qrtext``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import cbor2
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from schemas.events import CertificateType
from schemas.identifiers import ABILITY_CODE_PATTERN, OCCUPATION_CODE_PATTERN
from verify.cose import (
    check_signature,
    loads_strict,
    open_sign1,
    require_deterministic,
    sign1,
)
from verify.errors import MalformedInput

CLAIM_EXP = 4
CLAIM_IAT = 6
CLAIM_CTI = 7
CLAIM_PASSPORT = -65537
PASSPORT_NAME, PASSPORT_ID_LAST4, PASSPORT_TREE_SIZE, PASSPORT_CERTIFICATES = 1, 2, 3, 4
DAY_ZERO = dt.date(2000, 1, 1)

_CERTIFICATE_NO = re.compile(r"[A-Z0-9]{8,32}")
_STANDARD_NO = re.compile(r"[YS][0-9]{21}")
_PASSPORT_ID = re.compile(r"[0-9a-f]{16}")
_ID_LAST4 = re.compile(r"[0-9]{3}[0-9X]")
_LAST_SECOND = 253402300799  # 9999-12-31T23:59:59Z
_DAY_RANGE = ((dt.date.min - DAY_ZERO).days, (dt.date.max - DAY_ZERO).days)


@dataclass(frozen=True)
class CompactCertificate:
    """One certificate as the QR carries it."""

    certificate_type: CertificateType
    code: str
    skill_level: int | None
    certificate_no: str
    issued_on: dt.date

    def __post_init__(self) -> None:
        kind = CertificateType(self.certificate_type)
        object.__setattr__(self, "certificate_type", kind)
        if kind is CertificateType.SKILL_LEVEL:
            if not re.fullmatch(OCCUPATION_CODE_PATTERN, self.code):
                raise ValueError(
                    f"code: expected an occupation code, got {self.code!r}"
                )
            if self.skill_level not in range(1, 6):
                raise ValueError(
                    f"skill_level: expected 1 to 5, got {self.skill_level}"
                )
        else:
            if not re.fullmatch(ABILITY_CODE_PATTERN, self.code):
                raise ValueError(f"code: expected 16 digits, got {self.code!r}")
            if self.skill_level is not None:
                raise ValueError("skill_level: a special-ability certificate has none")
        if not _CERTIFICATE_NO.fullmatch(self.certificate_no):
            raise ValueError(
                "certificate_no: expected 8 to 32 of A-Z 0-9, "
                f"got {self.certificate_no!r}"
            )


@dataclass(frozen=True)
class CompactPassport:
    """The facts a passport QR signs; names are masked, the ID number cut to 4."""

    passport_id: str
    issued_at: dt.datetime
    expires_at: dt.datetime
    masked_name: str
    id_last4: str
    tree_size: int
    certificates: tuple[CompactCertificate, ...]

    def __post_init__(self) -> None:
        if not _PASSPORT_ID.fullmatch(self.passport_id):
            raise ValueError(
                "passport_id: expected 16 lowercase hex digits, "
                f"got {self.passport_id!r}"
            )
        for name in ("issued_at", "expires_at"):
            value: dt.datetime = getattr(self, name)
            if (
                value.utcoffset() != dt.timedelta(0)
                or value.microsecond
                or value.year < 1970
            ):
                raise ValueError(f"{name}: expected whole UTC seconds, got {value}")
        if self.expires_at <= self.issued_at:
            raise ValueError(
                f"expires_at: {self.expires_at} is not after issued_at {self.issued_at}"
            )
        if not 1 <= len(self.masked_name) <= 32 or not self.masked_name.isprintable():
            raise ValueError(
                f"masked_name: expected 1 to 32 printable characters, "
                f"got {len(self.masked_name)}"
            )
        if not _ID_LAST4.fullmatch(self.id_last4):
            raise ValueError(
                f"id_last4: expected 3 digits and a digit or X, got {self.id_last4!r}"
            )
        if self.tree_size < 0:
            raise ValueError(f"tree_size: expected 0 or more, got {self.tree_size}")
        object.__setattr__(self, "certificates", tuple(self.certificates))


def encode_claims(passport: CompactPassport) -> bytes:
    """The deterministic CBOR claims of ``passport`` (the COSE payload)."""
    certificates: list[int | bytes] = []
    for certificate in passport.certificates:
        certificates += [
            _kind_code(certificate),
            _encode_certificate_no(certificate),
            (certificate.issued_on - DAY_ZERO).days,
        ]
    last3, check = passport.id_last4[:3], passport.id_last4[3]
    claims = {
        CLAIM_EXP: int(passport.expires_at.timestamp()),
        CLAIM_IAT: int(passport.issued_at.timestamp()),
        CLAIM_CTI: bytes.fromhex(passport.passport_id),
        CLAIM_PASSPORT: {
            PASSPORT_NAME: passport.masked_name,
            PASSPORT_ID_LAST4: int(last3) * 11 + (10 if check == "X" else int(check)),
            PASSPORT_TREE_SIZE: passport.tree_size,
            PASSPORT_CERTIFICATES: certificates,
        },
    }
    return cbor2.dumps(claims, canonical=True)


def decode_claims(payload: bytes) -> CompactPassport:
    """Read claims written by ``encode_claims``; refuse any other bytes."""
    claims = loads_strict(payload, "payload")
    require_deterministic(payload, claims, "payload")
    claims = _map(claims, "claims", {CLAIM_EXP, CLAIM_IAT, CLAIM_CTI, CLAIM_PASSPORT})
    inner = _map(
        claims[CLAIM_PASSPORT],
        f"claim {CLAIM_PASSPORT}",
        {PASSPORT_NAME, PASSPORT_ID_LAST4, PASSPORT_TREE_SIZE, PASSPORT_CERTIFICATES},
    )
    cti = claims[CLAIM_CTI]
    if not isinstance(cti, bytes) or len(cti) != 8:
        raise MalformedInput(f"cti: expected 8 bytes, got {cti!r}")
    items = inner[PASSPORT_CERTIFICATES]
    if not isinstance(items, list | tuple) or len(items) % 3:
        raise MalformedInput("certificates: expected an array of triples")
    name = inner[PASSPORT_NAME]
    if not isinstance(name, str):
        raise MalformedInput(f"masked_name: expected text, got {type(name).__name__}")
    last4, check = divmod(_int(inner[PASSPORT_ID_LAST4], "id_last4", 0, 10_999), 11)
    try:
        passport = CompactPassport(
            passport_id=cti.hex(),
            issued_at=_timestamp(claims[CLAIM_IAT], "iat"),
            expires_at=_timestamp(claims[CLAIM_EXP], "exp"),
            masked_name=name,
            id_last4=f"{last4:03d}{'X' if check == 10 else check}",
            tree_size=_int(inner[PASSPORT_TREE_SIZE], "tree_size", 0, 2**64 - 1),
            certificates=tuple(
                _decode_certificate(*items[i : i + 3]) for i in range(0, len(items), 3)
            ),
        )
    except ValueError as exc:
        raise MalformedInput(f"claims: {exc}") from exc
    if encode_claims(passport) != payload:
        raise MalformedInput("payload: not the canonical encoding of its claims")
    return passport


def sign_compact(
    passport: CompactPassport, *, private_key: Ed25519PrivateKey, key_id: bytes
) -> bytes:
    """The COSE_Sign1 bytes of ``passport`` signed with EdDSA under ``key_id``."""
    return sign1(encode_claims(passport), private_key=private_key, kid=key_id)


def peek_kid(cose: bytes) -> bytes:
    """The kid of a compact passport, UNVERIFIED: only for finding the signer's key.

    The COSE_Sign1 form is checked but neither the signature nor the claims;
    ``verify_compact`` with the key found is what makes the message trusted.
    """
    _, kid = open_sign1(cose)
    return kid


def verify_compact(cose: bytes, public_key: Ed25519PublicKey) -> CompactPassport:
    """Check a compact passport's form and signature and give its claims.

    1. COSE_Sign1 form, alg EdDSA, a 4-byte kid, deterministic CBOR;
    2. the Ed25519 signature with ``public_key`` (RFC 9052 §4.4);
    3. the claims, each known and in range.

    Raises MalformedInput or BadSignature; never returns a failure.
    """
    message, _ = open_sign1(cose)
    check_signature(message, public_key)
    return decode_claims(message.payload)


def _kind_code(certificate: CompactCertificate) -> int:
    digits = int(certificate.code.replace("-", ""))
    return digits * 10 + (certificate.skill_level or 0)


def _year_level(issued_on: dt.date, skill_level: int) -> str:
    return f"{issued_on.year % 100:02d}{skill_level}"


def _encode_certificate_no(certificate: CompactCertificate) -> int | bytes:
    number, level = certificate.certificate_no, certificate.skill_level
    if (
        level is not None
        and _STANDARD_NO.fullmatch(number)
        and number[13:16] == _year_level(certificate.issued_on, level)
    ):
        short = int(number[1:13] + number[16:])
        return short if number[0] == "Y" else -1 - short
    nibbles: list[int] = []
    for char in number:
        nibbles += (
            [int(char)] if char.isdigit() else divmod(0xA0 + ord(char) - ord("A"), 16)
        )
    if len(nibbles) % 2:
        nibbles.append(0xF)
    return bytes(
        hi << 4 | lo for hi, lo in zip(nibbles[::2], nibbles[1::2], strict=True)
    )


def _decode_certificate_no(
    value: object, issued_on: dt.date, skill_level: int | None
) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        short = value if value >= 0 else -1 - value
        if skill_level is None or short >= 10**18:
            raise MalformedInput(
                f"certificate_no: {value} is not a short skill-level number"
            )
        digits = f"{short:018d}"
        letter = "Y" if value >= 0 else "S"
        year_level = _year_level(issued_on, skill_level)
        return f"{letter}{digits[:12]}{year_level}{digits[12:]}"
    if not isinstance(value, bytes):
        raise MalformedInput(
            f"certificate_no: expected a number or bytes, got {value!r}"
        )
    nibbles = [n for byte in value for n in divmod(byte, 16)]
    chars: list[str] = []
    at = 0
    while at < len(nibbles):
        nibble = nibbles[at]
        if nibble <= 9:
            chars.append(str(nibble))
            at += 1
        elif nibble in (0xA, 0xB) and at + 1 < len(nibbles):
            index = nibble * 16 + nibbles[at + 1] - 0xA0
            if index >= 26:
                raise MalformedInput(f"certificate_no: bad letter in {value.hex()}")
            chars.append(chr(ord("A") + index))
            at += 2
        elif nibble == 0xF and at == len(nibbles) - 1:
            at += 1
        else:
            raise MalformedInput(
                f"certificate_no: nibble {nibble:X} at {at} of {value.hex()}"
            )
    return "".join(chars)


def _decode_certificate(
    kind_code: object, number: object, days: object
) -> CompactCertificate:
    code_level = _int(kind_code, "kind_code", 0, 2**64 - 1)
    rest, level = divmod(code_level, 10)
    issued_on = DAY_ZERO + dt.timedelta(days=_int(days, "issued_on", *_DAY_RANGE))
    if level == 0:
        if rest >= 10**16:
            raise MalformedInput(
                f"kind_code: {code_level} has no 16-digit ability code"
            )
        return CompactCertificate(
            certificate_type=CertificateType.SPECIAL_ABILITY,
            code=f"{rest:016d}",
            skill_level=None,
            certificate_no=_decode_certificate_no(number, issued_on, None),
            issued_on=issued_on,
        )
    if level > 5 or not 1_000_000 <= rest <= 8_999_999:
        raise MalformedInput(f"kind_code: {code_level} is no occupation code and level")
    digits = str(rest)
    return CompactCertificate(
        certificate_type=CertificateType.SKILL_LEVEL,
        code=f"{digits[0]}-{digits[1:3]}-{digits[3:5]}-{digits[5:]}",
        skill_level=level,
        certificate_no=_decode_certificate_no(number, issued_on, level),
        issued_on=issued_on,
    )


def _map(value: object, what: str, keys: set[int]) -> Mapping[Any, Any]:
    if not isinstance(value, Mapping):
        raise MalformedInput(f"{what}: expected a map, got {type(value).__name__}")
    unknown = sorted(set(value) - keys, key=repr)
    if unknown:
        raise MalformedInput(f"{what}: unknown key {unknown[0]!r}")
    missing = sorted(keys - set(value))
    if missing:
        raise MalformedInput(f"{what}: missing key {missing[0]}")
    return value


def _int(value: object, what: str, low: int, high: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise MalformedInput(f"{what}: expected an integer, got {value!r}")
    if not low <= value <= high:
        raise MalformedInput(f"{what}: {value} is outside {low} to {high}")
    return value


def _timestamp(value: object, what: str) -> dt.datetime:
    seconds = _int(value, what, 0, _LAST_SECOND)
    return dt.datetime.fromtimestamp(seconds, dt.UTC)

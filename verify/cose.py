"""COSE_Sign1 with EdDSA (RFC 9052 §4.2, §4.4; RFC 9053 §2.2), strict CBOR.

Only what the compact passport needs: tag 18, a protected header of exactly
``{1: -8, 4: kid}``, an empty unprotected header, Ed25519 over the
``Sig_structure`` with empty external data. ``decode_sign1`` reads any tagged
COSE_Sign1 (so foreign ones, such as EU DCC vectors, can be inspected and then
refused with a reason); ``check_header`` and ``require_deterministic`` are the
stricter rules of our own format.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import cbor2
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from verify.errors import BadSignature, MalformedInput

COSE_SIGN1_TAG = 18
HEADER_ALG = 1
HEADER_KID = 4
ALG_EDDSA = -8
KID_SIZE = 4
SIGNATURE_SIZE = 64

# names of the algorithms a COSE_Sign1 met in the field is likely to carry
_ALG_NAMES = {
    -7: "ES256",
    -8: "EdDSA",
    -35: "ES384",
    -36: "ES512",
    -37: "PS256",
    -38: "PS384",
    -39: "PS512",
    -257: "RS256",
}


@dataclass(frozen=True)
class Sign1:
    """A decoded COSE_Sign1: raw protected bytes, both headers, payload, signature."""

    protected: bytes
    protected_header: Mapping[Any, Any]
    unprotected_header: Mapping[Any, Any]
    payload: bytes
    signature: bytes


def loads_strict(data: bytes, what: str) -> Any:
    """Decode one CBOR item that fills ``data`` exactly; refuse duplicates and
    indefinite lengths."""
    stream = io.BytesIO(data)
    decoder = cbor2.CBORDecoder(
        stream, allow_duplicate_keys=False, allow_indefinite=False
    )
    try:
        item = decoder.decode()
    except cbor2.CBORDecodeEOF as exc:
        raise MalformedInput(f"{what}: truncated CBOR ({len(data)} bytes)") from exc
    except (cbor2.CBORDecodeError, RecursionError) as exc:
        raise MalformedInput(
            f"{what}: not valid CBOR near byte {stream.tell()} (damaged or altered)"
        ) from exc
    extra = len(data) - stream.tell()
    if extra:
        raise MalformedInput(f"{what}: trailing bytes: {extra} after the CBOR item")
    return item


def require_deterministic(data: bytes, item: Any, what: str) -> None:
    """Refuse ``data`` unless it is the deterministic encoding of ``item``.

    Per RFC 8949 §4.2.1: shortest integers and lengths, definite lengths, map
    keys sorted. Our keys are small integers whose length-first order (what
    cbor2 writes) and bytewise order agree, so either rule gives these bytes.
    """
    if cbor2.dumps(item, canonical=True) != data:
        raise MalformedInput(f"{what}: not deterministic CBOR (RFC 8949 §4.2)")


def decode_sign1(data: bytes) -> Sign1:
    """Read a tagged COSE_Sign1 without judging its algorithm or signature."""
    item = loads_strict(data, "cose")
    if not isinstance(item, cbor2.CBORTag):
        raise MalformedInput(
            f"cose: expected tag {COSE_SIGN1_TAG} (COSE_Sign1), got untagged CBOR"
        )
    if item.tag != COSE_SIGN1_TAG:
        raise MalformedInput(
            f"cose: expected tag {COSE_SIGN1_TAG} (COSE_Sign1), got tag {item.tag}"
        )
    value = item.value
    if not isinstance(value, list | tuple) or len(value) != 4:
        raise MalformedInput("cose: COSE_Sign1 must be an array of 4 items")
    protected, unprotected, payload, signature = value
    for name, field, kind in (
        ("protected", protected, bytes),
        ("unprotected", unprotected, Mapping),
        ("payload", payload, bytes),
        ("signature", signature, bytes),
    ):
        if not isinstance(field, kind):
            raise MalformedInput(
                f"cose: {name} must be a {kind.__name__}, got {type(field).__name__}"
            )
    header = loads_strict(protected, "protected header") if protected else {}
    if not isinstance(header, Mapping):
        raise MalformedInput("protected header: must be a map")
    return Sign1(protected, header, unprotected, payload, signature)


def algorithm_name(alg: object) -> str:
    """``alg`` with its IANA name where we know it, e.g. ``-7 (ES256)``."""
    name = _ALG_NAMES.get(alg) if isinstance(alg, int) else None
    return f"{alg!r} ({name})" if name else repr(alg)


def check_header(sign1: Sign1) -> bytes:
    """Check the headers our format allows and give the kid.

    1. alg is -8 (EdDSA) in the protected header;
    2. kid is a 4-byte string in the protected header;
    3. nothing else in either header, since unprotected bytes are not signed.
    """
    header = sign1.protected_header
    alg = header.get(HEADER_ALG)
    if alg is None:
        raise MalformedInput("alg: missing from the protected header")
    if alg != ALG_EDDSA:
        raise MalformedInput(
            f"alg: {algorithm_name(alg)} is not supported, expected "
            f"{algorithm_name(ALG_EDDSA)}"
        )
    kid = header.get(HEADER_KID)
    if kid is None:
        raise MalformedInput("kid: missing from the protected header")
    if not isinstance(kid, bytes) or len(kid) != KID_SIZE:
        raise MalformedInput(f"kid: expected {KID_SIZE} bytes, got {kid!r}")
    extra = sorted(set(header) - {HEADER_ALG, HEADER_KID}, key=repr)
    if extra:
        raise MalformedInput(f"protected header: unknown keys {extra}")
    if sign1.unprotected_header:
        keys = sorted(sign1.unprotected_header, key=repr)
        raise MalformedInput(f"unprotected header: expected empty, got keys {keys}")
    return kid


def open_sign1(data: bytes) -> tuple[Sign1, bytes]:
    """Decode one of our COSE_Sign1 messages and give it with its kid, unverified.

    1. tag 18 and four well-typed items (``decode_sign1``);
    2. headers as our format allows (``check_header``);
    3. the message and its protected header in deterministic CBOR, so that
       each message has exactly one encoding.
    """
    sign1 = decode_sign1(data)
    kid = check_header(sign1)
    message = [sign1.protected, {}, sign1.payload, sign1.signature]
    require_deterministic(data, cbor2.CBORTag(COSE_SIGN1_TAG, message), "cose")
    require_deterministic(sign1.protected, sign1.protected_header, "protected header")
    return sign1, kid


def sig_structure(protected: bytes, payload: bytes) -> bytes:
    """The bytes signed for a COSE_Sign1, per RFC 9052 §4.4, without external data."""
    return cbor2.dumps(["Signature1", protected, b"", payload], canonical=True)


def sign1(payload: bytes, *, private_key: Ed25519PrivateKey, kid: bytes) -> bytes:
    """A tagged COSE_Sign1 over ``payload`` with EdDSA and ``kid``."""
    if len(kid) != KID_SIZE:
        raise ValueError(f"kid: expected {KID_SIZE} bytes, got {len(kid)}")
    protected = cbor2.dumps({HEADER_ALG: ALG_EDDSA, HEADER_KID: kid}, canonical=True)
    signature = private_key.sign(sig_structure(protected, payload))
    message = [protected, {}, payload, signature]
    return cbor2.dumps(cbor2.CBORTag(COSE_SIGN1_TAG, message), canonical=True)


def check_signature(sign1: Sign1, public_key: Ed25519PublicKey) -> None:
    """Raise BadSignature unless ``public_key`` signed this COSE_Sign1."""
    if len(sign1.signature) != SIGNATURE_SIZE:
        raise BadSignature(
            f"signature: expected {SIGNATURE_SIZE} bytes, got {len(sign1.signature)}"
        )
    try:
        public_key.verify(
            sign1.signature, sig_structure(sign1.protected, sign1.payload)
        )
    except InvalidSignature as exc:
        raise BadSignature("signature: does not verify with the signer's key") from exc

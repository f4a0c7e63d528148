"""Ed25519 keys as Multikey multibase strings and did:key identifiers.

Per W3C Controlled Identifiers §2.2.2 (Multikey) and the did:key method: an
Ed25519 public key is ``z`` + base58-btc(0xed 0x01 ‖ 32 raw bytes), and its
did:key is ``did:key:`` + that string, with the same string as fragment of
its one verification method.
"""

from __future__ import annotations

import base58

from verify.errors import MalformedInput

ED25519_PUB = b"\xed\x01"
"""The multicodec prefix of an Ed25519 public key (varint of 0xed)."""


def public_key_multibase(raw: bytes) -> str:
    """The Multikey form of a raw 32-byte Ed25519 public key."""
    if len(raw) != 32:
        raise MalformedInput(f"Ed25519 key: expected 32 bytes, got {len(raw)}")
    return "z" + base58.b58encode(ED25519_PUB + raw).decode("ascii")


def raw_public_key(multibase: str) -> bytes:
    """The raw 32 bytes of an Ed25519 key given in Multikey form."""
    if not multibase.startswith("z"):
        raise MalformedInput(
            f"Multikey: {multibase!r} is not base58-btc multibase (no leading z)"
        )
    try:
        decoded = base58.b58decode(multibase[1:])
    except ValueError as exc:
        raise MalformedInput(f"Multikey: {multibase!r} is not base58-btc") from exc
    if decoded[:2] != ED25519_PUB or len(decoded) != 34:
        raise MalformedInput(
            f"Multikey: {multibase!r} is not an Ed25519 public key "
            "(header 0xed01 and 32 bytes)"
        )
    return decoded[2:]


def did_key(raw: bytes) -> str:
    """The did:key identifier of a raw Ed25519 public key."""
    return "did:key:" + public_key_multibase(raw)


def verification_method(raw: bytes) -> str:
    """The id of the one verification method of a key's did:key document."""
    multibase = public_key_multibase(raw)
    return f"did:key:{multibase}#{multibase}"


def did_key_public_key(did: str) -> bytes:
    """The raw public key of a did:key identifier or of its verification method."""
    if not did.startswith("did:key:"):
        raise MalformedInput(f"did:key: {did!r} is not a did:key identifier")
    identifier, _, fragment = did.removeprefix("did:key:").partition("#")
    if fragment and fragment != identifier:
        raise MalformedInput(
            f"did:key: fragment {fragment!r} of {did!r} is not its key {identifier!r}"
        )
    return raw_public_key(identifier)


def proof_value(signature: bytes) -> str:
    """A signature as the ``proofValue`` of the EdDSA cryptosuites."""
    return "z" + base58.b58encode(signature).decode("ascii")


def signature_from_proof_value(value: str) -> bytes:
    """The 64-byte Ed25519 signature of a base58-btc ``proofValue``."""
    if not value.startswith("z"):
        raise MalformedInput(f"proofValue: {value[:16]!r}… is not base58-btc")
    try:
        signature = base58.b58decode(value[1:])
    except ValueError as exc:
        raise MalformedInput(f"proofValue: {value[:16]!r}… is not base58-btc") from exc
    if len(signature) != 64:
        raise MalformedInput(
            f"proofValue: expected a 64-byte signature, got {len(signature)} bytes"
        )
    return signature

"""Reading the signed trust list and checking the authority's signature."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pydantic import ValidationError

from ledger.canonical import canonical_json
from schemas.trust import TrustedKey, TrustList
from verify.errors import (
    BadSignature,
    MalformedInput,
    UntrustedSigner,
    describe_json_error,
)


def signing_bytes(trust_list: TrustList) -> bytes:
    """The RFC 8785 bytes of a trust list, which the authority signs."""
    return canonical_json(trust_list.model_dump(mode="json"))


def public_key(encoded: str) -> Ed25519PublicKey:
    """An Ed25519 public key from base64 of its 32 raw bytes."""
    return Ed25519PublicKey.from_public_bytes(raw_public_key(encoded))


def raw_public_key(encoded: str) -> bytes:
    """The 32 raw bytes of an Ed25519 public key given in base64."""
    try:
        raw = base64.b64decode(encoded, validate=True)
        if len(raw) != 32:
            raise ValueError(f"{len(raw)} bytes")
        return raw
    except (binascii.Error, ValueError) as exc:
        raise MalformedInput(
            f"public key: {encoded!r} is not base64 of a 32-byte Ed25519 key"
        ) from exc


def load_trust_list(path: Path, *, authority_key: str | None = None) -> TrustList:
    """Read a trust-list file and verify it (see ``read_trust_list``)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise MalformedInput(f"trust list: cannot read {path}: {exc.strerror}") from exc
    return read_trust_list(data, authority_key=authority_key, source=str(path))


def read_trust_list(
    data: bytes | str, *, authority_key: str | None = None, source: str = "trust list"
) -> TrustList:
    """Verify a signed trust-list document, then parse it.

    1. The document is a JSON object with ``trust_list`` and ``signature``.
    2. The authority key it names (or ``authority_key``, when pinned) verifies
       the signature over the RFC 8785 bytes of ``trust_list`` exactly as
       received, so a list written by any correct producer verifies.
    3. Only then is ``trust_list`` read as a TrustList.

    Without a pinned key the list vouches for itself, which proves only that
    it is intact; a list obtained from an untrusted place needs the pin.
    """
    if authority_key is not None:
        public_key(authority_key)  # a malformed pin is the caller's mistake
    try:
        document = json.loads(data)
    except ValueError as exc:
        problem = describe_json_error(exc)
        raise MalformedInput(f"{source}: not a signed trust list: {problem}") from exc
    raw = _member(document, ("trust_list",), source)
    signature_b64 = _member(document, ("signature",), source)
    named_key = _member(raw, ("authority", "public_key"), source, within="trust_list")

    if authority_key is not None and named_key != authority_key:
        raise UntrustedSigner(f"{source}: signed by {named_key}, not the pinned key")
    try:
        signature = base64.b64decode(signature_b64, validate=True)
        public_key(named_key).verify(signature, canonical_json(raw))
    except (binascii.Error, InvalidSignature, ValueError, TypeError) as exc:
        raise BadSignature(
            f"{source}: the authority's signature does not verify"
        ) from exc

    try:
        return TrustList.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise MalformedInput(f"{source}: {where}: {first['msg']}") from exc


def key_window_contains(key: TrustedKey, when: dt.datetime) -> bool:
    """Whether ``when`` lies inside the key's validity window."""
    if when < key.valid_from:
        return False
    return key.valid_until is None or when < key.valid_until


def _member(value: Any, path: tuple[str, ...], source: str, *, within: str = "") -> Any:
    """``value[a][b]…`` along ``path``; or MalformedInput naming the missing field."""
    for depth, name in enumerate(path):
        if not isinstance(value, dict) or name not in value:
            field = ".".join(filter(None, (within, *path[: depth + 1])))
            raise MalformedInput(f"{source}: not a signed trust list: no {field!r}")
        value = value[name]
    return value

"""Reading the signed trust list and checking the authority's signature."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pydantic import ValidationError

from ledger.canonical import canonical_json
from schemas.trust import SignedTrustList, TrustedKey, TrustList
from verify.errors import BadSignature, MalformedInput, UntrustedSigner


def signing_bytes(trust_list: TrustList) -> bytes:
    """The RFC 8785 bytes of a trust list, which the authority signs."""
    return canonical_json(trust_list.model_dump(mode="json"))


def public_key(encoded: str) -> Ed25519PublicKey:
    """An Ed25519 public key from base64 of its 32 raw bytes."""
    try:
        raw = base64.b64decode(encoded, validate=True)
        return Ed25519PublicKey.from_public_bytes(raw)
    except (binascii.Error, ValueError) as exc:
        raise MalformedInput(f"public key: {encoded!r} is not a 32-byte key") from exc


def load_trust_list(path: Path) -> SignedTrustList:
    """Parse a trust-list file; raise MalformedInput naming the file."""
    try:
        return SignedTrustList.model_validate_json(path.read_bytes())
    except OSError as exc:
        raise MalformedInput(f"trust list: cannot read {path}: {exc.strerror}") from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise MalformedInput(f"trust list: {path}: {where}: {first['msg']}") from exc


def check_trust_list(
    signed: SignedTrustList, *, authority_key: str | None = None
) -> TrustList:
    """Verify the authority's signature; pin its key when ``authority_key`` is given.

    Without a pinned key the list vouches for itself, which proves only that
    it is intact; callers that obtained the file from an untrusted place must
    pin the authority key.
    """
    trust_list = signed.trust_list
    if authority_key is not None and trust_list.authority.public_key != authority_key:
        raise UntrustedSigner(
            f"trust list: signed by {trust_list.authority.key_id}, not the pinned key"
        )
    try:
        signature = base64.b64decode(signed.signature, validate=True)
        public_key(trust_list.authority.public_key).verify(
            signature, signing_bytes(trust_list)
        )
    except (binascii.Error, InvalidSignature) as exc:
        raise BadSignature(
            f"trust list: version {trust_list.version} signature does not verify"
        ) from exc
    return trust_list


def trust_list_age(trust_list: TrustList, now: dt.datetime) -> dt.timedelta:
    """How long ago the trust list was issued."""
    return now - trust_list.issued_at


def key_window_contains(key: TrustedKey, when: dt.datetime) -> bool:
    """Whether ``when`` lies inside the key's validity window."""
    if when < key.valid_from:
        return False
    return key.valid_until is None or when < key.valid_until

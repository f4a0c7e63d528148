"""Signing events as an issuer does, locally, with its own private key."""

from __future__ import annotations

import base64
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from issuers.keys import key_id, raw_public
from ledger.canonical import canonical_json
from schemas.events import EventSignature, SignedEvent


def sign_event(event: dict[str, Any], *, private_key: Ed25519PrivateKey) -> SignedEvent:
    """Sign the RFC 8785 bytes of ``event`` with Ed25519."""
    signature = private_key.sign(canonical_json(event))
    return SignedEvent(
        event=event,
        signature=EventSignature(
            key_id=key_id(raw_public(private_key.public_key())),
            value=base64.b64encode(signature).decode(),
        ),
    )

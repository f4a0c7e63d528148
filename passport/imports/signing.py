"""Signing an import's events in processes beside the log's writer.

The issuer's key goes only to these child processes of the issuer's own
``skillpass import``, on its own machine; nothing leaves it but signatures.
"""

from __future__ import annotations

import base64
import multiprocessing
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from issuers.keys import key_id, raw_public
from ledger.canonical import canonical_json
from schemas.events import EventSignature, SignedEvent

_key: Ed25519PrivateKey | None = None
_key_id = ""


def _start(raw: bytes) -> None:
    global _key, _key_id
    _key = Ed25519PrivateKey.from_private_bytes(raw)
    _key_id = key_id(raw_public(_key.public_key()))


def _sign(events: list[dict[str, Any]]) -> tuple[str, list[str]]:
    assert _key is not None
    values = [
        base64.b64encode(_key.sign(canonical_json(event))).decode() for event in events
    ]
    return _key_id, values


class SigningPool:
    """Processes that sign lists of events with one Ed25519 key."""

    def __init__(self, private_key: Ed25519PrivateKey, *, processes: int = 1) -> None:
        raw = private_key.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
        self._executor = ProcessPoolExecutor(
            processes,
            mp_context=multiprocessing.get_context("forkserver"),
            initializer=_start,
            initargs=(raw,),
        )

    def submit(self, events: list[dict[str, Any]]) -> Future[tuple[str, list[str]]]:
        """Start signing ``events``; the future gives the key id and signatures."""
        return self._executor.submit(_sign, events)

    def close(self) -> None:
        """Stop the processes."""
        self._executor.shutdown(cancel_futures=True)


def signed_events(
    events: list[dict[str, Any]], result: tuple[str, list[str]]
) -> list[SignedEvent]:
    """The events with the signatures a pool made for them."""
    kid, values = result
    return [
        SignedEvent.model_construct(
            event=event,
            signature=EventSignature.model_construct(key_id=kid, value=value),
        )
        for event, value in zip(events, values, strict=True)
    ]

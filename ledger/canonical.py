"""The one canonical JSON encoding we hash and sign: RFC 8785 (JCS).

``rfc8785`` is the reference. For the values the ledger handles in bulk —
objects with ASCII keys, strings, integers of at most 53 bits, booleans and
null — the standard library's ``json`` writes the very same bytes (sorted
keys, no spaces, only ``"``, ``\\`` and control characters escaped, the
latter as lowercase ``\\u00xx``) three times faster, so those take the fast
path; anything else (floats, big integers, non-ASCII keys, whose order RFC
8785 defines by UTF-16 code units) goes to ``rfc8785``. The equivalence is
tested against ``rfc8785`` on generated values.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import rfc8785

_SAFE_INTEGER = 2**53 - 1
_ENCODER = json.JSONEncoder(
    ensure_ascii=False, separators=(",", ":"), sort_keys=True, allow_nan=False
)


def canonical_json(value: Any) -> bytes:
    """The RFC 8785 bytes of a JSON value."""
    if _plain(value):
        try:
            return _ENCODER.encode(value).encode("utf-8")
        except UnicodeEncodeError:
            pass  # a lone surrogate: let rfc8785 refuse it with its reason
    return rfc8785.dumps(value)


def _plain(value: Any) -> bool:
    """Whether ``value`` is in the domain where stdlib json writes RFC 8785 bytes."""
    if isinstance(value, str) or value is None or isinstance(value, bool):
        return True
    if isinstance(value, int):
        return -_SAFE_INTEGER <= value <= _SAFE_INTEGER
    if isinstance(value, dict):
        return all(
            isinstance(key, str) and key.isascii() and _plain(item)
            for key, item in value.items()
        )
    if isinstance(value, list):
        return all(_plain(item) for item in value)
    return False


def sha256(data: bytes) -> bytes:
    """SHA-256 digest of ``data``."""
    return hashlib.sha256(data).digest()

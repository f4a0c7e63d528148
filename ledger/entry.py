"""A log entry: an issuer's signed event plus what the log adds.

The leaf data of the Merkle tree is the RFC 8785 encoding of ``to_json()``,
which is exactly the object ``GET /api/v1/log/entries/{index}`` returns::

    {"log_index": 7, "logged_at": "2026-01-31T08:00:00.000000Z",
     "worker_seq": 2, "prev": "<hex leaf hash of the worker's previous entry>",
     "event": {...}, "signature": {"key_id": "…", "value": "<base64>"}}
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass
from typing import Any

from ledger.canonical import canonical_json
from ledger.merkle import leaf_hash

TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def format_time(when: dt.datetime) -> str:
    """RFC 3339 UTC with microseconds, the one form the log writes."""
    return when.astimezone(dt.UTC).strftime(TIME_FORMAT)


def as_utc(value: dt.datetime) -> dt.datetime:
    """A stored time as aware UTC: SQLite hands back naive datetimes."""
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z")


def parse_time(value: str) -> dt.datetime:
    """Inverse of ``format_time``; raise ValueError for any other form."""
    # fromisoformat is fifty times faster than strptime but takes more forms
    if not _TIME.fullmatch(value):
        raise ValueError(f"time: {value!r} is not of the form {TIME_FORMAT}")
    return dt.datetime.fromisoformat(value)


@dataclass(frozen=True)
class Entry:
    """One entry of the log."""

    log_index: int
    logged_at: dt.datetime
    worker_seq: int
    prev: bytes | None
    event: dict[str, Any]
    key_id: str
    signature: str

    def to_json(self) -> dict[str, Any]:
        """The JSON object whose RFC 8785 bytes are the leaf data."""
        return {
            "log_index": self.log_index,
            "logged_at": format_time(self.logged_at),
            "worker_seq": self.worker_seq,
            "prev": self.prev.hex() if self.prev is not None else None,
            "event": self.event,
            "signature": {"key_id": self.key_id, "value": self.signature},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Entry:
        """Rebuild an entry from its JSON object; raise KeyError or ValueError."""
        prev = data["prev"]
        return cls(
            log_index=int(data["log_index"]),
            logged_at=parse_time(data["logged_at"]),
            worker_seq=int(data["worker_seq"]),
            prev=bytes.fromhex(prev) if prev is not None else None,
            event=dict(data["event"]),
            key_id=str(data["signature"]["key_id"]),
            signature=str(data["signature"]["value"]),
        )

    @functools.cached_property
    def leaf_data(self) -> bytes:
        """The RFC 8785 bytes the Merkle tree hashes."""
        return canonical_json(self.to_json())

    def encode_around(self, event_bytes: bytes) -> bytes:
        """The leaf data, built around the event's RFC 8785 bytes, and kept.

        RFC 8785 writes an object's members sorted by name and each value as
        it would write it alone, and ``event`` sorts first: so the leaf data
        are ``{"event":`` and these bytes, then the other members as their own
        object writes them, without its opening brace. ``event_bytes`` must
        be the RFC 8785 bytes of ``self.event`` (admission makes them).
        """
        rest = self.to_json()
        del rest["event"]
        data = b'{"event":' + event_bytes + b"," + canonical_json(rest)[1:]
        self.__dict__["leaf_data"] = data  # what cached_property would keep
        return data

    @functools.cached_property
    def leaf_hash(self) -> bytes:
        """SHA-256(0x00 || leaf data)."""
        return leaf_hash(self.leaf_data)

    @property
    def worker_id(self) -> str:
        """The pseudonymous worker the event is about."""
        return str(self.event["worker_id"])

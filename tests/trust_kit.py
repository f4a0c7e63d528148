"""Helpers for the trust tests: times past a whole second, signed events, keys."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from issuers.keys import key_id, raw_public
from ledger.log import utc_now
from tests import kit


def after_next_second() -> dt.datetime:
    """Wait until the next whole second has passed; return it (times are seconds)."""
    mark = utc_now().replace(microsecond=0) + dt.timedelta(seconds=1)
    time.sleep((mark - utc_now()).total_seconds() + 0.05)
    return mark


def signed_now(event: dict[str, Any]) -> dict[str, Any]:
    """The event signed now, in whole seconds."""
    return {**event, "signed_at": f"{utc_now():%Y-%m-%dT%H:%M:%SZ}"}


def key_of(issuer: kit.Issuer) -> str:
    """The key id of the issuer's test key."""
    return key_id(raw_public(issuer.key.public_key()))


def revocation(target: Any, worker: str, **extra: Any) -> dict[str, Any]:
    """The fields a revocation or correction of ``target`` by eval-001 shares."""
    return {
        "worker_id": worker,
        "issuer_id": "eval-001",
        "signed_at": "2025-01-01T00:00:00Z",
        "target_log_index": target.log_index,
        "target_leaf_hash": target.leaf_hash.hex(),
        "reason": "考核舞弊 exam misconduct",
        **extra,
    }

"""Workers: pseudonymous ids, and the separate table of who they are.

A worker id is HMAC-SHA256 of the normalised ID number under a secret key,
cut to 128 bits: stable, and useless to anyone who lacks the key, since
ID numbers are too few to hide behind a plain hash.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import unicodedata

from sqlalchemy.orm import Session

from passport.tables import WorkerIdentityRow
from schemas.identifiers import normalize_id_number


def worker_id_for(id_number: str, pseudonym_key: bytes) -> str:
    """The pseudonymous worker id of an ID number (normalised first)."""
    normalised = normalize_id_number(id_number)
    digest = hmac.new(pseudonym_key, normalised.encode(), hashlib.sha256).digest()
    return digest[:16].hex()


def normalize_name(raw: str) -> str:
    """A name in NFC with surrounding spaces removed."""
    return unicodedata.normalize("NFC", raw).strip()


def register_worker(
    session: Session,
    *,
    id_number: str,
    name: str,
    pseudonym_key: bytes,
    now: dt.datetime,
) -> str:
    """Record the person behind a worker id (idempotent); return the id."""
    worker_id = worker_id_for(id_number, pseudonym_key)
    if session.get(WorkerIdentityRow, worker_id) is None:
        session.add(
            WorkerIdentityRow(
                worker_id=worker_id,
                id_number=normalize_id_number(id_number),
                name=normalize_name(name),
                registered_at=now,
            )
        )
    return worker_id


def masked_name(name: str) -> str:
    """The name with all but its first and last characters hidden: 张*明."""
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]

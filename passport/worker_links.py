"""Worker links: a random capability token that opens one worker's own view.

The token is 32 random bytes in URL-safe base64, shown once; only its
SHA-256 is stored, so a copy of the database opens nothing. A link expires
after a number of days, and an unknown, expired or erased worker's link all
get the same answer.

Self-contained on purpose: API bearer tokens for institutions live in
``passport/web/auth.py``; the two can be joined later without this module
depending on that one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import DateTime, String
from sqlalchemy.orm import Mapped, mapped_column

from ledger.entry import as_utc
from ledger.store.base import Base
from passport.errors import ServiceError
from passport.service import Service
from passport.tables import WorkerIdentityRow

logger = logging.getLogger(__name__)

LINK_PATH = "/w/"
MAX_LINK_DAYS = 90
TOKEN_BYTES = 32


class WorkerLinkRow(Base):
    """A worker link: the hash of its token, whose it is, until when."""

    __tablename__ = "worker_links"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    worker_id: Mapped[str] = mapped_column(String(32), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


# TODO: a link cannot be withdrawn before it expires; a worker who shared it
# by mistake must wait for the expiry. A "revoke my links" action is missing.


class LinkRefused(ServiceError):
    """A token that opens nothing: unknown, expired, or its worker erased."""


def token_hash(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_link(
    service: Service, worker_id: str, *, days: int, now: dt.datetime
) -> tuple[str, dt.datetime]:
    """A new token for ``worker_id`` lasting ``days``, and when it expires."""
    if not 1 <= days <= MAX_LINK_DAYS:
        raise ServiceError(f"days: expected 1 to {MAX_LINK_DAYS}, got {days}")
    identity = service.identity(worker_id)
    if identity.erased_at is not None:
        raise ServiceError(f"worker: {worker_id}'s personal data was erased")
    token = secrets.token_urlsafe(TOKEN_BYTES)
    expires_at = now + dt.timedelta(days=days)
    with service.session() as session:
        session.add(
            WorkerLinkRow(
                token_hash=token_hash(token),
                worker_id=worker_id,
                created_at=now,
                expires_at=expires_at,
            )
        )
    logger.debug("worker link created for %s until %s", worker_id, expires_at)
    return token, expires_at


def open_link(service: Service, token: str, *, now: dt.datetime) -> str:
    """The worker a live token opens; raise LinkRefused otherwise."""
    refused = LinkRefused("link: unknown or expired; ask for a new one")
    if not 1 <= len(token) <= 64:
        raise refused
    with service.reading() as session:
        row = session.get(WorkerLinkRow, token_hash(token))
        identity = session.get(WorkerIdentityRow, row.worker_id) if row else None
    if row is None or identity is None or identity.erased_at is not None:
        raise refused
    if as_utc(row.expires_at) <= now:
        raise refused
    return row.worker_id


def link_url(service: Service, token: str) -> str:
    """The link to give the worker, on the service's own address."""
    parts = urlsplit(service.verify_url)
    base = urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path, "", ""))
    return f"{base.rstrip('/')}{LINK_PATH}{token}"

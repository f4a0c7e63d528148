"""Bearer tokens of the API, one per principal, issued and revoked by the authority.

A token reads ``sp1_<token id>_<secret>``: the id (16 hex digits) finds the
row, and only SHA-256 of the secret is stored, compared in constant time.
The secret has 256 bits from the operating system's generator, so a plain
hash suffices (a slow password hash guards guessable secrets, which these
are not). A token is shown once, when issued.

Roles: ``authority`` (人社局: everything), ``issuer`` (one institution:
submit its own signed events, register workers), ``worker`` (one worker:
their own archive, passports and verification log), ``verifier`` (an
employer or other institution: verifications recorded under its name).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select

from passport.errors import ServiceError
from passport.tables import ApiTokenRow
from schemas.api import Role

if TYPE_CHECKING:
    from passport.service import Service

__all__ = ["InvalidToken", "Principal", "Role", "authenticate", "issue_token"]

logger = logging.getLogger(__name__)

PREFIX = "sp1"
_DUMMY_HASH = hashlib.sha256(b"no such token").digest()


class InvalidToken(Exception):
    """A presented token that is malformed, unknown or revoked."""


@dataclass(frozen=True)
class Principal:
    """The holder of a valid token: role, whom it is bound to, a display name."""

    token_id: str
    role: Role
    subject: str | None
    name: str


def _hash(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


def issue_token(
    service: Service,
    *,
    role: Role,
    subject: str | None,
    name: str,
    now: dt.datetime,
) -> tuple[Principal, str]:
    """Make a token; return its principal and the token text, shown only now.

    An issuer token names an issuer on the trust list, a worker token a
    registered worker; authority and verifier tokens name no one.
    """
    bound = role in (Role.ISSUER, Role.WORKER)
    if bound and not subject:
        raise ServiceError(f"token: a {role} token needs the {role} it is for")
    if not bound and subject:
        raise ServiceError(f"token: a {role} token is bound to no {subject!r}")
    if not name.strip() or len(name) > 200:
        raise ServiceError("token: name must be 1 to 200 characters")
    if role is Role.ISSUER:
        known = {i.issuer_id for i in service.trust_list().issuers}
        if subject not in known:
            raise ServiceError(f"issuer: {subject} is not registered")
    if role is Role.WORKER and subject is not None:
        service.identity(subject)
    token_id, secret = secrets.token_hex(8), secrets.token_urlsafe(32)
    with service.session() as session:
        session.add(
            ApiTokenRow(
                token_id=token_id,
                secret_hash=_hash(secret),
                role=role.value,
                subject=subject,
                name=name,
                issued_at=now,
            )
        )
    logger.info("issued %s token %s", role, token_id)
    return Principal(token_id, role, subject, name), f"{PREFIX}_{token_id}_{secret}"


def revoke_token(service: Service, token_id: str, *, now: dt.datetime) -> None:
    """Revoke a token at once; raise ServiceError if unknown or already revoked."""
    with service.session() as session:
        row = session.get(ApiTokenRow, token_id)
        if row is None:
            raise ServiceError(f"token: {token_id} is not known")
        if row.revoked_at is not None:
            raise ServiceError(f"token: {token_id} is already revoked")
        row.revoked_at = now
    logger.info("revoked token %s", token_id)


def list_tokens(service: Service) -> list[ApiTokenRow]:
    """Every token ever issued, oldest first (secrets are not stored)."""
    with service.reading() as session:
        return list(
            session.scalars(select(ApiTokenRow).order_by(ApiTokenRow.issued_at))
        )


def authenticate(service: Service, presented: str) -> Principal:
    """The principal of a presented token; raise InvalidToken with the reason."""
    prefix, _, rest = presented.partition("_")
    token_id, _, secret = rest.partition("_")
    well_formed = (
        prefix == PREFIX
        and len(token_id) == 16
        and all(c in "0123456789abcdef" for c in token_id)
        and bool(secret)
    )
    row = None
    if well_formed:
        with service.reading() as session:
            row = session.get(ApiTokenRow, token_id)
    # compared even when nothing was found, so timing tells nothing either way
    stored = row.secret_hash if row is not None else _DUMMY_HASH
    matches = hmac.compare_digest(stored, _hash(secret))
    if row is None or not matches:
        raise InvalidToken("token: not a token this service issued")
    if row.revoked_at is not None:
        raise InvalidToken(f"token: {token_id} was revoked")
    return Principal(row.token_id, Role(row.role), row.subject, row.name)

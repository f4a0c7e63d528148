"""The issuer registry: accredited institutions, their keys, the signed trust list."""

from __future__ import annotations

import base64
import datetime as dt
import logging

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from issuers.errors import NotRegistered, RegistryError
from issuers.keys import key_id, raw_public
from issuers.tables import IssuerKeyRow, IssuerRow, ServiceKeyRow, TrustListRow
from schemas.identifiers import USCC_ALPHABET, IdentifierError, check_uscc
from schemas.trust import (
    Accreditation,
    Authority,
    IssuerKind,
    LogInfo,
    SignedTrustList,
    TrustedIssuer,
    TrustedKey,
    TrustList,
)
from verify.trust import signing_bytes

logger = logging.getLogger(__name__)

PASSPORT_SIGNER = "passport_signer"
CREDENTIAL_SIGNER = "credential_signer"


def register_issuer(
    session: Session,
    *,
    issuer_id: str,
    name: str,
    kind: IssuerKind,
    uscc: str,
    accreditation: Accreditation,
    system: str | None = None,
    now: dt.datetime,
) -> IssuerRow:
    """Register an institution; a failing check character is flagged, not refused.

    A credit code that is not even 18 characters of its alphabet is refused:
    it is a typing mistake to fix now, not a code to look into later.
    """
    if session.get(IssuerRow, issuer_id) is not None:
        raise RegistryError(f"issuer: {issuer_id} is already registered")
    if len(uscc) != 18 or any(c not in USCC_ALPHABET for c in uscc):
        raise RegistryError(
            f"uscc: expected 18 characters of {USCC_ALPHABET}, got {uscc!r}"
        )
    try:
        check_uscc(uscc)
        flagged = False
    except IdentifierError as exc:
        logger.debug("issuer %s flagged for review: %s", issuer_id, exc)
        flagged = True
    row = IssuerRow(
        issuer_id=issuer_id,
        name=name,
        kind=kind.value,
        uscc=uscc,
        uscc_flagged=flagged,
        system=system,
        accreditation=accreditation.model_dump(mode="json"),
        registered_at=now,
    )
    session.add(row)
    return row


def add_issuer_key(
    session: Session,
    *,
    issuer_id: str,
    public_key: bytes,
    valid_from: dt.datetime,
    valid_until: dt.datetime | None = None,
) -> str:
    """Add an issuer's public key valid from ``valid_from``; return its key id."""
    if session.get(IssuerRow, issuer_id) is None:
        raise NotRegistered(f"issuer: {issuer_id} is not registered")
    if len(public_key) != 32:
        raise RegistryError(
            f"public key: {len(public_key)} bytes, an Ed25519 key has 32"
        )
    if valid_until is not None and valid_until <= valid_from:
        raise RegistryError(
            f"valid_until: {_iso(valid_until)} is not after valid_from "
            f"{_iso(valid_from)}"
        )
    kid = key_id(public_key)
    if session.get(IssuerKeyRow, (issuer_id, kid)) is not None:
        raise RegistryError(f"key: {kid} of {issuer_id} is already registered")
    session.add(
        IssuerKeyRow(
            issuer_id=issuer_id,
            key_id=kid,
            public_key=public_key,
            valid_from=_utc(valid_from),
            valid_until=_utc(valid_until) if valid_until else None,
        )
    )
    return kid


def _issuer_key(session: Session, issuer_id: str, kid: str) -> IssuerKeyRow:
    row = session.get(IssuerKeyRow, (issuer_id, kid))
    if row is None:
        raise NotRegistered(f"key: {kid} is not a key of {issuer_id}")
    return row


def retire_issuer_key(
    session: Session, *, issuer_id: str, key_id: str, at: dt.datetime
) -> None:
    """End a key's window at ``at``; what it signed before stays valid.

    A key may be retired once, at a time inside its window.
    """
    row = _issuer_key(session, issuer_id, key_id)
    if row.valid_until is not None:
        raise RegistryError(
            f"key: {key_id} of {issuer_id} is already retired since "
            f"{_iso(row.valid_until)}"
        )
    if at <= _utc(row.valid_from):
        raise RegistryError(
            f"at: {_iso(at)} is not after the key's valid_from {_iso(row.valid_from)}"
        )
    row.valid_until = _utc(at)


def rotate_issuer_key(
    session: Session,
    *,
    issuer_id: str,
    key_id: str,
    public_key: bytes,
    at: dt.datetime,
) -> str:
    """Retire ``key_id`` at ``at`` and add ``public_key`` valid from then on."""
    retire_issuer_key(session, issuer_id=issuer_id, key_id=key_id, at=at)
    return add_issuer_key(
        session, issuer_id=issuer_id, public_key=public_key, valid_from=at
    )


def mark_compromised(
    session: Session, *, issuer_id: str, key_id: str, since: dt.datetime
) -> None:
    """Mark a key compromised from ``since``: what was logged after it is flagged.

    The time may lie in the past (a theft found late); it may move earlier
    but never later, since that would clear entries already flagged.
    """
    row = _issuer_key(session, issuer_id, key_id)
    marked = _utc(row.compromised_since) if row.compromised_since else None
    if marked is not None and marked <= _utc(since):
        raise RegistryError(
            f"key: {key_id} of {issuer_id} is already compromised since {_iso(marked)}"
        )
    row.compromised_since = _utc(since)


def add_service_key(
    session: Session, *, role: str, public_key: bytes, valid_from: dt.datetime
) -> str:
    """Record a public key of the service (authority, log, passport signer)."""
    kid = key_id(public_key)
    session.add(
        ServiceKeyRow(
            role=role, key_id=kid, public_key=public_key, valid_from=valid_from
        )
    )
    return kid


def _trusted_key(row: IssuerKeyRow | ServiceKeyRow) -> TrustedKey:
    return TrustedKey(
        key_id=row.key_id,
        public_key=base64.b64encode(row.public_key).decode(),
        valid_from=_utc(row.valid_from),
        valid_until=_utc(row.valid_until) if row.valid_until else None,
        compromised_since=(
            _utc(row.compromised_since) if row.compromised_since else None
        ),
    )


def _utc(value: dt.datetime) -> dt.datetime:
    # SQLite hands back naive datetimes; every time we store is UTC.
    value = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).replace(microsecond=0)


def _iso(value: dt.datetime) -> str:
    return f"{_utc(value):%Y-%m-%dT%H:%M:%SZ}"


def publish_trust_list(
    session: Session,
    *,
    authority_name: str,
    authority_key: Ed25519PrivateKey,
    log: LogInfo,
    verify_url: str,
    now: dt.datetime,
) -> SignedTrustList:
    """Sign the registry's current state as the next trust-list version."""
    keys: dict[str, list[TrustedKey]] = {}
    for key_row in session.scalars(select(IssuerKeyRow).order_by(IssuerKeyRow.key_id)):
        keys.setdefault(key_row.issuer_id, []).append(_trusted_key(key_row))
    issuers = [
        TrustedIssuer(
            issuer_id=row.issuer_id,
            name=row.name,
            kind=IssuerKind(row.kind),
            uscc=row.uscc,
            uscc_flagged=row.uscc_flagged,
            system=row.system,
            accreditation=Accreditation.model_validate(row.accreditation),
            keys=keys.get(row.issuer_id, []),
        )
        for row in session.scalars(select(IssuerRow).order_by(IssuerRow.issuer_id))
    ]
    signers, credential_signers = (
        [
            _trusted_key(row)
            for row in session.scalars(
                select(ServiceKeyRow)
                .where(ServiceKeyRow.role == role)
                .order_by(ServiceKeyRow.key_id)
            )
        ]
        for role in (PASSPORT_SIGNER, CREDENTIAL_SIGNER)
    )
    authority_public = raw_public(authority_key.public_key())
    version = (session.scalar(select(func.max(TrustListRow.version))) or 0) + 1
    issued_at = now.astimezone(dt.UTC).replace(microsecond=0)
    trust_list = TrustList(
        version=version,
        issued_at=issued_at,
        authority=Authority(
            name=authority_name,
            key_id=key_id(authority_public),
            public_key=base64.b64encode(authority_public).decode(),
        ),
        log=log,
        verify_url=verify_url,
        passport_signers=signers,
        credential_signers=credential_signers,
        issuers=issuers,
    )
    signature = authority_key.sign(signing_bytes(trust_list))
    signed = SignedTrustList(
        trust_list=trust_list, signature=base64.b64encode(signature).decode()
    )
    # The row keeps the exact time (the list says whole seconds): audit uses
    # it to find the list in force when each entry was logged.
    session.add(
        TrustListRow(
            version=version,
            issued_at=now.astimezone(dt.UTC),
            document=signed.model_dump_json(),
        )
    )
    logger.debug(
        "published trust list version %s with %s issuers", version, len(issuers)
    )
    return signed


def latest_trust_list(session: Session) -> str | None:
    """The newest published trust list as its stored JSON document, if any."""
    return session.scalar(
        select(TrustListRow.document).order_by(TrustListRow.version.desc()).limit(1)
    )

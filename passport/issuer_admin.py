"""The authority's acts on the issuer registry, each published as a new trust list.

Register an institution, add a key, rotate it, retire it, mark it
compromised from a time T. The CLI (`skillpass issuer …`) and the API
(`/api/v1/issuers`) both call these; every call commits its change together
with the trust-list version that publishes it.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass

from sqlalchemy import select

from issuers.registry import (
    add_issuer_key,
    mark_compromised,
    register_issuer,
    retire_issuer_key,
    rotate_issuer_key,
)
from ledger.entry import Entry
from ledger.store.tables import EntryRow
from passport.archive import compromise_of, compromised_since
from passport.errors import ServiceError
from passport.service import Service
from schemas.trust import Accreditation, IssuerKind, TrustedIssuer, TrustList

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class IssuerChanged:
    """An issuer as the new trust list lists it, and that list's version."""

    issuer: TrustedIssuer
    trust_list_version: int
    key_id: str | None = None


def find_issuer(trust_list: TrustList, issuer_id: str) -> TrustedIssuer:
    """The issuer on the trust list; raise ServiceError if it is not there."""
    for issuer in trust_list.issuers:
        if issuer.issuer_id == issuer_id:
            return issuer
    raise ServiceError(f"issuer: {issuer_id} is not registered")


def register(
    service: Service,
    *,
    issuer_id: str,
    name: str,
    kind: IssuerKind,
    uscc: str,
    accreditation: Accreditation,
    system: str | None = None,
    now: dt.datetime,
) -> IssuerChanged:
    """Register an institution (a failing check character is flagged for review)."""
    with service.registry_change() as change:
        register_issuer(
            change.session,
            issuer_id=issuer_id,
            name=name,
            kind=kind,
            uscc=uscc,
            accreditation=accreditation,
            system=system,
            now=now,
        )
    logger.info("registered issuer %s", issuer_id)
    return _changed(change.published.trust_list, issuer_id)


def add_key(
    service: Service,
    *,
    issuer_id: str,
    public_key: bytes,
    valid_from: dt.datetime,
    valid_until: dt.datetime | None = None,
) -> IssuerChanged:
    """Add a public key with its validity window."""
    with service.registry_change() as change:
        kid = add_issuer_key(
            change.session,
            issuer_id=issuer_id,
            public_key=public_key,
            valid_from=valid_from,
            valid_until=valid_until,
        )
    logger.info("added key %s of %s", kid, issuer_id)
    return _changed(change.published.trust_list, issuer_id, kid)


def rotate_key(
    service: Service,
    *,
    issuer_id: str,
    key_id: str,
    public_key: bytes,
    at: dt.datetime,
) -> IssuerChanged:
    """Retire ``key_id`` at ``at`` and add the new key from then on."""
    with service.registry_change() as change:
        kid = rotate_issuer_key(
            change.session,
            issuer_id=issuer_id,
            key_id=key_id,
            public_key=public_key,
            at=at,
        )
    logger.info("rotated key %s of %s to %s", key_id, issuer_id, kid)
    return _changed(change.published.trust_list, issuer_id, kid)


def retire_key(
    service: Service, *, issuer_id: str, key_id: str, at: dt.datetime
) -> IssuerChanged:
    """End a key's window at ``at``."""
    with service.registry_change() as change:
        retire_issuer_key(change.session, issuer_id=issuer_id, key_id=key_id, at=at)
    logger.info("retired key %s of %s", key_id, issuer_id)
    return _changed(change.published.trust_list, issuer_id, key_id)


def compromise_key(
    service: Service, *, issuer_id: str, key_id: str, since: dt.datetime
) -> IssuerChanged:
    """Mark a key compromised from ``since``; entries logged after it are flagged."""
    with service.registry_change() as change:
        mark_compromised(
            change.session, issuer_id=issuer_id, key_id=key_id, since=since
        )
    logger.warning("key %s of %s marked compromised", key_id, issuer_id)
    return _changed(change.published.trust_list, issuer_id, key_id)


def _changed(
    trust_list: TrustList, issuer_id: str, key_id: str | None = None
) -> IssuerChanged:
    return IssuerChanged(
        issuer=find_issuer(trust_list, issuer_id),
        trust_list_version=trust_list.version,
        key_id=key_id,
    )


def compromised_entries(service: Service) -> list[tuple[int, str]]:
    """Every logged entry signed by a key compromised before it was logged.

    The log's integrity is not in question (``audit`` checks each entry
    against the trust list in force when it was logged); these are entries
    whose signature proves nothing, since the key had been stolen by then.
    """
    marked = compromised_since(service.trust_list())
    found: list[tuple[int, str]] = []
    with service.reading() as session:
        for (issuer_id, _), since in marked.items():
            rows = session.scalars(
                select(EntryRow.leaf_data)
                .where(EntryRow.issuer_id == issuer_id, EntryRow.logged_at >= since)
                .order_by(EntryRow.log_index)
            )
            for leaf_data in rows:
                entry = Entry.from_json(json.loads(leaf_data))
                why = compromise_of(entry, marked)
                if why is not None:
                    found.append((entry.log_index, why))
    return sorted(set(found))

"""The service's own keys: authority, log, passport and credential signers, pseudonyms.

``create`` makes them once, explicitly (``skillpass init``); ``load`` never
makes a key, so a wrong passphrase or a missing file stops the service.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.orm import Session

from issuers.errors import KeyStoreError
from issuers.keys import KeyStore, key_id, raw_public
from issuers.registry import CREDENTIAL_SIGNER, PASSPORT_SIGNER, add_service_key
from issuers.tables import ServiceKeyRow
from ledger.note import NoteSigner

AUTHORITY, LOG, PSEUDONYM = "authority", "log", "pseudonym"


@dataclass(frozen=True)
class ServiceKeys:
    """Private keys the service signs with, and the pseudonym secret."""

    authority: Ed25519PrivateKey
    log: NoteSigner
    passport_signer: Ed25519PrivateKey
    credential_signer: Ed25519PrivateKey
    pseudonym: bytes


def create(store: KeyStore, *, origin: str) -> ServiceKeys:
    """Generate every service key; refuse if any of them exists already."""
    return ServiceKeys(
        authority=store.create_signing_key(AUTHORITY),
        log=NoteSigner(origin, store.create_signing_key(LOG)),
        passport_signer=store.create_signing_key(PASSPORT_SIGNER),
        credential_signer=store.create_signing_key(CREDENTIAL_SIGNER),
        pseudonym=store.create_secret(PSEUDONYM),
    )


def load(store: KeyStore, *, origin: str) -> ServiceKeys:
    """Load every service key; raise KeyStoreError naming the one that fails."""
    return ServiceKeys(
        authority=store.signing_key(AUTHORITY),
        log=NoteSigner(origin, store.signing_key(LOG)),
        passport_signer=store.signing_key(PASSPORT_SIGNER),
        credential_signer=store.signing_key(CREDENTIAL_SIGNER),
        pseudonym=store.secret(PSEUDONYM),
    )


NAMES = (AUTHORITY, LOG, PASSPORT_SIGNER, CREDENTIAL_SIGNER, PSEUDONYM)


def add_credential_signer(store: KeyStore) -> bool:
    """Make the credential signer for a key set that predates it; True if made.

    Only that key is ever added to an existing set: it signs nothing that an
    older trust list or worker id depends on.
    """
    found = present(store)
    if set(NAMES) - set(found) != {CREDENTIAL_SIGNER}:
        return False
    store.create_signing_key(CREDENTIAL_SIGNER)
    return True


def present(store: KeyStore) -> list[str]:
    """Which of the service keys the key store holds."""
    return [name for name in NAMES if store.exists(name)]


def exists(store: KeyStore) -> bool:
    """Whether the service keys exist: all of them, or else none.

    A partial set is refused rather than completed, since a new authority or
    pseudonym key would silently change the trust list or every worker id.
    """
    found = present(store)
    if found and len(found) < len(NAMES):
        missing = sorted(set(NAMES) - set(found))
        if missing == [CREDENTIAL_SIGNER]:
            raise KeyStoreError(
                f"keys: {CREDENTIAL_SIGNER} missing from {store.directory}, which "
                "predates credentials; `skillpass init` adds it"
            )
        raise KeyStoreError(
            f"keys: {', '.join(missing)} missing from {store.directory} while "
            f"{', '.join(found)} exist; restore them from backup"
        )
    return bool(found)


def register(session: Session, keys: ServiceKeys, *, now: dt.datetime) -> bool:
    """Record the public halves that go on the trust list, once per database.

    Returns whether anything was new (a trust list must then be published).
    """
    added = False
    for role, key in (
        (AUTHORITY, keys.authority),
        (LOG, keys.log.private_key),
        (PASSPORT_SIGNER, keys.passport_signer),
        (CREDENTIAL_SIGNER, keys.credential_signer),
    ):
        public = raw_public(key.public_key())
        if session.get(ServiceKeyRow, (role, key_id(public))) is None:
            add_service_key(session, role=role, public_key=public, valid_from=now)
            added = True
    return added

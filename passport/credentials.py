"""Issuing W3C Verifiable Credentials for ledger entries, and their status lists.

Who signs: the service, with a credential-signing key of its own that the
authority lists on the trust list (``credential_signers``), as it lists the
passport signer. Issuers never hand the service their private keys, so it
cannot sign as them; asking every institution to canonicalise and sign a
second document besides its ledger event would double its work and leave
entries without a credential whenever it did not. The credential's issuer
is therefore the did:key of the service's key, and the institution that
signed the entry is named, by the did:key of that entry's key, as the
achievement's ``creator``. The entry stays the source of truth: the
credential is made from it on request, and names its log index and leaf
hash.

Each credential carries two Data Integrity proofs, a proof set of
``eddsa-rdfc-2022`` and ``eddsa-jcs-2022`` by the same key.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from issuers.keys import raw_public
from ledger.errors import ProofRequestError
from ledger.store.tables import EntryRow
from passport.achievements import (
    STATUS_LIST_SIZE,
    Links,
    achievement_credential,
    status_position,
)
from passport.archive import Record
from passport.errors import ServiceError
from passport.issuer_admin import compromised_entries
from passport.service import Service, utc_now_seconds
from schemas.events import EntryCorrected, EventKind, parse_event
from schemas.trust import TrustList
from verify.dataintegrity import CRYPTOSUITES, create_proof
from verify.jsonld import CREDENTIALS_V2
from verify.multikey import did_key, verification_method
from verify.statuslist import encode_bitstring

logger = logging.getLogger(__name__)

CREDENTIAL_KINDS = (EventKind.CERTIFICATE_ISSUED, EventKind.COMPETITION_AWARDED)
REVOKING_KINDS = (EventKind.ENTRY_REVOKED.value, EventKind.ENTRY_CORRECTED.value)
STATUS_LIST_VALIDITY = dt.timedelta(days=1)
"""How long a served status list counts as current; verifiers fetch it again."""


def links(service: Service) -> Links:
    """Where this service publishes credentials (the verify URL, in lower case)."""
    return Links(service.verify_url.lower())


def issuer_profile(service: Service, trust_list: TrustList) -> dict[str, Any]:
    """The credentials' issuer: the did:key of the service's credential signer."""
    raw = raw_public(service.keys.credential_signer.public_key())
    return {
        "id": did_key(raw),
        "type": ["Profile"],
        "name": f"{trust_list.authority.name} 职业技能电子档案 skillpass",
    }


def sign_credential(
    document: dict[str, Any], *, private_key: Ed25519PrivateKey, created: dt.datetime
) -> dict[str, Any]:
    """The document with a proof set: one proof per EdDSA cryptosuite."""
    method = verification_method(raw_public(private_key.public_key()))
    stamp = created.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    proofs = [
        create_proof(
            document,
            private_key=private_key,
            verification_method=method,
            cryptosuite=suite,
            created=stamp,
        )
        for suite in CRYPTOSUITES
    ]
    return {**document, "proof": proofs}


def credential_for_entry(
    service: Service, log_index: int, *, now: dt.datetime | None = None
) -> dict[str, Any]:
    """The signed credential of a certificate or award entry; raise ServiceError."""
    try:
        entry = service.log.entry(log_index)
    except ProofRequestError as exc:
        raise ServiceError(f"credential: no entry at log index {log_index}") from exc
    event = parse_event(entry.event)
    if isinstance(event, EntryCorrected):
        event = event.corrected  # the credential states the fact as corrected
    if event.kind not in CREDENTIAL_KINDS:
        raise ServiceError(
            f"credential: entry {log_index} is a {event.kind}, not a certificate "
            "or competition award"
        )
    trust_list = service.trust_list()
    creator = next(
        (i for i in trust_list.issuers if i.issuer_id == event.issuer_id), None
    )
    key = (
        next((k for k in creator.keys if k.key_id == entry.key_id), None)
        if (creator)
        else None
    )
    if creator is None or key is None:
        raise ServiceError(
            f"credential: key {entry.key_id} of {event.issuer_id} is not on the "
            "trust list"
        )
    document = achievement_credential(
        Record(log_index=log_index, leaf_hash=entry.leaf_hash.hex(), event=event),
        issuer=issuer_profile(service, trust_list),
        creator=creator,
        creator_did=did_key(base64.b64decode(key.public_key)),
        links=links(service),
    )
    return sign_credential(
        document,
        private_key=service.keys.credential_signer,
        created=now or utc_now_seconds(),
    )


def revoked_indexes(service: Service, number: int) -> list[int]:
    """The log indexes of status list ``number`` that no longer stand.

    Those a later revocation or correction names, and those signed by a key
    marked compromised from before they were logged.
    """
    low, high = number * STATUS_LIST_SIZE, (number + 1) * STATUS_LIST_SIZE
    # TODO: reads every revocation on each request; keep the revoked targets
    # in an indexed table once status lists are served at a city's rate.
    with service.reading() as session:
        rows = session.scalars(
            select(EntryRow.leaf_data).where(EntryRow.kind.in_(REVOKING_KINDS))
        )
        targets = [json.loads(data)["event"]["target_log_index"] for data in rows]
    targets += [index for index, _ in compromised_entries(service)]
    return sorted({t for t in targets if low <= t < high})


def status_list_credential(
    service: Service, number: int, *, now: dt.datetime | None = None
) -> dict[str, Any]:
    """Status list ``number`` as a signed BitstringStatusListCredential.

    Bit *i* stands for the entry at log index ``number × 131072 + i`` and is
    set once it no longer stands (``revoked_indexes``). The list is made from the
    ledger on each request and is valid for a day.
    """
    if number < 0:
        raise ServiceError(f"status list: {number} is not a list number")
    if number * STATUS_LIST_SIZE >= max(service.log.size(), 1):
        raise ServiceError(f"status list: {number} covers no entry of the log yet")
    now = now or utc_now_seconds()
    low = number * STATUS_LIST_SIZE
    revoked = [index - low for index in revoked_indexes(service, number)]
    url = links(service).status_list(number)
    profile = issuer_profile(service, service.trust_list())
    document = {
        "@context": [CREDENTIALS_V2],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": {"id": profile["id"], "name": profile["name"]},
        "validFrom": _stamp(now),
        "validUntil": _stamp(now + STATUS_LIST_VALIDITY),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": encode_bitstring(revoked, STATUS_LIST_SIZE),
        },
    }
    logger.debug("status list %s: %s revoked", number, len(revoked))
    return sign_credential(
        document, private_key=service.keys.credential_signer, created=now
    )


def worker_credentials(
    service: Service, worker_id: str, *, now: dt.datetime | None = None
) -> list[dict[str, Any]]:
    """A registered worker's live (unrevoked) credentials in log order."""
    service.identity(worker_id)
    now = now or utc_now_seconds()
    return [
        credential_for_entry(service, record.log_index, now=now)
        for record in service.archive(worker_id).active(*CREDENTIAL_KINDS)
    ]


def export_credentials(service: Service, worker_id: str, out: Path) -> list[Path]:
    """Write a worker's live credentials, and the status lists they name, to ``out``.

    Files: ``credential-<log index>.json`` each, and ``status-<n>.json`` for
    each status list, so that the folder verifies offline with a trust list.
    """
    now = utc_now_seconds()
    credentials = worker_credentials(service, worker_id, now=now)
    out.mkdir(parents=True, exist_ok=True)
    written, lists = [], set()
    for credential in credentials:
        log_index = int(credential["id"].rsplit("/", 1)[1])
        path = out / f"credential-{log_index}.json"
        _write_json(path, credential)
        written.append(path)
        lists.add(status_position(log_index)[0])
    for number in sorted(lists):
        path = out / f"status-{number}.json"
        _write_json(path, status_list_credential(service, number, now=now))
        written.append(path)
    return written


def _write_json(path: Path, document: dict[str, Any]) -> None:
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", "utf-8")


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

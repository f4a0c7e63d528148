"""Verifying a W3C Verifiable Credential 2.0 with Data Integrity proofs, offline.

Ours (Open Badges 3.0 credentials signed by the service's credential signer)
and anyone's: a did:key issuer needs nothing else; an issuer whose key sits
under its own URL (``https://issuer.example#z6Mk…``) is checked with the
key that the fragment spells out. Other verification methods (did:web, a
key in a fetched document) would need the network and are refused.
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from schemas.trust import TrustedKey, TrustList
from verify.dataintegrity import VerifiedProof, verify_proofs
from verify.errors import (
    Expired,
    KeyCompromised,
    MalformedInput,
    NotYetValid,
    Revoked,
    UntrustedSigner,
)
from verify.jsonld import CREDENTIALS_V2
from verify.multikey import did_key_public_key, raw_public_key
from verify.statuslist import bit_is_set, decode_bitstring

logger = logging.getLogger(__name__)

STATUS_ENTRY = "BitstringStatusListEntry"
STATUS_CREDENTIAL = "BitstringStatusListCredential"


@dataclass(frozen=True)
class CredentialCheck:
    """What a verified credential showed: who signed it and how far it was checked.

    ``trusted_as`` names the trust-list role of the signer, or is None when no
    trust list was given; ``status_checked`` lists the status lists whose
    entries were checked, ``status_unchecked`` those that were not at hand.
    """

    credential_id: str | None
    issuer_id: str
    issuer_name: str | None
    proofs: tuple[VerifiedProof, ...]
    trusted_as: str | None
    status_checked: tuple[str, ...]
    status_unchecked: tuple[str, ...]


def issuer_id(credential: Mapping[str, Any]) -> str:
    """The credential's issuer identifier, whether given as a string or a profile."""
    issuer = credential.get("issuer")
    value = issuer.get("id") if isinstance(issuer, dict) else issuer
    if not isinstance(value, str):
        raise MalformedInput("issuer: the credential names no issuer id")
    return value


def verify_credential(
    credential: dict[str, Any],
    *,
    trust_list: TrustList | None,
    status_lists: Mapping[str, dict[str, Any]],
    at: dt.datetime,
) -> CredentialCheck:
    """Verify a credential; raise a VerificationError with the first reason.

    1. It is a VC 2.0 document: ``@context`` begins with the VC 2.0 context
       and ``type`` holds ``VerifiableCredential``.
    2. Every proof verifies (``verify_proofs``) for ``assertionMethod``.
    3. Every proof's key belongs to the issuer: the issuer's own did:key, or
       a verification method under the issuer's id.
    4. With a trust list, the issuer is one of its credential signers, whose
       key was in its window and not compromised when it signed.
    5. ``validFrom`` has come and ``validUntil`` has not passed at ``at``.
    6. Each Bitstring Status List entry whose list is in ``status_lists``
       has its bit clear; the list itself passes steps 1 to 5 for the same
       issuer.
    """
    check = _verify_signed(credential, trust_list=trust_list, at=at)
    checked: list[str] = []
    unchecked: list[str] = []
    for url in _status_urls(credential):
        found = _check_status(credential, url, status_lists, trust_list, at)
        (checked if found else unchecked).append(url)
    return CredentialCheck(
        credential_id=check.credential_id,
        issuer_id=check.issuer_id,
        issuer_name=check.issuer_name,
        proofs=check.proofs,
        trusted_as=check.trusted_as,
        status_checked=tuple(checked),
        status_unchecked=tuple(unchecked),
    )


def _verify_signed(
    credential: dict[str, Any],
    *,
    trust_list: TrustList | None,
    at: dt.datetime,
) -> CredentialCheck:
    # 1. The shape of a VC 2.0 document.
    if not isinstance(credential, dict):
        raise MalformedInput("credential: not a JSON object")
    context = credential.get("@context")
    if not isinstance(context, list) or context[:1] != [CREDENTIALS_V2]:
        raise MalformedInput(f"@context: must begin with {CREDENTIALS_V2}")
    types = credential.get("type")
    if "VerifiableCredential" not in (types if isinstance(types, list) else [types]):
        raise MalformedInput(f"type: {types!r} does not hold VerifiableCredential")
    issuer = issuer_id(credential)

    # 2. The proofs.
    proofs = verify_proofs(credential, _resolve)
    for proof in proofs:
        if proof.proof_purpose != "assertionMethod":
            raise MalformedInput(
                f"proof: purpose {proof.proof_purpose!r}, expected assertionMethod"
            )

    # 3. The keys belong to the issuer.
    for proof in proofs:
        controller = proof.verification_method.partition("#")[0]
        if controller != issuer:
            raise UntrustedSigner(
                f"proof: key {proof.verification_method} is not the issuer {issuer}'s"
            )

    # 4. The trust list.
    trusted_as = None
    if trust_list is not None:
        trusted_as = _trusted_signer(trust_list, issuer, proofs)

    # 5. The validity window.
    _check_window(credential, at)
    profile = credential.get("issuer")
    name = profile.get("name") if isinstance(profile, dict) else None
    logger.debug("credential %s of %s verified", credential.get("id"), issuer)
    return CredentialCheck(
        credential_id=credential.get("id"),
        issuer_id=issuer,
        issuer_name=name if isinstance(name, str) else None,
        proofs=tuple(proofs),
        trusted_as=trusted_as,
        status_checked=(),
        status_unchecked=(),
    )


def _resolve(method: str) -> bytes:
    """The public key of a verification method: its did:key, or its fragment.

    A key taken from a URL's fragment only proves that whoever holds it
    signed; step 3 then ties that key to the issuer's URL, and only a trust
    list says that the URL's owner holds it.
    """
    if method.startswith("did:key:"):
        return did_key_public_key(method)
    fragment = method.partition("#")[2]
    if fragment.startswith("z6Mk"):
        return raw_public_key(fragment)
    raise UntrustedSigner(
        f"verificationMethod: cannot resolve {method} offline; only did:key and "
        "Multikey fragments are supported"
    )


def _trusted_signer(
    trust_list: TrustList, issuer: str, proofs: list[VerifiedProof]
) -> str:
    if not issuer.startswith("did:key:"):
        raise UntrustedSigner(f"issuer: {issuer} is not on the trust list")
    raw = did_key_public_key(issuer)
    key = _find_key(trust_list.credential_signers, raw)
    if key is None:
        raise UntrustedSigner(
            f"issuer: {issuer} is not a credential signer of trust list "
            f"version {trust_list.version}"
        )
    for proof in proofs:
        created = _datetime(proof.created, "proof.created") if proof.created else None
        if created is None:
            raise MalformedInput("proof: created is needed to check the key's window")
        if key.compromised_since is not None and created >= key.compromised_since:
            raise KeyCompromised(
                f"issuer: key {key.key_id} is compromised since "
                f"{key.compromised_since:%Y-%m-%dT%H:%M:%SZ}"
            )
        if created < key.valid_from or (
            key.valid_until is not None and created >= key.valid_until
        ):
            raise UntrustedSigner(
                f"proof.created: {proof.created} is outside the window of key "
                f"{key.key_id}"
            )
    return f"credential signer of {trust_list.authority.name}"


def _find_key(keys: list[TrustedKey], raw: bytes) -> TrustedKey | None:
    encoded = base64.b64encode(raw).decode()
    return next((key for key in keys if key.public_key == encoded), None)


def _check_window(document: dict[str, Any], at: dt.datetime) -> None:
    valid_from = document.get("validFrom")
    if valid_from is not None and at < _datetime(valid_from, "validFrom"):
        raise NotYetValid(f"validFrom: {valid_from} is after {at:%Y-%m-%dT%H:%M:%SZ}")
    valid_until = document.get("validUntil")
    if valid_until is not None and at > _datetime(valid_until, "validUntil"):
        raise Expired(f"validUntil: {valid_until} is before {at:%Y-%m-%dT%H:%M:%SZ}")


def _datetime(value: Any, where: str) -> dt.datetime:
    try:
        parsed = dt.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise MalformedInput(
            f"{where}: {value!r} is not an XML Schema dateTime"
        ) from None
    if parsed.tzinfo is None:
        raise MalformedInput(f"{where}: {value!r} has no time zone")
    return parsed


def _status_entries(credential: dict[str, Any]) -> list[dict[str, Any]]:
    status = credential.get("credentialStatus")
    entries = status if isinstance(status, list) else [status] if status else []
    return [e for e in entries if isinstance(e, dict) and e.get("type") == STATUS_ENTRY]


def _status_urls(credential: dict[str, Any]) -> list[str]:
    return list(
        dict.fromkeys(
            str(e.get("statusListCredential")) for e in _status_entries(credential)
        )
    )


def _check_status(
    credential: dict[str, Any],
    url: str,
    status_lists: Mapping[str, dict[str, Any]],
    trust_list: TrustList | None,
    at: dt.datetime,
) -> bool:
    """Check the entries that point at list ``url``; False when it is not at hand."""
    status_list = status_lists.get(url)
    if status_list is None:
        return False
    listed = _verify_signed(status_list, trust_list=trust_list, at=at)
    if listed.issuer_id != issuer_id(credential):
        raise UntrustedSigner(
            f"status list: {url} is issued by {listed.issuer_id}, not by the "
            f"credential's issuer {issuer_id(credential)}"
        )
    types = status_list.get("type", [])
    subject = status_list.get("credentialSubject")
    if STATUS_CREDENTIAL not in types or not isinstance(subject, dict):
        raise MalformedInput(f"status list: {url} is not a {STATUS_CREDENTIAL}")
    bits = decode_bitstring(str(subject.get("encodedList", "")))
    for entry in _status_entries(credential):
        if entry.get("statusListCredential") != url:
            continue
        purpose = entry.get("statusPurpose")
        if subject.get("statusPurpose") != purpose:
            raise MalformedInput(
                f"status list: {url} is for {subject.get('statusPurpose')!r}, "
                f"not {purpose!r}"
            )
        try:
            index = int(entry["statusListIndex"])
        except (KeyError, TypeError, ValueError):
            raise MalformedInput(
                f"statusListIndex: {entry.get('statusListIndex')!r} is not an integer"
            ) from None
        if bit_is_set(bits, index):
            raise Revoked(f"credentialStatus: {purpose} bit {index} of {url} is set")
    return True

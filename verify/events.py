"""Checking a signed event against the trust list: signer, key, signature, scope."""

from __future__ import annotations

import base64
import binascii
import bisect
import datetime as dt
import functools
from collections.abc import Sequence
from dataclasses import dataclass

from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey
from pydantic import ValidationError

from ledger.canonical import canonical_json
from ledger.entry import Entry
from ledger.errors import EventRefused
from schemas.events import (
    CertificateIssued,
    EntryCorrected,
    Event,
    SignedEvent,
    parse_event,
)
from schemas.trust import (
    SIGNED_ONLY_BY,
    SignedTrustList,
    TrustedIssuer,
    TrustedKey,
    TrustList,
)
from verify.errors import (
    BadSignature,
    KeyCompromised,
    NotAccredited,
    NotCurrent,
    UntrustedSigner,
    VerificationError,
)
from verify.trust import key_window_contains, raw_public_key

RETIRED_KEY_GRACE = dt.timedelta(days=7)
"""How long after a key's retirement what it signed before may still be logged."""


@dataclass(frozen=True)
class _IssuerKey:
    issuer: TrustedIssuer
    key: TrustedKey
    # libsodium verifies Ed25519 twice as fast as OpenSSL here, and event
    # signatures are what bulk appends and audits spend their time on.
    verify_key: VerifyKey


def _verify_key(encoded: str) -> VerifyKey:
    return VerifyKey(raw_public_key(encoded))


class IssuerDirectory:
    """The trust list's issuers and keys, indexed once for many checks."""

    def __init__(self, trust_list: TrustList) -> None:
        self.trust_list = trust_list
        self._issuers = {i.issuer_id: i for i in trust_list.issuers}
        self._keys = {
            (i.issuer_id, k.key_id): _IssuerKey(i, k, _verify_key(k.public_key))
            for i in trust_list.issuers
            for k in i.keys
        }

    def issuer(self, issuer_id: str) -> TrustedIssuer:
        """The issuer with this id; raise UntrustedSigner if it is not listed."""
        try:
            return self._issuers[issuer_id]
        except KeyError:
            raise UntrustedSigner(
                f"issuer: {issuer_id} is not on the trust list"
            ) from None

    def check_event(
        self,
        signed: SignedEvent,
        event: Event,
        *,
        logged_at: dt.datetime,
        signed_bytes: bytes | None = None,
    ) -> TrustedIssuer:
        """Check one event and return its issuer.

        1. The issuer is on the trust list and lists the signing key.
        2. The event was signed inside the key's validity window, and is
           logged no later than a short grace after the key's retirement.
        3. The key was not marked compromised before the event was logged.
        4. The Ed25519 signature verifies over the event's RFC 8785 bytes
           (``signed_bytes`` when the caller has them already).
        5. The issuer is accredited for the event's kind, occupation and level.
        """
        issuer = self.issuer(event.issuer_id)
        found = self._keys.get((event.issuer_id, signed.signature.key_id))
        if found is None:
            raise UntrustedSigner(
                f"signature.key_id: {signed.signature.key_id} is not a key of "
                f"{event.issuer_id}"
            )

        if not key_window_contains(found.key, event.signed_at):
            raise NotCurrent(
                f"signed_at: {event.signed_at:%Y-%m-%dT%H:%M:%SZ} is outside the "
                f"validity of key {found.key.key_id}"
            )
        retired = found.key.valid_until
        if retired is not None and logged_at >= retired + RETIRED_KEY_GRACE:
            # signed_at is the issuer's word; a retired key could back-date it
            raise NotCurrent(
                f"signature.key_id: key {found.key.key_id} retired "
                f"{retired:%Y-%m-%dT%H:%M:%SZ}; what it signed had to be logged "
                f"within {RETIRED_KEY_GRACE.days} days"
            )

        compromised = found.key.compromised_since
        if compromised is not None and logged_at >= compromised:
            raise KeyCompromised(
                f"signature.key_id: key {found.key.key_id} is compromised since "
                f"{compromised:%Y-%m-%dT%H:%M:%SZ}"
            )

        try:
            signature = base64.b64decode(signed.signature.value, validate=True)
            message = signed_bytes or canonical_json(signed.event)
            found.verify_key.verify(message, signature)
        except (binascii.Error, ValueError, BadSignatureError) as exc:
            raise BadSignature(
                f"signature: does not verify with key {found.key.key_id} of "
                f"{event.issuer_id}"
            ) from exc

        check_accreditation(issuer, event)
        return issuer


def check_accreditation(issuer: TrustedIssuer, event: Event) -> None:
    """Raise NotAccredited unless the issuer may sign this kind, occupation, level.

    A correction must be within scope twice: as a correction, and as the fact
    it restates.
    """
    if isinstance(event, EntryCorrected):
        check_accreditation(issuer, event.corrected)
    scope = issuer.accreditation
    if event.kind not in scope.event_kinds:
        raise NotAccredited(f"kind: {issuer.issuer_id} may not sign {event.kind}")
    signers = SIGNED_ONLY_BY.get(event.kind)
    if signers is not None and issuer.kind not in signers:
        raise NotAccredited(
            f"kind: {event.kind} is signed only by {', '.join(sorted(signers))}, "
            f"and {issuer.issuer_id} is {issuer.kind}"
        )
    occupation = getattr(event, "occupation_code", None)
    if (
        occupation is not None
        and scope.occupations
        and occupation not in scope.occupations
    ):
        raise NotAccredited(
            f"occupation_code: {issuer.issuer_id} is not accredited for {occupation}"
        )
    if isinstance(event, CertificateIssued) and event.skill_level is not None:
        highest = scope.highest_level
        # National grades run from 5 (lowest) to 1 (highest).
        if highest is None or event.skill_level < highest:
            raise NotAccredited(
                f"skill_level: {issuer.issuer_id} may certify up to level "
                f"{highest}, not {event.skill_level}"
            )


class TrustListPolicy:
    """The ledger's admission policy: an event must check against the trust list."""

    def __init__(self, trust_list: TrustList) -> None:
        self.directory = IssuerDirectory(trust_list)

    def admit(
        self,
        signed: SignedEvent,
        event: Event,
        *,
        signed_bytes: bytes,
        now: dt.datetime,
    ) -> None:
        """Refuse the event with the verification failure's reason and detail."""
        try:
            self.directory.check_event(
                signed, event, logged_at=now, signed_bytes=signed_bytes
            )
        except VerificationError as exc:
            raise EventRefused(exc.reason, str(exc)) from exc


@functools.lru_cache(maxsize=32)
def _cached_policy(document: str) -> TrustListPolicy:
    return policy_from_trust_list(document)


def policy_from_trust_list(document: str) -> TrustListPolicy:
    """The policy of a signed trust-list document already verified elsewhere.

    For processes that admit events on behalf of a service which checked the
    authority's signature itself.
    """
    return TrustListPolicy(SignedTrustList.model_validate_json(document).trust_list)


class EntryChecker:
    """Checks logged entries against the trust list in force when each was logged.

    ``trust_lists`` are (issued_at, document) pairs, oldest first, whose
    signatures the caller has checked. Picklable, so that an audit can check
    entries in several processes.
    """

    def __init__(self, trust_lists: Sequence[tuple[dt.datetime, str]]) -> None:
        self.times = [issued_at for issued_at, _ in trust_lists]
        self.documents = [document for _, document in trust_lists]

    def policy_at(self, when: dt.datetime) -> TrustListPolicy:
        """The policy of the newest trust list issued no later than ``when``."""
        # TODO: chosen by time alone, so an entry admitted under the old list
        # in the instant a new one was being committed is judged by the new
        # one; recording the version each entry was admitted under would not.
        version = max(bisect.bisect_right(self.times, when) - 1, 0)
        return _cached_policy(self.documents[version])

    def __call__(self, entry: Entry, event_bytes: bytes) -> None:
        """Raise EventRefused unless the entry's event checks (ledger EntryCheck)."""
        try:
            signed = SignedEvent.model_validate(
                {
                    "event": entry.event,
                    "signature": {"key_id": entry.key_id, "value": entry.signature},
                }
            )
            event = parse_event(entry.event)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            raise EventRefused("malformed", f"{where}: {first['msg']}") from exc
        self.policy_at(entry.logged_at).admit(
            signed, event, signed_bytes=event_bytes, now=entry.logged_at
        )

"""The trust list: who may sign what, signed by the authority.

``issuers`` writes it, ``verify`` reads it. A verifier with this file and a
scanned QR needs nothing else.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from schemas.events import EventKind, IssuerId, UtcDatetime

KeyId = Annotated[str, Field(pattern=r"^[0-9a-f]{8}$")]
PublicKey = Annotated[str, Field(description="base64 of the raw 32-byte Ed25519 key")]


class IssuerKind(StrEnum):
    """The four kinds of institution that sign ledger events."""

    EVALUATION_INSTITUTION = "evaluation_institution"
    TRAINING_INSTITUTION = "training_institution"
    EMPLOYER = "employer"
    SOCIAL_INSURANCE_AGENCY = "social_insurance_agency"


SIGNED_ONLY_BY: dict[EventKind, frozenset[IssuerKind]] = {
    EventKind.APPRENTICESHIP_COMPLETED: frozenset(
        {IssuerKind.EMPLOYER, IssuerKind.TRAINING_INSTITUTION}
    ),
    EventKind.APPOINTMENT_GRANTED: frozenset({IssuerKind.EMPLOYER}),
}
"""Kinds that only some kinds of institution may sign, whatever they are accredited for.

An apprenticeship is completed with an employer or a training institution
(企业新型学徒制); posts above 一级 are appointed by the employer (评聘).
"""


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Accreditation(_Frozen):
    """What an issuer may sign: event kinds, occupations, highest skill level.

    ``highest_level`` uses the national grade (5 lowest … 1 highest); an issuer
    accredited to 3 may certify levels 5, 4 and 3. An empty ``occupations``
    list means any occupation.
    """

    event_kinds: list[EventKind]
    occupations: list[str] = []
    highest_level: Annotated[int, Field(ge=1, le=5)] | None = None


class TrustedKey(_Frozen):
    """An Ed25519 public key with the window in which its signatures count."""

    key_id: KeyId
    public_key: PublicKey
    valid_from: UtcDatetime
    valid_until: UtcDatetime | None = None
    compromised_since: UtcDatetime | None = None


class TrustedIssuer(_Frozen):
    """An accredited institution and its keys."""

    issuer_id: IssuerId
    name: str
    kind: IssuerKind
    uscc: str
    uscc_flagged: bool = Field(
        default=False, description="the credit code failed its check; under review"
    )
    system: str | None = Field(
        default=None, description="人社, 民政, 农委, 卫健, 医保 or 工会"
    )
    accreditation: Accreditation
    keys: list[TrustedKey]


class LogInfo(_Frozen):
    """The ledger's checkpoint origin and its signed-note verifier key."""

    origin: str
    verifier_key: str = Field(description="signed-note vkey: name+keyid+base64")


class Authority(_Frozen):
    """The authority (人社局) whose key signs this list."""

    name: str
    key_id: KeyId
    public_key: PublicKey


class TrustList(_Frozen):
    """Everything a verifier needs to trust, versioned."""

    version: int = Field(ge=1)
    issued_at: UtcDatetime
    authority: Authority
    log: LogInfo
    verify_url: str = Field(description="base URL of the online verification page")
    passport_signers: list[TrustedKey]
    credential_signers: list[TrustedKey] = Field(
        default=[],
        description="keys the service signs W3C Verifiable Credentials with; "
        "each credential's issuer is the did:key of one of them",
    )
    issuers: list[TrustedIssuer]


class SignedTrustList(_Frozen):
    """A trust list with the authority's Ed25519 signature over its RFC 8785 bytes."""

    trust_list: TrustList
    signature: str = Field(description="base64 of the 64-byte Ed25519 signature")

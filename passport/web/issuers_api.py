"""The issuer registry over HTTP, for the authority only.

Each change answers with the issuer as the new trust list lists it and that
list's version; ``GET /api/v1/trust-list`` serves the list itself.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, status
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from passport import issuer_admin
from passport.issuer_admin import IssuerChanged
from passport.service import Service, utc_now_seconds
from passport.tokens import Role
from passport.web.auth import PROBLEMS, require
from schemas.api import Problem
from schemas.events import IssuerId, UtcDatetime
from schemas.text import PlainText
from schemas.trust import Accreditation, IssuerKind, KeyId, TrustedIssuer

router = APIRouter(
    prefix="/api/v1/issuers",
    tags=["issuers"],
    dependencies=[Depends(require(Role.AUTHORITY))],
    responses={
        **PROBLEMS,
        404: {"model": Problem},
        409: {"model": Problem},
        422: {"model": Problem},
    },
)

IssuerPath = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9-]{2,63}$")]
KeyPath = Annotated[str, Path(pattern=r"^[0-9a-f]{8}$")]


def _check_key(encoded: str) -> str:
    try:
        raw = base64.b64decode(encoded, validate=True)
    except binascii.Error:
        raw = b""
    if len(raw) != 32:
        raise ValueError("not base64 of a 32-byte Ed25519 key")
    return encoded


PublicKeyB64 = Annotated[
    str,
    Field(description="base64 of the raw 32-byte Ed25519 key", max_length=64),
    AfterValidator(_check_key),
]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class IssuerRegistration(_Body):
    """An institution to put on the trust list."""

    issuer_id: IssuerId
    name: PlainText = Field(min_length=1, max_length=200)
    kind: IssuerKind
    uscc: str = Field(
        pattern=r"^[0-9A-HJ-NP-RT-UW-Y]{18}$",
        description="统一社会信用代码; a failing check character is flagged",
    )
    system: str | None = Field(default=None, min_length=1, max_length=8)
    accreditation: Accreditation


class KeyAddition(_Body):
    """A public key and its validity window."""

    public_key: PublicKeyB64
    valid_from: UtcDatetime
    valid_until: UtcDatetime | None = None


class KeyRotation(_Body):
    """The key that replaces the old one, from ``at`` on."""

    public_key: PublicKeyB64
    at: UtcDatetime


class KeyRetirement(_Body):
    """When the key's window ends."""

    at: UtcDatetime


class KeyCompromise(_Body):
    """From when the key is not to be trusted."""

    since: UtcDatetime


class IssuerView(_Body):
    """An issuer as the newest trust list lists it."""

    issuer: TrustedIssuer
    trust_list_version: int
    key_id: KeyId | None = None


def _service(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


def _view(changed: IssuerChanged) -> IssuerView:
    return IssuerView(
        issuer=changed.issuer,
        trust_list_version=changed.trust_list_version,
        key_id=changed.key_id,
    )


def _raw_key(encoded: str) -> bytes:
    return base64.b64decode(encoded, validate=True)


@router.get("")
def list_issuers(request: Request) -> list[TrustedIssuer]:
    """Every institution on the newest trust list."""
    return list(_service(request).trust_list().issuers)


@router.get("/{issuer_id}")
def show_issuer(issuer_id: IssuerPath, request: Request) -> IssuerView:
    """One institution with its accreditation and keys."""
    trust_list = _service(request).trust_list()
    issuer = issuer_admin.find_issuer(trust_list, issuer_id)
    return IssuerView(issuer=issuer, trust_list_version=trust_list.version)


@router.post("", status_code=status.HTTP_201_CREATED)
def register_issuer(body: IssuerRegistration, request: Request) -> IssuerView:
    """Register an institution; publishes a new trust list."""
    service = _service(request)
    changed = issuer_admin.register(
        service,
        issuer_id=body.issuer_id,
        name=body.name,
        kind=body.kind,
        uscc=body.uscc,
        accreditation=body.accreditation,
        system=body.system,
        now=utc_now_seconds(),
    )
    return _view(changed)


@router.post("/{issuer_id}/keys", status_code=status.HTTP_201_CREATED)
def add_key(issuer_id: IssuerPath, body: KeyAddition, request: Request) -> IssuerView:
    """Add a key with its window; publishes a new trust list."""
    changed = issuer_admin.add_key(
        _service(request),
        issuer_id=issuer_id,
        public_key=_raw_key(body.public_key),
        valid_from=body.valid_from,
        valid_until=body.valid_until,
    )
    return _view(changed)


@router.post("/{issuer_id}/keys/{key_id}/rotate")
def rotate_key(
    issuer_id: IssuerPath, key_id: KeyPath, body: KeyRotation, request: Request
) -> IssuerView:
    """Retire the key at ``at`` and add the new one from then on."""
    changed = issuer_admin.rotate_key(
        _service(request),
        issuer_id=issuer_id,
        key_id=key_id,
        public_key=_raw_key(body.public_key),
        at=body.at,
    )
    return _view(changed)


@router.post("/{issuer_id}/keys/{key_id}/retire")
def retire_key(
    issuer_id: IssuerPath, key_id: KeyPath, body: KeyRetirement, request: Request
) -> IssuerView:
    """End the key's window at ``at``; what it signed before stays valid."""
    changed = issuer_admin.retire_key(
        _service(request), issuer_id=issuer_id, key_id=key_id, at=body.at
    )
    return _view(changed)


@router.post("/{issuer_id}/keys/{key_id}/compromise")
def compromise_key(
    issuer_id: IssuerPath, key_id: KeyPath, body: KeyCompromise, request: Request
) -> IssuerView:
    """Mark the key compromised from ``since``; later entries are flagged."""
    changed = issuer_admin.compromise_key(
        _service(request), issuer_id=issuer_id, key_id=key_id, since=body.since
    )
    return _view(changed)

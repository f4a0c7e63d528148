"""Bodies of the HTTP API beyond the events and the trust list themselves."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from schemas.passport import MAX_PASSPORT_DAYS
from schemas.text import MAX_NAME, PlainText


class Role(StrEnum):
    """Whom an API token speaks for."""

    AUTHORITY = "authority"
    ISSUER = "issuer"
    WORKER = "worker"
    VERIFIER = "verifier"


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RequestBody(BaseModel):
    """A request body: unknown fields refused, no value converted to another type.

    Strict, so that ``"30"`` or ``true`` for a number is refused naming the
    field rather than read as 30 or 1.
    """

    model_config = ConfigDict(extra="forbid", strict=True)


class SubmitResult(_Body):
    """What became of one submitted event."""

    status: Literal["appended", "duplicate", "refused"]
    log_index: int | None = None
    leaf_hash: str | None = None
    reason: str | None = Field(default=None, description="a stable code when refused")
    detail: str | None = None


class WorkerRegistration(RequestBody):
    """A worker's identity, sent once to obtain the pseudonymous id."""

    id_number: str = Field(description="居民身份证号, 18 or 15 characters")
    name: PlainText = Field(min_length=1, max_length=MAX_NAME)


class WorkerRegistered(_Body):
    """The pseudonymous id that events carry."""

    worker_id: str


class RevocationView(_Body):
    """The later entry that revoked or corrected a record, when, and why."""

    log_index: int
    revoked_on: dt.date
    reason: str
    corrected: bool


class ArchiveRecord(_Body):
    """One entry of a worker's archive.

    For a correction, ``kind`` and ``event`` are those of the corrected fact it
    carries and ``corrects`` names the entry it replaces.
    """

    log_index: int
    leaf_hash: str
    kind: str
    event: dict[str, Any]
    revoked_by: int | None
    revocation: RevocationView | None = None
    corrects: int | None = None
    compromised: str | None = Field(
        default=None, description="why: signed by a key compromised before logging"
    )


class VerificationEntry(_Body):
    """One logged verification, as the holder sees it."""

    passport_id: str
    verified_at: dt.datetime
    result: str
    verifier: str | None


class ArchiveView(_Body):
    """A worker's whole archive, with who verified their passports."""

    worker_id: str
    records: list[ArchiveRecord]
    verifications: list[VerificationEntry] = []


class PassportRequest(RequestBody):
    """What the worker chooses to show, and for how long."""

    # the same as schemas.passport.DEFAULT_SECTIONS: guidance only when listed
    sections: list[
        Literal[
            "certificates", "training", "employment", "awards", "insurance", "guidance"
        ]
    ] = ["certificates", "training", "employment", "awards", "insurance"]
    valid_days: int = Field(default=90, ge=1, le=MAX_PASSPORT_DAYS)
    language: Literal["zh", "en"] = Field(
        default="zh", description="printed first; the other language stands beside"
    )


class VerifyRequest(RequestBody):
    """A scanned QR text, and who is checking when they say so."""

    qr: PlainText = Field(max_length=2000)
    verifier: PlainText | None = Field(default=None, max_length=200)


class Problem(_Body):
    """An error body: a stable code and a message saying what and where."""

    reason: str
    detail: str
    retry_after: int | None = None

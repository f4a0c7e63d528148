"""Ledger events: the facts an issuer signs about a worker.

An event is a JSON object; its issuer signs the RFC 8785 bytes of exactly that
object. The models here are strict: unknown fields are refused, values are in
one canonical form, and ``dump_event`` gives back the object that was signed.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    model_validator,
)

from schemas.identifiers import (
    ABILITY_CODE_PATTERN,
    CERTIFICATE_NO_PATTERN,
    ISSUER_ID_PATTERN,
    OCCUPATION_CODE_PATTERN,
    WORKER_ID_PATTERN,
    certificate_no_parts,
    find_id_number,
)
from schemas.text import PlainText


def _no_id_number(value: str) -> str:
    # Events are public and permanent: an ID number must never enter one.
    if find_id_number(value) is not None:
        raise ValueError("must not contain a resident ID number")
    return value


WorkerId = Annotated[str, Field(pattern=WORKER_ID_PATTERN)]
IssuerId = Annotated[
    str, Field(pattern=ISSUER_ID_PATTERN), AfterValidator(_no_id_number)
]
OccupationCode = Annotated[str, Field(pattern=OCCUPATION_CODE_PATTERN)]
AbilityCode = Annotated[str, Field(pattern=ABILITY_CODE_PATTERN)]
SkillLevel = Annotated[int, Field(ge=1, le=5)]


def _plausible_date(value: dt.date) -> dt.date:
    if value < EARLIEST_FACT:
        raise ValueError(f"{value} is before {EARLIEST_FACT}")
    return value


Reference = Annotated[
    PlainText,
    Field(min_length=1, max_length=64, pattern=r"^\S(.*\S)?$"),
    AfterValidator(_no_id_number),
]
Text = Annotated[
    PlainText, Field(min_length=1, max_length=200), AfterValidator(_no_id_number)
]
FactDate = Annotated[dt.date, AfterValidator(_plausible_date)]
EARLIEST_FACT = dt.date(1950, 1, 1)
"""No record of the programme can be older than this."""
SCHEDULED_AHEAD = dt.timedelta(days=366)
"""How far ahead of its signing a class may be scheduled to start."""

# RFC 8785 numbers are IEEE 754 doubles: larger integers cannot be signed.
MAX_SAFE_INTEGER = 2**53 - 1
LeafHashHex = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
YearMonth = Annotated[str, Field(pattern=r"^(19|20)[0-9]{2}-(0[1-9]|1[0-2])$")]


def _utc(value: dt.datetime) -> dt.datetime:
    if value.utcoffset() != dt.timedelta(0) or value.microsecond:
        raise ValueError("must be whole seconds in UTC, like 2026-01-31T08:00:00Z")
    return value


UtcDatetime = Annotated[dt.datetime, AfterValidator(_utc)]


class EventKind(StrEnum):
    """Every kind of fact the ledger records."""

    TRAINING_ENROLLED = "training.enrolled"
    TRAINING_COMPLETED = "training.completed"
    CERTIFICATE_ISSUED = "certificate.issued"
    COMPETITION_AWARDED = "competition.awarded"
    EMPLOYMENT_STARTED = "employment.started"
    EMPLOYMENT_ENDED = "employment.ended"
    INSURANCE_PERIOD = "insurance.period"
    ENTRY_REVOKED = "entry.revoked"
    ENTRY_CORRECTED = "entry.corrected"
    APPRENTICESHIP_COMPLETED = "apprenticeship.completed"
    APPOINTMENT_GRANTED = "appointment.granted"


class CertificateType(StrEnum):
    """职业技能等级证书 or 专项职业能力证书."""

    SKILL_LEVEL = "skill_level"
    SPECIAL_ABILITY = "special_ability"


class InsuranceScheme(StrEnum):
    """The social-insurance schemes whose contribution months count as work."""

    PENSION = "pension"
    UNEMPLOYMENT = "unemployment"
    WORK_INJURY = "work_injury"
    MEDICAL = "medical"


class _Event(BaseModel):
    """Fields every event carries."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=False)

    worker_id: WorkerId
    issuer_id: IssuerId
    ref: Reference = Field(
        description="the issuer's own record number, unique per worker and issuer"
    )
    signed_at: UtcDatetime

    # Dates of facts that happened before the signature (a day of slack for
    # China time against UTC), and of classes that may be scheduled ahead.
    _happened: ClassVar[tuple[str, ...]] = ()
    _scheduled: ClassVar[tuple[str, ...]] = ()

    @model_validator(mode="after")
    def _not_after_signing(self) -> Self:
        signed_on = self.signed_at.date()
        for name in self._happened:
            day = getattr(self, name)
            if day > signed_on + dt.timedelta(days=1):
                raise ValueError(f"{name}: {day} is after the signature {signed_on}")
        for name in self._scheduled:
            day = getattr(self, name)
            if day > signed_on + SCHEDULED_AHEAD:
                raise ValueError(
                    f"{name}: {day} is more than {SCHEDULED_AHEAD.days} days after "
                    f"the signature {signed_on}"
                )
        return self


class TrainingEnrolled(_Event):
    """A worker enrolled in a training class (开班报名)."""

    kind: Literal[EventKind.TRAINING_ENROLLED]
    _scheduled: ClassVar[tuple[str, ...]] = ("start_on",)
    occupation_code: OccupationCode | AbilityCode
    work_type: Text | None = None
    target_level: SkillLevel | None = None
    course: Text
    start_on: FactDate
    planned_hours: int = Field(ge=1, le=2000)
    subsidised: bool


class TrainingCompleted(_Event):
    """The worker finished the class enrolled under ``enrolment_ref`` (结业)."""

    kind: Literal[EventKind.TRAINING_COMPLETED]
    _happened: ClassVar[tuple[str, ...]] = ("completed_on",)
    enrolment_ref: Reference
    occupation_code: OccupationCode | AbilityCode
    work_type: Text | None = None
    target_level: SkillLevel | None = None
    completed_on: FactDate
    hours: int = Field(ge=1, le=2000)
    passed: bool


class CertificateIssued(_Event):
    """A skill-level or special-ability certificate (职业技能等级 / 专项职业能力)."""

    kind: Literal[EventKind.CERTIFICATE_ISSUED]
    _happened: ClassVar[tuple[str, ...]] = ("issued_on",)
    certificate_type: CertificateType
    occupation_code: OccupationCode | AbilityCode
    work_type: Text | None = None
    skill_level: SkillLevel | None = None
    certificate_no: Annotated[
        str, Field(pattern=CERTIFICATE_NO_PATTERN), AfterValidator(_no_id_number)
    ]
    issued_on: FactDate

    @model_validator(mode="after")
    def _level_matches_type(self) -> CertificateIssued:
        if self.certificate_type is CertificateType.SKILL_LEVEL:
            if self.skill_level is None:
                raise ValueError("skill_level: required for a skill-level certificate")
            _check_number_matches(self.certificate_no, self.skill_level, self.issued_on)
            if not _is_occupation_code(self.occupation_code):
                raise ValueError(
                    "occupation_code: a skill-level certificate needs an occupation "
                    f"code like 4-10-01-05, got {self.occupation_code!r}"
                )
        else:
            if self.skill_level is not None:
                raise ValueError("skill_level: a special-ability certificate has none")
            if _is_occupation_code(self.occupation_code):
                raise ValueError(
                    "occupation_code: a special-ability certificate needs a 16-digit "
                    f"ability code, got {self.occupation_code!r}"
                )
        return self


class CompetitionAwarded(_Event):
    """A placing in a skills competition (职业技能竞赛获奖)."""

    kind: Literal[EventKind.COMPETITION_AWARDED]
    _happened: ClassVar[tuple[str, ...]] = ("awarded_on",)
    occupation_code: OccupationCode
    contest: Text
    contest_class: Literal["national", "provincial_1", "provincial_2", "enterprise"]
    rank: int = Field(ge=1, le=10000)
    awarded_on: FactDate


class EmploymentStarted(_Event):
    """The issuing employer took the worker on (入职)."""

    kind: Literal[EventKind.EMPLOYMENT_STARTED]
    _scheduled: ClassVar[tuple[str, ...]] = ("started_on",)
    occupation_code: OccupationCode
    position: Text
    started_on: FactDate


class EmploymentEnded(_Event):
    """The employment recorded under ``employment_ref`` ended (离职)."""

    kind: Literal[EventKind.EMPLOYMENT_ENDED]
    _happened: ClassVar[tuple[str, ...]] = ("ended_on",)
    employment_ref: Reference
    ended_on: FactDate


class ApprenticeshipCompleted(_Event):
    """A completed apprenticeship (学徒期满, 企业新型学徒制): ladder step 学徒工."""

    kind: Literal[EventKind.APPRENTICESHIP_COMPLETED]
    _happened: ClassVar[tuple[str, ...]] = ("completed_on",)
    occupation_code: OccupationCode
    work_type: Text | None = None
    started_on: FactDate
    completed_on: FactDate

    @model_validator(mode="after")
    def _ordered(self) -> ApprenticeshipCompleted:
        if self.completed_on < self.started_on:
            raise ValueError(
                f"completed_on: {self.completed_on} is before started_on "
                f"{self.started_on}"
            )
        return self


class Post(StrEnum):
    """The two posts above 一级/高级技师 that an employer appoints to (评聘)."""

    SPECIAL_GRADE_TECHNICIAN = "special_grade_technician"  # 特级技师
    CHIEF_TECHNICIAN = "chief_technician"  # 首席技师


class AppointmentGranted(_Event):
    """An employer appointed the worker to a post for a term (特级技师 / 首席技师)."""

    kind: Literal[EventKind.APPOINTMENT_GRANTED]
    _happened: ClassVar[tuple[str, ...]] = ("term_start",)
    occupation_code: OccupationCode
    post: Post
    term_start: FactDate
    term_end: FactDate = Field(description="the last day of the term, inclusive")

    @model_validator(mode="after")
    def _ordered(self) -> AppointmentGranted:
        if self.term_end <= self.term_start:
            raise ValueError(
                f"term_end: {self.term_end} is not after term_start {self.term_start}"
            )
        return self


class InsurancePeriod(_Event):
    """Months of contributions paid for the worker (社会保险缴费), no amounts."""

    kind: Literal[EventKind.INSURANCE_PERIOD]
    scheme: InsuranceScheme
    period_from: YearMonth
    period_to: YearMonth
    employer_uscc: (
        Annotated[
            str,
            Field(pattern=r"^[0-9A-HJ-NP-RT-UW-Y]{18}$"),
            AfterValidator(_no_id_number),
        ]
        | None
    ) = None

    @model_validator(mode="after")
    def _ordered(self) -> InsurancePeriod:
        if self.period_to < self.period_from:
            raise ValueError(
                f"period_to: {self.period_to} is before period_from {self.period_from}"
            )
        if self.period_to > f"{self.signed_at:%Y-%m}":
            raise ValueError(
                f"period_to: {self.period_to} is after the signature "
                f"{self.signed_at:%Y-%m}"
            )
        if self.period_from < f"{EARLIEST_FACT:%Y-%m}":
            raise ValueError(f"period_from: {self.period_from} is before 1950")
        return self


class EntryRevoked(_Event):
    """Revokes an earlier entry of the same worker; nothing is ever deleted."""

    kind: Literal[EventKind.ENTRY_REVOKED]
    _happened: ClassVar[tuple[str, ...]] = ("revoked_on",)
    target_log_index: int = Field(ge=0, le=MAX_SAFE_INTEGER)
    target_leaf_hash: LeafHashHex
    reason: Text
    revoked_on: FactDate


Fact = Annotated[
    TrainingEnrolled
    | TrainingCompleted
    | CertificateIssued
    | CompetitionAwarded
    | EmploymentStarted
    | EmploymentEnded
    | InsurancePeriod
    | ApprenticeshipCompleted
    | AppointmentGranted,
    Field(discriminator="kind"),
]
"""An event that states a fact about the worker, which a correction may restate."""


class EntryCorrected(_Event):
    """Replaces an earlier entry of the same worker with ``corrected``.

    The earlier entry then counts as revoked; ``corrected`` is the fact as it
    should have been recorded, of the same kind, worker and issuer.
    """

    kind: Literal[EventKind.ENTRY_CORRECTED]
    _happened: ClassVar[tuple[str, ...]] = ("corrected_on",)
    target_log_index: int = Field(ge=0, le=MAX_SAFE_INTEGER)
    target_leaf_hash: LeafHashHex
    reason: Text
    corrected_on: FactDate
    corrected: Fact

    @model_validator(mode="after")
    def _same_worker_and_issuer(self) -> EntryCorrected:
        for name in ("worker_id", "issuer_id"):
            inner, outer = getattr(self.corrected, name), getattr(self, name)
            if inner != outer:
                raise ValueError(f"corrected.{name}: {inner} is not {outer}")
        if self.corrected.signed_at > self.signed_at:
            raise ValueError("corrected.signed_at: after the correction's signed_at")
        return self


Event = Annotated[
    TrainingEnrolled
    | TrainingCompleted
    | CertificateIssued
    | CompetitionAwarded
    | EmploymentStarted
    | EmploymentEnded
    | InsurancePeriod
    | EntryRevoked
    | ApprenticeshipCompleted
    | AppointmentGranted
    | EntryCorrected,
    Field(discriminator="kind"),
]

EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)


def _check_number_matches(number: str, level: int, issued_on: dt.date) -> None:
    """A number in the 2019 national layout must print the same level and year."""
    printed = certificate_no_parts(number)
    if printed is None:
        return
    year, printed_level = printed
    if printed_level != level:
        raise ValueError(
            f"certificate_no: {number} prints level {printed_level}, "
            f"not skill_level {level}"
        )
    if year != issued_on.year % 100:
        raise ValueError(
            f"certificate_no: {number} prints year {year:02d}, "
            f"not the year of issued_on {issued_on}"
        )


def _is_occupation_code(code: str) -> bool:
    return "-" in code


def parse_event(data: dict[str, Any]) -> Event:
    """Validate a JSON object as an event; raises pydantic's ValidationError."""
    return EVENT_ADAPTER.validate_python(data)


def dump_event(event: Event) -> dict[str, Any]:
    """The JSON object of an event in its one canonical form (no null fields)."""
    data: dict[str, Any] = event.model_dump(mode="json", exclude_none=True)
    data["signed_at"] = event.signed_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(event, EntryCorrected):
        data["corrected"] = dump_event(event.corrected)
    return data


class EventSignature(BaseModel):
    """An issuer's Ed25519 signature over the RFC 8785 bytes of an event."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key_id: Annotated[str, Field(pattern=r"^[0-9a-f]{8}$")]
    value: Annotated[str, Field(description="base64 of the 64-byte signature")]


class SignedEvent(BaseModel):
    """What an issuer submits: the event object exactly as signed, and the signature.

    ``event`` stays a plain JSON object so that the signed bytes can be
    recomputed exactly; ``parse_event`` checks its shape.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    event: dict[str, Any]
    signature: EventSignature

"""What guidance reads from a worker's ledger records, occupation by occupation.

Only records that no later entry revoked, and facts dated on or before the
day asked about, are collected; nothing here judges a condition.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from passport.archive import Archive
from passport.guidance.calendar import Spell
from schemas.events import (
    AppointmentGranted,
    ApprenticeshipCompleted,
    CertificateIssued,
    CertificateType,
    CompetitionAwarded,
    EmploymentEnded,
    EmploymentStarted,
    EventKind,
    Post,
    TrainingCompleted,
)

Lines = tuple[str, str]


@dataclass(frozen=True)
class Certificate:
    """A skill-level certificate."""

    occupation_code: str
    level: int
    issued_on: dt.date
    log_index: int


@dataclass(frozen=True)
class Job:
    """An employment spell and the entries that record it."""

    spell: Spell
    evidence: tuple[int, ...]


@dataclass(frozen=True)
class Training:
    """A completed class aimed at a level (None: no level named)."""

    level: int | None
    hours: int
    completed_on: dt.date
    passed: bool
    log_index: int


@dataclass(frozen=True)
class Apprenticeship:
    """A completed apprenticeship (学徒期满)."""

    occupation_code: str
    completed_on: dt.date
    log_index: int


@dataclass(frozen=True)
class Appointment:
    """An appointment to a post above 一级, for a term."""

    post: Post
    term_start: dt.date
    term_end: dt.date
    log_index: int


@dataclass(frozen=True)
class Award:
    """A placing in a skills competition."""

    contest: str
    contest_class: str
    rank: int
    awarded_on: dt.date
    log_index: int


@dataclass(frozen=True)
class Facts:
    """The ledger's facts about one worker in one occupation, as of a day.

    ``certificates`` are of the occupation itself, ``related`` of the listed
    related occupations, ``elsewhere`` of every other occupation (candidates
    where the related occupations are unknown).
    """

    occupation_code: str
    as_of: dt.date
    certificates: list[Certificate]
    related: list[Certificate]
    elsewhere: list[Certificate]
    jobs: list[Job]
    trainings: list[Training]
    apprenticeships: list[Apprenticeship]
    other_apprenticeships: list[Apprenticeship]
    appointments: list[Appointment]
    awards: list[Award]
    notes: list[Lines] = field(default_factory=list)

    def holding(self, level: int) -> Certificate | None:
        """The first certificate of the occupation at ``level`` or above, if any."""
        return first_at(self.certificates, level)


def first_at(certificates: list[Certificate], level: int) -> Certificate | None:
    """The earliest certificate at ``level`` or above."""
    held = [c for c in certificates if c.level <= level]
    return min(held, key=lambda c: (c.issued_on, c.log_index), default=None)


def _certificates(archive: Archive, as_of: dt.date) -> list[Certificate]:
    found = []
    for record in archive.active(EventKind.CERTIFICATE_ISSUED):
        event = record.event
        if (
            isinstance(event, CertificateIssued)
            and event.certificate_type is CertificateType.SKILL_LEVEL
            and event.skill_level is not None
            and event.issued_on <= as_of
        ):
            found.append(
                Certificate(
                    event.occupation_code,
                    event.skill_level,
                    event.issued_on,
                    record.log_index,
                )
            )
    return found


def _jobs(archive: Archive, codes: set[str], notes: list[Lines]) -> list[Job]:
    """Employment spells in the occupations, each start paired with its end."""
    ends: dict[tuple[str, str], list[tuple[dt.date, int]]] = {}
    for record in archive.active(EventKind.EMPLOYMENT_ENDED):
        event = record.event
        if isinstance(event, EmploymentEnded):
            key = (event.issuer_id, event.employment_ref)
            ends.setdefault(key, []).append((event.ended_on, record.log_index))
    jobs = []
    for record in archive.active(EventKind.EMPLOYMENT_STARTED):
        event = record.event
        if not isinstance(event, EmploymentStarted):
            continue
        if event.occupation_code not in codes:
            continue
        # Two live ends for one start is an anomaly; the earlier end counts
        # less work, which is the safe side for an application.
        end = min(ends.get((event.issuer_id, event.ref), []), default=None)
        if end is not None and end[0] < event.started_on:
            notes.append(
                (
                    f"第{record.log_index}条入职记录的离职日期早于入职日期，未计入",
                    f"employment entry {record.log_index} ends before it starts; "
                    "not counted",
                )
            )
            continue
        spell = Spell(event.started_on, end[0] if end else None)
        evidence = (record.log_index, end[1]) if end else (record.log_index,)
        jobs.append(Job(spell, evidence))
    return jobs


def _trainings(archive: Archive, code: str, as_of: dt.date) -> list[Training]:
    found = []
    for record in archive.active(EventKind.TRAINING_COMPLETED):
        event = record.event
        if (
            isinstance(event, TrainingCompleted)
            and event.occupation_code == code
            and event.completed_on <= as_of
        ):
            found.append(
                Training(
                    event.target_level,
                    event.hours,
                    event.completed_on,
                    event.passed,
                    record.log_index,
                )
            )
    return sorted(found, key=lambda t: (t.completed_on, t.log_index))


def _apprenticeships(archive: Archive, as_of: dt.date) -> list[Apprenticeship]:
    found = []
    for record in archive.active(EventKind.APPRENTICESHIP_COMPLETED):
        event = record.event
        if isinstance(event, ApprenticeshipCompleted) and event.completed_on <= as_of:
            found.append(
                Apprenticeship(
                    event.occupation_code, event.completed_on, record.log_index
                )
            )
    return found


def _appointments(archive: Archive, code: str, as_of: dt.date) -> list[Appointment]:
    found = []
    for record in archive.active(EventKind.APPOINTMENT_GRANTED):
        event = record.event
        if (
            isinstance(event, AppointmentGranted)
            and event.occupation_code == code
            and event.term_start <= as_of
        ):
            found.append(
                Appointment(
                    event.post, event.term_start, event.term_end, record.log_index
                )
            )
    return found


def _awards(archive: Archive, code: str, as_of: dt.date) -> list[Award]:
    found = []
    for record in archive.active(EventKind.COMPETITION_AWARDED):
        event = record.event
        if (
            isinstance(event, CompetitionAwarded)
            and event.occupation_code == code
            and event.awarded_on <= as_of
        ):
            found.append(
                Award(
                    event.contest,
                    event.contest_class,
                    event.rank,
                    event.awarded_on,
                    record.log_index,
                )
            )
    return sorted(found, key=lambda a: (a.awarded_on, a.log_index))


def collect(archive: Archive, code: str, related: list[str], as_of: dt.date) -> Facts:
    """The facts of one occupation (work in ``related`` ones counts too)."""
    notes: list[Lines] = []
    certificates = _certificates(archive, as_of)
    apprenticeships = _apprenticeships(archive, as_of)
    return Facts(
        occupation_code=code,
        as_of=as_of,
        certificates=[c for c in certificates if c.occupation_code == code],
        related=[c for c in certificates if c.occupation_code in related],
        elsewhere=[
            c
            for c in certificates
            if c.occupation_code != code and c.occupation_code not in related
        ],
        jobs=_jobs(archive, {code, *related}, notes),
        trainings=_trainings(archive, code, as_of),
        apprenticeships=[
            a for a in apprenticeships if a.occupation_code in {code, *related}
        ],
        other_apprenticeships=[
            a for a in apprenticeships if a.occupation_code not in {code, *related}
        ],
        appointments=_appointments(archive, code, as_of),
        awards=_awards(archive, code, as_of),
        notes=notes,
    )

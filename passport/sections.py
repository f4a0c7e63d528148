"""The sections of a passport, derived from a worker's archive.

Every function reads only live records (revoked ones left out) and names
institutions as the trust list does.
"""

from __future__ import annotations

import datetime as dt

from passport.archive import Archive
from passport.guidance import describe_worker
from passport.guidance.calendar import Spell, merge_spells, months_covered
from schemas.catalogue import CatalogueError, load_catalogue
from schemas.events import (
    CertificateIssued,
    CertificateType,
    CompetitionAwarded,
    EmploymentEnded,
    EmploymentStarted,
    EventKind,
    InsurancePeriod,
    TrainingCompleted,
    TrainingEnrolled,
)
from schemas.passport import (
    AwardLine,
    CertificateLine,
    EmploymentLine,
    EmploymentSummary,
    GuidanceLine,
    LevelLine,
    TrainingLine,
)
from schemas.trust import TrustList

Issuers = dict[str, str]
"""Issuer names by issuer id."""


def certificate_lines(
    archive: Archive, issuers: Issuers, *, english: bool = False
) -> list[CertificateLine]:
    """Every live certificate, newest first, named in Chinese or English."""
    lines = []
    for record in archive.active(EventKind.CERTIFICATE_ISSUED):
        event = record.event
        assert isinstance(event, CertificateIssued)
        level = event.skill_level
        lines.append(
            CertificateLine(
                certificate_type=event.certificate_type,
                occupation_code=event.occupation_code,
                occupation_name=occupation_name(
                    event.occupation_code, event.work_type, english=english
                ),
                work_type=event.work_type,
                skill_level=level,
                level_name=_level_name(level, english) if level else None,
                certificate_no=event.certificate_no,
                issued_on=event.issued_on,
                issuer_name=issuers.get(event.issuer_id, event.issuer_id),
                log_index=record.log_index,
            )
        )
    return sorted(
        lines, key=lambda line: (line.issued_on, line.log_index), reverse=True
    )


def occupation_name(code: str, work_type: str | None, *, english: bool) -> str:
    """The occupation as shown, its work type included once, known or not."""
    catalogue = load_catalogue()
    name = catalogue.display_name(code, work_type, english=english)
    if work_type is None:
        return name
    try:
        catalogue.item(code, work_type)
    except CatalogueError:
        # a work type annex 2 does not list: display_name gave the occupation
        return f"{name} ({work_type})" if english else f"{name}（{work_type}）"
    return name


def _level_name(grade: int, english: bool) -> str:
    catalogue = load_catalogue()
    return catalogue.level_name_en(grade) if english else catalogue.level_name(grade)


def level_lines(
    certificates: list[CertificateLine], *, english: bool = False
) -> list[LevelLine]:
    """The highest skill level held per occupation, from the given certificates."""
    best: dict[str, tuple[int, dt.date, CertificateLine]] = {}
    for line in certificates:
        level = line.skill_level
        if line.certificate_type is not CertificateType.SKILL_LEVEL or level is None:
            continue
        # grade 1 is the highest; among equal grades the earliest counts
        held = best.get(line.occupation_code)
        if held is None or (level, line.issued_on) < held[:2]:
            best[line.occupation_code] = (level, line.issued_on, line)
    catalogue = load_catalogue()
    return [
        LevelLine(
            occupation_code=code,
            occupation_name=catalogue.display_name(code, english=english),
            skill_level=level,
            level_name=_level_name(level, english),
            since=since,
        )
        for code, (level, since, _) in sorted(best.items())
    ]


def training_lines(
    archive: Archive, issuers: Issuers, *, english: bool = False
) -> list[TrainingLine]:
    """Every completed training class, newest first."""
    enrolments = {
        (r.event.issuer_id, r.event.ref): r.event
        for r in archive.active(EventKind.TRAINING_ENROLLED)
        if isinstance(r.event, TrainingEnrolled)
    }
    lines = []
    for record in archive.active(EventKind.TRAINING_COMPLETED):
        event = record.event
        assert isinstance(event, TrainingCompleted)
        enrolment = enrolments.get((event.issuer_id, event.enrolment_ref))
        name = occupation_name(event.occupation_code, event.work_type, english=english)
        lines.append(
            TrainingLine(
                course=enrolment.course if enrolment else name,
                occupation_name=name,
                institution=issuers.get(event.issuer_id, event.issuer_id),
                start_on=enrolment.start_on if enrolment else None,
                completed_on=event.completed_on,
                hours=event.hours,
                passed=event.passed,
            )
        )
    return sorted(lines, key=lambda line: line.completed_on, reverse=True)


def employment_summary(
    archive: Archive, issuers: Issuers, today: dt.date
) -> EmploymentSummary:
    """Employment spells and months worked (overlaps merged); insurance apart."""
    ends = {
        (r.event.issuer_id, r.event.employment_ref): r.event.ended_on
        for r in archive.active(EventKind.EMPLOYMENT_ENDED)
        if isinstance(r.event, EmploymentEnded)
    }
    spells = []
    for record in archive.active(EventKind.EMPLOYMENT_STARTED):
        event = record.event
        assert isinstance(event, EmploymentStarted)
        spells.append(
            EmploymentLine(
                employer_name=issuers.get(event.issuer_id, event.issuer_id),
                position=event.position,
                started_on=event.started_on,
                ended_on=ends.get((event.issuer_id, event.ref)),
            )
        )
    # a spell that starts after today has not been worked yet
    worked = merge_spells(
        [
            Spell(s.started_on, s.ended_on or today)
            for s in spells
            if s.started_on <= today
        ],
        today,
    )
    return EmploymentSummary(
        spells=sorted(spells, key=lambda s: s.started_on, reverse=True),
        months_worked=months_covered(worked),
    )


def months_insured(archive: Archive) -> int:
    """Distinct calendar months with any contribution; never amounts."""
    months: set[tuple[int, int]] = set()
    for record in archive.active(EventKind.INSURANCE_PERIOD):
        event = record.event
        assert isinstance(event, InsurancePeriod)
        year, month = map(int, event.period_from.split("-"))
        last = tuple(map(int, event.period_to.split("-")))
        while (year, month) <= last:
            months.add((year, month))
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return len(months)


CONTEST_CLASSES = {
    "national": ("国家级竞赛", "national"),
    "provincial_1": ("省级一类竞赛", "provincial class I"),
    "provincial_2": ("省级二类竞赛", "provincial class II"),
    "enterprise": ("企业或院校竞赛", "enterprise or school"),
}


def award_lines(
    archive: Archive, issuers: Issuers, *, english: bool = False
) -> list[AwardLine]:
    """Every live competition placing, newest first."""
    catalogue = load_catalogue()
    lines = []
    for record in archive.active(EventKind.COMPETITION_AWARDED):
        event = record.event
        assert isinstance(event, CompetitionAwarded)
        lines.append(
            AwardLine(
                contest=event.contest,
                contest_class=CONTEST_CLASSES[event.contest_class][int(english)],
                rank=event.rank,
                awarded_on=event.awarded_on,
                occupation_name=catalogue.display_name(
                    event.occupation_code, english=english
                ),
                issuer_name=issuers.get(event.issuer_id, event.issuer_id),
            )
        )
    return sorted(lines, key=lambda line: line.awarded_on, reverse=True)


def guidance_lines(
    archive: Archive, today: dt.date, trust_list: TrustList
) -> list[GuidanceLine]:
    """Promotion and evaluation guidance in every occupation the worker has records in.

    Empty for a worker with no record in an occupation that has rules.
    """
    if not any(
        getattr(r.event, "occupation_code", None) is not None for r in archive.records
    ):
        return []
    lines = describe_worker(archive, as_of=today, trust_list=trust_list)
    return [GuidanceLine(text_zh=zh, text_en=en) for zh, en in lines]

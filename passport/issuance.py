"""Issuing a passport: from a worker's archive to a signed, printable snapshot.

1. Read the archive and keep what the worker chose to show, revoked
   entries left out.
2. Derive the current level per occupation, the certificates, the training
   and an employment summary (months worked, months insured; no amounts).
3. Sign the compact form for the QR with the passport signer key.
4. Record the passport (which entries, at which tree size) for online
   verification, and return the view the PDF renders.
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
import secrets
from dataclasses import dataclass, field

from issuers.keys import key_id, raw_public
from passport.archive import Archive
from passport.guidance import describe, guidance_for
from passport.guidance.calendar import Spell, merge_spells, months_covered
from passport.qr import qr_version
from passport.service import Service, ServiceError, now_utc
from passport.tables import PassportRow
from passport.workers import masked_name
from schemas.catalogue import CatalogueError, load_catalogue
from schemas.events import (
    CertificateIssued,
    CertificateType,
    EmploymentEnded,
    EmploymentStarted,
    EventKind,
    InsurancePeriod,
    TrainingCompleted,
    TrainingEnrolled,
)
from schemas.passport import (
    CertificateLine,
    EmploymentLine,
    EmploymentSummary,
    GuidanceLine,
    HolderView,
    LevelLine,
    PassportView,
    TrainingLine,
)
from verify.compact import CompactCertificate, CompactPassport, sign_compact
from verify.qrtext import to_qr_text

logger = logging.getLogger(__name__)

SECTIONS = ("certificates", "training", "employment", "guidance")
QR_CERTIFICATES = 6
MAX_QR_VERSION = 12


@dataclass(frozen=True)
class PassportOptions:
    """What the worker chose: sections shown and how long the passport lasts."""

    sections: frozenset[str] = field(default_factory=lambda: frozenset(SECTIONS))
    valid_days: int = 90


def verification_code(passport_id: str) -> str:
    """The passport id as base32 in groups, short enough to read aloud."""
    code = base64.b32encode(bytes.fromhex(passport_id)).decode().rstrip("=")
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def issue_passport(
    service: Service,
    worker_id: str,
    *,
    options: PassportOptions | None = None,
    now: dt.datetime | None = None,
) -> PassportView:
    """Issue and record a passport for ``worker_id``; return what it shows."""
    options = options or PassportOptions()
    now = now or now_utc()
    identity = service.identity(worker_id)
    if identity.name is None or identity.id_number is None:
        raise ServiceError(f"worker: {worker_id}'s personal data was erased")
    archive = service.archive(worker_id)
    issuers = {i.issuer_id: i.name for i in service.trust_list().issuers}
    tree_size = service.log.size()

    certificates = _certificates(archive, issuers)
    shown = certificates if "certificates" in options.sections else []
    view_levels = _levels(certificates)
    passport_id = secrets.token_bytes(8).hex()
    expires_at = now + dt.timedelta(days=options.valid_days)
    holder = HolderView(
        name=identity.name,
        masked_name=masked_name(identity.name),
        id_last4=identity.id_number[-4:],
    )

    qr_text, on_qr = _signed_qr(
        service, shown, passport_id, holder, tree_size, now, expires_at
    )
    view = PassportView(
        passport_id=passport_id,
        issued_at=now,
        expires_at=expires_at,
        holder=holder,
        levels=view_levels,
        certificates=shown,
        trainings=_trainings(archive, issuers)
        if "training" in options.sections
        else [],
        employment=_employment(
            archive, issuers, now.date(), "employment" in options.sections
        ),
        guidance=_guidance(archive, now.date())
        if "guidance" in options.sections
        else [],
        tree_size=tree_size,
        qr_text=qr_text,
        verification_code=verification_code(passport_id),
    )
    if len(on_qr) < len(shown):
        logger.info(
            "passport %s: QR carries %s of %s certificates",
            passport_id,
            len(on_qr),
            len(shown),
        )
    with service.session() as session:
        session.add(
            PassportRow(
                passport_id=passport_id,
                worker_id=worker_id,
                issued_at=now,
                expires_at=expires_at,
                tree_size=tree_size,
                log_indexes=[line.log_index for line in shown],
            )
        )
    logger.info("issued passport %s (%s certificates)", passport_id, len(shown))
    return view


def _occupation_name(code: str, work_type: str | None) -> str:
    catalogue = load_catalogue()
    try:
        return catalogue.item(code, work_type).name_zh
    except CatalogueError:
        try:
            return catalogue.item(code).name_zh
        except CatalogueError:
            return code


def _certificates(archive: Archive, issuers: dict[str, str]) -> list[CertificateLine]:
    catalogue = load_catalogue()
    lines = []
    for record in archive.active(EventKind.CERTIFICATE_ISSUED):
        event = record.event
        assert isinstance(event, CertificateIssued)
        level = event.skill_level
        lines.append(
            CertificateLine(
                certificate_type=event.certificate_type.value,
                occupation_code=event.occupation_code,
                occupation_name=_occupation_name(
                    event.occupation_code, event.work_type
                ),
                work_type=event.work_type,
                skill_level=level,
                level_name=catalogue.level_name(level) if level else None,
                certificate_no=event.certificate_no,
                issued_on=event.issued_on,
                issuer_name=issuers.get(event.issuer_id, event.issuer_id),
                log_index=record.log_index,
            )
        )
    return sorted(
        lines, key=lambda line: (line.issued_on, line.log_index), reverse=True
    )


def _levels(certificates: list[CertificateLine]) -> list[LevelLine]:
    best: dict[str, CertificateLine] = {}
    for line in certificates:
        if (
            line.certificate_type != CertificateType.SKILL_LEVEL
            or line.skill_level is None
        ):
            continue
        held = best.get(line.occupation_code)
        if held is None or (line.skill_level, line.issued_on) < (
            held.skill_level or 6,
            held.issued_on,
        ):
            best[line.occupation_code] = line
    return [
        LevelLine(
            occupation_code=code,
            occupation_name=_occupation_name(code, None),
            skill_level=line.skill_level or 0,
            level_name=line.level_name or "",
            since=line.issued_on,
        )
        for code, line in sorted(best.items())
    ]


def _signed_qr(
    service: Service,
    certificates: list[CertificateLine],
    passport_id: str,
    holder: HolderView,
    tree_size: int,
    issued_at: dt.datetime,
    expires_at: dt.datetime,
) -> tuple[str, list[CertificateLine]]:
    """The signed QR text, carrying as many certificates as fit version 12-M.

    Current levels come first, then the newest; the PDF and the online check
    show every certificate.
    """
    ranked = sorted(
        certificates,
        key=lambda c: (
            c.skill_level is None,
            c.skill_level or 9,
            -c.issued_on.toordinal(),
        ),
    )
    signer = service.keys.passport_signer
    kid = bytes.fromhex(key_id(raw_public(signer.public_key())))
    for count in range(min(len(ranked), QR_CERTIFICATES), -1, -1):
        compact = CompactPassport(
            passport_id=passport_id,
            issued_at=issued_at,
            expires_at=expires_at,
            masked_name=holder.masked_name,
            id_last4=holder.id_last4,
            tree_size=tree_size,
            certificates=tuple(_compact(line) for line in ranked[:count]),
        )
        cose = sign_compact(compact, private_key=signer, key_id=kid)
        qr_text = to_qr_text(cose, service.settings.verify_url)
        if qr_version(qr_text) <= MAX_QR_VERSION:
            return qr_text, ranked[:count]
    raise ServiceError(
        f"passport: the QR does not fit version {MAX_QR_VERSION}-M even without "
        f"certificates (verify URL {service.settings.verify_url} is too long?)"
    )


def _compact(line: CertificateLine) -> CompactCertificate:
    return CompactCertificate(
        certificate_type=CertificateType(line.certificate_type),
        code=line.occupation_code,
        skill_level=line.skill_level,
        certificate_no=line.certificate_no,
        issued_on=line.issued_on,
    )


def _trainings(archive: Archive, issuers: dict[str, str]) -> list[TrainingLine]:
    starts = {
        (r.event.issuer_id, r.event.ref): r.event.start_on
        for r in archive.active(EventKind.TRAINING_ENROLLED)
        if isinstance(r.event, TrainingEnrolled)
    }
    lines = []
    for record in archive.active(EventKind.TRAINING_COMPLETED):
        event = record.event
        assert isinstance(event, TrainingCompleted)
        lines.append(
            TrainingLine(
                course=_course(archive, event),
                occupation_name=_occupation_name(
                    event.occupation_code, event.work_type
                ),
                institution=issuers.get(event.issuer_id, event.issuer_id),
                start_on=starts.get((event.issuer_id, event.enrolment_ref)),
                completed_on=event.completed_on,
                hours=event.hours,
                passed=event.passed,
            )
        )
    return sorted(lines, key=lambda line: line.completed_on, reverse=True)


def _course(archive: Archive, completion: TrainingCompleted) -> str:
    for record in archive.active(EventKind.TRAINING_ENROLLED):
        event = record.event
        if (
            isinstance(event, TrainingEnrolled)
            and event.issuer_id == completion.issuer_id
            and event.ref == completion.enrolment_ref
        ):
            return event.course
    return _occupation_name(completion.occupation_code, completion.work_type)


def _employment(
    archive: Archive, issuers: dict[str, str], today: dt.date, show_spells: bool
) -> EmploymentSummary:
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
    worked = merge_spells(
        [
            Spell(s.started_on, s.ended_on or today)
            for s in spells
            if (s.ended_on or today) >= s.started_on
        ],
        today,
    )
    return EmploymentSummary(
        spells=sorted(spells, key=lambda s: s.started_on, reverse=True)
        if show_spells
        else [],
        months_worked=months_covered(worked),
        months_insured=_months_insured(archive),
    )


def _months_insured(archive: Archive) -> int:
    months: set[str] = set()
    for record in archive.active(EventKind.INSURANCE_PERIOD):
        event = record.event
        assert isinstance(event, InsurancePeriod)
        year, month = map(int, event.period_from.split("-"))
        while f"{year:04d}-{month:02d}" <= event.period_to:
            months.add(f"{year:04d}-{month:02d}")
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return len(months)


def _guidance(archive: Archive, today: dt.date) -> list[GuidanceLine]:
    has_care_work = any(
        getattr(r.event, "occupation_code", None) == "4-10-01-05"
        for r in archive.records
    )
    if not has_care_work:
        return []
    lines = describe(guidance_for(archive, as_of=today))
    return [GuidanceLine(text_zh=zh, text_en=en) for zh, en in lines]

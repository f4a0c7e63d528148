"""Issuing a passport: from a worker's archive to a signed, printed snapshot.

1. Compose what the passport shows from the live archive, only the sections
   the worker chose.
2. Sign the compact form for the QR with the passport signer key, carrying
   as many certificates as fit QR version 12-M.
3. Render the PDF; a name no font can draw stops here.
4. Record the passport (which entries, at which tree size) for online
   verification, only once it has been rendered.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from issuers.keys import key_id, raw_public
from passport.errors import ServiceError
from passport.pdf import render_passport
from passport.qr import qr_version
from passport.sections import (
    award_lines,
    certificate_lines,
    employment_summary,
    guidance_lines,
    level_lines,
    months_insured,
    training_lines,
)
from passport.service import Service, utc_now_seconds
from passport.tables import PassportRow
from passport.workers import masked_name
from schemas.passport import (
    DEFAULT_SECTIONS,
    LANGUAGES,
    MAX_PASSPORT_DAYS,
    SECTIONS,
    CertificateLine,
    EmploymentSummary,
    HolderView,
    PassportView,
)
from verify.compact import CompactCertificate, CompactPassport, sign_compact
from verify.qrtext import to_qr_text

logger = logging.getLogger(__name__)

QR_CERTIFICATES = 6
MAX_QR_VERSION = 12


class EmptyPassport(ServiceError):
    """A passport that would show nothing but its holder."""


@dataclass(frozen=True)
class PassportOptions:
    """What the worker chose: sections, language, how long the passport lasts."""

    sections: frozenset[str] = field(
        default_factory=lambda: frozenset(DEFAULT_SECTIONS)
    )
    valid_days: int = 90
    language: str = "zh"

    def __post_init__(self) -> None:
        if not self.sections:
            raise EmptyPassport(
                f"sections: none chosen; show at least one of {', '.join(SECTIONS)}"
            )
        unknown = self.sections - set(SECTIONS)
        if unknown:
            raise ServiceError(f"sections: unknown {sorted(unknown)[0]!r}")
        if self.language not in LANGUAGES:
            raise ServiceError(
                f"language: expected {' or '.join(LANGUAGES)}, got {self.language!r}"
            )
        if not 1 <= self.valid_days <= MAX_PASSPORT_DAYS:
            raise ServiceError(
                f"valid_days: expected 1 to {MAX_PASSPORT_DAYS}, got {self.valid_days}"
            )


def issue_passport(
    service: Service,
    worker_id: str,
    *,
    out: Path | BinaryIO,
    options: PassportOptions | None = None,
    now: dt.datetime | None = None,
) -> PassportView:
    """Compose, sign, render to ``out`` and record one passport (steps 1-4)."""
    view = compose_passport(
        service, worker_id, options=options or PassportOptions(), now=now
    )
    render_passport(view, out)
    with service.session() as session:
        session.add(
            PassportRow(
                passport_id=view.passport_id,
                worker_id=worker_id,
                issued_at=view.issued_at,
                expires_at=view.expires_at,
                tree_size=view.tree_size,
                log_indexes=[line.log_index for line in view.certificates],
            )
        )
    logger.debug("issued passport %s", view.passport_id)
    return view


def compose_passport(
    service: Service,
    worker_id: str,
    *,
    options: PassportOptions,
    now: dt.datetime | None = None,
) -> PassportView:
    """Steps 1 and 2: the signed view of one passport, recorded nowhere yet."""
    identity = service.identity(worker_id)
    if identity.name is None or identity.id_number is None:
        raise ServiceError(f"worker: {worker_id}'s personal data was erased")
    issued_at = now or utc_now_seconds()
    archive = service.archive(worker_id)
    trust_list = service.trust_list()
    issuers = {i.issuer_id: i.name for i in trust_list.issuers}
    chosen = options.sections
    english = options.language == "en"
    today = issued_at.date()
    certificates = (
        certificate_lines(archive, issuers, english=english)
        if "certificates" in chosen
        else []
    )
    employment = EmploymentSummary(spells=[], months_worked=0)
    if "employment" in chosen:
        employment = employment_summary(archive, issuers, today)
    if "insurance" in chosen:
        employment = employment.model_copy(
            update={"months_insured": months_insured(archive)}
        )
    holder = HolderView(
        name=identity.name,
        masked_name=masked_name(identity.name),
        id_last4=identity.id_number[-4:],
    )
    unsigned = PassportView(
        passport_id=secrets.token_bytes(8).hex(),
        issued_at=issued_at,
        expires_at=issued_at + dt.timedelta(days=options.valid_days),
        holder=holder,
        levels=level_lines(certificates, english=english),
        certificates=certificates,
        trainings=(
            training_lines(archive, issuers, english=english)
            if "training" in chosen
            else []
        ),
        employment=employment,
        awards=(
            award_lines(archive, issuers, english=english) if "awards" in chosen else []
        ),
        guidance=(
            guidance_lines(archive, today, trust_list) if "guidance" in chosen else []
        ),
        language=options.language,
        tree_size=service.log.size(),
        qr_text="",
    )
    if not _shows_anything(unsigned):
        raise EmptyPassport(
            f"sections: nothing to show; worker {worker_id} has no records in "
            f"{', '.join(sorted(chosen))}"
        )
    return unsigned.model_copy(update={"qr_text": _signed_qr(service, unsigned)})


def _shows_anything(view: PassportView) -> bool:
    employment = view.employment
    return bool(
        view.certificates
        or view.trainings
        or employment.spells
        or employment.months_worked
        or employment.months_insured is not None
        or view.awards
        or view.guidance
    )


def _signed_qr(service: Service, view: PassportView) -> str:
    """The signed QR text, carrying as many certificates as fit version 12-M.

    Current levels come first, then the newest; the PDF and the online check
    show every certificate.
    """
    ranked = sorted(
        view.certificates,
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
            passport_id=view.passport_id,
            issued_at=view.issued_at,
            expires_at=view.expires_at,
            masked_name=view.holder.masked_name,
            id_last4=view.holder.id_last4,
            tree_size=view.tree_size,
            certificates=tuple(_compact(line) for line in ranked[:count]),
        )
        cose = sign_compact(compact, private_key=signer, key_id=kid)
        qr_text = to_qr_text(cose, service.verify_url)
        if qr_version(qr_text) <= MAX_QR_VERSION:
            if count < len(ranked):
                logger.debug("QR carries %s of %s certificates", count, len(ranked))
            return qr_text
    raise ServiceError(
        f"passport: the QR does not fit version {MAX_QR_VERSION}-M even without "
        f"certificates (verify URL {service.verify_url} is too long?)"
    )


def _compact(line: CertificateLine) -> CompactCertificate:
    return CompactCertificate(
        certificate_type=line.certificate_type,
        code=line.occupation_code,
        skill_level=line.skill_level,
        certificate_no=line.certificate_no,
        issued_on=line.issued_on,
    )

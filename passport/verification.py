"""Online verification: the offline checks plus what only the service knows.

On top of ``verify_offline`` the service checks that it issued the passport,
that the log still holds the entries it showed, that none of them was revoked
or corrected since nor signed by a key since marked compromised from before
it was logged, and that the holder's personal data still exists. Each
verification is logged for the holder.

When the database cannot be reached the offline checks still stand, but the
verdict says the status could not be checked: never a plain "valid".
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
import re
from collections.abc import Iterator

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from ledger.entry import as_utc
from passport.errors import ServiceError
from passport.service import Service
from passport.tables import PassportRow, VerificationRow, WorkerIdentityRow
from passport.verdict import Verdict, verify_offline
from passport.workers import masked_name
from schemas.events import CertificateIssued
from verify.compact import CompactCertificate, CompactPassport
from verify.errors import (
    HolderErased,
    KeyCompromised,
    LogInconsistent,
    NotOnRecord,
    Revoked,
    StatusUnavailable,
    VerificationError,
)
from verify.passport import check_current

logger = logging.getLogger(__name__)

CODE_LENGTH = 13
"""Characters of base32 that spell a 16-hex-digit passport id."""
CODE_PATTERN = re.compile(f"[A-Z2-7]{{{CODE_LENGTH}}}")


class BadVerificationCode(ServiceError, ValueError):
    """A verification code that cannot spell a passport id."""


def verify_online(
    service: Service, qr_text: str, *, now: dt.datetime, verifier: str | None = None
) -> Verdict:
    """Verify a QR against the service's trust list and its live status."""
    verdict = verify_offline(qr_text, service.trust_list(), now=now)
    verdict.online = True
    if verdict.passport is None:
        return verdict
    passport = verdict.passport
    return _check_status(
        service, verdict, passport.passport_id, passport.tree_size, now, verifier
    )


def lookup_passport(
    service: Service, code: str, *, now: dt.datetime, verifier: str | None = None
) -> Verdict:
    """The online answer for a 核验码 read aloud, from the service's own records.

    1. Read the code back into the passport id (``BadVerificationCode``).
    2. Find the passport the service issued under it: none is ``unknown_passport``.
    3. Rebuild what it showed (holder, certificates) from the archive.
    4. Check it is current and run the same status checks as a scanned QR.
    """
    passport_id = passport_id_of(code)
    trust_list = service.trust_list()
    with service.reading() as session:
        row = session.get(PassportRow, passport_id)
        identity = session.get(WorkerIdentityRow, row.worker_id) if row else None
    if row is None:
        refused = Verdict.refused(
            trust_list, NotOnRecord(f"passport: no passport with code {code.strip()}")
        )
        refused.online = True
        return refused
    shown = set(row.log_indexes)
    certificates = tuple(
        CompactCertificate(
            certificate_type=event.certificate_type,
            code=event.occupation_code,
            skill_level=event.skill_level,
            certificate_no=event.certificate_no,
            issued_on=event.issued_on,
        )
        for record in service.archive(row.worker_id).records
        if record.log_index in shown
        and isinstance(event := record.event, CertificateIssued)
    )
    # an erased holder has no name or ID number left to show
    passport = None
    if identity is not None and identity.name and identity.id_number:
        passport = CompactPassport(
            passport_id=passport_id,
            issued_at=as_utc(row.issued_at),
            expires_at=as_utc(row.expires_at),
            masked_name=masked_name(identity.name),
            id_last4=identity.id_number[-4:],
            tree_size=row.tree_size,
            certificates=certificates,
        )
    verdict = Verdict(
        authentic=True,
        current=True,
        passport=passport,
        trust_list_version=trust_list.version,
        trust_list_issued_at=trust_list.issued_at,
        online=True,
    )
    try:
        if passport is not None:
            check_current(passport, now=now)
    except VerificationError as exc:
        verdict.refute(exc)
    return _check_status(service, verdict, passport_id, row.tree_size, now, verifier)


def passport_id_of(code: str) -> str:
    """The passport id a verification code spells, dashes and spaces ignored."""
    letters = "".join(code.split()).replace("-", "").upper()
    if not CODE_PATTERN.fullmatch(letters):
        raise BadVerificationCode(
            f"verification code: expected {CODE_LENGTH} characters A-Z 2-7 "
            f"(e.g. T5LK-DVSJ-SMVE-2), got {code.strip()[:40]!r}"
        )
    return base64.b32decode(letters + "===").hex()


def _check_status(
    service: Service,
    verdict: Verdict,
    passport_id: str,
    tree_size: int,
    now: dt.datetime,
    verifier: str | None,
) -> Verdict:
    """Add what only the service knows to an authentic verdict, and log the check."""
    try:
        with service.session() as session:
            row = session.get(PassportRow, passport_id)
            identity = session.get(WorkerIdentityRow, row.worker_id) if row else None
            errors = list(_status(service, row, identity, tree_size))
            result = errors[0].reason if verdict.valid and errors else verdict.status
            session.add(
                VerificationRow(
                    passport_id=passport_id,
                    verified_at=now,
                    result=result,
                    verifier=verifier,
                )
            )
    except SQLAlchemyError as exc:
        # the error text may carry the database URL; its type says enough
        logger.warning(
            "status of passport %s unavailable: %s", passport_id, type(exc).__name__
        )
        verdict.online = False
        verdict.undecided(
            StatusUnavailable(
                "status: the status service could not be reached; "
                "only the offline checks ran"
            )
        )
        return verdict
    for error in errors:
        verdict.refute(error)
    logger.debug("verified passport %s: %s", passport_id, verdict.status)
    return verdict


def _status(
    service: Service,
    row: PassportRow | None,
    identity: WorkerIdentityRow | None,
    tree_size: int,
) -> Iterator[VerificationError]:
    """Everything the service knows against a passport it can read."""
    if row is None:
        yield NotOnRecord("passport: not issued by this service")
        return
    size = service.log.size()
    if tree_size != row.tree_size or size < tree_size:
        yield LogInconsistent(
            f"tree_size: passport says {tree_size}, issued at {row.tree_size}, "
            f"the log now holds {size}"
        )
    if identity is None or identity.erased_at is not None:
        yield HolderErased("holder: personal data erased at the holder's request")
    shown = set(row.log_indexes)
    for record in service.archive(row.worker_id).records:
        if record.log_index not in shown:
            continue
        if record.revocation is not None:
            yield Revoked(
                record.revocation.describe(record.log_index),
                revoked_on=record.revocation.revoked_on.isoformat(),
                why=record.revocation.reason,
            )
        if record.compromised is not None:
            yield KeyCompromised(record.compromised)


def verification_log(service: Service, worker_id: str) -> list[VerificationRow]:
    """Every online verification of the worker's passports, newest first."""
    with service.reading() as session:
        passports = select(PassportRow.passport_id).where(
            PassportRow.worker_id == worker_id
        )
        return list(
            session.scalars(
                select(VerificationRow)
                .where(VerificationRow.passport_id.in_(passports))
                .order_by(VerificationRow.verified_at.desc())
            )
        )

"""Online verification: the offline checks plus what only the service knows.

On top of ``verify_offline`` the service checks that it issued the passport,
that no entry the passport shows was revoked since, and that the holder's
personal data still exists; each verification is logged for the holder.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import select

from passport.service import Service
from passport.tables import PassportRow, VerificationRow, WorkerIdentityRow
from passport.verdict import Finding, Verdict, verify_offline
from schemas.events import EntryRevoked

logger = logging.getLogger(__name__)


def verify_online(
    service: Service, qr_text: str, *, now: dt.datetime, verifier: str | None = None
) -> Verdict:
    """Verify a QR against the service's trust list and its live status."""
    verdict = verify_offline(qr_text, service.trust_list(), now=now)
    verdict.online = True
    if verdict.passport is None:
        return verdict
    passport_id = verdict.passport.passport_id
    with service.session() as session:
        row = session.get(PassportRow, passport_id)
        if row is None:
            verdict.findings.append(
                Finding(
                    "unknown_passport", f"passport {passport_id} was not issued here"
                )
            )
        else:
            identity = session.get(WorkerIdentityRow, row.worker_id)
            if identity is None or identity.erased_at is not None:
                verdict.findings.append(
                    Finding("holder_erased", "the holder's personal data was erased")
                )
            verdict.findings.extend(_revocations(service, row))
        session.add(
            VerificationRow(
                passport_id=passport_id,
                verified_at=now,
                result=verdict.status,
                verifier=verifier,
            )
        )
    logger.info("verified passport %s: %s", passport_id, verdict.status)
    return verdict


def _revocations(service: Service, row: PassportRow) -> list[Finding]:
    shown = set(row.log_indexes)
    findings = []
    for record in service.archive(row.worker_id).records:
        event = record.event
        if isinstance(event, EntryRevoked) and event.target_log_index in shown:
            findings.append(
                Finding(
                    "revoked",
                    f"entry {event.target_log_index} revoked on {event.revoked_on}: "
                    f"{event.reason}",
                )
            )
    return findings


def verification_log(service: Service, worker_id: str) -> list[VerificationRow]:
    """Every online verification of the worker's passports, newest first."""
    with service.session() as session:
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

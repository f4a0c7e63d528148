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

import datetime as dt
import logging
from collections.abc import Iterator

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from passport.service import Service
from passport.tables import PassportRow, VerificationRow, WorkerIdentityRow
from passport.verdict import Verdict, verify_offline
from verify.errors import (
    HolderErased,
    KeyCompromised,
    LogInconsistent,
    NotOnRecord,
    Revoked,
    StatusUnavailable,
    VerificationError,
)

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
    try:
        with service.session() as session:
            row = session.get(PassportRow, passport_id)
            identity = session.get(WorkerIdentityRow, row.worker_id) if row else None
            errors = list(_status(service, row, identity, verdict.passport.tree_size))
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

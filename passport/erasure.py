"""Erasure of a worker's personal data: the right of deletion (PIPL art. 47).

What erasure does and keeps:

1. The worker's name and ID number are set to NULL in ``worker_identities``
   and ``erased_at`` and ``erasure_reason`` are set; the row stays, so the
   worker id is known as erased rather than unknown, and the authority can
   see when and why (``skillpass worker erase`` on it again says so).
2. Nothing in the log changes: entries, tree nodes and checkpoints hold only
   the pseudonymous worker id, so every hash, checkpoint and proof stays
   valid and ``skillpass audit`` still passes.
3. Passports already issued verify online as "holder data erased"
   (``holder_erased``); no new passport can be issued.
4. The same ID number cannot be registered again. The worker id is an HMAC
   of the ID number, so a new registration would recreate the same id and
   tie the erased person's whole history in the log back to a name. Undoing
   an erasure is a decision for the authority, with the person's consent,
   and there is no command for it.
5. On SQLite the old row's bytes are overwritten (``secure_delete``) and the
   write-ahead log is emptied, so the name is not left in the file's free
   space.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy import Connection, func, select, text

from passport.errors import ServiceError
from passport.service import Service
from passport.tables import PassportRow, WorkerIdentityRow

logger = logging.getLogger(__name__)

MAX_REASON = 200
"""The longest reason an erasure request may give."""


class AlreadyErased(ServiceError):
    """The worker's personal data was erased before; nothing is left to erase."""


@dataclass(frozen=True)
class Erasure:
    """What an erasure did: when, why, and how many issued passports it touches."""

    worker_id: str
    erased_at: dt.datetime
    reason: str
    passports: int


def erase_worker(
    service: Service, worker_id: str, *, now: dt.datetime, reason: str
) -> Erasure:
    """Erase a worker's name and ID number, keeping the log intact (steps 1-5).

    Raises ServiceError for an unknown worker or an empty reason, and
    AlreadyErased when there is nothing left to erase.
    """
    reason = reason.strip()
    if not 1 <= len(reason) <= MAX_REASON:
        raise ServiceError(
            f"reason: expected 1 to {MAX_REASON} characters, got {len(reason)}"
        )
    sqlite = service.engine.dialect.name == "sqlite"
    with service.session() as session:
        if sqlite:
            _overwrite_freed_space(session.connection())
        row = session.get(WorkerIdentityRow, worker_id, with_for_update=True)
        if row is None:
            raise ServiceError(f"worker: {worker_id} is not registered")
        if row.erased_at is not None:
            raise AlreadyErased(
                f"worker: {worker_id}'s personal data was already erased "
                f"at {row.erased_at:%Y-%m-%dT%H:%M:%SZ} ({row.erasure_reason})"
            )
        row.name = None
        row.name_as_written = None
        row.id_number = None
        row.erased_at = now
        row.erasure_reason = reason
        passports = session.scalar(
            select(func.count())
            .select_from(PassportRow)
            .where(PassportRow.worker_id == worker_id)
        )
    if sqlite:
        _empty_write_ahead_log(service)
    # TODO: on PostgreSQL the old row version stays in the table file until
    # VACUUM reclaims it, and in the write-ahead log and backups until they
    # are recycled; erasure cannot reach those copies from here.
    logger.debug("erased personal data of worker %s", worker_id)
    return Erasure(
        worker_id=worker_id, erased_at=now, reason=reason, passports=passports or 0
    )


def _overwrite_freed_space(connection: Connection) -> None:
    """Have SQLite zero the bytes of the row version this transaction replaces."""
    # Debian builds SQLite with this on by default, others do not. It holds
    # per connection; left on, it costs a pooled connection little, since
    # the log never frees space.
    connection.execute(text("PRAGMA secure_delete = ON"))


def _empty_write_ahead_log(service: Service) -> None:
    """Copy the WAL into the database and truncate it, dropping old page images.

    Best effort: a reader still holding an old snapshot keeps the checkpoint
    from finishing; the frames are then overwritten by later checkpoints.
    """
    with service.engine.connect() as connection:
        busy = connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").scalar()
    if busy:
        logger.debug("erasure: a reader kept the write-ahead log from being emptied")

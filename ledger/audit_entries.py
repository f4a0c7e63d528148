"""Audit, per entry: each row's own checks, in chunks, in worker processes.

Everything about an entry that does not depend on other entries is checked
here, chunk by chunk of consecutive indexes; each worker process reads its
chunk's rows through its own database connection, so that no row crosses a
pipe. A chunk's result is the worker links of its entries (what the chain
step needs) and its first failure, if any, so that the audit can still name
the first bad index whichever step finds it.

The stored leaf data is never encoded again. Its leaf hash is one SHA-256,
and the event's RFC 8785 bytes, which the issuer signed, are a slice of it:
RFC 8785 writes a nested object exactly as it would alone, and ``event`` is
the first key of an entry. A leaf that is not in canonical form has bytes
the log never wrote, so its hash breaks the tree the log key signed; the
encoding is checked again only to explain an entry that fails.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
from collections.abc import Callable, Generator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from sqlalchemy import Connection, Engine, Row, select, text
from sqlalchemy.exc import StatementError

from ledger import merkle
from ledger.canonical import canonical_json, sha256
from ledger.entry import Entry, as_utc
from ledger.errors import AuditFailure, EventRefused
from ledger.store.engine import make_engine
from ledger.store.tables import EntryRow

logger = logging.getLogger(__name__)

EntryCheck = Callable[[Entry, bytes], None]
"""Checks one entry's signature (over the given event bytes) and scope.

Raises EventRefused. To run in worker processes it must pickle.
"""

CHUNK = 2000

_EVENT_START = b'{"event":'
_EVENT_END = b',"log_index":'

Failure = tuple[int | None, str, str]
"""An AuditFailure as plain values: index, kind, detail."""


@dataclass(frozen=True)
class ChunkResult:
    """The ``prev`` of each entry of a chunk up to its first failure, if any."""

    prevs: list[bytes | None]
    failure: Failure | None


@dataclass(frozen=True)
class Database:
    """How a worker process opens the audited database again."""

    url: str
    options: dict[str, Any]

    @classmethod
    def of(cls, engine: Engine, connection: Connection) -> Database | None:
        """The engine's database as a worker reopens it; None for one in memory."""
        url = engine.url.render_as_string(hide_password=False)
        if engine.dialect.name == "sqlite":
            database = engine.url.database
            return None if database in (None, "", ":memory:") else cls(url, {})
        # the schema may come from the connection's options, not the URL
        path = connection.execute(text("SELECT current_setting('search_path')"))
        options = {"options": f"-csearch_path={path.scalar_one()}"}
        return cls(url, {"connect_args": options})


class EntryChecks:
    """Per-entry checks of an audit: inline, or in ``processes`` workers."""

    def __init__(
        self,
        engine: Engine,
        check: EntryCheck,
        *,
        database: Database | None,
        processes: int,
    ) -> None:
        self._engine = engine
        self._check = check
        self._inline: Connection | None = None
        self._executor: ProcessPoolExecutor | None = None
        self._ahead = 2 * processes + 1
        if processes > 1 and database is not None:
            logger.debug("entry checks in %s worker processes", processes)
            self._executor = ProcessPoolExecutor(
                processes,
                mp_context=multiprocessing.get_context("forkserver"),
                initializer=_start,
                initargs=(database, check),
            )
        self._submitted: dict[int, Future[ChunkResult]] = {}
        self._next = 0

    def __enter__(self) -> EntryChecks:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._executor is not None:
            self._executor.shutdown(cancel_futures=True)
        if self._inline is not None:
            self._inline.close()

    def chunk(self, start: int) -> ChunkResult:
        """The result of the chunk that begins at index ``start``."""
        number = start // CHUNK
        if self._executor is None:
            if self._inline is None:
                self._inline = self._engine.connect()
            return check_chunk(self._inline, self._check, start)
        while self._next <= number + self._ahead:
            begin = self._next * CHUNK
            self._submitted[self._next] = self._executor.submit(_worker_chunk, begin)
            self._next += 1
        return self._submitted.pop(number).result()


_state: tuple[Engine, EntryCheck] | None = None


def _start(database: Database, check: EntryCheck) -> None:
    global _state
    _state = (make_engine(database.url, **database.options), check)


def _worker_chunk(start: int) -> ChunkResult:
    assert _state is not None, "worker started without its database"
    engine, check = _state
    with engine.connect() as connection:
        return check_chunk(connection, check, start)


def check_chunk(connection: Connection, check: EntryCheck, start: int) -> ChunkResult:
    """Check the entries with indexes in [start, start + CHUNK), in order."""
    prevs: list[bytes | None] = []
    query = (
        select(EntryRow.__table__)
        .where(EntryRow.log_index >= start, EntryRow.log_index < start + CHUNK)
        .order_by(EntryRow.log_index)
    )
    try:
        for row in connection.execute(query):
            entry = check_entry(row, check)
            prevs.append(entry.prev)
    except AuditFailure as failure:
        return ChunkResult(prevs, (failure.log_index, failure.kind, failure.detail))
    except StatementError as exc:
        # a value of the wrong type where bytes belong: changed by hand
        return ChunkResult(prevs, (None, "unreadable table", str(exc.orig)))
    return ChunkResult(prevs, None)


def check_entry(row: Row[Any], check: EntryCheck) -> Entry:
    """One row's own checks; the entry its leaf data holds.

    1. The leaf hash is SHA-256(0x00 || leaf data) and the leaf data parse.
    2. The leaf data says the row's index; the lookup columns agree with it.
    3. The event hash is the hash of the event's bytes in the leaf data.
    4. The event's signature, issuer key and accreditation check (``check``).
    """
    index = row.log_index
    data = row.leaf_data
    if not isinstance(data, bytes) or not isinstance(row.leaf_hash, bytes):
        raise AuditFailure(index, "changed entry", "leaf data or hash is not bytes")
    if merkle.leaf_hash(data) != row.leaf_hash:
        raise AuditFailure(index, "changed entry", "leaf hash does not match leaf data")
    try:
        entry = Entry.from_json(json.loads(data))
    except (ValueError, KeyError, TypeError) as exc:
        raise AuditFailure(
            index, "changed entry", "leaf data unreadable: not an entry as JSON"
        ) from exc
    if entry.log_index != index:
        raise AuditFailure(
            index, "reordered entry", f"leaf data says {entry.log_index}"
        )
    event = entry.event
    stored = (
        row.worker_id,
        row.worker_seq,
        row.issuer_id,
        row.ref,
        row.kind,
        as_utc(row.logged_at),
    )
    claimed = (
        event.get("worker_id"),
        entry.worker_seq,
        event.get("issuer_id"),
        event.get("ref"),
        event.get("kind"),
        entry.logged_at,
    )
    if stored != claimed:
        raise AuditFailure(index, "changed entry", "columns disagree with leaf data")
    end = data.rfind(_EVENT_END)
    if not data.startswith(_EVENT_START) or end < 0:
        _explain(entry, data)
        raise AuditFailure(index, "changed entry", "leaf data is not canonical")
    event_bytes = data[len(_EVENT_START) : end]
    if sha256(event_bytes) != row.event_hash:
        raise AuditFailure(
            index, "changed entry", "event hash does not match the event"
        )
    try:
        check(entry, event_bytes)
    except EventRefused as exc:
        _explain(entry, data)
        raise AuditFailure(index, "bad signature", str(exc)) from exc
    return entry


def _explain(entry: Entry, data: bytes) -> None:
    """Raise "changed entry" if leaf data that fails is not in RFC 8785 form."""
    try:
        canonical = canonical_json(entry.to_json())
    except ValueError as exc:
        # CanonicalizationError is a ValueError too
        raise AuditFailure(
            entry.log_index,
            "changed entry",
            f"leaf data not encodable in RFC 8785 form: {exc}",
        ) from exc
    if canonical != data:
        raise AuditFailure(
            entry.log_index, "changed entry", "leaf data is not canonical"
        )


def rows_in_order(
    connection: Connection,
) -> Generator[Row[int, bytes, str, int]]:
    """What the audit's own process reads of each entry, in index order."""
    query = select(
        EntryRow.log_index, EntryRow.leaf_hash, EntryRow.worker_id, EntryRow.worker_seq
    ).order_by(EntryRow.log_index)
    with connection.execution_options(yield_per=5000).execute(query) as result:
        yield from result

"""The signature step of an audit, spread over worker processes.

Checking signatures is most of an audit's work, and each entry's check is
independent of the others; the structural checks stay in one process, in
log order. Failures are reported by index so that the audit can still name
the first bad entry, whichever step found it.
"""

from __future__ import annotations

import json
import multiprocessing
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from types import TracebackType

from ledger.canonical import canonical_json
from ledger.entry import Entry
from ledger.errors import AuditFailure, EventRefused

EntryCheck = Callable[[Entry, bytes], None]
"""Checks one entry's signature (over the given event bytes) and scope.

Raises EventRefused. To run in worker processes it must pickle.
"""

CHUNK = 2000

_check: EntryCheck | None = None


class SignatureChecks:
    """Signature checks of an audit: inline, or in ``processes`` workers."""

    def __init__(self, check: EntryCheck, *, processes: int) -> None:
        self._check = check
        self._executor = (
            ProcessPoolExecutor(
                processes,
                mp_context=multiprocessing.get_context("forkserver"),
                initializer=_start,
                initargs=(check,),
            )
            if processes > 1
            else None
        )
        self._chunk: list[tuple[int, bytes]] = []
        self._pending: list[tuple[int, Future[tuple[int, str] | None]]] = []

    def __enter__(self) -> SignatureChecks:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._executor is not None:
            self._executor.shutdown(cancel_futures=True)

    def add(self, entry: Entry, event_bytes: bytes, leaf_data: bytes) -> None:
        """Check one entry now (inline) or queue it for a worker."""
        if self._executor is None:
            try:
                self._check(entry, event_bytes)
            except EventRefused as exc:
                raise _failure(entry.log_index, str(exc)) from exc
            return
        self._chunk.append((entry.log_index, leaf_data))
        if len(self._chunk) == CHUNK:
            self._submit()

    def first_failure(self, *, below: int | None = None) -> AuditFailure | None:
        """The failure with the lowest index among entries before ``below``."""
        if self._chunk:
            self._submit()
        found = [
            failure
            for start, future in self._pending
            if below is None or start < below
            if (failure := future.result()) is not None
            if below is None or failure[0] < below
        ]
        if not found:
            return None
        index, detail = min(found)
        return _failure(index, detail)

    def _submit(self) -> None:
        assert self._executor is not None
        start = self._chunk[0][0]
        self._pending.append((start, self._executor.submit(_check_chunk, self._chunk)))
        self._chunk = []


def _failure(index: int, detail: str) -> AuditFailure:
    return AuditFailure(index, "bad signature", detail)


def _start(check: EntryCheck) -> None:
    global _check
    _check = check


def _check_chunk(chunk: list[tuple[int, bytes]]) -> tuple[int, str] | None:
    """In a worker: the first entry of the chunk whose check fails, if any.

    The entries passed the structural checks in the parent, so their leaf
    data parse.
    """
    assert _check is not None, "worker started without its check"
    for index, leaf_data in chunk:
        entry = Entry.from_json(json.loads(leaf_data))
        try:
            _check(entry, canonical_json(entry.event))
        except EventRefused as exc:
            return index, str(exc)
    return None

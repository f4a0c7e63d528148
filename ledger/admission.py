"""Admitting events in other processes: step 1 of appending, spread over cores.

Parsing, canonicalising and verifying signatures cost far more than writing
an entry, and need no database. An ``AdmissionPool`` runs them in worker
processes, each with its own copy of the policy, while the single writer
appends the batches already admitted.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

from ledger.appender import Admitted, EventPolicy, admit
from ledger.errors import EventRefused
from schemas.events import EventSignature, SignedEvent

PolicyFactory = Callable[[], EventPolicy]
"""Builds the policy in each worker; must pickle (a module-level function)."""

Admission = Admitted | EventRefused
"""What step 1 says of one event."""

_policy: EventPolicy | None = None


class AdmissionPool:
    """Worker processes that admit batches of events ahead of the writer."""

    def __init__(self, policy_factory: PolicyFactory, *, processes: int | None = None):
        self.processes = processes or os.cpu_count() or 1
        # forkserver: safe under a threaded server, unlike fork
        self._executor = ProcessPoolExecutor(
            self.processes,
            mp_context=multiprocessing.get_context("forkserver"),
            initializer=_start,
            initargs=(policy_factory,),
        )

    def submit(
        self, batch: Sequence[SignedEvent], now: dt.datetime
    ) -> Future[list[Admission]]:
        """Admit ``batch`` in a worker; the future keeps the batch's order."""
        plain = [(s.event, s.signature.key_id, s.signature.value) for s in batch]
        future: Future[list[Any]] = self._executor.submit(_admit_batch, plain, now)
        result: Future[list[Admission]] = Future()

        def rebuild(done: Future[list[Any]]) -> None:
            try:
                answers = done.result()
            except BaseException as exc:
                result.set_exception(exc)
                return
            result.set_result(
                [
                    Admitted(signed, *answer) if isinstance(answer, tuple) else answer
                    for signed, answer in zip(batch, answers, strict=True)
                ]
            )

        future.add_done_callback(rebuild)
        return result

    def close(self) -> None:
        """Stop the worker processes."""
        self._executor.shutdown(cancel_futures=True)


def _start(policy_factory: PolicyFactory) -> None:
    global _policy
    _policy = policy_factory()


def _admit_batch(
    plain: list[tuple[dict[str, Any], str, str]], now: dt.datetime
) -> list[tuple[bytes, bytes] | EventRefused]:
    """In a worker: each event's hash and bytes when admitted, or why refused."""
    assert _policy is not None, "worker started without its policy"
    answers: list[tuple[bytes, bytes] | EventRefused] = []
    for event, key_id, value in plain:
        # already validated as a SignedEvent by the process that sent it
        signed = SignedEvent.model_construct(
            event=event,
            signature=EventSignature.model_construct(key_id=key_id, value=value),
        )
        try:
            admitted = admit(signed, _policy, now=now)
            answers.append((admitted.event_hash, admitted.event_bytes))
        except EventRefused as refused:
            answers.append(refused)
    return answers

"""Errors of the ledger.

::

    LedgerError
    ├── EventRefused        an event that may not enter the log; nothing was written
    ├── LogBusy             another writer holds the log; retry later
    ├── ProofRequestError   a proof asked for sizes or indexes the log cannot answer
    ├── MerkleProofError    a Merkle proof that does not check (RFC 9162 §2.1)
    ├── NoteError           a signed note that is malformed or does not verify
    │   └── MalformedNote
    └── AuditFailure        the stored log is not what was signed
"""

from __future__ import annotations


class LedgerError(Exception):
    """Root of every ledger error."""


class EventRefused(LedgerError):
    """An event refused at the door, with a stable reason code and a detail."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail

    def __reduce__(self) -> tuple[type[EventRefused], tuple[str, str]]:
        # crosses process boundaries when events are admitted in parallel
        return (EventRefused, (self.reason, self.detail))


class LogBusy(LedgerError):
    """The log is locked by another writer for longer than we wait."""


class ProofRequestError(LedgerError):
    """A proof request outside what the log holds (index ≥ size and the like)."""


class MerkleProofError(LedgerError):
    """An inclusion or consistency proof that fails verification."""


class NoteError(LedgerError):
    """A signed note without a valid signature from a trusted key."""


class MalformedNote(NoteError):
    """A signed note that breaks the C2SP signed-note grammar."""


class AuditFailure(LedgerError):
    """The first place where the stored log departs from what was signed."""

    def __init__(self, log_index: int | None, kind: str, detail: str) -> None:
        where = "log" if log_index is None else f"entry {log_index}"
        super().__init__(f"{where}: {kind}: {detail}")
        self.log_index = log_index
        self.kind = kind
        self.detail = detail

"""Checking what a log serves: its signed checkpoints and that it only grew.

Pure: a trust list, two checkpoints and a consistency proof are enough, with
no database and no network, so a monitor or an auditor who trusts nobody
here can run it.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence

from ledger import merkle
from ledger.checkpoint import Checkpoint
from ledger.errors import MalformedNote, MerkleProofError, NoteError
from ledger.note import NoteVerifier, open_note
from ledger.shards import period_of_origin
from schemas.trust import TrustList
from verify.errors import BadSignature, LogInconsistent, MalformedInput, UntrustedSigner


def log_verifier(trust_list: TrustList) -> NoteVerifier:
    """The log's note verifier key as the trust list names it."""
    try:
        return NoteVerifier.from_vkey(trust_list.log.verifier_key)
    except MalformedNote as exc:
        raise MalformedInput(f"trust list: log verifier key: {exc}") from exc


def open_log_checkpoint(note: bytes | str, trust_list: TrustList) -> Checkpoint:
    """Verify a signed checkpoint of the log that the trust list names.

    1. The note parses as a C2SP signed note.
    2. It carries a valid signature by the trust list's log key.
    3. Its text is a C2SP tlog-checkpoint.
    4. Its origin is that of a shard of the trust list's log:
       ``<origin>/<year>`` (``ledger/shards.py``).
    """
    verifier = log_verifier(trust_list)
    try:
        opened = open_note(note, [verifier])
    except MalformedNote as exc:
        raise MalformedInput(f"checkpoint: {exc}") from exc
    except NoteError as exc:
        raise BadSignature(
            f"checkpoint: {exc} (expected key {verifier.name}+{verifier.key_id.hex()})"
        ) from exc

    try:
        checkpoint = Checkpoint.parse(opened.text)
    except MalformedNote as exc:
        raise MalformedInput(str(exc)) from exc

    try:
        period_of_origin(trust_list.log.origin, checkpoint.origin)
    except MalformedNote as exc:
        raise UntrustedSigner(
            f"checkpoint: origin {checkpoint.origin!r} is not a shard of the "
            f"trusted log {trust_list.log.origin!r}"
        ) from exc
    return checkpoint


def describe(checkpoint: Checkpoint) -> str:
    """``size N, root <base64>``: how messages name a checkpoint."""
    root = base64.b64encode(checkpoint.root_hash).decode()
    return f"size {checkpoint.tree_size}, root {root}"


def check_consistency(old: Checkpoint, new: Checkpoint, proof: Sequence[bytes]) -> None:
    """Check that ``new`` extends ``old``, per RFC 9162 §2.1.4.2.

    1. Both checkpoints are of the same log (origin).
    2. A smaller new size is a rollback.
    3. Equal sizes need equal roots.
    4. Any tree extends the empty one: the old root must be the empty
       tree's and the proof empty (RFC 9162 defines no proof from size 0;
       C2SP tlog-witness asks for none).
    5. Otherwise the consistency proof must lead to both roots (and be
       empty for equal sizes).

    Raises LogInconsistent naming both sizes and roots.
    """
    if old.origin != new.origin:
        raise MalformedInput(
            f"consistency: checkpoints of two logs, {old.origin!r} and {new.origin!r}"
        )
    both = f"old {describe(old)}; new {describe(new)}"

    if new.tree_size < old.tree_size:
        raise LogInconsistent(f"log rolled back: {both}")

    if new.tree_size == old.tree_size and new.root_hash != old.root_hash:
        raise LogInconsistent(f"log forked, two roots for one size: {both}")

    if old.tree_size == 0:
        if old.root_hash != merkle.EMPTY_ROOT:
            raise LogInconsistent(f"log signed a size 0 that is not empty: {both}")
        if proof:
            raise LogInconsistent(
                f"consistency proof from size 0 must be empty, has {len(proof)} "
                f"hashes: {both}"
            )
        return

    try:
        merkle.verify_consistency(
            old.tree_size, new.tree_size, proof, old.root_hash, new.root_hash
        )
    except MerkleProofError as exc:
        raise LogInconsistent(f"{exc}: {both}") from exc

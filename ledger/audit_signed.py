"""Audit, first half: what the log signed, shard by shard.

Collects every stored checkpoint and every witnessed one (kept outside the
database) into the roots the rebuilt trees must reach, after checking that
each is signed with the log key, in the one form the log writes, under the
origin of a shard the log records; and that the shards follow one another
with no gap: each starts at the global position where, by its signed
checkpoints, the one before it ends.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import Connection, select

from ledger.checkpoint import Checkpoint, open_checkpoint
from ledger.errors import AuditFailure, LedgerError, NoteError
from ledger.note import NoteVerifier, parse_note
from ledger.shards import Shard, period_of_origin, shard_origin
from ledger.store.shards import all_shards
from ledger.store.tables import CheckpointRow


@dataclass
class SignedTrees:
    """The shards, and for each period the root signed at each tree size."""

    shards: list[Shard]
    roots: dict[int, dict[int, bytes]] = field(default_factory=dict)
    stored_size: dict[int, int] = field(default_factory=dict)
    """The size of each shard's newest checkpoint stored in the database."""
    stored_count: int = 0

    def signed_size(self, period: int) -> int:
        """The largest size of the shard of ``period`` that anyone saw signed."""
        return max(self.roots.get(period, {}), default=0)

    def total(self) -> int:
        """The number of entries the signed checkpoints vouch for."""
        return sum(self.signed_size(s.period) for s in self.shards)


def signed_trees(
    connection: Connection,
    base: str,
    verifiers: Sequence[NoteVerifier],
    witnessed: Sequence[str],
) -> SignedTrees:
    """Read and check every signed checkpoint; raise AuditFailure on the first fault."""
    shards = all_shards(connection)
    for shard in shards:
        if shard.origin != shard_origin(base, shard.period):
            raise AuditFailure(
                shard.first_position,
                "bad shard",
                f"the shard of {shard.period} names origin {shard.origin!r}",
            )
    signed = SignedTrees(shards)
    _read_stored(connection, signed, verifiers)
    for note in witnessed:
        _add_witnessed(note, base, verifiers, signed)
    _check_positions(signed)
    return signed


def _read_stored(
    connection: Connection, signed: SignedTrees, verifiers: Sequence[NoteVerifier]
) -> None:
    by_period = {shard.period: shard for shard in signed.shards}
    rows = connection.execute(
        select(CheckpointRow).order_by(CheckpointRow.period, CheckpointRow.tree_size)
    )
    for row in rows:
        shard = by_period.get(row.period)
        if shard is None:
            raise AuditFailure(
                None,
                "deleted shard",
                f"a checkpoint of {row.period} names a shard the log does not record",
            )
        roots = signed.roots.setdefault(shard.period, {})
        # A bad checkpoint vouches for nothing after the last good one.
        first = shard.first_position + max(roots, default=0)
        try:
            checkpoint = open_checkpoint(row.note, verifiers, origin=shard.origin)
            _check_one_form(row.note)
        except LedgerError as exc:
            raise AuditFailure(
                first,
                "bad checkpoint",
                f"{shard.origin} checkpoint of size {row.tree_size}: {exc}",
            ) from exc
        if (checkpoint.tree_size, checkpoint.root_hash) != (
            row.tree_size,
            row.root_hash,
        ):
            raise AuditFailure(
                first,
                "bad checkpoint",
                f"{shard.origin} checkpoint of size {row.tree_size} differs from "
                "its signed note",
            )
        roots[checkpoint.tree_size] = checkpoint.root_hash
        signed.stored_size[shard.period] = checkpoint.tree_size
        signed.stored_count += 1


def _check_one_form(note: str) -> None:
    """The log writes one signature line per checkpoint, in canonical base64."""
    parsed = parse_note(note)
    rebuilt = (
        parsed.text
        + "\n"
        + "".join(
            f"— {sig.name} {base64.b64encode(sig.key_id + sig.signature).decode()}\n"
            for sig in parsed.signatures
        )
    )
    if len(parsed.signatures) != 1 or rebuilt != note:
        raise NoteError("note: not in the one form the log writes")


def _add_witnessed(
    note: str, base: str, verifiers: Sequence[NoteVerifier], signed: SignedTrees
) -> None:
    """Add a checkpoint seen outside the database, which the log must still hold."""
    try:
        seen: Checkpoint = open_checkpoint(note, verifiers)
        period = period_of_origin(base, seen.origin)
    except LedgerError as exc:
        raise AuditFailure(None, "bad checkpoint", f"witnessed: {exc}") from exc
    if period not in {shard.period for shard in signed.shards}:
        raise AuditFailure(
            None,
            "deleted shard",
            f"a checkpoint of {seen.origin} was signed; the log records no such shard",
        )
    roots = signed.roots.setdefault(period, {})
    stored = roots.get(seen.tree_size)
    if stored is not None and stored != seen.root_hash:
        raise AuditFailure(
            None,
            "bad checkpoint",
            f"two signed roots for {seen.origin} size {seen.tree_size}: the log forked",
        )
    if seen.tree_size <= signed.stored_size.get(period, 0) and stored is None:
        # every append stores its checkpoint: one seen elsewhere is here
        raise AuditFailure(
            None,
            "deleted checkpoint",
            f"the signed checkpoint of {seen.origin} size {seen.tree_size} is missing",
        )
    roots[seen.tree_size] = seen.root_hash


def _check_positions(signed: SignedTrees) -> None:
    """Each shard starts where the signed ones before it end."""
    end = 0
    for shard in signed.shards:
        if shard.first_position != end:
            raise AuditFailure(
                min(end, shard.first_position),
                "bad shard",
                f"the shard of {shard.period} starts at position "
                f"{shard.first_position}; the signed shards before it end at {end}",
            )
        end = shard.first_position + signed.signed_size(shard.period)

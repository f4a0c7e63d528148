"""Log checkpoints in the C2SP tlog-checkpoint format.

The body is three lines: the origin, the tree size in decimal, and the root
hash in standard base64; optional extension lines follow. The log signs the
body as a signed note.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from dataclasses import dataclass

from ledger.errors import MalformedNote
from ledger.merkle import HASH_SIZE
from ledger.note import NoteSigner, NoteVerifier, open_note

_SIZE = re.compile(r"0|[1-9][0-9]{0,19}")


@dataclass(frozen=True)
class Checkpoint:
    """A signed statement that the log with ``origin`` had this size and root."""

    origin: str
    tree_size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    @property
    def body(self) -> str:
        """The checkpoint text that the note signs."""
        root = base64.b64encode(self.root_hash).decode()
        lines = [self.origin, str(self.tree_size), root, *self.extensions]
        return "".join(f"{line}\n" for line in lines)

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        """Parse a checkpoint body; raise MalformedNote on anything off-format."""
        lines = text.split("\n")
        if len(lines) < 4 or lines[-1] != "" or not lines[0]:
            raise MalformedNote("checkpoint: need origin, size and root hash lines")
        origin, size, root_b64, *extensions = lines[:-1]
        if not _SIZE.fullmatch(size):
            raise MalformedNote(f"checkpoint: tree size {size!r} is not a decimal")
        try:
            root = base64.b64decode(root_b64, validate=True)
        except binascii.Error as exc:
            raise MalformedNote(f"checkpoint: root hash {root_b64!r}") from exc
        if len(root) != HASH_SIZE:
            raise MalformedNote(f"checkpoint: root hash has {len(root)} bytes")
        if any(not e for e in extensions):
            raise MalformedNote("checkpoint: empty extension line")
        return cls(origin, int(size), root, tuple(extensions))

    def sign(self, signer: NoteSigner) -> str:
        """The signed note of this checkpoint."""
        return signer.sign(self.body)


def open_checkpoint(
    note: bytes | str, verifiers: Sequence[NoteVerifier], *, origin: str | None = None
) -> Checkpoint:
    """Verify a signed checkpoint and parse it; check its origin when given."""
    checkpoint = Checkpoint.parse(open_note(note, verifiers).text)
    if origin is not None and checkpoint.origin != origin:
        raise MalformedNote(
            f"checkpoint: origin {checkpoint.origin!r}, expected {origin!r}"
        )
    return checkpoint

"""Signed notes in the C2SP signed-note format, with Ed25519 keys.

A note is UTF-8 text ending in a newline, a blank line, then one line per
signature: ``— <key name> <base64(key id || signature)>``. The key id is the
first four bytes of SHA-256(name || 0x0A || 0x01 || public key); a verifier
key is written ``<name>+<key id hex>+<base64(0x01 || public key)>``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from ledger.errors import MalformedNote, NoteError

ED25519_TYPE = b"\x01"
SIGNATURE_PREFIX = "— "
MAX_SIGNATURES = 100


def note_key_id(name: str, public_key: bytes) -> bytes:
    """The 4-byte key id of an Ed25519 note key."""
    return hashlib.sha256(name.encode() + b"\n" + ED25519_TYPE + public_key).digest()[
        :4
    ]


def _raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def _valid_name(name: str) -> bool:
    return bool(name) and not any(c in name for c in " +\n") and name.isprintable()


@dataclass(frozen=True)
class NoteVerifier:
    """A trusted note key: name, key id and Ed25519 public key."""

    name: str
    key_id: bytes
    public_key: Ed25519PublicKey

    @classmethod
    def from_vkey(cls, vkey: str) -> NoteVerifier:
        """Parse ``name+keyid+base64``; the base64 part may itself hold ``+``."""
        parts = vkey.split("+", 2)
        if len(parts) != 3 or not _valid_name(parts[0]):
            raise MalformedNote(
                f"verifier key: expected name+keyid+base64, got {vkey!r}"
            )
        name, id_hex, key_b64 = parts
        try:
            key_id = bytes.fromhex(id_hex)
            blob = base64.b64decode(key_b64, validate=True)
        except (ValueError, binascii.Error) as exc:
            raise MalformedNote(f"verifier key: {vkey!r}: {exc}") from exc
        if len(key_id) != 4 or len(blob) != 33 or blob[:1] != ED25519_TYPE:
            raise MalformedNote(f"verifier key: not an Ed25519 key: {vkey!r}")
        if note_key_id(name, blob[1:]) != key_id:
            raise MalformedNote(f"verifier key: key id {id_hex} does not match the key")
        return cls(name, key_id, Ed25519PublicKey.from_public_bytes(blob[1:]))

    @property
    def vkey(self) -> str:
        """The verifier key string."""
        blob = ED25519_TYPE + _raw_public(self.public_key)
        return f"{self.name}+{self.key_id.hex()}+{base64.b64encode(blob).decode()}"


@dataclass(frozen=True)
class NoteSigner:
    """A note key that signs: name and Ed25519 private key."""

    name: str
    private_key: Ed25519PrivateKey

    def __post_init__(self) -> None:
        if not _valid_name(self.name):
            raise ValueError(f"note key name: {self.name!r} has a space, + or newline")

    @property
    def verifier(self) -> NoteVerifier:
        """The matching verifier."""
        public = self.private_key.public_key()
        return NoteVerifier(
            self.name, note_key_id(self.name, _raw_public(public)), public
        )

    def sign(self, text: str) -> str:
        """The signed note of ``text`` (which must end with a newline)."""
        _check_text(text)
        signature = self.private_key.sign(text.encode())
        blob = base64.b64encode(self.verifier.key_id + signature).decode()
        return f"{text}\n{SIGNATURE_PREFIX}{self.name} {blob}\n"


@dataclass(frozen=True)
class NoteSignature:
    """One signature line of a note."""

    name: str
    key_id: bytes
    signature: bytes


@dataclass(frozen=True)
class Note:
    """A parsed note: its text and its signature lines, not yet verified."""

    text: str
    signatures: tuple[NoteSignature, ...]


def parse_note(note: bytes | str) -> Note:
    """Split a note into text and signatures; raise MalformedNote on bad grammar."""
    if isinstance(note, bytes):
        try:
            note = note.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise MalformedNote(f"note: not UTF-8 at byte {exc.start}") from exc
    split = note.rfind("\n\n")
    if split < 0:
        raise MalformedNote("note: no blank line before the signatures")
    text, block = note[: split + 1], note[split + 2 :]
    _check_text(text)
    if not block or not block.endswith("\n"):
        raise MalformedNote("note: signature block is empty or lacks a final newline")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise MalformedNote(f"note: {len(lines)} signatures, at most {MAX_SIGNATURES}")
    return Note(text, tuple(_parse_signature(line) for line in lines))


def _check_text(text: str) -> None:
    if not text.endswith("\n"):
        raise MalformedNote("note: text must end with a newline")
    for offset, char in enumerate(text):
        if char != "\n" and (ord(char) < 0x20 or ord(char) == 0x7F):
            raise MalformedNote(
                f"note: control character U+{ord(char):04X} at {offset}"
            )


def _parse_signature(line: str) -> NoteSignature:
    if not line.startswith(SIGNATURE_PREFIX):
        raise MalformedNote(f"note: signature line must start with '—': {line[:40]!r}")
    fields = line[len(SIGNATURE_PREFIX) :].split(" ")
    if len(fields) != 2 or not _valid_name(fields[0]):
        raise MalformedNote(f"note: bad signature line {line[:60]!r}")
    try:
        blob = base64.b64decode(fields[1], validate=True)
    except binascii.Error as exc:
        raise MalformedNote(f"note: signature of {fields[0]} is not base64") from exc
    if len(blob) < 5:
        raise MalformedNote(f"note: signature of {fields[0]} is too short")
    return NoteSignature(fields[0], blob[:4], blob[4:])


def open_note(note: bytes | str, verifiers: Sequence[NoteVerifier]) -> Note:
    """Parse a note and check it against trusted keys, per C2SP signed-note.

    Signatures by unknown keys are ignored; a signature by a trusted key that
    does not verify rejects the note; at least one must verify.
    """
    parsed = parse_note(note)
    trusted = {(v.name, v.key_id): v for v in verifiers}
    verified = 0
    for sig in parsed.signatures:
        verifier = trusted.get((sig.name, sig.key_id))
        if verifier is None:
            continue
        try:
            verifier.public_key.verify(sig.signature, parsed.text.encode())
        except InvalidSignature as exc:
            raise NoteError(f"note: invalid signature by {sig.name}") from exc
        verified += 1
    if not verified:
        raise NoteError("note: no signature by a trusted key")
    return parsed

"""C2SP signed notes and tlog checkpoints against tests/data/signed-note."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger import merkle
from ledger.checkpoint import Checkpoint, open_checkpoint
from ledger.errors import MalformedNote, NoteError
from ledger.note import NoteSigner, NoteVerifier, open_note

DATA = Path(__file__).parent / "data" / "signed-note"
NOTES = json.loads((DATA / "notes.json").read_text())
KEYS = json.loads((DATA / "keys.json").read_text())["keys"]
SERVERLESS = json.loads((DATA / "checkpoints_serverless_log.json").read_text())


@pytest.mark.parametrize("key", KEYS, ids=lambda k: k["label"])
def test_vkey_round_trip(key: dict) -> None:
    verifier = NoteVerifier.from_vkey(key["vkey"])
    assert verifier.name == key["name"]
    assert verifier.key_id.hex() == key["key_id_hex"]
    assert verifier.vkey == key["vkey"]


@pytest.mark.parametrize("case", NOTES["cases"], ids=lambda c: c["id"])
def test_note_cases(case: dict) -> None:
    verifiers = [NoteVerifier.from_vkey(v) for v in case["trusted_vkeys"]]
    note = bytes.fromhex(case["note_hex"])
    expected = case["expected_result"]
    if expected == "accept":
        opened = open_note(note, verifiers)
        assert note.decode().startswith(opened.text)
        if "expected_checkpoint" in case:
            want = case["expected_checkpoint"]
            checkpoint = Checkpoint.parse(opened.text)
            assert (checkpoint.origin, checkpoint.tree_size) == (
                want["origin"],
                want["size"],
            )
            assert checkpoint.root_hash.hex() == want["root_hex"]
            assert checkpoint.body == opened.text
    elif expected == "malformed":
        with pytest.raises(MalformedNote, match="note"):
            open_note(note, verifiers)
    else:
        with pytest.raises(NoteError, match=r"invalid signature|no signature by a"):
            open_note(note, verifiers)


def _seed_from_private(private: str) -> tuple[str, bytes]:
    _, _, name, _, blob = private.split("+", 4)
    return name, base64.b64decode(blob)[1:]


def test_signing_reproduces_go_vectors() -> None:
    peter, enoch = NOTES["signing_vectors"]
    name, seed = _seed_from_private(peter["private_key"])
    signer = NoteSigner(name, Ed25519PrivateKey.from_private_bytes(seed))
    assert signer.sign(peter["text"]) == peter["expected_signed_note"]
    zero = Ed25519PrivateKey.from_private_bytes(
        bytes.fromhex(enoch["private_key_seed_hex"])
    )
    signed = NoteSigner(enoch["name"], zero).sign(enoch["text"])
    assert signed.endswith(enoch["expected_signature_line"])


def test_serverless_checkpoints_match_leaves() -> None:
    verifier = NoteVerifier.from_vkey(SERVERLESS["vkey"])
    leaves = [merkle.leaf_hash(w.encode()) for w in SERVERLESS["leaves_ascii"]]
    for row in SERVERLESS["checkpoints"]:
        checkpoint = open_checkpoint(
            row["note_utf8"], [verifier], origin=SERVERLESS["origin"]
        )
        assert checkpoint.tree_size == row["size"]
        assert checkpoint.root_hash == merkle.root_from_leaf_hashes(
            leaves[: row["size"]]
        )


def test_checkpoint_from_other_origin_refused() -> None:
    verifier = NoteVerifier.from_vkey(SERVERLESS["vkey"])
    with pytest.raises(MalformedNote, match=r"origin 'example\.com/testdata'"):
        open_checkpoint(
            SERVERLESS["checkpoints"][3]["note_utf8"], [verifier], origin="other/log"
        )


def test_sign_and_open_our_own_checkpoint() -> None:
    signer = NoteSigner("skillpass.example/log", Ed25519PrivateKey.generate())
    checkpoint = Checkpoint("skillpass.example/log", 42, b"\x07" * 32)
    note = checkpoint.sign(signer)
    assert open_checkpoint(note, [signer.verifier]) == checkpoint
    tampered = note.replace("\n42\n", "\n43\n")
    with pytest.raises(NoteError, match="invalid signature"):
        open_checkpoint(tampered, [signer.verifier])


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("origin\n007\n" + "A" * 43 + "=\n", "tree size '007'"),
        ("origin\n1\nnot base64!\n", "root hash"),
        ("origin\n1\n" + base64.b64encode(b"x" * 31).decode() + "\n", "31 bytes"),
        ("origin\n1\n", "need origin, size and root"),
    ],
)
def test_malformed_checkpoint_bodies(body: str, message: str) -> None:
    with pytest.raises(MalformedNote, match=message):
        Checkpoint.parse(body)

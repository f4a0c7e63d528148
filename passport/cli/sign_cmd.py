"""`skillpass keygen` and `skillpass sign`: an institution's own key, used locally.

Neither touches the service or its database: an institution makes its key
pair, gives the authority the public key (`skillpass issuer key add`), and
signs its events on its own machine. What `sign` writes is what
`skillpass submit` and `POST /api/v1/events` accept.
"""

from __future__ import annotations

import base64
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import ValidationError

from issuers.keys import PASSPHRASE_ENV, key_id, passphrase_from_env, raw_public
from issuers.signing import sign_event
from passport.cli.common import console, fail, usage_errors
from schemas.events import dump_event, parse_event


def keygen(
    file: Annotated[Path, typer.Argument(help="Where to write the private key.")],
) -> None:
    """Make an Ed25519 key pair; print the public key for the authority."""
    with usage_errors():
        passphrase = passphrase_from_env_or_fail()
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(passphrase),
        )
        with file.open("xb") as out:
            out.write(pem)
    raw = raw_public(key.public_key())
    console.print(base64.b64encode(raw).decode())
    typer.echo(
        f"key {key_id(raw)} written to {file}, encrypted with {PASSPHRASE_ENV}; "
        "give the line above to the authority",
        err=True,
    )


def passphrase_from_env_or_fail() -> bytes:
    """The key passphrase, or a usage error saying which variable to set."""
    from issuers.errors import KeyStoreError

    try:
        return passphrase_from_env()
    except KeyStoreError as exc:
        fail(str(exc))


def load_private_key(path: Path) -> Ed25519PrivateKey:
    """An Ed25519 private key from PEM, decrypted with the passphrase if it is."""
    with usage_errors():
        pem = path.read_bytes()
    password = passphrase_from_env() if b"ENCRYPTED" in pem else None
    try:
        key = serialization.load_pem_private_key(pem, password)
    except (ValueError, TypeError) as exc:
        fail(f"--key: cannot read {path} (wrong {PASSPHRASE_ENV}?): {exc}")
    if not isinstance(key, Ed25519PrivateKey):
        fail(f"--key: {path} is not an Ed25519 private key")
    return key


def _event_of(line: str, number: int) -> dict[str, Any]:
    """The canonical event object of one input line, or a usage error."""
    try:
        data = json.loads(line)
    except ValueError as exc:
        fail(f"line {number}: not JSON ({exc})")
    if isinstance(data, dict) and set(data) == {"event", "signature"}:
        data = data["event"]  # signing again, e.g. after a key rotation
    if not isinstance(data, dict):
        fail(f"line {number}: not a JSON object")
    try:
        return dump_event(parse_event(data))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "event"
        fail(f"line {number}: {where}: {first['msg']}")


def sign(
    file: Annotated[
        Path, typer.Argument(help="JSON Lines: one event object per line.")
    ],
    key: Annotated[
        Path, typer.Option("--key", help="The institution's private key (PEM).")
    ],
    out: Annotated[
        Path | None,
        typer.Option(help="Where to write signed events (default: stdout)."),
    ] = None,
) -> None:
    """Sign events locally in their canonical form; nothing is written on an error."""
    private_key = load_private_key(key)
    with usage_errors():
        lines = file.read_text("utf-8").splitlines()
    signed = [
        sign_event(_event_of(line, number), private_key=private_key)
        for number, line in enumerate(lines, start=1)
        if line.strip()
    ]
    text = "".join(s.model_dump_json() + "\n" for s in signed)
    if out is None:
        sys.stdout.write(text)
        return
    with usage_errors():
        out.write_text(text, encoding="utf-8")
    typer.echo(f"signed {len(signed)} events into {out}", err=True)

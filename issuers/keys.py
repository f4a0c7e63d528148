"""Private keys at rest: encrypted files in a key directory.

Ed25519 signing keys are PKCS#8 PEM encrypted with the passphrase in
``SKILLPASS_KEY_PASSPHRASE``; symmetric secrets (the worker-pseudonym key)
are Fernet tokens under a key derived from the same passphrase with scrypt.
A key that cannot be loaded is an error, never a reason to make a new one.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from issuers.errors import KeyStoreError

PASSPHRASE_ENV = "SKILLPASS_KEY_PASSPHRASE"
_SCRYPT = {"n": 2**15, "r": 8, "p": 1}


def passphrase_from_env() -> bytes:
    """The key passphrase; raise KeyStoreError when it is not set."""
    value = os.environ.get(PASSPHRASE_ENV, "")
    if not value:
        raise KeyStoreError(
            f"{PASSPHRASE_ENV} is not set: private keys are stored encrypted and "
            "cannot be created or loaded without it"
        )
    return value.encode()


def raw_public(key: Ed25519PublicKey) -> bytes:
    """The 32 raw bytes of an Ed25519 public key."""
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(public_key: bytes) -> str:
    """Our 8-hex-digit id of an Ed25519 public key: SHA-256 of it, first 4 bytes."""
    return hashlib.sha256(public_key).digest()[:4].hex()


class KeyStore:
    """Encrypted private keys and secrets under one directory, one file each."""

    def __init__(self, directory: Path, passphrase: bytes) -> None:
        self.directory = directory
        self._passphrase = passphrase

    def _path(self, name: str, suffix: str) -> Path:
        if not name or any(part in ("", ".", "..") for part in name.split("/")):
            raise KeyStoreError(f"key name: {name!r} is not a plain relative name")
        return self.directory / f"{name}{suffix}"

    def set_aside(self, names: list[str], folder: str) -> Path:
        """Move the named keys into ``folder`` under the key directory."""
        target = self.directory / folder
        target.mkdir(parents=True, mode=0o700)
        for name in names:
            for suffix in (".pem", ".secret"):
                path = self._path(name, suffix)
                if path.exists():
                    path.rename(target / path.name)
        return target

    def exists(self, name: str) -> bool:
        """Whether a signing key or secret called ``name`` is stored."""
        return self._path(name, ".pem").exists() or self._path(name, ".secret").exists()

    def create_signing_key(self, name: str) -> Ed25519PrivateKey:
        """Generate and store a new Ed25519 key; refuse to overwrite one."""
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(self._passphrase),
        )
        self._write_new(self._path(name, ".pem"), pem)
        return key

    def signing_key(self, name: str) -> Ed25519PrivateKey:
        """Load a stored Ed25519 key; raise KeyStoreError with the reason."""
        path = self._path(name, ".pem")
        pem = self._read(path, name)
        try:
            key = serialization.load_pem_private_key(pem, self._passphrase)
        except (ValueError, TypeError) as exc:
            raise KeyStoreError(
                f"key {name}: cannot decrypt {path} (wrong {PASSPHRASE_ENV}?)"
            ) from exc
        if not isinstance(key, Ed25519PrivateKey):
            raise KeyStoreError(f"key {name}: {path} is not an Ed25519 key")
        return key

    def create_secret(self, name: str) -> bytes:
        """Generate and store a new 32-byte secret; refuse to overwrite one."""
        secret = secrets.token_bytes(32)
        salt = secrets.token_bytes(16)
        token = Fernet(self._fernet_key(salt)).encrypt(secret)
        document = {
            "kdf": "scrypt",
            **_SCRYPT,
            "salt": base64.b64encode(salt).decode(),
            "token": token.decode(),
        }
        self._write_new(self._path(name, ".secret"), json.dumps(document).encode())
        return secret

    def secret(self, name: str) -> bytes:
        """Load a stored secret; raise KeyStoreError with the reason."""
        path = self._path(name, ".secret")
        try:
            document = json.loads(self._read(path, name))
            salt = base64.b64decode(document["salt"])
            token = document["token"].encode()
        except (ValueError, KeyError) as exc:
            raise KeyStoreError(f"secret {name}: {path} is not a secret file") from exc
        try:
            return Fernet(self._fernet_key(salt)).decrypt(token)
        except InvalidToken as exc:
            raise KeyStoreError(
                f"secret {name}: cannot decrypt {path} (wrong {PASSPHRASE_ENV}?)"
            ) from exc

    def _fernet_key(self, salt: bytes) -> bytes:
        kdf = Scrypt(salt=salt, length=32, **_SCRYPT)
        return base64.urlsafe_b64encode(kdf.derive(self._passphrase))

    @staticmethod
    def _read(path: Path, name: str) -> bytes:
        try:
            return path.read_bytes()
        except FileNotFoundError:
            raise KeyStoreError(
                f"key {name}: not found at {path}; create keys with `skillpass init`"
            ) from None

    @staticmethod
    def _write_new(path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            raise KeyStoreError(
                f"key file {path} exists; refusing to overwrite"
            ) from None
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            # The only copy of a private key: on disk before anyone relies on it.
            os.fsync(handle.fileno())
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)


def load_key_file(path: Path, passphrase: bytes) -> Ed25519PrivateKey:
    """An issuer's own Ed25519 key from its PKCS#8 file, encrypted or not."""
    try:
        pem = path.read_bytes()
    except OSError as exc:
        raise KeyStoreError(f"key file {path}: {exc.strerror}") from exc
    try:
        key = serialization.load_pem_private_key(pem, passphrase)
    except TypeError:
        key = serialization.load_pem_private_key(pem, None)  # not encrypted
    except ValueError as exc:
        raise KeyStoreError(
            f"key file {path}: cannot decrypt or read it (wrong {PASSPHRASE_ENV}?)"
        ) from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyStoreError(f"key file {path}: not an Ed25519 key")
    return key

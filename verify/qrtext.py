"""The QR text of a compact passport: a URL in the QR alphanumeric alphabet.

::

    <VERIFY_URL>/V/<BASE32(ZLIB(COSE_Sign1))>

zlib per RFC 1950, base32 per RFC 4648 without padding; the whole text is
uppercase letters, digits and ``$%*+-./:``, so a QR code holds it in
alphanumeric mode and a phone opens it as a link. The verify URL is not
signed (a passport outlives a change of host name): a verifier passes the
trust list's ``verify_url`` to ``parse_qr_text``.

Case: the URL and the ``/V/`` marker are read in any case, since a browser
writes scheme and host in lowercase when the link is copied out of it. The
base32 payload is read only in uppercase: it is the signed part, and a QR in
alphanumeric mode cannot hold a lowercase letter, so one there means the text
was changed after it left the QR.
"""

from __future__ import annotations

import base64
import binascii
import re
import zlib

from verify.errors import MalformedInput

MAX_INFLATED = 4096
# the most alphanumeric characters any QR symbol holds (version 40-L)
MAX_QR_TEXT = 4296
QR_PATH = "/V/"
# the QR alphanumeric alphabet without its space, which URLs cannot carry
QR_TEXT_ALPHABET = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ$%*+-./:")
BASE32_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
VERIFY_URL_PATTERN = re.compile(
    r"HTTPS?://[A-Z0-9.-]+(:[0-9]{1,5})?(/[A-Z0-9$%*+.-]+)*"
)


def deflate(cose: bytes) -> bytes:
    """``cose`` compressed with zlib (RFC 1950) at the highest level."""
    return zlib.compress(cose, 9)


def inflate(data: bytes, limit: int = MAX_INFLATED) -> bytes:
    """Decompress one whole zlib stream, refusing output over ``limit`` bytes."""
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(data, limit + 1)
    except zlib.error as exc:
        # zlib's own words ("Error -3 … incorrect data check") tell a person nothing
        raise MalformedInput(
            "zlib: the compressed data is damaged (altered or misread)"
        ) from exc
    if len(out) > limit:
        raise MalformedInput(f"zlib: inflates to more than {limit} bytes")
    if not inflater.eof:
        raise MalformedInput(f"zlib: stream truncated after {len(data)} bytes")
    if inflater.unused_data:
        raise MalformedInput(
            f"zlib: trailing bytes: {len(inflater.unused_data)} after the stream"
        )
    return out


def to_qr_text(cose: bytes, verify_url: str) -> str:
    """The QR text ``<verify_url>/V/<base32 of zlib of cose>``."""
    if not VERIFY_URL_PATTERN.fullmatch(verify_url):
        raise ValueError(
            "verify url: expected HTTP(S)://HOST[:PORT][/PATH] in uppercase QR "
            f"alphanumeric characters, got {verify_url!r}"
        )
    encoded = base64.b32encode(deflate(cose)).decode("ascii").rstrip("=")
    return f"{verify_url}{QR_PATH}{encoded}"


def parse_qr_text(text: str, *, expected_url: str | None = None) -> tuple[str, bytes]:
    """The verify URL (uppercased) and COSE bytes of a QR text, trimmed.

    1. at most ``MAX_QR_TEXT`` characters, each of the QR alphabet in any case;
    2. a verify URL, in any case, before the last ``/V/`` (or ``/v/``);
    3. with ``expected_url`` (the trust list's ``verify_url``) the same URL,
       compared in any case, since the URL is not signed;
    4. uppercase RFC 4648 base32 after it, of one zlib stream.
    """
    text = text.strip()
    if len(text) > MAX_QR_TEXT:
        raise MalformedInput(
            f"qr text: {len(text)} characters, more than a QR holds ({MAX_QR_TEXT})"
        )
    for offset, char in enumerate(text):
        # isascii: "ı".upper() is "I", and no QR reader would give it
        if not char.isascii() or char.upper() not in QR_TEXT_ALPHABET:
            raise MalformedInput(
                f"qr text: character {char!r} at offset {offset} is not one of "
                "0-9 A-Z $%*+-./:"
            )
    # base32 has no "/", so the last marker in either case ends the URL
    split = max(text.rfind(QR_PATH), text.rfind(QR_PATH.lower()))
    if split < 0:
        raise MalformedInput(f"qr text: no {QR_PATH} in {text[:40]!r}")
    verify_url, encoded = text[:split].upper(), text[split + len(QR_PATH) :]
    if not VERIFY_URL_PATTERN.fullmatch(verify_url):
        raise MalformedInput(
            f"verify url: {verify_url!r} is not HTTP(S)://HOST[:PORT][/PATH]"
        )
    if expected_url is not None and verify_url != expected_url.upper():
        raise MalformedInput(
            f"verify url: {verify_url}, expected {expected_url.upper()}"
        )
    return verify_url, inflate(_base32_decode(encoded, split + len(QR_PATH)))


def _base32_decode(encoded: str, start: int) -> bytes:
    """RFC 4648 base32 without padding; ``start`` places errors in the QR text."""
    if not encoded:
        raise MalformedInput(f"base32: nothing after {QR_PATH}")
    for offset, char in enumerate(encoded, start):
        if char not in BASE32_ALPHABET:
            what = (
                "lowercase, expected" if char.upper() in BASE32_ALPHABET else "not in"
            )
            raise MalformedInput(
                f"base32: character {char!r} at offset {offset} is {what} A-Z 2-7"
            )
    if len(encoded) % 8 in (1, 3, 6):
        raise MalformedInput(
            f"base32: {len(encoded)} characters do not make whole bytes"
        )
    try:
        data = base64.b32decode(encoded + "=" * (-len(encoded) % 8))
    except binascii.Error as exc:
        raise MalformedInput("base32: the text does not decode to bytes") from exc
    # decoders drop the unused low bits of the last character; refusing
    # non-zero ones keeps one text per message
    if base64.b32encode(data).decode("ascii").rstrip("=") != encoded:
        raise MalformedInput(
            f"base32: last character {encoded[-1]!r} at offset "
            f"{start + len(encoded) - 1} has non-zero padding bits"
        )
    return data

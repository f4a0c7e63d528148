"""Bitstring Status List (W3C, v1.0): the compressed bitstring and its entries.

``encodedList`` is multibase base64url without padding (prefix ``u``) of the
GZIP of the bitstring; bit *i* is bit ``7 - i % 8`` of byte ``i // 8``,
counted from the left-most bit of the first byte (§4.3). A list holds at
least 131,072 entries so that one credential hides among many (§6.1).
"""

from __future__ import annotations

import base64
import binascii
import gzip
import zlib
from collections.abc import Iterable

from verify.errors import MalformedInput

MIN_ENTRIES = 131_072
"""The smallest list the specification allows: 16 KiB of bits."""
MAX_DECOMPRESSED = 16 * 1024 * 1024
"""A bound on the decompressed list, against GZIP bombs."""


def encode_bitstring(set_bits: Iterable[int], size: int = MIN_ENTRIES) -> str:
    """The ``encodedList`` of a bitstring of ``size`` bits with ``set_bits`` set."""
    if size < MIN_ENTRIES or size % 8:
        raise ValueError(f"status list size: {size} is not a multiple of 8 ≥ 131072")
    bits = bytearray(size // 8)
    for index in set_bits:
        if not 0 <= index < size:
            raise ValueError(f"status list index: {index} is outside 0..{size - 1}")
        bits[index // 8] |= 0x80 >> (index % 8)
    # mtime=0: the same revocations always give the same bytes
    packed = gzip.compress(bytes(bits), mtime=0)
    return "u" + base64.urlsafe_b64encode(packed).decode("ascii").rstrip("=")


def decode_bitstring(encoded: str) -> bytes:
    """The bitstring of an ``encodedList``; raise MalformedInput when it is not one."""
    if not encoded.startswith("u"):
        raise MalformedInput(
            f"encodedList: {encoded[:16]!r}… is not multibase base64url (prefix u)"
        )
    body = encoded[1:]
    try:
        padded = body + "=" * (-len(body) % 4)
        packed = base64.b64decode(padded, altchars=b"-_", validate=True)
        inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        bits = inflater.decompress(packed, MAX_DECOMPRESSED)
    except (binascii.Error, ValueError, zlib.error) as exc:
        raise MalformedInput(
            "encodedList: not base64url of GZIP data (damaged or altered)"
        ) from exc
    if inflater.unconsumed_tail:
        raise MalformedInput(f"encodedList: more than {MAX_DECOMPRESSED} bytes")
    if len(bits) * 8 < MIN_ENTRIES:
        raise MalformedInput(
            f"encodedList: {len(bits) * 8} entries, fewer than {MIN_ENTRIES}"
        )
    return bits


def bit_is_set(bits: bytes, index: int) -> bool:
    """Whether entry ``index`` of a bitstring is 1; raise when it is outside."""
    if not 0 <= index < len(bits) * 8:
        raise MalformedInput(
            f"statusListIndex: {index} is outside the list's {len(bits) * 8} entries"
        )
    return bool(bits[index // 8] & (0x80 >> (index % 8)))

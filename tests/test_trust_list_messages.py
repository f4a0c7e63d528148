"""A file that is not a signed trust list is refused in plain words, never a repr."""

from __future__ import annotations

import pytest

from verify.errors import MalformedInput
from verify.trust import read_trust_list

CASES = {
    "text file": (
        b"hello\n",
        "t.json: not a signed trust list: not a JSON document (line 1, column 1)",
    ),
    "not UTF-8": (
        b'{"a": "\xc3"}',
        "t.json: not a signed trust list: not UTF-8 text (byte 7)",
    ),
    "no signature": (
        b'{"trust_list": {"authority": {"public_key": "AA"}}}',
        "t.json: not a signed trust list: no 'signature'",
    ),
    "no list": (
        b'{"signature": "AA"}',
        "t.json: not a signed trust list: no 'trust_list'",
    ),
    "an array": (b"[1, 2]", "t.json: not a signed trust list: no 'trust_list'"),
    "no key": (
        b'{"trust_list": {"authority": {}}, "signature": "AA"}',
        "t.json: not a signed trust list: no 'trust_list.authority.public_key'",
    ),
    "authority not an object": (
        b'{"trust_list": {"authority": "x"}, "signature": "AA"}',
        "t.json: not a signed trust list: no 'trust_list.authority.public_key'",
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_not_a_signed_trust_list(case: str) -> None:
    data, message = CASES[case]
    with pytest.raises(MalformedInput) as refused:
        read_trust_list(data, source="t.json")
    assert str(refused.value) == message

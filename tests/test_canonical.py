"""What canonical_json and Entry.encode_around write is what rfc8785 writes."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pytest
import rfc8785

from ledger.canonical import canonical_json
from ledger.entry import Entry

# characters that RFC 8785 escapes, leaves alone, or orders differently
AWKWARD = [
    '"',
    "\\",
    "/",
    "\b",
    "\f",
    "\n",
    "\r",
    "\t",
    "\x00",
    "\x1f",
    "\x7f",
    "\u2028",
    "\u2029",
    "é",
    "中",
    "𠮷",
    "䶮",
    "·",
    "\ufeff",
    "\uffff",
    "😀",
]


def _value(rng: random.Random, depth: int) -> Any:
    kind = rng.randrange(8 if depth < 3 else 5)
    if kind == 0:
        return None
    if kind == 1:
        return rng.random() < 0.5
    if kind == 2:
        return rng.choice([0, -1, 1, 2**53 - 1, -(2**53 - 1), rng.randrange(10**9)])
    if kind in (3, 4):
        return "".join(
            rng.choice(AWKWARD + list("abcXYZ09 ")) for _ in range(rng.randrange(12))
        )
    if kind == 5:
        return [_value(rng, depth + 1) for _ in range(rng.randrange(4))]
    keys = ["a", "B", "_", "kind", "z9", "", "signed_at", "AA", "aa"]
    return {rng.choice(keys): _value(rng, depth + 1) for _ in range(rng.randrange(5))}


@pytest.mark.parametrize("seed", range(20))
def test_fast_path_matches_rfc8785(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(500):
        value = _value(rng, 0)
        assert canonical_json(value) == rfc8785.dumps(value)


@pytest.mark.parametrize(
    "value",
    [
        {"n": 1.0},  # RFC 8785 writes 1, json writes 1.0
        {"n": 2**53},  # beyond the exact range: rfc8785 refuses
        {"é": 1, "z": 2},  # non-ASCII keys sort by UTF-16 code units
        {"\U0001f600": 1, "\uffff": 2},
        [1e21, 0.1, -0.0],
    ],
)
def test_values_outside_the_fast_domain_go_to_rfc8785(value: Any) -> None:
    try:
        expected = rfc8785.dumps(value)
    except rfc8785.CanonicalizationError as refused:
        with pytest.raises(type(refused)):
            canonical_json(value)
        return
    assert canonical_json(value) == expected


def test_lone_surrogate_is_refused_as_rfc8785_does() -> None:
    with pytest.raises(rfc8785.CanonicalizationError):
        canonical_json({"a": "\ud800"})


@pytest.mark.parametrize("seed", range(5))
def test_leaf_built_around_the_event_bytes_is_the_leaf_encoded_whole(
    seed: int,
) -> None:
    rng = random.Random(f"leaf/{seed}")
    for n in range(200):
        value = _value(rng, 1)
        event = value if isinstance(value, dict) else {"value": value}
        entry = Entry(
            log_index=rng.choice([0, n, 2**40]),
            logged_at=dt.datetime(2026, 1, 31, 8, 0, n % 60, n, tzinfo=dt.UTC),
            worker_seq=n,
            prev=rng.choice([None, bytes(range(32))]),
            event=event,
            key_id=str(_value(rng, 3)),
            signature=rng.choice(AWKWARD) + "==",
        )
        whole = rfc8785.dumps(entry.to_json())
        assert entry.encode_around(canonical_json(event)) == whole
        assert entry.leaf_data == whole

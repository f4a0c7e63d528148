"""RFC 9162 Merkle maths against the published vectors in tests/data/merkle."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ledger import merkle
from ledger.errors import MerkleProofError, ProofRequestError

DATA = Path(__file__).parent / "data" / "merkle"
TREE = json.loads((DATA / "tree_hashes.json").read_text())
INCLUSION = json.loads((DATA / "inclusion_proofs.json").read_text())
CONSISTENCY = json.loads((DATA / "consistency_proofs.json").read_text())
PROBES = json.loads((DATA / "probes_transparency_dev_merkle.json").read_text())
LEAVES = [bytes.fromhex(h) for h in TREE["leaves_hex"]]
LEAF_HASHES = [merkle.leaf_hash(leaf) for leaf in LEAVES]


def _nodes_of_first(size: int) -> dict[merkle.Node, bytes]:
    """Every perfect-subtree hash of a tree of the first ``size`` leaves."""
    nodes = {(0, i): h for i, h in enumerate(LEAF_HASHES[:size])}
    level = 0
    while True:
        pairs = [i for (lv, i) in nodes if lv == level and i % 2 == 1]
        if not pairs:
            return nodes
        for i in pairs:
            nodes[(level + 1, i // 2)] = merkle.node_hash(
                nodes[(level, i - 1)], nodes[(level, i)]
            )
        level += 1


def _fetcher(size: int):
    nodes = _nodes_of_first(size)
    return lambda needed: {n: nodes[n] for n in needed}


def test_leaf_hashes_match_vectors() -> None:
    assert [h.hex() for h in LEAF_HASHES] == TREE["leaf_hashes"]


@pytest.mark.parametrize("row", TREE["roots"], ids=lambda r: f"size{r['tree_size']}")
def test_roots_match_vectors(row: dict) -> None:
    size = row["tree_size"]
    assert merkle.root_from_leaf_hashes(LEAF_HASHES[:size]).hex() == row["root"]
    assert merkle.range_hash(0, size, _nodes_of_first(size)).hex() == row["root"]


@pytest.mark.parametrize(
    "vector",
    INCLUSION["published"] + INCLUSION["derived_all"]["vectors"],
    ids=lambda v: f"{v['leaf_index']}-of-{v['tree_size']}",
)
def test_inclusion_proof_generation_and_check(vector: dict) -> None:
    index, size = vector["leaf_index"], vector["tree_size"]
    ranges = merkle.inclusion_ranges(index, size)
    proof = merkle.proof_hashes(ranges, _fetcher(size))
    assert [p.hex() for p in proof] == vector["path"]
    merkle.verify_inclusion(
        LEAF_HASHES[index], index, size, proof, bytes.fromhex(vector["root"])
    )


@pytest.mark.parametrize(
    "vector",
    CONSISTENCY["published"] + CONSISTENCY["derived_all"]["vectors"],
    ids=lambda v: f"{v['size1']}-to-{v['size2']}",
)
def test_consistency_proof_generation_and_check(vector: dict) -> None:
    first, second = vector["size1"], vector["size2"]
    proof = merkle.proof_hashes(
        merkle.consistency_ranges(first, second), _fetcher(second)
    )
    assert [p.hex() for p in proof] == vector["path"]
    merkle.verify_consistency(
        first,
        second,
        proof,
        bytes.fromhex(vector["root1"]),
        bytes.fromhex(vector["root2"]),
    )


@pytest.mark.parametrize(
    "probe", PROBES["inclusion"], ids=lambda p: p["file"].removesuffix(".json")
)
def test_inclusion_probes(probe: dict) -> None:
    args = (
        bytes.fromhex(probe["leaf_hash"]),
        probe["leaf_index"],
        probe["tree_size"],
        [bytes.fromhex(p) for p in probe["path"]],
        bytes.fromhex(probe["root"]),
    )
    if probe["valid"]:
        merkle.verify_inclusion(*args)
    else:
        with pytest.raises(MerkleProofError, match="proof"):
            merkle.verify_inclusion(*args)


# transparency-dev accepts equal sizes with equal roots of any length; we are
# stricter and refuse every hash that is not 32 bytes, as for inclusion proofs.
STRICTER_THAN_PROBE = {
    "consistency/additional/sizes-are-equal-one-and-proof-is-empty.json"
}


@pytest.mark.parametrize(
    "probe", PROBES["consistency"], ids=lambda p: p["file"].removesuffix(".json")
)
def test_consistency_probes(probe: dict) -> None:
    args = (
        probe["size1"],
        probe["size2"],
        [bytes.fromhex(p) for p in probe["path"]],
        bytes.fromhex(probe["root1"]),
        bytes.fromhex(probe["root2"]),
    )
    if probe["file"] in STRICTER_THAN_PROBE:
        with pytest.raises(MerkleProofError, match="hash of 12 bytes, not 32"):
            merkle.verify_consistency(*args)
    elif probe["valid"]:
        merkle.verify_consistency(*args)
    else:
        with pytest.raises(MerkleProofError, match="consistency proof"):
            merkle.verify_consistency(*args)


def test_rfc9162_named_example() -> None:
    example = json.loads((DATA / "rfc9162_example.json").read_text())
    names = {v: k for k, v in example["nodes"].items()}
    fetch = _fetcher(7)
    for case in example["inclusion"]:
        ranges = merkle.inclusion_ranges(case["leaf_index"], case["tree_size"])
        proof = merkle.proof_hashes(ranges, fetch)
        assert [names[p.hex()] for p in proof] == case["path_names"]
    for case in example["consistency"]:
        ranges = merkle.consistency_ranges(case["size1"], case["size2"])
        proof = merkle.proof_hashes(ranges, fetch)
        assert [names[p.hex()] for p in proof] == case["path_names"]


@pytest.mark.parametrize(
    ("index", "size", "message"),
    [(0, 0, "index 0 is not below tree size 0"), (8, 8, "index 8"), (-1, 3, "-1")],
)
def test_inclusion_request_outside_tree(index: int, size: int, message: str) -> None:
    with pytest.raises(ProofRequestError, match=message):
        merkle.inclusion_ranges(index, size)


@pytest.mark.parametrize(("first", "second"), [(0, 0), (0, 5), (6, 5)])
def test_consistency_request_outside_tree(first: int, second: int) -> None:
    with pytest.raises(ProofRequestError, match="0 < first <= second"):
        merkle.consistency_ranges(first, second)


def test_large_tree_proofs_touch_log_n_nodes() -> None:
    size = 1_000_003
    for index in (0, 1, size // 2, size - 1):
        needed = {
            n
            for r in merkle.inclusion_ranges(index, size)
            for n in merkle.perfect_subtrees(*r)
        }
        assert len(needed) <= 2 * size.bit_length()
    needed = {
        n
        for r in merkle.consistency_ranges(777_777, size)
        for n in merkle.perfect_subtrees(*r)
    }
    assert len(needed) <= 2 * size.bit_length()

"""Merkle tree maths of RFC 9162 §2.1, independent of where hashes are stored.

A tree of ``tree_size`` leaves is addressed by leaf ranges ``[start, end)``.
A range whose length is a power of two and whose start is a multiple of it is
a *perfect subtree*, identified by ``(level, index)`` with
``start = index << level``. Stores keep the hashes of perfect subtrees; any
other range that a proof needs lies on the right edge of the tree and is
folded from at most ``log2(n)`` perfect subtrees, so no proof rebuilds the
tree.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Mapping, Sequence

from ledger.errors import MerkleProofError, ProofRequestError

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

Node = tuple[int, int]
"""A perfect subtree: (level, index)."""

Range = tuple[int, int]
"""A leaf range [start, end)."""


def leaf_hash(data: bytes) -> bytes:
    """MTH of one leaf: SHA-256(0x00 || data), per RFC 9162 §2.1.1."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Hash of an interior node: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def split_point(n: int) -> int:
    """The largest power of two strictly smaller than ``n`` (n ≥ 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def perfect_subtrees(start: int, end: int) -> list[Node]:
    """The perfect subtrees that make up ``[start, end)``, left to right.

    ``start`` must be aligned so that the range is a left-to-right sequence of
    decreasing powers of two, which holds for every range a proof asks for.
    """
    nodes: list[Node] = []
    while start < end:
        n = end - start
        size = n if n & (n - 1) == 0 else split_point(n)
        level = size.bit_length() - 1
        if start % size:
            raise ValueError(f"range [{start}, {end}) is not aligned at {start}")
        nodes.append((level, start >> level))
        start += size
    return nodes


def fold(hashes: Sequence[bytes]) -> bytes:
    """The root of a range from its perfect subtrees' hashes, left to right."""
    if not hashes:
        return EMPTY_ROOT
    root = hashes[-1]
    for left in reversed(hashes[:-1]):
        root = node_hash(left, root)
    return root


def range_hash(start: int, end: int, lookup: Mapping[Node, bytes]) -> bytes:
    """MTH of ``[start, end)`` from stored perfect-subtree hashes."""
    return fold([lookup[node] for node in perfect_subtrees(start, end)])


def inclusion_ranges(index: int, tree_size: int) -> list[Range]:
    """The ranges whose hashes form PATH(index, D[tree_size]), leaf to root.

    Per RFC 9162 §2.1.3.1.
    """
    if not 0 <= index < tree_size:
        raise ProofRequestError(
            f"inclusion proof: index {index} is not below tree size {tree_size}"
        )
    ranges: list[Range] = []
    start, end = 0, tree_size
    while end - start > 1:
        k = split_point(end - start)
        if index < start + k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start += k
    ranges.reverse()
    return ranges


def consistency_ranges(first: int, second: int) -> list[Range]:
    """The ranges whose hashes form PROOF(first, D[second]), per RFC 9162 §2.1.4.1.

    ``first == second`` gives the empty proof. ``first == 0`` is refused:
    RFC 9162 defines no proof from the empty tree, which is consistent with
    any tree (C2SP tlog-witness accepts it with an empty proof, no request).
    """
    if not 0 < first <= second:
        raise ProofRequestError(
            f"consistency proof: need 0 < first <= second, got {first} and {second}"
        )
    ranges: list[Range] = []
    start, end, m, whole = 0, second, first, True
    while True:
        n = end - start
        if m == n:
            if not whole:
                ranges.append((start, end))
            break
        k = split_point(n)
        if m <= k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start += k
            m -= k
            whole = False
    ranges.reverse()
    return ranges


Border = list[tuple[Node, bytes]]
"""The perfect subtrees on the right border of a tree, left to right."""


def append_leaf(border: Border, index: int, leaf: bytes) -> Border:
    """Add leaf ``index`` to the right border; return the subtrees it completes.

    The returned nodes run bottom up, the leaf itself first; a stored tree
    keeps them all, so later proofs read instead of recompute.
    """
    level, node_index, digest = 0, index, leaf
    completed: Border = [((0, index), leaf)]
    while node_index % 2 == 1:
        digest = node_hash(border.pop()[1], digest)
        level, node_index = level + 1, node_index // 2
        completed.append(((level, node_index), digest))
    border.append(((level, node_index), digest))
    return completed


def root_from_leaf_hashes(hashes: Sequence[bytes]) -> bytes:
    """MTH of a whole list of leaf hashes (for tests and small trees)."""
    border: Border = []
    for index, leaf in enumerate(hashes):
        append_leaf(border, index, leaf)
    return fold([h for _, h in border])


def verify_inclusion(
    leaf: bytes, index: int, tree_size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Check an inclusion proof per RFC 9162 §2.1.3.2; raise MerkleProofError."""
    _check_hashes("inclusion proof", [leaf, root, *proof])
    if not 0 <= index < tree_size:
        raise MerkleProofError(
            f"inclusion proof: index {index} is not below tree size {tree_size}"
        )
    fn, sn, r = index, tree_size - 1, leaf
    for p in proof:
        if sn == 0:
            raise MerkleProofError("inclusion proof: longer than the path to the root")
        if fn % 2 == 1 or fn == sn:
            r = node_hash(p, r)
            if fn % 2 == 0:
                while fn % 2 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise MerkleProofError("inclusion proof: shorter than the path to the root")
    if not hmac.compare_digest(r, root):
        raise MerkleProofError(
            f"inclusion proof: computed root {r.hex()} is not {root.hex()}"
        )


def verify_consistency(
    first: int,
    second: int,
    proof: Sequence[bytes],
    first_root: bytes,
    second_root: bytes,
) -> None:
    """Check a consistency proof per RFC 9162 §2.1.4.2; raise MerkleProofError."""
    _check_hashes("consistency proof", [first_root, second_root, *proof])
    if not 0 < first <= second:
        raise MerkleProofError(
            f"consistency proof: need 0 < first <= second, got {first} and {second}"
        )
    if first == second:
        if proof:
            raise MerkleProofError("consistency proof: must be empty for equal sizes")
        if not hmac.compare_digest(first_root, second_root):
            raise MerkleProofError("consistency proof: equal sizes, different roots")
        return
    if not proof:
        raise MerkleProofError("consistency proof: empty for different sizes")
    path = list(proof)
    if first & (first - 1) == 0:
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise MerkleProofError("consistency proof: longer than expected")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise MerkleProofError("consistency proof: shorter than expected")
    if not hmac.compare_digest(fr, first_root):
        raise MerkleProofError("consistency proof: does not lead to the first root")
    if not hmac.compare_digest(sr, second_root):
        raise MerkleProofError("consistency proof: does not lead to the second root")


def _check_hashes(what: str, hashes: Sequence[bytes]) -> None:
    for h in hashes:
        if len(h) != HASH_SIZE:
            raise MerkleProofError(f"{what}: hash of {len(h)} bytes, not {HASH_SIZE}")


def proof_hashes(
    ranges: Sequence[Range], fetch: Callable[[set[Node]], Mapping[Node, bytes]]
) -> list[bytes]:
    """Resolve proof ranges to hashes with one ``fetch`` of all nodes they need."""
    needed = {node for r in ranges for node in perfect_subtrees(*r)}
    lookup = fetch(needed)
    return [range_hash(start, end, lookup) for start, end in ranges]

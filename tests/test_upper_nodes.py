"""Proofs from upper tree levels kept in memory match the stored tree as it grows."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import Engine, insert

from ledger import merkle
from ledger.errors import ProofRequestError
from ledger.store.nodes import LOWEST_KEPT, UpperNodes
from ledger.store.tables import TreeNodeRow

PERIOD = 2026


def _store(engine: Engine, border: merkle.Border, leaves: range) -> None:
    """Store every node that appending ``leaves`` completes, as the appender does."""
    rows = [
        {"period": PERIOD, "level": level, "node_index": index, "hash": digest}
        for i in leaves
        for (level, index), digest in merkle.append_leaf(
            border, i, merkle.leaf_hash(b"leaf %d" % i)
        )
    ]
    with engine.begin() as connection:
        connection.execute(insert(TreeNodeRow), rows)


def _proofs(upper: UpperNodes, engine: Engine, size: int, rng: random.Random) -> None:
    """Random inclusion and consistency proofs at ``size`` verify against its root."""
    root = merkle.root_from_leaf_hashes(
        [merkle.leaf_hash(b"leaf %d" % i) for i in range(size)]
    )
    with engine.connect() as connection:

        def fetch(nodes: set[merkle.Node]) -> dict[merkle.Node, bytes]:
            return dict(upper.fetch(connection, PERIOD, size, nodes))

        for index in [0, size - 1, *rng.sample(range(size), 20)]:
            proof = merkle.proof_hashes(merkle.inclusion_ranges(index, size), fetch)
            leaf = merkle.leaf_hash(b"leaf %d" % index)
            merkle.verify_inclusion(leaf, index, size, proof, root)
        for first in [1, size // 2, *rng.sample(range(1, size), 5)]:
            first_root = merkle.root_from_leaf_hashes(
                [merkle.leaf_hash(b"leaf %d" % i) for i in range(first)]
            )
            proof = merkle.proof_hashes(merkle.consistency_ranges(first, size), fetch)
            merkle.verify_consistency(first, size, proof, first_root, root)


def test_kept_nodes_serve_proofs_as_the_tree_grows(engine: Engine) -> None:
    rng = random.Random("upper-nodes")
    upper, border = UpperNodes(), []
    small, large = 3 << LOWEST_KEPT, 5 << LOWEST_KEPT
    _store(engine, border, range(small))
    _proofs(upper, engine, small, rng)
    kept = len(upper)
    assert kept > 0
    _store(engine, border, range(small, large))
    _proofs(upper, engine, large, rng)
    assert len(upper) > kept


def test_node_not_stored_is_refused(engine: Engine) -> None:
    upper = UpperNodes()
    _store(engine, [], range(4))
    with (
        engine.connect() as connection,
        pytest.raises(ProofRequestError, match=r"missing stored nodes \[\(0, 9\)\]"),
    ):
        upper.fetch(connection, PERIOD, 4, [(0, 1), (0, 9)])

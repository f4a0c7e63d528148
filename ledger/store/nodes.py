"""Reading stored perfect-subtree hashes: a handful per proof, in one query.

The query names each wanted node by shard, level and index, grouped by
level (``period = ? AND level = ? AND node_index IN (...)`` OR-ed
together), which SQLite and PostgreSQL both answer from the primary key,
one lookup per node. The period must sit inside each OR term: factored out
(``period = ? AND (... OR ...)``), SQLite scans the whole shard; so does a
row-value ``(level, node_index) IN (...)``.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping

from sqlalchemy import Connection

from ledger.errors import ProofRequestError
from ledger.merkle import Node

logger = logging.getLogger(__name__)


def fetch_nodes(
    connection: Connection, period: int, nodes: Iterable[Node]
) -> Mapping[Node, bytes]:
    """The stored hashes of ``nodes`` in the shard of ``period``, or raise.

    Raises ProofRequestError naming a node that is not stored.
    """
    by_level: dict[int, list[int]] = defaultdict(list)
    for level, index in set(nodes):
        by_level[level].append(index)
    if not by_level:
        return {}
    # Only integers go into the text, each through the "d" format, which
    # refuses anything else. Built this way the query costs a fifth of one
    # with bound parameters, whose rendering dominated the time of a proof.
    terms = " OR ".join(
        f"(period = {period:d} AND level = {level:d} AND node_index IN "
        f"({', '.join(f'{i:d}' for i in indexes)}))"
        for level, indexes in sorted(by_level.items())
    )
    query = f"SELECT level, node_index, hash FROM tree_nodes WHERE {terms}"
    found: dict[Node, bytes] = {
        (level, index): digest
        for level, index, digest in connection.exec_driver_sql(query)
    }
    wanted = {(level, i) for level, indexes in by_level.items() for i in indexes}
    missing = wanted - found.keys()
    if missing:
        raise ProofRequestError(f"tree: missing stored nodes {sorted(missing)[:3]}")
    return found


LOWEST_KEPT = 10
"""The lowest level whose nodes ``UpperNodes`` keeps (each covers 1,024 leaves)."""

KEPT_BITS = 14
"""At most about 2 × 2^KEPT_BITS nodes are kept per shard, however large it grows."""


class UpperNodes:
    """A shard's upper tree levels, read once and kept in memory for proofs.

    A stored perfect-subtree hash never changes, so it can be kept. The upper
    levels hold few nodes but take half the lookups of a proof in a large
    tree; with them in memory a proof reads about ``LOWEST_KEPT`` nodes from
    the database at 10^4 entries and at 10^7 alike.
    """

    def __init__(self) -> None:
        self._hashes: dict[tuple[int, Node], bytes] = {}
        self._read_at: dict[int, int] = {}

    def __len__(self) -> int:
        """How many hashes are kept."""
        return len(self._hashes)

    def fetch(
        self, connection: Connection, period: int, size: int, nodes: Iterable[Node]
    ) -> Mapping[Node, bytes]:
        """Like ``fetch_nodes``, for a shard of ``size`` leaves, from memory first."""
        lowest = max(LOWEST_KEPT, size.bit_length() - KEPT_BITS)
        if size >= 2 * self._read_at.get(period, 0):
            # read again each time the shard doubles: one range of the key
            query = (
                "SELECT level, node_index, hash FROM tree_nodes "
                f"WHERE period = {period:d} AND level >= {lowest:d}"
            )
            for level, index, digest in connection.exec_driver_sql(query):
                self._hashes[(period, (level, index))] = digest
            self._read_at[period] = max(size, 1)
            logger.debug("kept %s upper tree nodes of period %s", len(self), period)
        found: dict[Node, bytes] = {}
        missing: list[Node] = []
        for node in set(nodes):
            digest = self._hashes.get((period, node))
            if digest is None:
                missing.append(node)
            else:
                found[node] = digest
        for node, digest in fetch_nodes(connection, period, missing).items():
            if node[0] >= lowest:
                self._hashes[(period, node)] = digest
            found[node] = digest
        return found

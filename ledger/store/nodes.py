"""Reading stored perfect-subtree hashes: a handful per proof, in one query.

The query names each wanted node by level and index, grouped by level
(``level = ? AND node_index IN (...)`` OR-ed together), which SQLite and
PostgreSQL both answer from the primary key, one lookup per node. (A
row-value ``(level, node_index) IN (...)`` made SQLite scan the table.)
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping

from sqlalchemy import Connection, text

from ledger.errors import ProofRequestError
from ledger.merkle import Node


def fetch_nodes(connection: Connection, nodes: Iterable[Node]) -> Mapping[Node, bytes]:
    """The stored hashes of ``nodes``; raise ProofRequestError if one is missing."""
    by_level: dict[int, list[int]] = defaultdict(list)
    for level, index in set(nodes):
        by_level[level].append(index)
    if not by_level:
        return {}
    terms, params = [], {}
    for n, (level, indexes) in enumerate(sorted(by_level.items())):
        names = [f"i{n}_{k}" for k in range(len(indexes))]
        terms.append(
            f"(level = :l{n} AND node_index IN ({', '.join(':' + m for m in names)}))"
        )
        params[f"l{n}"] = level
        params.update(zip(names, indexes, strict=True))
    query = text(
        "SELECT level, node_index, hash FROM tree_nodes WHERE " + " OR ".join(terms)
    )
    found: dict[Node, bytes] = {
        (level, index): digest
        for level, index, digest in connection.execute(query, params)
    }
    wanted = {(level, i) for level, indexes in by_level.items() for i in indexes}
    missing = wanted - found.keys()
    if missing:
        raise ProofRequestError(f"tree: missing stored nodes {sorted(missing)[:3]}")
    return found

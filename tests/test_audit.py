"""Audit against an attacker who holds database access but not the log key.

Each test drops the append-only triggers, as such an attacker can, tampers
in one way, and expects the audit to name the first bad index and the kind.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Connection, delete, insert, select, update

from ledger import merkle
from ledger.canonical import canonical_json, sha256
from ledger.errors import AuditFailure
from ledger.store.tables import (
    CheckpointRow,
    EntryRow,
    LogShardRow,
    TreeNodeRow,
)
from passport.service import Service
from tests import kit

BATCHES = 4


@pytest.fixture
def ledger(service: Service, issuers: dict[str, kit.Issuer]) -> Service:
    """Twenty entries of two workers in four batches (four checkpoints)."""
    evaluator, train = issuers["eval"], issuers["train"]
    worker_a, worker_b = service.register_workers(
        [("11010519491231002X", "王芳"), ("360426199101010071", "李强")]
    )
    for batch in range(BATCHES):
        events = []
        for n in range(5):
            ref = f"{batch}-{n}"
            worker = worker_a if n % 2 else worker_b
            if n == 4:
                events.append(train.sign(kit.enrolment(worker, "train-001", ref)))
            else:
                events.append(evaluator.sign(kit.certificate(worker, "eval-001", ref)))
        assert all(o.entry for o in service.submit(events))
    assert service.audit().tree_size == 5 * BATCHES
    return service


def _tamper(service: Service, attack: Callable[[Connection], None]) -> AuditFailure:
    with service.engine.begin() as connection:
        kit.drop_append_only_triggers(connection)
        attack(connection)
    with pytest.raises(AuditFailure) as failure:
        service.audit()
    return failure.value


def _leaf(connection: Connection, index: int) -> dict[str, Any]:
    data = connection.execute(
        select(EntryRow.leaf_data).where(EntryRow.log_index == index)
    ).scalar_one()
    return dict(json.loads(data))


def _encode(value: dict[str, Any]) -> bytes:
    try:
        return canonical_json(value)
    except ValueError:
        # what RFC 8785 cannot encode, an attacker writes as plain JSON
        return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()


def _rewrite(connection: Connection, index: int, entry: dict[str, Any]) -> None:
    """Store a changed entry with every hash of its row recomputed."""
    data = _encode(entry)
    connection.execute(
        update(EntryRow)
        .where(EntryRow.log_index == index)
        .values(
            leaf_data=data,
            leaf_hash=merkle.leaf_hash(data),
            event_hash=sha256(_encode(entry["event"])),
            worker_seq=entry["worker_seq"],
            ref=entry["event"]["ref"],
        )
    )


def _rechain(connection: Connection) -> None:
    """Point every entry's prev at its worker's (possibly changed) previous leaf."""
    heads: dict[str, str] = {}
    indexes = connection.execute(
        select(EntryRow.log_index).order_by(EntryRow.log_index)
    ).scalars()
    for index in list(indexes):
        entry = _leaf(connection, index)
        worker = entry["event"]["worker_id"]
        if entry["prev"] != heads.get(worker):
            entry["prev"] = heads.get(worker)
            _rewrite(connection, index, entry)
        heads[worker] = merkle.leaf_hash(canonical_json(entry)).hex()


def _rebuild_tree(connection: Connection) -> None:
    """Recompute every stored subtree hash of the one shard from the leaves."""
    period = connection.execute(select(LogShardRow.period)).scalar_one()
    leaves = list(
        connection.execute(
            select(EntryRow.leaf_hash).order_by(EntryRow.log_index)
        ).scalars()
    )
    connection.execute(delete(TreeNodeRow))
    nodes, level = {(0, i): h for i, h in enumerate(leaves)}, 0
    while True:
        pairs = [i for (lv, i) in nodes if lv == level and i % 2 == 1]
        if not pairs:
            break
        for i in pairs:
            nodes[(level + 1, i // 2)] = merkle.node_hash(
                nodes[(level, i - 1)], nodes[(level, i)]
            )
        level += 1
    connection.execute(
        insert(TreeNodeRow),
        [
            {"period": period, "level": lv, "node_index": i, "hash": h}
            for (lv, i), h in nodes.items()
        ],
    )


def test_changed_byte_in_an_event(ledger: Service) -> None:
    def attack(connection: Connection) -> None:
        data = connection.execute(
            select(EntryRow.leaf_data).where(EntryRow.log_index == 7)
        ).scalar_one()
        changed = data.replace(b'"skill_level":5', b'"skill_level":4')
        assert changed != data
        connection.execute(
            update(EntryRow).where(EntryRow.log_index == 7).values(leaf_data=changed)
        )

    failure = _tamper(ledger, attack)
    assert (failure.log_index, failure.kind) == (7, "changed entry")


def test_leaf_data_that_is_not_json_is_named_in_words(ledger: Service) -> None:
    def attack(connection: Connection) -> None:
        data = b'{"not": "an entry"'
        connection.execute(
            update(EntryRow)
            .where(EntryRow.log_index == 7)
            .values(leaf_data=data, leaf_hash=merkle.leaf_hash(data))
        )

    failure = _tamper(ledger, attack)
    assert str(failure) == (
        "entry 7: changed entry: leaf data unreadable: not an entry as JSON"
    )


def test_swapped_signature_with_hashes_recomputed(ledger: Service) -> None:
    def attack(connection: Connection) -> None:
        first, second = _leaf(connection, 5), _leaf(connection, 6)
        first["signature"] = second["signature"]
        _rewrite(connection, 5, first)

    failure = _tamper(ledger, attack)
    assert (failure.log_index, failure.kind) == (5, "bad signature")
    assert "does not verify" in failure.detail


def test_deleted_entry(ledger: Service) -> None:
    failure = _tamper(
        ledger, lambda c: c.execute(delete(EntryRow).where(EntryRow.log_index == 11))
    )
    assert (failure.log_index, failure.kind) == (11, "missing entry")


def test_truncated_log(ledger: Service) -> None:
    failure = _tamper(
        ledger, lambda c: c.execute(delete(EntryRow).where(EntryRow.log_index >= 18))
    )
    assert (failure.log_index, failure.kind) == (18, "truncated log")


def test_inserted_entry_beyond_the_last_checkpoint(ledger: Service) -> None:
    def attack(connection: Connection) -> None:
        entry = _leaf(connection, 19)
        entry["log_index"] = 20
        entry["worker_seq"] += 1
        entry["prev"] = merkle.leaf_hash(canonical_json(entry)).hex()
        entry["event"]["ref"] = "forged"
        data = canonical_json(entry)
        row = connection.execute(
            select(EntryRow.__table__).where(EntryRow.log_index == 19)
        ).one()
        values = dict(row._mapping) | {
            "log_index": 20,
            "worker_seq": entry["worker_seq"],
            "ref": "forged",
            "leaf_data": data,
            "leaf_hash": merkle.leaf_hash(data),
            "event_hash": sha256(canonical_json(entry["event"])),
        }
        connection.execute(insert(EntryRow), values)

    failure = _tamper(ledger, attack)
    assert (failure.log_index, failure.kind) == (20, "inserted entry")


def test_reordered_entries(ledger: Service) -> None:
    def attack(connection: Connection) -> None:
        for old, new in ((3, 1000), (4, 3), (1000, 4)):
            connection.execute(
                update(EntryRow).where(EntryRow.log_index == old).values(log_index=new)
            )

    failure = _tamper(ledger, attack)
    assert (failure.log_index, failure.kind) == (3, "reordered entry")


def test_forked_worker_chain(ledger: Service) -> None:
    """Entry 9 claims the same predecessor as entry 7, hashes recomputed."""

    def attack(connection: Connection) -> None:
        entry = _leaf(connection, 9)
        entry["prev"] = _leaf(connection, 7)["prev"]
        _rewrite(connection, 9, entry)

    failure = _tamper(ledger, attack)
    assert (failure.log_index, failure.kind) == (9, "forked chain")


def test_changed_event_with_every_hash_recomputed(ledger: Service) -> None:
    def attack(connection: Connection) -> None:
        entry = _leaf(connection, 12)
        number = entry["event"]["certificate_no"]
        entry["event"]["certificate_no"] = number[:-1] + str((int(number[-1]) + 1) % 10)
        _rewrite(connection, 12, entry)
        _rebuild_tree(connection)

    failure = _tamper(ledger, attack)
    assert (failure.log_index, failure.kind) == (12, "bad signature")


def test_rewritten_chain_and_tree_without_the_log_key(ledger: Service) -> None:
    """The attacker re-signs nothing but recomputes every hash after a swap."""

    def attack(connection: Connection) -> None:
        first, second = _leaf(connection, 1), _leaf(connection, 3)
        first["event"], second["event"] = second["event"], first["event"]
        first["signature"], second["signature"] = (
            second["signature"],
            first["signature"],
        )
        # park entry 3 so that the unique columns never clash mid-swap
        connection.execute(
            update(EntryRow)
            .where(EntryRow.log_index == 3)
            .values(ref="parked", event_hash=b"\x00" * 32)
        )
        _rewrite(connection, 1, first)
        _rewrite(connection, 3, second)
        _rechain(connection)
        _rebuild_tree(connection)

    failure = _tamper(ledger, attack)
    assert (failure.log_index, failure.kind) == (0, "history rewritten")
    assert "lies in entries 0 to 4" in failure.detail


def test_changed_tree_node(ledger: Service) -> None:
    failure = _tamper(
        ledger,
        lambda c: c.execute(
            update(TreeNodeRow)
            .where(TreeNodeRow.level == 1, TreeNodeRow.node_index == 2)
            .values(hash=b"\x00" * 32)
        ),
    )
    assert (failure.log_index, failure.kind) == (4, "changed tree node")


def test_forged_checkpoint(ledger: Service) -> None:
    def attack(connection: Connection) -> None:
        note = connection.execute(
            select(CheckpointRow.note).where(CheckpointRow.tree_size == 10)
        ).scalar_one()
        connection.execute(
            update(CheckpointRow)
            .where(CheckpointRow.tree_size == 10)
            .values(note=note.replace("\n10\n", "\n11\n"))
        )

    failure = _tamper(ledger, attack)
    assert (failure.log_index, failure.kind) == (5, "bad checkpoint")
    assert failure.detail.startswith(
        f"{ledger.log.shard().origin} checkpoint of size 10: note: invalid signature"
    )


@pytest.mark.parametrize(
    ("change", "detail"),
    [
        (lambda e: e["signature"].update(key_id="zz"), "signature.key_id"),
        (lambda e: e["event"].pop("worker_id"), "columns disagree"),
        (lambda e: e["event"].update(skill_level=2**60), "exceeds safe integer"),
    ],
)
def test_malformed_entry_with_hashes_recomputed_is_named_not_crashed(
    ledger: Service, change: Callable[[dict[str, Any]], object], detail: str
) -> None:
    def attack(connection: Connection) -> None:
        entry = _leaf(connection, 6)
        change(entry)
        _rewrite(connection, 6, entry)

    failure = _tamper(ledger, attack)
    assert failure.log_index == 6
    assert failure.kind in {"changed entry", "bad signature"}
    assert detail in failure.detail


@pytest.mark.parametrize("processes", [1, 2])
def test_first_bad_index_wins_whichever_step_finds_it(
    ledger: Service, processes: int
) -> None:
    """Entry 3 is reported before the missing entry 15, in parallel too."""

    def attack(connection: Connection) -> None:
        first, second = _leaf(connection, 3), _leaf(connection, 4)
        first["signature"] = second["signature"]
        _rewrite(connection, 3, first)
        connection.execute(delete(EntryRow).where(EntryRow.log_index == 15))

    with ledger.engine.begin() as connection:
        kit.drop_append_only_triggers(connection)
        attack(connection)
    with pytest.raises(AuditFailure) as failure:
        ledger.audit(processes=processes)
    # the stored tree node of leaf 3 and its signature both fail at index 3
    assert failure.value.log_index == 3
    assert failure.value.kind in {"bad signature", "changed tree node"}


def test_parallel_audit_passes_an_intact_log(ledger: Service) -> None:
    assert ledger.audit(processes=2).tree_size == 5 * BATCHES

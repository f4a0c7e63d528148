"""The log sharded by year: the rollover at midnight in Beijing, global
positions, proofs per shard, the signed shard index, and audit of shards."""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, update

from ledger import merkle
from ledger.checkpoint import open_checkpoint
from ledger.errors import AuditFailure, ProofRequestError
from ledger.note import open_note
from ledger.shards import Shard, parse_index
from ledger.store.tables import LogShardRow
from passport.service import Service
from passport.web.app import create_app
from tests import kit

YEAR_END = dt.datetime(2026, 12, 31, 15, 59, 59, tzinfo=dt.UTC)  # 23:59:59 in Beijing
NEW_YEAR = dt.datetime(2026, 12, 31, 16, 0, tzinfo=dt.UTC)  # 2027-01-01 00:00
BEFORE, AFTER = 5, 3


class Clock:
    """A clock the test sets by hand."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def clock(service: Service) -> Clock:
    clock = Clock(YEAR_END)
    service.log.clock = clock
    return clock


@pytest.fixture
def workers(service: Service, issuers: dict[str, kit.Issuer]) -> list[str]:
    return service.register_workers(
        [("11010519491231002X", "王芳"), ("360426199101010071", "李强")]
    )


def _submit(
    service: Service, issuer: kit.Issuer, workers: list[str], refs: list[str]
) -> None:
    events = [
        issuer.sign(kit.enrolment(workers[n % 2], "train-001", ref))
        for n, ref in enumerate(refs)
    ]
    assert all(o.entry for o in service.submit(events))


@pytest.fixture
def sharded(
    service: Service,
    issuers: dict[str, kit.Issuer],
    workers: list[str],
    clock: Clock,
) -> Service:
    """Five entries in the last second of 2026, three in the first of 2027."""
    _submit(service, issuers["train"], workers, [f"old-{n}" for n in range(BEFORE)])
    clock.now = NEW_YEAR
    _submit(service, issuers["train"], workers, [f"new-{n}" for n in range(AFTER)])
    return service


def test_the_log_rolls_over_at_midnight_in_beijing(
    sharded: Service, workers: list[str]
) -> None:
    log = sharded.log
    assert log.shards() == [
        Shard(2026, f"{sharded.origin}/2026", 0),
        Shard(2027, f"{sharded.origin}/2027", BEFORE),
    ]
    assert log.size() == BEFORE + AFTER
    assert [log.shard_size(p) for p in (2026, 2027)] == [BEFORE, AFTER]
    # a worker's chain runs on across the shards, by global position
    chain = log.worker_entries(workers[0])
    assert [e.log_index for e in chain] == [0, 2, 4, 5, 7]
    assert [e.prev for e in chain[1:]] == [e.leaf_hash for e in chain[:-1]]


def test_each_position_resolves_to_its_shard_and_index(sharded: Service) -> None:
    log = sharded.log
    found = [log.locate(p) for p in range(BEFORE + AFTER)]
    assert [(s.period, i) for s, i in found] == [
        *((2026, i) for i in range(BEFORE)),
        *((2027, i) for i in range(AFTER)),
    ]
    for position, (shard, index) in enumerate(found):
        assert log.shard_entry(index, shard.period) == log.entry(position)
    with pytest.raises(ProofRequestError, match="no entry at 8"):
        log.locate(BEFORE + AFTER)


def test_proofs_check_against_each_shards_signed_checkpoint(sharded: Service) -> None:
    log, verifier = sharded.log, sharded.keys.log.verifier
    for shard in log.shards():
        checkpoint = open_checkpoint(
            log.checkpoint(shard.period), [verifier], origin=shard.origin
        )
        size = checkpoint.tree_size
        roots = {n: log.root(n, shard.period) for n in range(1, size + 1)}
        assert roots[size] == checkpoint.root_hash
        for index in range(size):
            leaf = log.shard_entry(index, shard.period).leaf_hash
            proof = log.inclusion_proof(index, size, shard.period)
            merkle.verify_inclusion(leaf, index, size, proof, checkpoint.root_hash)
        for first in range(1, size):
            proof = log.consistency_proof(first, size, shard.period)
            merkle.verify_consistency(first, size, proof, roots[first], roots[size])
    with pytest.raises(ProofRequestError, match="beyond the size 3"):
        log.inclusion_proof(0, BEFORE, 2027)
    with pytest.raises(ProofRequestError, match="no shard for 2025"):
        log.checkpoint(2025)


def test_the_shard_index_is_a_note_signed_by_the_log(sharded: Service) -> None:
    opened = open_note(sharded.log.shard_index(), [sharded.keys.log.verifier])
    assert opened.text == f"{sharded.origin}\nshards\n2026 0\n2027 {BEFORE}\n"
    assert parse_index(sharded.origin, opened.text) == sharded.log.shards()


def test_audit_checks_every_shard(sharded: Service) -> None:
    report = sharded.audit()
    assert (report.tree_size, report.shards) == (BEFORE + AFTER, 2)


def test_a_clock_set_back_appends_to_the_newest_shard(
    sharded: Service, issuers: dict[str, kit.Issuer], workers: list[str], clock: Clock
) -> None:
    clock.now = YEAR_END
    _submit(sharded, issuers["train"], workers, ["late"])
    assert [s.period for s in sharded.log.shards()] == [2026, 2027]
    assert sharded.log.locate(BEFORE + AFTER)[0].period == 2027
    assert sharded.audit().tree_size == BEFORE + AFTER + 1


def test_a_refused_batch_opens_no_shard(
    service: Service, issuers: dict[str, kit.Issuer], workers: list[str], clock: Clock
) -> None:
    _submit(service, issuers["train"], workers, ["old-0"])
    clock.now = NEW_YEAR
    forged = issuers["train"].sign(kit.enrolment(workers[0], "train-001", "new-0"))
    forged.event["ref"] = "changed after signing"
    [outcome] = service.submit([forged])
    assert outcome.refused is not None
    assert [s.period for s in service.log.shards()] == [2026]
    assert "2027" not in service.log.checkpoint()


@pytest.mark.parametrize(
    ("change", "position", "kind"),
    [
        (update(LogShardRow).values(first_position=BEFORE + 1), BEFORE, "bad shard"),
        (update(LogShardRow).values(origin="elsewhere/log/2027"), None, "bad shard"),
        (delete(LogShardRow), None, "deleted shard"),
    ],
    ids=["moved", "renamed", "deleted"],
)
def test_audit_detects_a_tampered_shard_record(
    sharded: Service, change: object, position: int | None, kind: str
) -> None:
    statement = change.where(LogShardRow.period == 2027)  # type: ignore[attr-defined]
    with sharded.engine.begin() as connection:
        kit.drop_append_only_triggers(connection)
        connection.execute(statement)
    with pytest.raises(AuditFailure) as failure:
        sharded.audit()
    assert failure.value.kind == kind
    if position is not None:
        assert failure.value.log_index == position


@pytest.fixture
def client(sharded: Service) -> Iterator[TestClient]:
    with TestClient(create_app(sharded)) as client:
        yield client


def test_the_api_serves_each_shard_and_resolves_positions(
    client: TestClient, sharded: Service
) -> None:
    assert client.get("/api/v1/log/shards").text == sharded.log.shard_index()
    newest = client.get("/api/v1/log/checkpoint").text
    assert f"{sharded.origin}/2027\n{AFTER}\n" in newest
    older = client.get("/api/v1/log/checkpoint", params={"period": 2026}).text
    assert f"{sharded.origin}/2026\n{BEFORE}\n" in older

    found = client.get(f"/api/v1/log/positions/{BEFORE + 1}").json()
    assert (found["period"], found["index"]) == (2027, 1)
    assert found["entry"] == sharded.log.entry(BEFORE + 1).to_json()
    assert client.get("/api/v1/log/entries/1").json() == found["entry"]

    proof = client.get(
        "/api/v1/log/proof/inclusion",
        params={"index": 4, "tree_size": BEFORE, "period": 2026},
    ).json()
    leaf = base64.b64decode(proof["leaf_hash"])
    assert leaf == sharded.log.entry(4).leaf_hash
    merkle.verify_inclusion(
        leaf,
        4,
        BEFORE,
        [base64.b64decode(h) for h in proof["hashes"]],
        sharded.log.root(BEFORE, 2026),
    )
    missing = client.get(f"/api/v1/log/positions/{BEFORE + AFTER}")
    assert missing.status_code == 404
    assert (
        client.get("/api/v1/log/checkpoint", params={"period": 2025}).status_code == 404
    )

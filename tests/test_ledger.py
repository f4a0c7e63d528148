"""The append path on both engines: what enters, what is refused, what is proven."""

from __future__ import annotations

import base64
import datetime as dt
import json
import sqlite3

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from ledger import merkle
from ledger.checkpoint import open_checkpoint
from ledger.errors import LogBusy
from ledger.log import Log
from ledger.note import NoteSigner
from ledger.store.engine import make_engine, write_transaction
from ledger.store.tables import APPEND_ONLY_TABLES
from schemas.events import EventSignature, SignedEvent
from tests import kit
from verify.events import TrustListPolicy

NOW = dt.datetime(2026, 6, 1, 8, 0, tzinfo=dt.UTC)


@pytest.fixture
def issuers() -> dict[str, kit.Issuer]:
    return kit.standard_issuers()


@pytest.fixture
def log_signer() -> NoteSigner:
    return NoteSigner(kit.ORIGIN, Ed25519PrivateKey.generate())


@pytest.fixture
def log(engine: Engine, log_signer: NoteSigner) -> Log:
    return Log(engine, origin=kit.ORIGIN, signer=log_signer, clock=lambda: NOW)


@pytest.fixture
def policy(issuers: dict[str, kit.Issuer], log_signer: NoteSigner) -> TrustListPolicy:
    trust_list = kit.make_trust_list(
        list(issuers.values()),
        authority=Ed25519PrivateKey.generate(),
        log_signer=log_signer,
    )
    return TrustListPolicy(trust_list)


def _history(issuers: dict[str, kit.Issuer]) -> list:
    train, evaluator = issuers["train"], issuers["eval"]
    return [
        train.sign(kit.enrolment(kit.WORKER_A, "train-001", "T-1")),
        train.sign(kit.completion(kit.WORKER_A, "train-001", "T-1-done", "T-1")),
        evaluator.sign(kit.certificate(kit.WORKER_A, "eval-001", "C-1")),
        train.sign(kit.enrolment(kit.WORKER_B, "train-001", "T-2")),
        evaluator.sign(kit.certificate(kit.WORKER_A, "eval-001", "C-2", level=4)),
    ]


def _snapshot(engine: Engine) -> dict[str, list]:
    with engine.connect() as connection:
        return {
            table: connection.execute(text(f"SELECT * FROM {table} ORDER BY 1")).all()
            for table in APPEND_ONLY_TABLES
        }


def test_append_chains_workers_and_signs_checkpoint(
    log: Log, policy: TrustListPolicy, issuers: dict[str, kit.Issuer], log_signer
) -> None:
    outcomes = log.append(_history(issuers), policy)
    assert [o.refused for o in outcomes] == [None] * 5
    entries = [o.entry for o in outcomes]
    assert [e.log_index for e in entries] == [0, 1, 2, 3, 4]
    assert [e.worker_seq for e in entries] == [0, 1, 2, 0, 3]
    assert entries[0].prev is None and entries[3].prev is None
    assert entries[1].prev == entries[0].leaf_hash
    assert entries[4].prev == entries[2].leaf_hash

    checkpoint = open_checkpoint(
        log.checkpoint(), [log_signer.verifier], origin=f"{kit.ORIGIN}/2026"
    )
    assert checkpoint.tree_size == 5
    stored = [log.entry(i) for i in range(5)]
    assert stored == entries
    assert checkpoint.root_hash == merkle.root_from_leaf_hashes(
        [e.leaf_hash for e in stored]
    )
    assert [e.log_index for e in log.worker_entries(kit.WORKER_A)] == [0, 1, 2, 4]


def test_every_proof_checks_against_signed_checkpoints(
    log: Log, policy: TrustListPolicy, issuers: dict[str, kit.Issuer]
) -> None:
    evaluator = issuers["eval"]
    roots = {}
    for i in range(23):
        log.append(
            [evaluator.sign(kit.certificate(kit.WORKER_A, "eval-001", f"C{i}"))], policy
        )
        roots[log.size()] = log.root(log.size())
    leaves = [log.entry(i).leaf_hash for i in range(23)]
    for size, root in roots.items():
        assert root == merkle.root_from_leaf_hashes(leaves[:size])
        for index in range(size):
            proof = log.inclusion_proof(index, size)
            merkle.verify_inclusion(leaves[index], index, size, proof, root)
        for first in range(1, size + 1):
            proof = log.consistency_proof(first, size)
            merkle.verify_consistency(first, size, proof, roots[first], root)


def test_duplicate_event_is_not_appended_twice(
    log: Log, policy: TrustListPolicy, issuers: dict[str, kit.Issuer]
) -> None:
    history = _history(issuers)
    log.append(history, policy)
    again = log.append(history, policy)
    assert all(o.duplicate for o in again)
    assert [o.entry.log_index for o in again] == [0, 1, 2, 3, 4]
    assert log.size() == 5


def _unsignable(event: dict) -> SignedEvent:
    """An event that RFC 8785 cannot encode, so only a forger could 'sign' it."""
    zeros = base64.b64encode(bytes(64)).decode()
    return SignedEvent(
        event=event, signature=EventSignature(key_id="00000000", value=zeros)
    )


def _tampered_signature(signed):
    raw = bytearray(base64.b64decode(signed.signature.value))
    raw[0] ^= 1
    return signed.model_copy(
        update={
            "signature": signed.signature.model_copy(
                update={"value": base64.b64encode(bytes(raw)).decode()}
            )
        }
    )


@pytest.mark.parametrize(
    ("make", "reason", "detail"),
    [
        (
            lambda i: _tampered_signature(
                i["eval"].sign(kit.certificate(kit.WORKER_A, "eval-001", "X"))
            ),
            "bad_signature",
            "does not verify with key",
        ),
        (
            lambda i: i["eval"].sign(
                kit.certificate(kit.WORKER_A, "eval-001", "X", level=2)
            ),
            "not_accredited",
            "may certify up to level 3, not 2",
        ),
        (
            lambda i: i["eval"].sign(kit.enrolment(kit.WORKER_A, "eval-001", "X")),
            "not_accredited",
            "eval-001 may not sign training.enrolled",
        ),
        (
            lambda i: i["eval"].sign(
                kit.certificate(
                    kit.WORKER_A, "eval-001", "X", occupation_code="4-14-02-05"
                )
            ),
            "not_accredited",
            "not accredited for 4-14-02-05",
        ),
        (
            lambda i: i["train"].sign(kit.certificate(kit.WORKER_A, "eval-001", "X")),
            "unknown_signer",
            "is not a key of eval-001",
        ),
        (
            lambda i: i["eval"].sign(kit.certificate(kit.WORKER_A, "eval-999", "X")),
            "unknown_signer",
            "eval-999 is not on the trust list",
        ),
        (
            lambda i: i["eval"].sign(
                kit.certificate(kit.WORKER_A, "eval-001", "X", skill_level=7)
            ),
            "malformed",
            "skill_level",
        ),
        (
            lambda i: i["eval"].sign(kit.certificate("NOT-A-WORKER", "eval-001", "X")),
            "malformed",
            "worker_id",
        ),
        (
            lambda i: i["eval"].sign(
                kit.certificate(kit.WORKER_A, "eval-001", "X", unexpected=1)
            ),
            "malformed",
            "unexpected",
        ),
        (
            lambda i: i["eval"].sign(
                kit.certificate(kit.WORKER_A, "eval-001", "X", work_type=None)
            ),
            "not_canonical",
            "work_type",
        ),
        (
            lambda i: i["eval"].sign(
                kit.certificate(
                    kit.WORKER_A, "eval-001", "X", signed_at="2026-06-02T08:00:00Z"
                )
            ),
            "signed_in_future",
            "2026-06-02T08:00:00Z",
        ),
        (
            lambda i: i["train"].sign(
                kit.completion(kit.WORKER_A, "train-001", "X", "NOPE")
            ),
            "unknown_reference",
            "ref 'NOPE': no training.enrolled by train-001",
        ),
        (
            lambda i: i["train"].sign(
                kit.enrolment(kit.WORKER_A, "train-001", "X") | {"subsidised": 1}
            ),
            "not_canonical",
            "subsidised: 1 is not in canonical form True",
        ),
        (
            lambda i: i["eval"].sign(
                kit.certificate(kit.WORKER_A, "eval-001", "X", level=4)
                | {"certificate_no": "S000050123456245000001"}
            ),
            "malformed",
            "prints level 5, not skill_level 4",
        ),
        (
            lambda i: i["eval"].sign(
                kit.certificate(kit.WORKER_A, "eval-001", "X")
                | {"certificate_no": "S000050123456235000001"}
            ),
            "malformed",
            "prints year 23, not the year of issued_on 2024-05-08",
        ),
        (
            lambda i: i["train"].sign(
                kit.completion(kit.WORKER_A, "train-001", "X", "T-1")
            ),
            "conflicting_reference",
            "ref 'T-1': training.enrolled was already closed by entry 1",
        ),
        (
            lambda i: i["train"].sign(
                kit.completion(kit.WORKER_B, "train-001", "X", "T-2")
                | {"completed_on": "2024-02-28"}
            ),
            "impossible_dates",
            "completed_on: 2024-02-28 is before start_on 2024-03-01 of ref 'T-2'",
        ),
        (
            lambda i: i["train"].sign(
                kit.enrolment(kit.WORKER_A, "train-001", "X")
                | {"course": "学员张三（500103199003071239）"}
            ),
            "malformed",
            "course: Value error, must not contain a resident ID number",
        ),
        (
            lambda i: i["train"].sign(
                kit.enrolment(kit.WORKER_A, "train-001", "110105491231002")
            ),
            "malformed",
            "ref: Value error, must not contain a resident ID number",
        ),
        (
            lambda i: i["eval"].sign(
                kit.certificate(kit.WORKER_A, "eval-001", "X")
                | {"issued_on": "2024-05-12"}
            ),
            "malformed",
            "issued_on: 2024-05-12 is after the signature 2024-05-10",
        ),
        (
            lambda i: i["train"].sign(
                kit.enrolment(kit.WORKER_A, "train-001", "X")
                | {"start_on": "2025-03-10"}
            ),
            "malformed",
            "start_on: 2025-03-10 is more than 366 days after the signature",
        ),
        (
            lambda i: i["eval"].sign(
                kit.certificate(kit.WORKER_A, "eval-001", "X")
                | {
                    "issued_on": "1949-12-31",
                    "certificate_no": "S000050123456495000001",
                }
            ),
            "malformed",
            "issued_on: Value error, 1949-12-31 is before 1950-01-01",
        ),
        (
            lambda i: _unsignable(
                {
                    "kind": "entry.revoked",
                    "worker_id": kit.WORKER_A,
                    "issuer_id": "eval-001",
                    "ref": "X",
                    "signed_at": "2025-01-01T00:00:00Z",
                    "target_log_index": 2**53,
                    "target_leaf_hash": "0" * 64,
                    "reason": "test",
                    "revoked_on": "2025-01-01",
                }
            ),
            "malformed",
            "target_log_index: Input should be less than or equal to 9007199254740991",
        ),
        (
            lambda i: i["eval"].sign(
                kit.certificate(
                    kit.WORKER_A,
                    "eval-001",
                    "C-1",
                    certificate_no="S000050123456245999999",
                )
            ),
            "duplicate_ref",
            "'C-1' of eval-001 is already logged",
        ),
    ],
)
def test_refused_event_leaves_ledger_exactly_as_it_was(
    log: Log,
    policy: TrustListPolicy,
    issuers: dict[str, kit.Issuer],
    engine: Engine,
    make,
    reason: str,
    detail: str,
) -> None:
    log.append(_history(issuers), policy)
    before, checkpoint = _snapshot(engine), log.checkpoint()
    [outcome] = log.append([make(issuers)], policy)
    assert outcome.entry is None
    assert outcome.refused.reason == reason
    assert detail in outcome.refused.detail
    assert _snapshot(engine) == before
    assert log.checkpoint() == checkpoint


def test_refused_event_does_not_stop_the_rest_of_a_batch(
    log: Log, policy: TrustListPolicy, issuers: dict[str, kit.Issuer]
) -> None:
    evaluator = issuers["eval"]
    batch = [
        evaluator.sign(kit.certificate(kit.WORKER_A, "eval-001", "ok-1")),
        evaluator.sign(kit.certificate(kit.WORKER_A, "eval-001", "bad", level=1)),
        evaluator.sign(kit.certificate(kit.WORKER_A, "eval-001", "ok-2")),
    ]
    outcomes = log.append(batch, policy)
    assert [o.refused.reason if o.refused else o.entry.log_index for o in outcomes] == [
        0,
        "not_accredited",
        1,
    ]


def test_revocation_must_name_an_entry_of_the_same_worker_and_issuer(
    log: Log, policy: TrustListPolicy, issuers: dict[str, kit.Issuer]
) -> None:
    log.append(_history(issuers), policy)
    target = log.entry(2)
    revocation = {
        "kind": "entry.revoked",
        "worker_id": kit.WORKER_A,
        "issuer_id": "eval-001",
        "ref": "R-1",
        "signed_at": "2025-01-01T00:00:00Z",
        "target_log_index": 2,
        "target_leaf_hash": target.leaf_hash.hex(),
        "reason": "证书信息录入错误 data-entry error",
        "revoked_on": "2025-01-01",
    }
    wrong_worker = dict(revocation, worker_id=kit.WORKER_B, ref="R-0")
    wrong_hash = dict(revocation, ref="R-00", target_leaf_hash="0" * 64)
    outcomes = log.append(
        [issuers["eval"].sign(e) for e in (wrong_worker, wrong_hash, revocation)],
        policy,
    )
    assert outcomes[0].refused.detail == "target_log_index: no entry 2 for this worker"
    assert outcomes[1].refused.detail.startswith(
        "target_leaf_hash: entry 2 has leaf hash"
    )
    assert outcomes[2].entry is not None
    twice = dict(revocation, ref="R-2")
    [again] = log.append([issuers["eval"].sign(twice)], policy)
    assert again.refused.detail == "target_log_index: entry 2 is already revoked"


def test_database_refuses_update_and_delete(
    log: Log, policy: TrustListPolicy, issuers: dict[str, kit.Issuer], engine: Engine
) -> None:
    log.append(_history(issuers), policy)
    statements = [
        "UPDATE entries SET kind = 'x' WHERE log_index = 1",
        "DELETE FROM entries WHERE log_index = 4",
        "UPDATE tree_nodes SET hash = hash",
        "DELETE FROM tree_nodes",
        "DELETE FROM checkpoints",
        "UPDATE checkpoints SET note = ''",
    ]
    if engine.dialect.name == "postgresql":
        statements.append("TRUNCATE entries")
    before = _snapshot(engine)
    for statement in statements:
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as c:
            c.execute(text(statement))
    assert _snapshot(engine) == before


def test_sqlite3_shell_module_cannot_change_entries(
    tmp_path, issuers: dict[str, kit.Issuer], policy: TrustListPolicy, log_signer
) -> None:
    from passport.db import open_database

    path = tmp_path / "direct.db"
    engine = open_database(f"sqlite:///{path}")
    Log(engine, origin=kit.ORIGIN, signer=log_signer, clock=lambda: NOW).append(
        _history(issuers), policy
    )
    engine.dispose()
    connection = sqlite3.connect(path)
    with pytest.raises(sqlite3.IntegrityError, match="entries is append-only"):
        connection.execute("DELETE FROM entries")
    with pytest.raises(sqlite3.IntegrityError, match="entries is append-only"):
        connection.execute("UPDATE entries SET leaf_data = x'00'")
    assert connection.execute("SELECT count(*) FROM entries").fetchone() == (5,)
    leaf = connection.execute(
        "SELECT leaf_data FROM entries WHERE log_index = 0"
    ).fetchone()
    assert json.loads(leaf[0])["event"]["ref"] == "T-1"


def test_writer_waits_then_gets_log_busy(
    db_url_and_engine: tuple[str, Engine],
    log_signer: NoteSigner,
    policy: TrustListPolicy,
    issuers: dict[str, kit.Issuer],
) -> None:
    url, engine = db_url_and_engine
    impatient = make_engine(url, busy_timeout_s=0.2)
    log = Log(impatient, origin=kit.ORIGIN, signer=log_signer, clock=lambda: NOW)
    event = issuers["eval"].sign(kit.certificate(kit.WORKER_A, "eval-001", "busy"))
    try:
        with (
            write_transaction(engine),
            pytest.raises(LogBusy, match="another writer holds the lock"),
        ):
            log.append([event], policy)
        [outcome] = log.append([event], policy)
        assert outcome.entry is not None and outcome.entry.log_index == 0
    finally:
        impatient.dispose()


@pytest.mark.parametrize(
    ("signed_at", "detail"),
    [
        ("2024-05-10T02:00:00Z", "retired 2025-01-01T00:00:00Z; what it signed had to"),
        ("2025-02-01T02:00:00Z", "2025-02-01T02:00:00Z is outside the validity of key"),
    ],
)
def test_retired_key_signs_nothing_new(
    log: Log, log_signer: NoteSigner, signed_at: str, detail: str
) -> None:
    issuer = kit.standard_issuers()["eval"]
    retired = kit.trusted_key(
        issuer.key, valid_until=dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    )
    trusted = issuer.trusted.model_copy(update={"keys": [retired]})
    policy = TrustListPolicy(
        kit.make_trust_list(
            [kit.Issuer(issuer.issuer_id, issuer.key, trusted)],
            authority=Ed25519PrivateKey.generate(),
            log_signer=log_signer,
        )
    )
    event = kit.certificate(kit.WORKER_A, "eval-001", "late", signed_at=signed_at)
    [outcome] = log.append([issuer.sign(event)], policy)
    assert outcome.refused is not None and outcome.refused.reason == "not_current"
    assert detail in outcome.refused.detail


@pytest.mark.postgres
def test_postgresql_partitions_per_worker_tables_by_worker_id(
    log: Log, policy: TrustListPolicy, issuers: dict[str, kit.Issuer], engine: Engine
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("partitioning is a PostgreSQL feature")
    log.append(_history(issuers), policy)
    with engine.connect() as connection:
        for table in ("entries", "worker_identities"):
            strategy, partitions = connection.execute(
                text(
                    "SELECT p.partstrat, count(i.inhrelid) FROM pg_partitioned_table p "
                    "JOIN pg_inherits i ON i.inhparent = p.partrelid "
                    "WHERE p.partrelid = CAST(:table AS regclass) GROUP BY p.partstrat"
                ),
                {"table": table},
            ).one()
            assert (strategy, partitions) == ("h", 16)
        plan = "\n".join(
            connection.execute(
                text("EXPLAIN SELECT * FROM entries WHERE worker_id IN (:a, :b)"),
                {"a": kit.WORKER_A, "b": kit.WORKER_B},
            ).scalars()
        )
        assert plan.count("entries_p") <= 2  # only the two workers' partitions
    for name in ("entries_p00", "entries_p15"):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as c:
            c.execute(text(f"TRUNCATE {name}"))

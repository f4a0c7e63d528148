"""1,000 random tamperings of a copy of the demo database, each caught by the audit.

The attacker can write the database but holds neither the log key nor the
checkpoint the service keeps in its home directory. Each round copies the
demo's database and kept checkpoint, drops the append-only triggers, tampers
once (a seeded ``random.Random`` per round, so a failing round replays
alone) and expects ``Service.audit`` to raise AuditFailure. Most kinds come
in a crude form and a thorough one, in which the attacker re-encodes the
leaf data and recomputes every hash they can: leaf and event hashes, the
worker chains, the whole ``tree_nodes`` table, and sometimes deletes the
checkpoints they cannot re-sign. Rounds run in one process per core.

A round that leaves the log's tables and the kept checkpoint byte for byte
as they were is an error of the test, never counted as a detection. The
rounds call the service's audit, as ``skillpass audit`` does; one more test
runs the command itself on one tampering of each kind.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import io
import json
import multiprocessing
import os
import pickle
import random
import shutil
import sqlite3
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from issuers.keys import KeyStore
from ledger import merkle
from ledger.canonical import canonical_json, sha256
from ledger.errors import AuditFailure
from ledger.store.engine import make_engine
from passport import keyring
from passport.config import Settings
from passport.demo.run import run_demo
from passport.keyring import ServiceKeys
from passport.service import Service
from tests.conftest import PASSPHRASE

# TODO: `skillpass demo` makes 2,000 workers by default; 1,000 audits of that
# database would take about half an hour of CPU, so the rounds tamper with
# the same demo pipeline's database at 40 workers (a few hundred entries).
WORKERS = 40
ROUNDS = 1000
SEED = 20261203
PROCESSES = min(os.cpu_count() or 1, 4)
DB = "skillpass.db"
KEPT = "checkpoint.txt"

Row = dict[str, Any]
Tampering = Callable[[sqlite3.Connection, random.Random], str]


@dataclass(frozen=True)
class Demo:
    """The demo's home, and what a worker process needs to audit copies of it."""

    home: Path
    work: Path
    pristine: bytes
    keys: ServiceKeys | None = None
    origin: str = ""
    verify_url: str = ""


@dataclass(frozen=True)
class Outcome:
    """One round: the tampering, and what the audit said about it."""

    round: int
    kind: str
    description: str
    changed: bool
    found: str | None
    crash: str | None = None


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    """The demo of WORKERS workers, audited once as it stands."""
    home = tmp_path_factory.mktemp("fuzz-demo")
    url = f"sqlite:///{home / DB}"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("SKILLPASS_KEY_PASSPHRASE", PASSPHRASE)
        run_demo(
            home, workers=WORKERS, seed=7, db=url, console=Console(file=io.StringIO())
        )
        service = Service.open(Settings.load(db=url, home=home))
    try:
        assert service.audit().tree_size >= 8 * WORKERS
    finally:
        service.close()
    work = tmp_path_factory.mktemp("fuzz-rounds")
    return Demo(
        home,
        work,
        _fingerprint(home),
        origin=service.origin,
        verify_url=service.verify_url,
    )


_demo: Demo | None = None
"""This worker process's demo, keys loaded (set by ``_start``)."""


def _with_keys(demo: Demo) -> Demo:
    store = KeyStore(demo.home / "keys", PASSPHRASE.encode())
    return dataclasses.replace(demo, keys=keyring.load(store, origin=demo.origin))


def _start(demo: Demo) -> None:
    """Load the keys once per worker process; scrypt makes that slow."""
    global _demo
    _demo = _with_keys(demo)


def _audit(demo: Demo, home: Path) -> AuditFailure | None:
    """Audit the copy in ``home`` with a service on it; the failure, if any."""
    assert demo.keys is not None
    # Not Service.open, which would run scrypt and the migrations each round:
    # the same service on the copy, with the keys loaded once.
    url = f"sqlite:///{home / DB}"
    service = Service(
        Settings(home=home, db_url=url),
        make_engine(url),
        demo.keys,
        origin=demo.origin,
        verify_url=demo.verify_url,
    )
    try:
        service.audit()
    except AuditFailure as failure:
        return failure
    finally:
        service.close()
    return None


# What the attacker can do with database access


def _read(db: sqlite3.Connection) -> tuple[list[Row], list[dict[str, Any]]]:
    """The entries' rows in log order, and their leaf data parsed."""
    cursor = db.execute("SELECT * FROM entries ORDER BY log_index")
    names = [column[0] for column in cursor.description]
    rows = [dict(zip(names, values, strict=True)) for values in cursor]
    return rows, [json.loads(row["leaf_data"]) for row in rows]


def _encode(value: dict[str, Any]) -> bytes:
    try:
        return canonical_json(value)
    except ValueError:
        # what RFC 8785 cannot encode, an attacker writes as plain JSON
        return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()


def _row(leaf: dict[str, Any], logged_at: str) -> Row:
    """The row of a (changed) entry with every hash and column recomputed."""
    data, event = _encode(leaf), leaf["event"]
    return {
        "log_index": leaf["log_index"],
        "leaf_hash": merkle.leaf_hash(data),
        "event_hash": sha256(_encode(event)),
        "worker_id": event["worker_id"],
        "worker_seq": leaf["worker_seq"],
        "issuer_id": event["issuer_id"],
        "ref": event["ref"],
        "kind": event["kind"],
        "logged_at": logged_at,
        "leaf_data": data,
    }


def _store(db: sqlite3.Connection, rows: list[Row]) -> None:
    """Replace the entries table, its unique constraints gone with the old one."""
    columns = db.execute("PRAGMA table_info(entries)").fetchall()
    declared = ", ".join(f"{name} {kind}" for _, name, kind, *_ in columns)
    db.execute("DROP TABLE entries")
    db.execute(f"CREATE TABLE entries ({declared})")
    names = [name for _, name, *_ in columns]
    db.executemany(
        f"INSERT INTO entries ({', '.join(names)}) "
        f"VALUES ({', '.join('?' * len(names))})",
        [tuple(row[name] for name in names) for row in rows],
    )


def _store_tree(db: sqlite3.Connection, leaf_hashes: list[bytes]) -> None:
    """Replace tree_nodes with every perfect subtree of the given leaves.

    The demo's log lies in one shard, whose period every node carries.
    """
    [(period,)] = db.execute("SELECT period FROM log_shards").fetchall()
    nodes = {(0, i): h for i, h in enumerate(leaf_hashes)}
    level = 0
    while pairs := [i for (lv, i) in nodes if lv == level and i % 2]:
        for i in pairs:
            nodes[level + 1, i // 2] = merkle.node_hash(
                nodes[level, i - 1], nodes[level, i]
            )
        level += 1
    db.execute("DELETE FROM tree_nodes")
    db.executemany(
        "INSERT INTO tree_nodes (period, level, node_index, hash) VALUES (?, ?, ?, ?)",
        [(period, lv, i, h) for (lv, i), h in nodes.items()],
    )


def _rewrite(
    db: sqlite3.Connection,
    leaves: list[dict[str, Any]],
    rows: list[Row],
    rng: random.Random,
    *,
    keep: int | None = None,
) -> str:
    """Store leaves as a self-consistent log: renumbered, rechained, tree rebuilt.

    ``rows[i]`` is the stored row ``leaves[i]`` was read from, reused when the
    leaf ends up unchanged. The entry at position ``keep`` keeps the chain
    fields the attacker gave it. Half the time the checkpoints, which cannot
    be re-signed, are deleted too.
    """
    heads: dict[str, tuple[int, str]] = {}
    stored = []
    for position, (leaf, row) in enumerate(zip(leaves, rows, strict=True)):
        leaf["log_index"] = position
        worker = leaf["event"]["worker_id"]
        if position != keep:
            seq, prev = heads.get(worker, (-1, None))
            leaf["worker_seq"], leaf["prev"] = seq + 1, prev
        if leaf != json.loads(row["leaf_data"]):
            row = _row(leaf, row["logged_at"])
        heads[worker] = (leaf["worker_seq"], row["leaf_hash"].hex())
        stored.append(row)
    _store(db, stored)
    _store_tree(db, [row["leaf_hash"] for row in stored])
    if rng.random() < 0.5:
        db.execute("DELETE FROM checkpoints")
        return "every hash recomputed, checkpoints deleted"
    return "every hash recomputed"


def _flip(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    """One byte XORed with a non-zero mask, so the bytes always change."""
    position, mask = rng.randrange(len(data)), rng.randrange(1, 256)
    changed = bytearray(data)
    changed[position] ^= mask
    return bytes(changed), f"byte {position} ^ {mask:#04x}"


def _mutated(value: Any, rng: random.Random) -> Any:
    """A different value of the same type (events hold only scalars)."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + rng.choice((-1, 1))
    text = str(value)
    if not text:
        return "0"
    index = rng.randrange(len(text))
    replacement = rng.choice([c for c in "0123456789AZaz-" if c != text[index]])
    return text[:index] + replacement + text[index + 1 :]


# The tamperings


def changed_leaf_byte(db: sqlite3.Connection, rng: random.Random) -> str:
    rows, _ = _read(db)
    row = rng.choice(rows)
    row["leaf_data"], flipped = _flip(row["leaf_data"], rng)
    depth = rng.randrange(3)
    if depth:
        row["leaf_hash"] = merkle.leaf_hash(row["leaf_data"])
    _store(db, rows)
    if depth == 2:
        _store_tree(db, [r["leaf_hash"] for r in rows])
    how = ("", ", leaf hash recomputed", ", leaf hash and tree recomputed")[depth]
    return f"entry {row['log_index']}: {flipped}{how}"


def changed_tree_node(db: sqlite3.Connection, rng: random.Random) -> str:
    nodes = db.execute(
        "SELECT period, level, node_index, hash FROM tree_nodes"
    ).fetchall()
    period, level, index, digest = rng.choice(nodes)
    changed, flipped = _flip(digest, rng)
    db.execute(
        "UPDATE tree_nodes SET hash = ? "
        "WHERE period = ? AND level = ? AND node_index = ?",
        (changed, period, level, index),
    )
    return f"node ({level}, {index}): {flipped}"


def swapped_signatures(db: sqlite3.Connection, rng: random.Random) -> str:
    rows, leaves = _read(db)
    i, j = sorted(rng.sample(range(len(rows)), 2))
    leaves[i]["signature"], leaves[j]["signature"] = (
        leaves[j]["signature"],
        leaves[i]["signature"],
    )
    what = f"entries {i} and {j}"
    if rng.random() < 0.5:
        for k in (i, j):
            rows[k]["leaf_data"] = _encode(leaves[k])
        _store(db, rows)
        return f"{what}: leaf data only"
    return f"{what}: {_rewrite(db, leaves, rows, rng)}"


def deleted_entry(db: sqlite3.Connection, rng: random.Random) -> str:
    rows, leaves = _read(db)
    index = len(rows) - 1 if rng.random() < 0.3 else rng.randrange(len(rows) - 1)
    del rows[index], leaves[index]
    if rng.random() < 0.5:
        _store(db, rows)
        return f"entry {index}: row deleted"
    return f"entry {index}: {_rewrite(db, leaves, rows, rng)}"


def inserted_copy(db: sqlite3.Connection, rng: random.Random) -> str:
    rows, leaves = _read(db)
    source = rng.randrange(len(rows))
    leaf = copy.deepcopy(leaves[source])
    leaf["log_index"] = len(rows)
    how = "a replay of its chain fields"
    if rng.random() < 0.5:
        worker = leaf["event"]["worker_id"]
        head = max(
            (r for r in rows if r["worker_id"] == worker),
            key=lambda r: r["worker_seq"],
        )
        leaf["worker_seq"], leaf["prev"] = (
            head["worker_seq"] + 1,
            head["leaf_hash"].hex(),
        )
        how = "chained onto the worker's last entry"
    rows.append(_row(leaf, rows[source]["logged_at"]))
    _store(db, rows)
    _store_tree(db, [r["leaf_hash"] for r in rows])
    return f"copy of entry {source} at {len(rows) - 1}, {how}, tree extended"


def reordered_entries(db: sqlite3.Connection, rng: random.Random) -> str:
    rows, leaves = _read(db)
    i, j = sorted(rng.sample(range(len(rows)), 2))
    what = f"entries {i} and {j}"
    if rng.random() < 0.5:
        rows[i]["log_index"], rows[j]["log_index"] = j, i
        _store(db, rows)
        return f"{what}: indexes swapped"
    rows[i], rows[j] = rows[j], rows[i]
    leaves[i], leaves[j] = leaves[j], leaves[i]
    return f"{what}: {_rewrite(db, leaves, rows, rng)}"


def truncated_log(db: sqlite3.Connection, rng: random.Random) -> str:
    size = db.execute("SELECT count(*) FROM entries").fetchone()[0]
    signed = [s for (s,) in db.execute("SELECT tree_size FROM checkpoints") if s < size]
    keep = rng.choice(signed) if signed and rng.random() < 0.5 else rng.randrange(size)
    db.execute("DELETE FROM entries WHERE log_index >= ?", (keep,))
    db.execute("DELETE FROM checkpoints WHERE tree_size > ?", (keep,))
    db.execute("DELETE FROM tree_nodes WHERE (node_index + 1) << level > ?", (keep,))
    how = "with its checkpoints and tree nodes"
    if rng.random() < 0.5:
        db.execute("DELETE FROM passports WHERE tree_size > ?", (keep,))
        how += " and the passports issued since"
    return f"log cut to {keep} entries {how}"


def rewritten_event(db: sqlite3.Connection, rng: random.Random) -> str:
    rows, leaves = _read(db)
    index = rng.randrange(len(rows))
    event = leaves[index]["event"]
    name = rng.choice(sorted(event))
    event[name] = _mutated(event[name], rng)
    how = _rewrite(db, leaves, rows, rng)
    return f"entry {index}: event.{name} changed, {how}"


def forked_chain(db: sqlite3.Connection, rng: random.Random) -> str:
    rows, leaves = _read(db)
    index = rng.choice([i for i, r in enumerate(rows) if r["worker_seq"] >= 1])
    leaf = leaves[index]
    worker = leaf["event"]["worker_id"]
    earlier = [r for r in rows[:index] if r["worker_id"] == worker]
    forks = [(-1, None)] + [(r["worker_seq"], r["leaf_hash"].hex()) for r in earlier]
    seq, prev = rng.choice([f for f in forks if f[1] != leaf["prev"]])
    leaf["prev"] = prev
    how = "prev moved"
    if rng.random() < 0.5:
        leaf["worker_seq"] = seq + 1
        how = "prev and sequence moved"
    return f"entry {index}: {how}, {_rewrite(db, leaves, rows, rng, keep=index)}"


def tampered_shard(db: sqlite3.Connection, rng: random.Random) -> str:
    """Move, rename or delete the demo's one shard, or add a second one."""
    [(period, first)] = db.execute("SELECT period, first_position FROM log_shards")
    how = rng.randrange(4)
    if how == 0:
        moved = first + rng.randrange(1, 100)
        db.execute("UPDATE log_shards SET first_position = ?", (moved,))
        return f"shard {period}: first position {first} moved to {moved}"
    if how == 1:
        db.execute("UPDATE log_shards SET origin = origin || 'x'")
        return f"shard {period}: origin renamed"
    if how == 2:
        db.execute("DELETE FROM log_shards")
        return f"shard {period}: record deleted"
    size = db.execute("SELECT count(*) FROM entries").fetchone()[0]
    start = rng.randrange(1, size)
    db.execute(
        "INSERT INTO log_shards (period, origin, first_position, opened_at) "
        "SELECT period + 1, substr(origin, 1, length(origin) - 4) || (period + 1), "
        "?, opened_at FROM log_shards",
        (start,),
    )
    return f"shard {period + 1}: added, claiming entries from {start} on"


TAMPERINGS: dict[str, Tampering] = {
    "changed leaf byte": changed_leaf_byte,
    "changed tree node": changed_tree_node,
    "swapped signatures": swapped_signatures,
    "deleted entry": deleted_entry,
    "inserted copy": inserted_copy,
    "reordered entries": reordered_entries,
    "truncated log": truncated_log,
    "rewritten event": rewritten_event,
    "forked chain": forked_chain,
    "tampered shard": tampered_shard,
}


def _drop_triggers(db: sqlite3.Connection) -> None:
    for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type='trigger'"):
        db.execute(f"DROP TRIGGER {name}")


def _fingerprint(home: Path) -> bytes:
    """A digest of everything the audit reads: the log, passports, kept checkpoint."""
    digest = hashlib.sha256((home / KEPT).read_bytes())
    with closing(sqlite3.connect(home / DB)) as db:
        db.text_factory = bytes
        for table, order in (
            ("entries", "log_index"),
            ("log_shards", "period"),
            ("tree_nodes", "period, level, node_index"),
            ("checkpoints", "period, tree_size"),
            ("passports", "passport_id"),
        ):
            rows = db.execute(f"SELECT * FROM {table} ORDER BY {order}").fetchall()
            digest.update(pickle.dumps(rows))
    return digest.digest()


def _tamper(home: Path, kind: str, rng: random.Random) -> str:
    db = sqlite3.connect(home / DB, isolation_level=None)
    try:
        # a scratch copy: it need not survive a power cut
        db.execute("PRAGMA journal_mode = MEMORY")
        db.execute("PRAGMA synchronous = OFF")
        db.execute("BEGIN IMMEDIATE")
        _drop_triggers(db)
        description = TAMPERINGS[kind](db, rng)
        db.execute("COMMIT")
    finally:
        db.close()
    return description


def _round(number: int) -> Outcome:
    """Copy the demo's home, tamper once, audit; in a worker process."""
    assert _demo is not None
    rng = random.Random(f"{SEED}/{number}")
    kind = rng.choice(sorted(TAMPERINGS))
    home = _demo.work / f"round-{number}"
    home.mkdir()
    try:
        for name in (DB, KEPT):
            shutil.copyfile(_demo.home / name, home / name)
        description = _tamper(home, kind, rng)
        changed = _fingerprint(home) != _demo.pristine
        try:
            failure = _audit(_demo, home)
        except Exception as exc:  # a crash is no detection: record it exactly
            return Outcome(number, kind, description, changed, None, repr(exc))
    finally:
        shutil.rmtree(home)
    found = failure.kind if failure else None
    return Outcome(number, kind, description, changed, found)


@pytest.mark.slow
def test_every_random_tampering_is_detected(demo: Demo) -> None:
    started = time.perf_counter()
    with ProcessPoolExecutor(
        PROCESSES,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start,
        initargs=(demo,),
    ) as pool:
        outcomes = list(pool.map(_round, range(ROUNDS), chunksize=10))
    elapsed = time.perf_counter() - started

    unchanged = [o for o in outcomes if not o.changed]
    assert not unchanged, f"tamperings that changed nothing: {unchanged}"
    detected: dict[str, Counter[str]] = defaultdict(Counter)
    for outcome in outcomes:
        if outcome.found:
            detected[outcome.kind][outcome.found] += 1
    print(f"\n{ROUNDS} tamperings in {elapsed:.1f} s on {PROCESSES} processes")
    for kind in sorted(TAMPERINGS):
        print(f"  {kind}: {sum(detected[kind].values())} {dict(detected[kind])}")
    missed = [o for o in outcomes if not o.found]
    assert not missed, "\n".join(
        f"round {o.round}: {o.kind}: {o.description}: {o.crash or 'audit passed'}"
        for o in missed
    )
    counts = [sum(detected[kind].values()) for kind in TAMPERINGS]
    assert sum(counts) == ROUNDS
    assert min(counts) >= ROUNDS // 20, "every kind is tried often"


@pytest.mark.slow
@pytest.mark.parametrize(
    "sql",
    [
        "DELETE FROM checkpoints WHERE tree_size = "
        "(SELECT max(tree_size) FROM checkpoints)",
        "UPDATE entries SET logged_at = '2019-01-01 00:00:00.000000' "
        "WHERE log_index = 7",
        "UPDATE checkpoints SET note = note || "
        f"'— other.example/key {'A' * 86}==' || char(10)",
    ],
    ids=["checkpoint row deleted", "logged_at column", "note signature added"],
)
def test_tampering_outside_the_entries_is_seen_too(
    demo: Demo, tmp_path: Path, sql: str
) -> None:
    for name in (DB, KEPT):
        shutil.copyfile(demo.home / name, tmp_path / name)
    with closing(sqlite3.connect(tmp_path / DB, isolation_level=None)) as db:
        _drop_triggers(db)
        db.execute(sql)
    assert _fingerprint(tmp_path) != demo.pristine
    assert _audit(_with_keys(demo), tmp_path) is not None


@pytest.mark.slow
def test_skillpass_audit_exits_1_naming_the_fault_for_each_kind(
    demo: Demo, tmp_path: Path
) -> None:
    keyed = _with_keys(demo)
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in ("SKILLPASS_DB", "SKILLPASS_HOME")
    }
    env.update(SKILLPASS_KEY_PASSPHRASE=PASSPHRASE, COLUMNS="1000")
    for kind in sorted(TAMPERINGS):
        home = tmp_path / kind.replace(" ", "-")
        home.mkdir()
        for name in (DB, KEPT):
            shutil.copyfile(demo.home / name, home / name)
        shutil.copytree(demo.home / "keys", home / "keys")
        description = _tamper(home, kind, random.Random(f"{SEED}/cli/{kind}"))
        expected = _audit(keyed, home)
        assert expected is not None, f"{kind}: {description}: audit passed"

        result = subprocess.run(
            [sys.executable, "-m", "passport", "audit", "--home", str(home)],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=False,
        )

        where = "log" if expected.log_index is None else f"entry {expected.log_index}"
        said = " ".join(result.stderr.split())
        assert result.returncode == 1, (kind, description, result.stderr)
        assert f"error: audit failed at {where}: {expected.kind}:" in said, (
            kind,
            description,
            said,
        )

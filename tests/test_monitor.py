"""The log monitor: pure checks first, then real `skillpass serve` processes.

The servers read the test's database while the test appends to it, rolls it
back as someone with database access can, or forks it by copying the SQLite
file and appending different events to each copy under the same log key.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager, suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx2
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine, delete

from ledger import merkle
from ledger.checkpoint import Checkpoint
from ledger.note import NoteSigner
from ledger.store.tables import CheckpointRow, EntryRow, LogShardRow, TreeNodeRow
from passport.config import Settings
from passport.monitor import (
    LogUnavailable,
    Monitor,
    MonitorError,
    Status,
    base_url,
    default_state,
)
from passport.service import Service
from schemas.trust import LogInfo, TrustList
from tests import kit
from tests.conftest import ID_NUMBER, PASSPHRASE
from verify.errors import BadSignature, LogInconsistent, MalformedInput, UntrustedSigner
from verify.log import check_consistency, open_log_checkpoint
from verify.trust import signing_bytes

FIXTURE_ENTRIES = 4
SHARD = f"{kit.ORIGIN}/2026"
NEW_YEAR = dt.datetime(2026, 12, 31, 16, 0, tzinfo=dt.UTC)  # 2027-01-01 in Beijing
"""Entries the ``worker`` fixture appends."""

SIGNER = NoteSigner("test.skillpass.example/log", Ed25519PrivateKey.generate())
AUTHORITY = Ed25519PrivateKey.generate()
TRUST = kit.make_trust_list([], authority=AUTHORITY, log_signer=SIGNER)


# Pure checks of verify/log.py


def _leaves(n: int, tag: str = "a") -> list[bytes]:
    return [merkle.leaf_hash(f"{tag}{i}".encode()) for i in range(n)]


def _checkpoint(leaves: list[bytes]) -> Checkpoint:
    root = merkle.root_from_leaf_hashes(leaves)
    return Checkpoint(SHARD, len(leaves), root)


def _consistency_proof(leaves: list[bytes], first: int) -> list[bytes]:
    def fetch(nodes: set[merkle.Node]) -> dict[merkle.Node, bytes]:
        return {
            (level, index): merkle.root_from_leaf_hashes(
                leaves[index << level : (index + 1) << level]
            )
            for level, index in nodes
        }

    ranges = merkle.consistency_ranges(first, len(leaves))
    return merkle.proof_hashes(ranges, fetch)


def _b64(checkpoint: Checkpoint) -> str:
    return base64.b64encode(checkpoint.root_hash).decode()


def test_open_log_checkpoint_accepts_the_trusted_log() -> None:
    checkpoint = _checkpoint(_leaves(5))
    assert open_log_checkpoint(checkpoint.sign(SIGNER), TRUST) == checkpoint


def _other_origin() -> str:
    return Checkpoint("other.example/log", 5, merkle.EMPTY_ROOT).sign(SIGNER)


def _other_key() -> str:
    stranger = NoteSigner(SIGNER.name, Ed25519PrivateKey.generate())
    return _checkpoint(_leaves(5)).sign(stranger)


def _changed_size() -> str:
    return _checkpoint(_leaves(5)).sign(SIGNER).replace("\n5\n", "\n6\n")


@pytest.mark.parametrize(
    ("make_note", "error", "message"),
    [
        (
            _other_origin,
            UntrustedSigner,
            "origin 'other.example/log' is not a shard of the trusted",
        ),
        (_other_key, BadSignature, "no signature by a trusted key"),
        (_changed_size, BadSignature, "invalid signature by test.skillpass"),
        (lambda: "hello\n", MalformedInput, "no blank line before the signatures"),
    ],
)
def test_open_log_checkpoint_refuses(
    make_note: Callable[[], str], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        open_log_checkpoint(make_note(), TRUST)


def test_open_log_checkpoint_refuses_a_trust_list_with_a_bad_log_key() -> None:
    broken = TRUST.model_copy(
        update={"log": LogInfo(origin=kit.ORIGIN, verifier_key="log+00+AAAA")}
    )
    with pytest.raises(MalformedInput, match="trust list: log verifier key"):
        open_log_checkpoint(_checkpoint(_leaves(1)).sign(SIGNER), broken)


@pytest.mark.parametrize(
    ("first", "second"), [(0, 0), (0, 5), (1, 1), (1, 2), (3, 7), (4, 8), (7, 13)]
)
def test_consistency_of_a_growing_log(first: int, second: int) -> None:
    leaves = _leaves(second)
    proof = _consistency_proof(leaves, first) if 0 < first < second else []
    check_consistency(_checkpoint(leaves[:first]), _checkpoint(leaves), proof)


def test_a_smaller_log_is_a_rollback() -> None:
    old, new = _checkpoint(_leaves(8)), _checkpoint(_leaves(5))
    with pytest.raises(LogInconsistent, match="log rolled back") as caught:
        check_consistency(old, new, [])
    for part in ("size 8", _b64(old), "size 5", _b64(new)):
        assert part in str(caught.value)


def test_two_roots_for_one_size_are_a_fork() -> None:
    old, new = _checkpoint(_leaves(6)), _checkpoint(_leaves(6, "b"))
    with pytest.raises(LogInconsistent, match="two roots for one size") as caught:
        check_consistency(old, new, [])
    assert _b64(old) in str(caught.value) and _b64(new) in str(caught.value)


@pytest.mark.parametrize(
    ("proof_of", "message"),
    [
        ("other", "does not lead to the first root"),
        ("none", "empty for different sizes"),
        ("short", "shorter than expected"),
    ],
)
def test_a_failing_consistency_proof_is_refused(proof_of: str, message: str) -> None:
    ours, theirs = _leaves(9), _leaves(5, "b") + _leaves(9)[5:]
    proof = {
        "other": _consistency_proof(theirs, 5),
        "none": [],
        "short": _consistency_proof(ours, 5)[:-1],
    }[proof_of]
    old, new = _checkpoint(ours[:5]), _checkpoint(ours)
    with pytest.raises(LogInconsistent, match=message) as caught:
        check_consistency(old, new, proof)
    assert "old size 5" in str(caught.value) and "new size 9" in str(caught.value)


def test_from_size_zero_no_proof_is_asked_and_the_root_must_be_empty() -> None:
    new = _checkpoint(_leaves(3))
    with pytest.raises(LogInconsistent, match="from size 0 must be empty"):
        check_consistency(_checkpoint([]), new, [merkle.EMPTY_ROOT])
    bogus = Checkpoint(SHARD, 0, new.root_hash)
    with pytest.raises(LogInconsistent, match="size 0 that is not empty"):
        check_consistency(bogus, new, [])


def test_default_state_is_named_after_the_origin() -> None:
    state = default_state(Path("home"), "skillpass.cq.example/log")
    assert state == Path("home/monitor/skillpass.cq.example_log.checkpoint")


@pytest.mark.parametrize("url", ["ftp://host/", "file:///etc/passwd", "localhost:8000"])
def test_only_http_urls_are_monitored(url: str) -> None:
    with pytest.raises(MonitorError, match="is not an http:// or https:// URL"):
        base_url(url)


# Against real server processes


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def _serving(db_url: str, home: Path) -> Iterator[str]:
    """``skillpass serve`` in its own process on ``db_url``; yields its base URL."""
    port = _free_port()
    env = dict(
        os.environ,
        SKILLPASS_HOME=str(home),
        SKILLPASS_DB=db_url,
        SKILLPASS_KEY_PASSPHRASE=PASSPHRASE,
    )
    log_path = home / f"server-{port}.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "passport", "serve", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    httpx2.get(f"{base}/api/v1/log/checkpoint", timeout=1)
                    break
                except httpx2.TransportError:
                    if time.monotonic() > deadline or process.poll() is not None:
                        raise RuntimeError(log_path.read_text()) from None
                    time.sleep(0.2)
            yield base
        finally:
            process.terminate()
            process.wait(timeout=10)
    assert "Traceback" not in log_path.read_text()


@pytest.fixture
def server(
    service: Service, db_url_and_engine: tuple[str, Engine], tmp_path: Path
) -> Iterator[str]:
    """The test's database served by a real process."""
    with _serving(db_url_and_engine[0], tmp_path) as base:
        yield base


@pytest.fixture
def trust_file(
    service: Service, issuers: dict[str, kit.Issuer], tmp_path: Path
) -> Path:
    """The service's trust list as a file."""
    path = tmp_path / "trust-list.json"
    service.export_trust_list(path)
    return path


@pytest.fixture
def trusted(service: Service, issuers: dict[str, kit.Issuer]) -> TrustList:
    return service.trust_list()


def _append(service: Service, train: kit.Issuer, worker: str, refs: list[str]) -> None:
    events = [train.sign(kit.enrolment(worker, "train-001", ref)) for ref in refs]
    assert all(o.entry and not o.duplicate for o in service.submit(events))


def _monitor(*args: str, home: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, COLUMNS="80")
    if home is not None:
        env["SKILLPASS_HOME"] = str(home)
    return subprocess.run(
        [sys.executable, "-m", "passport", "log", "monitor", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def _served_note(base: str) -> str:
    return httpx2.get(f"{base}/api/v1/log/checkpoint", timeout=5).text


@pytest.mark.slow
def test_first_use_then_verified_growth(
    server: str,
    service: Service,
    issuers: dict[str, kit.Issuer],
    worker: str,
    trusted: TrustList,
    tmp_path: Path,
) -> None:
    state = tmp_path / "watch" / "log.checkpoint"
    monitor = Monitor(server, trusted, state)

    first = monitor.check()
    assert first.status is Status.FIRST_USE
    assert first.served.tree_size == FIXTURE_ENTRIES
    assert state.read_text() == _served_note(server)
    assert monitor.check().status is Status.UNCHANGED

    _append(service, issuers["train"], worker, ["G-1", "G-2", "G-3"])
    grew = monitor.check()
    assert grew.status is Status.GREW
    assert (grew.stored, grew.served.tree_size) == (first.served, FIXTURE_ENTRIES + 3)
    assert open_log_checkpoint(state.read_text(), trusted) == grew.served

    # a second growth starts from the stored size, not from the first one
    _append(service, issuers["train"], worker, ["G-4"])
    again = monitor.check()
    assert again.status is Status.GREW and again.stored == grew.served
    assert monitor.check().status is Status.UNCHANGED


@pytest.mark.slow
@pytest.mark.parametrize("db_url_and_engine", ["sqlite"], indirect=True)
def test_growth_from_the_empty_log_needs_no_proof(
    server: str,
    service: Service,
    issuers: dict[str, kit.Issuer],
    trusted: TrustList,
    tmp_path: Path,
) -> None:
    monitor = Monitor(server, trusted, tmp_path / "state")
    first = monitor.check()
    assert (first.status, first.served.root_hash) == (
        Status.FIRST_USE,
        merkle.EMPTY_ROOT,
    )
    [worker] = service.register_workers([(ID_NUMBER, "王芳")])
    _append(service, issuers["train"], worker, ["E-1"])
    grew = monitor.check()
    assert (grew.status, grew.served.tree_size) == (Status.GREW, 1)


@pytest.mark.slow
@pytest.mark.parametrize("db_url_and_engine", ["sqlite"], indirect=True)
def test_command_trusts_on_first_use_then_reports_growth(
    server: str,
    service: Service,
    issuers: dict[str, kit.Issuer],
    worker: str,
    trust_file: Path,
    tmp_path: Path,
) -> None:
    home = tmp_path / "monitor-home"
    run = _monitor(server, "--trust-list", str(trust_file), "--once", home=home)
    assert run.returncode == 0, run.stderr
    assert "trust on first use" in run.stdout
    assert f"size {FIXTURE_ENTRIES}" in run.stdout
    state = default_state(home, service.origin)
    assert state.read_text() == _served_note(server)

    _append(service, issuers["train"], worker, ["G-1", "G-2"])
    run = _monitor(server, "--trust-list", str(trust_file), "--once", home=home)
    assert run.returncode == 0, run.stderr
    assert f"grew: {FIXTURE_ENTRIES} → {FIXTURE_ENTRIES + 2}" in run.stdout
    assert "consistency proof verified" in run.stdout
    assert state.read_text() == _served_note(server)


def _roll_back(engine: Engine, size: int) -> None:
    """Delete the entries, subtree hashes and checkpoints past ``size``."""
    with engine.begin() as connection:
        kit.drop_append_only_triggers(connection)
        connection.execute(delete(EntryRow).where(EntryRow.log_index >= size))
        connection.execute(delete(CheckpointRow).where(CheckpointRow.tree_size > size))
        for level in range(64):
            connection.execute(
                delete(TreeNodeRow).where(
                    TreeNodeRow.level == level, TreeNodeRow.node_index >= size >> level
                )
            )


@pytest.mark.slow
def test_a_new_shard_is_followed_once_the_old_one_checks(
    server: str,
    service: Service,
    issuers: dict[str, kit.Issuer],
    worker: str,
    trusted: TrustList,
    tmp_path: Path,
) -> None:
    state = tmp_path / "state"
    monitor = Monitor(server, trusted, state)
    assert monitor.check().status is Status.FIRST_USE
    _append(service, issuers["train"], worker, ["Y-1"])  # the old year grows
    service.log.clock = lambda: NEW_YEAR
    _append(service, issuers["train"], worker, ["Y-2", "Y-3"])

    rolled = monitor.check()
    new_shard = f"{service.origin}/2027"
    assert (rolled.status, rolled.served.origin, rolled.served.tree_size) == (
        Status.GREW,
        new_shard,
        2,
    )
    assert rolled.detail == f"new shard {new_shard}"
    assert state.read_text() == _served_note(server)

    # serving the old year's shard again is a rollback
    with service.engine.begin() as connection:
        kit.drop_append_only_triggers(connection)
        connection.execute(delete(LogShardRow).where(LogShardRow.period == 2027))
    back = monitor.check()
    assert (back.status, back.served.tree_size) == (
        Status.ROLLBACK,
        FIXTURE_ENTRIES + 1,
    )
    assert back.detail == f"the log went back from {new_shard} to {service.origin}/2026"
    assert _evidence(state, "rollback")[0] == rolled.served_note


def _evidence(state: Path, kind: str) -> tuple[str, str]:
    [stored] = state.parent.glob(f"{state.stem}.{kind}-*.stored.checkpoint")
    [served] = state.parent.glob(f"{state.stem}.{kind}-*.served.checkpoint")
    return stored.read_text(), served.read_text()


@pytest.mark.slow
def test_rollback_is_reported_with_both_checkpoints(
    server: str,
    service: Service,
    issuers: dict[str, kit.Issuer],
    worker: str,
    trusted: TrustList,
    trust_file: Path,
    tmp_path: Path,
) -> None:
    state = tmp_path / "watch" / "log.checkpoint"
    _append(service, issuers["train"], worker, ["R-1", "R-2", "R-3"])
    assert Monitor(server, trusted, state).check().status is Status.FIRST_USE
    known = state.read_text()

    _roll_back(service.engine, FIXTURE_ENTRIES)
    served = _served_note(server)
    assert open_log_checkpoint(served, trusted).tree_size == FIXTURE_ENTRIES

    run = _monitor(server, "--trust-list", str(trust_file), "--state", str(state))
    assert run.returncode == 1, run.stderr
    assert "LOG ROLLED BACK" in run.stdout
    assert f"old size {FIXTURE_ENTRIES + 3}" in run.stdout
    assert known in run.stdout and served in run.stdout
    assert _evidence(state, "rollback") == (known, served)
    assert state.read_text() == known


@contextmanager
def _forked_copy(
    service: Service, db_url_and_engine: tuple[str, Engine], tmp_path: Path
) -> Iterator[tuple[Service, Path]]:
    """A copy of the SQLite database and the keys, opened as a second service."""
    source = db_url_and_engine[0].removeprefix("sqlite:///")
    home = tmp_path / "fork"
    shutil.copytree(tmp_path / "keys", home / "keys")
    copy = home / "skillpass.db"
    with closing(sqlite3.connect(source)) as a, closing(sqlite3.connect(copy)) as b:
        a.backup(b)
    url = f"sqlite:///{copy}"
    forked = Service.open(Settings.load(db=url, home=home))
    try:
        assert forked.origin == service.origin
        yield forked, home
    finally:
        forked.close()


@pytest.mark.slow
@pytest.mark.parametrize("db_url_and_engine", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    ("extra", "message"),
    [(3, "two roots for one size"), (5, "does not lead to the first root")],
)
def test_fork_is_reported_with_both_checkpoints(
    server: str,
    service: Service,
    issuers: dict[str, kit.Issuer],
    worker: str,
    trusted: TrustList,
    trust_file: Path,
    db_url_and_engine: tuple[str, Engine],
    tmp_path: Path,
    extra: int,
    message: str,
) -> None:
    train = issuers["train"]
    state = tmp_path / "watch" / "log.checkpoint"
    with _forked_copy(service, db_url_and_engine, tmp_path) as (forked, home):
        _append(service, train, worker, ["A-1", "A-2", "A-3"])
        _append(forked, train, worker, [f"B-{n}" for n in range(extra)])
        assert Monitor(server, trusted, state).check().status is Status.FIRST_USE
        known = state.read_text()

        with _serving(forked.settings.db_url, home) as other:
            served = _served_note(other)
            options = ["--trust-list", str(trust_file), "--state", str(state)]
            run = _monitor(other, *options, "--interval", "0.2")

    # the loop stops by itself at the fork
    assert run.returncode == 1, run.stderr
    assert "LOG FORKED" in run.stdout and message in run.stdout
    assert known in run.stdout and served in run.stdout
    assert _evidence(state, "fork") == (known, served)
    assert state.read_text() == known
    assert Monitor(server, trusted, state).check().status is Status.UNCHANGED


@pytest.mark.slow
@pytest.mark.parametrize("db_url_and_engine", ["sqlite"], indirect=True)
def test_answers_that_do_not_verify_are_reported(
    server: str, trusted: TrustList, tmp_path: Path
) -> None:
    state = tmp_path / "watch" / "log.checkpoint"
    stranger = NoteSigner("stranger", Ed25519PrivateKey.generate())
    other_key = trusted.model_copy(
        update={
            "log": trusted.log.model_copy(
                update={"verifier_key": stranger.verifier.vkey}
            )
        }
    )
    with pytest.raises(LogUnavailable, match="no signature by a trusted key"):
        Monitor(server, other_key, state).check()
    other_origin = trusted.model_copy(
        update={"log": trusted.log.model_copy(update={"origin": "elsewhere/log"})}
    )
    with pytest.raises(
        LogUnavailable, match="is not a shard of the trusted log 'elsewhere/log'"
    ):
        Monitor(server, other_origin, state).check()
    elsewhere = Monitor(f"{server}/elsewhere", trusted, state)
    with pytest.raises(
        LogUnavailable, match="/elsewhere/api/v1/log/checkpoint: HTTP 404"
    ):
        elsewhere.check()
    assert not state.exists()

    state.parent.mkdir()
    state.write_text("not a checkpoint\n")
    with pytest.raises(MonitorError, match="does not verify with this trust list"):
        Monitor(server, trusted, state).check()


class _Answers(BaseHTTPRequestHandler):
    """Answers every GET with its server's fixed status and body."""

    def do_GET(self) -> None:
        assert isinstance(self.server, _Answering)
        status, body = self.server.answer
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        # the monitor stops reading an oversized answer
        with suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass  # keep the test output quiet


class _Answering(ThreadingHTTPServer):
    """A local HTTP server that is not a log: it says the same to everyone."""

    def __init__(self, answer: tuple[int, bytes]) -> None:
        super().__init__(("127.0.0.1", 0), _Answers)
        self.answer = answer


@contextmanager
def _answering(status: int, body: bytes) -> Iterator[str]:
    httpd = _Answering((status, body))
    thread = threading.Thread(target=httpd.serve_forever)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        (200, b"<html>hello</html>", "no blank line before the signatures"),
        (200, b"\xff\xfe\n\n", "not a checkpoint: not UTF-8"),
        (502, b"Bad Gateway", "HTTP 502: Bad Gateway"),
        (200, b"x" * (2 << 20), "answer larger than"),
    ],
)
def test_an_answer_that_is_not_a_checkpoint_is_reported(
    status: int, body: bytes, message: str, tmp_path: Path
) -> None:
    state = tmp_path / "state"
    with _answering(status, body) as url, pytest.raises(LogUnavailable, match=message):
        Monitor(url, TRUST, state).check()
    assert not state.exists()


@pytest.fixture
def own_trust_file(tmp_path: Path) -> Path:
    """A signed trust list of a log that no server serves."""
    signature = AUTHORITY.sign(signing_bytes(TRUST))
    document = {
        "trust_list": TRUST.model_dump(mode="json"),
        "signature": base64.b64encode(signature).decode(),
    }
    path = tmp_path / "trust-list.json"
    path.write_text(json.dumps(document, ensure_ascii=False))
    return path


def test_unreachable_once_is_a_usage_error(
    own_trust_file: Path, tmp_path: Path
) -> None:
    url = f"http://127.0.0.1:{_free_port()}"
    state = tmp_path / "state"
    run = _monitor(
        url, "--trust-list", str(own_trust_file), "--state", str(state), "--once"
    )
    assert run.returncode == 2
    assert "/api/v1/log/checkpoint: unreachable" in run.stderr
    assert not state.exists()


@pytest.mark.slow
def test_unreachable_while_looping_keeps_trying_until_interrupted(
    own_trust_file: Path, tmp_path: Path
) -> None:
    url = f"http://127.0.0.1:{_free_port()}"
    command = [sys.executable, "-m", "passport", "log", "monitor", url]
    options = ["--trust-list", str(own_trust_file), "--state", str(tmp_path / "s")]
    output = tmp_path / "monitor.err"
    with output.open("w") as stderr:
        process = subprocess.Popen(
            [*command, *options, "--interval", "0.1"], stderr=stderr, text=True
        )
        try:
            deadline = time.monotonic() + 60
            while output.read_text().count("cannot check") < 3:
                assert process.poll() is None, output.read_text()
                assert time.monotonic() < deadline, output.read_text()
                time.sleep(0.1)
        finally:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=10)
    assert process.returncode == 0, output.read_text()
    assert "stopped" in output.read_text()

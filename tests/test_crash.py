"""`kill -9` during a bulk `skillpass submit`, on both engines.

The command prints a report line only after its batch has committed, so
every complete line on its stdout is an acknowledgement. After each kill,
every acknowledged event must be in the log at the acknowledged index with
the acknowledged leaf hash, and a fresh service must pass its audit; the
same file is then submitted again. Run to completion at last, the log must
hold each distinct event of the file exactly once.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from ledger.entry import Entry
from ledger.store.tables import EntryRow
from passport.config import Settings
from passport.service import Service
from schemas.events import SignedEvent
from schemas.identifiers import id_check_char
from tests import kit
from tests.conftest import PASSPHRASE

SEED = 20260131
DISTINCT_EVENTS = 3000
REPEAT_EVERY = 100
"""Every hundredth line repeats an earlier one, as a re-sent record would."""
WORKERS = 300
BATCH = "50"
KILLS = 5
KILL_AFTER_APPENDED = (100, 350)
"""A run is killed once it has appended this many events (at random) ..."""
KILL_DELAY_S = (0.0, 0.2)
"""... and then this much later, so that the kill lands anywhere in a batch."""
ID_NUMBERS = [
    first17 + id_check_char(first17)
    for first17 in (f"50010319850615{n:03d}" for n in range(1, WORKERS + 1))
]


Acknowledged = dict[int, tuple[int, str]]
"""Line number → (log_index, leaf_hash) as the command reported it."""


@dataclass(frozen=True)
class Run:
    """One run of `skillpass submit`: its complete report lines, and its end."""

    reports: list[dict[str, Any]]
    killed: bool
    returncode: int


def bulk_file(
    path: Path, service: Service, issuers: dict[str, kit.Issuer]
) -> list[SignedEvent]:
    """Write the JSONL of signed enrolments; return its lines as events."""
    workers = service.register_workers(
        [(number, f"测试员{i}") for i, number in enumerate(ID_NUMBERS)]
    )
    train = issuers["train"]
    rng = random.Random(SEED)
    lines: list[SignedEvent] = []
    for n in range(DISTINCT_EVENTS):
        worker = workers[n % WORKERS]
        lines.append(train.sign(kit.enrolment(worker, "train-001", f"K-{n}")))
        if n % REPEAT_EVERY == REPEAT_EVERY - 1:
            lines.append(rng.choice(lines))
    path.write_text("".join(s.model_dump_json() + "\n" for s in lines), "utf-8")
    return lines


def submit(
    file: Path, home: Path, db_url: str, out: Path, kill: tuple[int, float] | None
) -> Run:
    """Run the command to its end, or SIGKILL it at ``kill``.

    ``kill`` is (appended, delay): the kill comes ``delay`` seconds after the
    run has reported that many events appended, unless it ends first.
    """
    env = dict(os.environ, SKILLPASS_KEY_PASSPHRASE=PASSPHRASE)
    command = [sys.executable, "-m", "passport", "submit", str(file)]
    with out.open("wb") as stdout, (out.with_suffix(".err")).open("wb") as stderr:
        process = subprocess.Popen(
            [*command, "--batch", BATCH, "--home", str(home), "--db", db_url],
            stdout=stdout,
            stderr=stderr,
            env=env,
        )
        killed = False
        try:
            if kill is not None:
                killed = _kill_later(process, out, *kill)
            returncode = process.wait(timeout=120)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    text = out.read_text("utf-8")
    # A line cut short by the kill was never acknowledged.
    complete = text[: text.rfind("\n") + 1]
    return Run([json.loads(line) for line in complete.splitlines()], killed, returncode)


def _kill_later(
    process: subprocess.Popen[bytes], out: Path, appended: int, delay_s: float
) -> bool:
    """SIGKILL ``process`` as ``submit`` describes; False if it ended first."""
    deadline = time.monotonic() + 60
    seen = 0
    with out.open("rb") as reports:
        while seen < appended:
            if process.poll() is not None or time.monotonic() > deadline:
                return False
            seen += reports.read().count(b'"status": "appended"')
            time.sleep(0.01)
    time.sleep(delay_s)
    if process.poll() is not None:
        return False
    os.kill(process.pid, signal.SIGKILL)
    return True


def check_acknowledged(
    settings: Settings, lines: list[SignedEvent], acknowledged: Acknowledged
) -> int:
    """Every acknowledged line is in the log as acknowledged; audit passes.

    Opens a service of its own, as the next process would; returns the
    audited tree size. The log holds nothing but events of the file.
    """
    service = Service.open(settings)
    try:
        with service.engine.connect() as connection:
            logged = {
                log_index: Entry.from_json(json.loads(leaf_data))
                for log_index, leaf_data in connection.execute(
                    select(EntryRow.log_index, EntryRow.leaf_data)
                )
            }
        for line_no, (log_index, leaf_hash) in acknowledged.items():
            entry = logged[log_index]
            assert entry.leaf_hash.hex() == leaf_hash, f"line {line_no}"
            assert entry.event == lines[line_no - 1].event, f"line {line_no}"
        refs = {s.event["ref"] for s in lines}
        assert all(e.event["ref"] in refs for e in logged.values())
        return service.audit().tree_size
    finally:
        service.close()


def record(acknowledged: Acknowledged, run: Run) -> None:
    """Add a run's report lines; a line acknowledged twice must agree."""
    for report in run.reports:
        assert report["status"] in ("appended", "duplicate"), report
        where = (report["log_index"], report["leaf_hash"])
        assert acknowledged.setdefault(report["line"], where) == where, report


@pytest.mark.slow
def test_kill_9_loses_no_acknowledged_entry_and_appends_nothing_twice(
    service: Service,
    issuers: dict[str, kit.Issuer],
    db_url_and_engine: tuple[str, Engine],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = db_url_and_engine[0]
    file = tmp_path / "bulk.jsonl"
    lines = bulk_file(file, service, issuers)
    distinct = {s.model_dump_json() for s in lines}
    settings = Settings.load(db=url, home=tmp_path)
    rng = random.Random(SEED)
    acknowledged: Acknowledged = {}
    kills: list[str] = []

    # 1. Kill KILLS runs at random moments; after each, check and audit.
    for n in range(KILLS):
        kill = (rng.randint(*KILL_AFTER_APPENDED), rng.uniform(*KILL_DELAY_S))
        started = time.monotonic()
        run = submit(file, tmp_path, url, tmp_path / f"run-{n}.out", kill)
        assert run.killed, f"run {n} ended before its kill: make the file longer"
        assert run.returncode == -signal.SIGKILL
        ran_s = time.monotonic() - started
        record(acknowledged, run)
        tree_size = check_acknowledged(settings, lines, acknowledged)
        entries = len(set(acknowledged.values()))
        assert entries <= tree_size
        kills.append(
            f"{len(acknowledged)} lines acknowledged ({entries} entries), "
            f"log size {tree_size}; run {ran_s:.1f} s, "
            f"check {time.monotonic() - started - ran_s:.1f} s"
        )

    # 2. Run to completion: each distinct event exactly once.
    run = submit(file, tmp_path, url, tmp_path / "final.out", None)
    assert run.returncode == 0, (tmp_path / "final.err").read_text()
    assert [r["line"] for r in run.reports] == list(range(1, len(lines) + 1))
    record(acknowledged, run)
    indexes = {log_index for log_index, _ in acknowledged.values()}
    assert indexes == set(range(len(distinct)))
    assert check_acknowledged(settings, lines, acknowledged) == len(distinct)
    assert service.log.size() == len(distinct)

    with capsys.disabled():
        print("", *(f"kill {n + 1}: {k}" for n, k in enumerate(kills)), sep="\n")

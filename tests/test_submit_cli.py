"""`skillpass submit` as a separate process, on a database prepared in-process.

The exit codes are those a shell sees; the report lines are checked against
what the log holds afterwards.
"""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from passport.service import Service
from schemas.events import SignedEvent
from tests import kit
from tests.conftest import PASSPHRASE

FIXTURE_ENTRIES = 4
"""Entries the ``worker`` fixture appends before each test."""


def submit_command(home: Path, db_url: str, *args: str) -> list[str]:
    """``skillpass submit`` on the test's keys and database."""
    command = [sys.executable, "-m", "passport", "submit", "--home", str(home)]
    return [*command, "--db", db_url, *args]


def skillpass_submit(
    home: Path, db_url: str, *args: str
) -> subprocess.CompletedProcess[str]:
    """Run ``skillpass submit`` to its end."""
    return subprocess.run(
        submit_command(home, db_url, *args),
        capture_output=True,
        text=True,
        env=dict(os.environ, SKILLPASS_KEY_PASSPHRASE=PASSPHRASE, COLUMNS="200"),
        timeout=120,
        check=False,
    )


def write_jsonl(path: Path, lines: Sequence[SignedEvent | str]) -> Path:
    """One line per item: a signed event as the API takes it, or raw text."""
    path.write_text(
        "".join(
            (line if isinstance(line, str) else line.model_dump_json()) + "\n"
            for line in lines
        ),
        encoding="utf-8",
    )
    return path


def reports(completed: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
    """The report lines printed on stdout."""
    return [json.loads(line) for line in completed.stdout.splitlines()]


def enrolments(
    issuers: dict[str, kit.Issuer], worker: str, count: int
) -> list[SignedEvent]:
    """Signed enrolments with distinct refs for ``worker``."""
    train = issuers["train"]
    return [
        train.sign(kit.enrolment(worker, "train-001", f"B-{n}")) for n in range(count)
    ]


def assert_in_log(service: Service, report: dict[str, Any], event: SignedEvent) -> None:
    """The reported index holds exactly this event, with the reported leaf hash."""
    entry = service.log.entry(report["log_index"])
    assert entry.leaf_hash.hex() == report["leaf_hash"]
    assert entry.event == event.event
    assert entry.signature == event.signature.value


@pytest.mark.parametrize("batch", ["2", "500"])
def test_appends_and_a_rerun_appends_nothing_twice(
    service: Service,
    issuers: dict[str, kit.Issuer],
    worker: str,
    db_url_and_engine: tuple[str, Engine],
    tmp_path: Path,
    batch: str,
) -> None:
    events = enrolments(issuers, worker, 5)
    file = write_jsonl(tmp_path / "events.jsonl", events)

    first = skillpass_submit(
        tmp_path, db_url_and_engine[0], str(file), "--batch", batch
    )
    assert first.returncode == 0, first.stderr
    appended = reports(first)
    assert [r["line"] for r in appended] == [1, 2, 3, 4, 5]
    assert {r["status"] for r in appended} == {"appended"}
    assert [r["log_index"] for r in appended] == list(range(4, 9))
    for report, event in zip(appended, events, strict=True):
        assert report["reason"] is None
        assert_in_log(service, report, event)
    assert first.stderr.startswith("已追加 appended 5,")
    assert "submitting" not in first.stderr  # no bar: stderr is not a terminal

    again = skillpass_submit(
        tmp_path, db_url_and_engine[0], str(file), "--batch", batch
    )
    assert again.returncode == 0, again.stderr
    duplicates = reports(again)
    assert {r["status"] for r in duplicates} == {"duplicate"}
    assert [(r["log_index"], r["leaf_hash"]) for r in duplicates] == [
        (r["log_index"], r["leaf_hash"]) for r in appended
    ]
    assert service.log.size() == FIXTURE_ENTRIES + len(events)


def test_refusals_are_reported_by_line_and_the_rest_appended(
    service: Service,
    issuers: dict[str, kit.Issuer],
    worker: str,
    db_url_and_engine: tuple[str, Engine],
    tmp_path: Path,
) -> None:
    good, forged_source, second_good = enrolments(issuers, worker, 3)
    other = issuers["train"].sign(kit.enrolment(worker, "train-001", "B-other"))
    # The signature of another event: the key is right, the bytes are not.
    forged = SignedEvent(event=forged_source.event, signature=other.signature)
    stranger = issuers["train"].sign(kit.enrolment("c" * 32, "train-001", "B-9"))
    file = write_jsonl(
        tmp_path / "events.jsonl",
        [
            good,
            forged,
            '{"event": {"kind": "training.enrolled"',
            '{"event": {}}',
            "",
            stranger,
            second_good,
        ],
    )

    completed = skillpass_submit(tmp_path, db_url_and_engine[0], str(file))
    assert completed.returncode == 1, completed.stderr
    by_line = {r["line"]: r for r in reports(completed)}
    assert sorted(by_line) == [1, 2, 3, 4, 6, 7]
    assert by_line[2]["status"] == "refused"
    assert by_line[2]["reason"] == "bad_signature"
    assert by_line[2]["log_index"] is None
    assert by_line[3]["reason"] == by_line[4]["reason"] == "malformed"
    assert by_line[3]["detail"].startswith("line 3: not JSON")
    assert by_line[4]["detail"] == "line 4: signature: Field required"
    assert by_line[6]["reason"] == "unknown_worker"
    assert "refused 4" in completed.stderr

    assert [by_line[n]["status"] for n in (1, 7)] == ["appended", "appended"]
    assert_in_log(service, by_line[1], good)
    assert_in_log(service, by_line[7], second_good)
    assert service.log.size() == FIXTURE_ENTRIES + 2
    assert service.audit().tree_size == FIXTURE_ENTRIES + 2


def test_usage_errors_exit_2_and_write_nothing(
    service: Service,
    issuers: dict[str, kit.Issuer],
    worker: str,
    db_url_and_engine: tuple[str, Engine],
    tmp_path: Path,
) -> None:
    url = db_url_and_engine[0]
    file = write_jsonl(tmp_path / "events.jsonl", enrolments(issuers, worker, 2))
    missing = tmp_path / "missing.jsonl"
    no_keys = tmp_path / "elsewhere"
    no_keys.mkdir()

    cases = {
        "missing.jsonl: No such file or directory": skillpass_submit(
            tmp_path, url, str(missing)
        ),
        f"keys: none in {no_keys / 'keys'}": skillpass_submit(no_keys, url, str(file)),
        "expected at least 1, got 0": skillpass_submit(
            tmp_path, url, str(file), "--batch", "0"
        ),
    }
    for message, completed in cases.items():
        assert completed.returncode == 2, completed.stderr
        assert message in completed.stderr
        assert completed.stdout == ""
    assert service.log.size() == FIXTURE_ENTRIES


def test_progress_bar_when_stderr_is_a_terminal(
    service: Service,
    issuers: dict[str, kit.Issuer],
    worker: str,
    db_url_and_engine: tuple[str, Engine],
    tmp_path: Path,
) -> None:
    file = write_jsonl(tmp_path / "events.jsonl", enrolments(issuers, worker, 3))
    env = dict(os.environ, SKILLPASS_KEY_PASSPHRASE=PASSPHRASE)
    terminal, stderr = pty.openpty()
    with (tmp_path / "out.jsonl").open("wb") as stdout:
        process = subprocess.Popen(
            submit_command(tmp_path, db_url_and_engine[0], str(file)),
            stdout=stdout,
            stderr=stderr,
            env=env,
        )
    os.close(stderr)
    shown = b""
    # The terminal reports EIO once the process has closed its end.
    while chunk := _read(terminal):
        shown += chunk
    os.close(terminal)
    assert process.wait(timeout=120) == 0

    assert "提交 submitting" in shown.decode()
    lines = (tmp_path / "out.jsonl").read_text().splitlines()
    assert [json.loads(line)["status"] for line in lines] == ["appended"] * 3


def _read(terminal: int) -> bytes:
    try:
        return os.read(terminal, 4096)
    except OSError:
        return b""


def test_dash_reads_standard_input(
    service: Service,
    issuers: dict[str, kit.Issuer],
    worker: str,
    db_url_and_engine: tuple[str, Engine],
    tmp_path: Path,
) -> None:
    events = enrolments(issuers, worker, 3)
    text = write_jsonl(tmp_path / "events.jsonl", events).read_text("utf-8")
    completed = subprocess.run(
        submit_command(tmp_path, db_url_and_engine[0], "-"),
        input=text,
        capture_output=True,
        text=True,
        env=dict(os.environ, SKILLPASS_KEY_PASSPHRASE=PASSPHRASE),
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert [(r["line"], r["status"]) for r in reports(completed)] == [
        (1, "appended"),
        (2, "appended"),
        (3, "appended"),
    ]
    assert (
        completed.stderr == "已追加 appended 3, 已存在 duplicate 0, 被拒绝 refused 0\n"
    )
    assert service.log.size() == FIXTURE_ENTRIES + 3


def test_a_reader_gone_early_leaves_the_exit_code_and_the_log_whole(
    service: Service,
    issuers: dict[str, kit.Issuer],
    worker: str,
    db_url_and_engine: tuple[str, Engine],
    tmp_path: Path,
) -> None:
    file = write_jsonl(tmp_path / "events.jsonl", enrolments(issuers, worker, 3))
    with subprocess.Popen(
        submit_command(tmp_path, db_url_and_engine[0], str(file)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=dict(os.environ, SKILLPASS_KEY_PASSPHRASE=PASSPHRASE),
    ) as process:
        assert process.stdout is not None and process.stderr is not None
        process.stdout.close()  # as `| head -0` would, before anything is printed
        stderr = process.stderr.read().decode()
        assert process.wait(timeout=120) == 0
    assert stderr == "已追加 appended 3, 已存在 duplicate 0, 被拒绝 refused 0\n"
    assert service.log.size() == FIXTURE_ENTRIES + 3

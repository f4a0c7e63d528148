"""Opening a home and a database from the CLI: init creates, others refuse clearly.

`skillpass init` creates a missing home; every other command stops with one
line naming the path, exit 2, and leaves nothing behind. A bad database URL
is a usage error too.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from passport.cli.main import app
from passport.issuance import issue_passport
from passport.service import Service
from tests.conftest import PASSPHRASE

WORKER = "0" * 32

COMMANDS = [
    ["audit"],
    ["guidance", WORKER],
    ["passport", "issue", WORKER, "--out", "p.pdf"],
    ["worker", "erase", WORKER, "--reason", "PIPL"],
    ["trust-list", "export", "t.json"],
]


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A home that `skillpass init` made, in folders that did not exist."""
    home = tmp_path_factory.mktemp("cli-home") / "a" / "b" / ".skillpass"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("SKILLPASS_KEY_PASSPHRASE", PASSPHRASE)
        result = CliRunner().invoke(app, ["init", "--home", str(home)])
    assert result.exit_code == 0, result.output
    yield home


def _run(args: list[str]) -> tuple[int, str]:
    env = {"SKILLPASS_KEY_PASSPHRASE": PASSPHRASE, "SKILLPASS_DB": ""}
    result = CliRunner(env=env).invoke(app, args)
    return result.exit_code, result.stderr


def test_init_creates_a_missing_home(home: Path) -> None:
    assert sorted(os.listdir(home)) == ["keys", "skillpass.db"]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_missing_home_is_one_line_naming_it(command: list[str], tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    code, stderr = _run([*command, "--home", str(missing)])
    assert (code, stderr) == (
        2,
        f"error: home: {missing} does not exist; create it with `skillpass init`\n",
    )
    assert not missing.exists()


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_home_without_keys_gets_no_database(command: list[str], tmp_path: Path) -> None:
    code, stderr = _run([*command, "--home", str(tmp_path)])
    assert (code, stderr) == (
        2,
        f"error: keys: none in {tmp_path / 'keys'}; "
        "create them with `skillpass init`\n",
    )
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            "bogus://x",
            "database URL: bogus://x: no database driver named 'bogus'; "
            "expected sqlite:///PATH or postgresql://USER@HOST/DB",
        ),
        (
            "no-url-at-all",
            "database URL: not a URL (--db or SKILLPASS_DB); "
            "expected sqlite:///PATH or postgresql://USER@HOST/DB",
        ),
        (
            "postgresql://someone:secret@127.0.0.1:1/db",
            "database: cannot open postgresql://someone:***@127.0.0.1:1/db: "
            "the server cannot be reached or refused the login",
        ),
        (
            "sqlite:///{home}/nowhere/x.db",
            "database: {home}/nowhere does not exist; create it with `skillpass init`",
        ),
        (
            "sqlite:///{home}/keys",
            "database: cannot open sqlite:///{home}/keys: "
            "the file cannot be opened or is not a SQLite database",
        ),
    ],
    ids=["driver", "not-a-url", "unreachable", "no-folder", "not-a-file"],
)
def test_bad_database_url_is_a_usage_error(home: Path, url: str, message: str) -> None:
    code, stderr = _run(["audit", "--home", str(home), "--db", url.format(home=home)])
    assert (code, stderr) == (2, f"error: {message.format(home=home)}\n")


def test_not_a_database_file_is_named(home: Path, tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database\n" * 64)
    code, stderr = _run(["audit", "--home", str(home), "--db", f"sqlite:///{junk}"])
    assert (code, stderr) == (
        2,
        f"error: database: cannot open sqlite:///{junk}: "
        "the file cannot be opened or is not a SQLite database\n",
    )
    assert junk.read_bytes() == b"this is not a database\n" * 64


def test_verify_into_a_closed_pipe_still_answers_with_its_exit_code(
    service: Service, worker: str, tmp_path: Path
) -> None:
    passport, trust_list = tmp_path / "p.pdf", tmp_path / "trust.json"
    with passport.open("wb") as out:
        issue_passport(service, worker, out=out)
    service.export_trust_list(trust_list)
    command = [sys.executable, "-m", "passport", "verify"]
    with subprocess.Popen(
        [*command, "--trust-list", str(trust_list), str(passport)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as process:
        assert process.stdout is not None and process.stderr is not None
        process.stdout.close()  # as `| head -0` would, before anything is printed
        assert (process.stderr.read(), process.wait(timeout=60)) == (b"", 0)


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"junk\n", "note: no blank line before the signatures"),
        (b"\xff\xfe\n\n", "note: not UTF-8 at byte 0"),
    ],
)
def test_audit_with_a_garbled_checkpoint_file_is_a_usage_error(
    home: Path, tmp_path: Path, content: bytes, problem: str
) -> None:
    garbled = tmp_path / "seen.txt"
    garbled.write_bytes(content)
    code, stderr = _run(["audit", "--home", str(home), "--checkpoint", str(garbled)])
    assert (code, stderr) == (
        2,
        f"error: --checkpoint {garbled}: not a signed checkpoint: {problem}\n",
    )

"""The server's log holds no worker-link token and no ID number."""

from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from passport.service import Service
from passport.web.logs import redact
from passport.worker_links import create_link
from tests.conftest import ID_NUMBER, PASSPHRASE

TOKEN = "dl2tYoyy1JV6bqWdplN3sVQAeQ_o3oyiHqDVkvQAbhA"


@pytest.mark.parametrize(
    ("line", "redacted"),
    [
        (f'"GET /w/{TOKEN} HTTP/1.1" 200', '"GET /w/<redacted> HTTP/1.1" 200'),
        (f"POST /w/{TOKEN}/passport", "POST /w/<redacted>/passport"),
        (
            "GET /api/v1/workers/110101199003074573/verifications",
            "GET /api/v1/workers/<redacted>/verifications",
        ),
        ("/api/v1/workers/11010119900307457X", "/api/v1/workers/<redacted>"),
        ("/api/v1/workers/11010119900307457", "/api/v1/workers/<redacted>"),
        ("?id=110101900307457&x=1", "?id=<redacted>&x=1"),
        # a pseudonymous worker id, log indexes and sizes stay readable
        ("/api/v1/workers/0123456789abcdef0123456789abcdef", None),
        ("/api/v1/log/entries/1234567890123", None),
        ("/api/v1/log/positions/1101011990030745731", None),
    ],
)
def test_redact(line: str, redacted: str | None) -> None:
    assert redact(line) == (line if redacted is None else redacted)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def test_served_requests_log_no_token_nor_id_number(
    service: Service, worker: str, tmp_path: Path
) -> None:
    token, _ = create_link(service, worker, days=7, now=time_now())
    port = _free_port()
    skillpass = Path(sys.executable).with_name("skillpass")
    command = [str(skillpass), "serve", "--port", str(port)]
    command += ["--home", str(tmp_path), "--db", service.settings.db_url]
    env = {**os.environ, "SKILLPASS_KEY_PASSPHRASE": PASSPHRASE}
    out, err = tmp_path / "out.txt", tmp_path / "err.txt"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        server = subprocess.Popen(command, stdout=stdout, stderr=stderr, env=env)
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 30
            while True:
                try:
                    _status(f"{base}/api/v1/trust-list")
                    break
                except OSError:
                    assert time.monotonic() < deadline, err.read_text()
                    time.sleep(0.2)
            assert _status(f"{base}/w/{token}") == 200
            assert _status(f"{base}/api/v1/workers/{ID_NUMBER}/verifications") == 422
        finally:
            server.send_signal(signal.SIGINT)
            server.wait(timeout=30)
    log = out.read_text() + err.read_text()
    assert token not in log and ID_NUMBER not in log
    requests = [line.split(" - ", 1)[1] for line in log.splitlines() if " - " in line]
    assert requests[-2:] == [
        '"GET /w/<redacted> HTTP/1.1" 200 OK',
        '"GET /api/v1/workers/<redacted>/verifications HTTP/1.1" '
        "422 Unprocessable Entity",
    ]


def time_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)

"""Sixteen HTTP writers at once against a real server process, on both engines.

The log must stay strictly linear and every worker chain unforked; no
request may fail with a 500 or "database is locked"; a busy log may answer
503 with Retry-After, and the writer then retries.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx2
import pytest
from sqlalchemy import Engine, select

from ledger.store.tables import EntryRow
from passport.service import Service
from schemas.identifiers import id_check_char
from tests import kit
from tests.conftest import PASSPHRASE

WRITERS = 16
EVENTS_EACH = 8
# valid GB 11643 numbers, one per writer: 110105 19900101 order 001..016
ID_NUMBERS = [
    first17 + id_check_char(first17)
    for first17 in (f"11010519900101{n:03d}" for n in range(1, WRITERS + 1))
]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def server(
    service: Service,
    issuers: dict[str, kit.Issuer],
    db_url_and_engine: tuple[str, Engine],
    tmp_path: Path,
) -> Iterator[str]:
    """``skillpass serve`` in its own process on the test's database."""
    port = _free_port()
    env = dict(
        os.environ,
        SKILLPASS_HOME=str(tmp_path),
        SKILLPASS_DB=db_url_and_engine[0],
        SKILLPASS_KEY_PASSPHRASE=PASSPHRASE,
    )
    log = (tmp_path / "server.log").open("w")
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
                    raise RuntimeError((tmp_path / "server.log").read_text()) from None
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()
    assert "Traceback" not in (tmp_path / "server.log").read_text()


def _post(client: httpx2.Client, path: str, body: object) -> httpx2.Response:
    """POST, waiting out 503s as their Retry-After asks; anything else returns."""
    while True:
        response = client.post(path, json=body, timeout=60)
        if response.status_code != 503:
            return response
        assert response.headers["Retry-After"] == "1"
        time.sleep(0.05)


def _write(
    base: str, token: str, worker: str, issuer: kit.Issuer, refs: range
) -> list[int]:
    headers = {"Authorization": f"Bearer {token}"}
    with httpx2.Client(base_url=base, headers=headers) as client:
        codes = []
        for n in refs:
            signed = issuer.sign(kit.enrolment(worker, "train-001", f"C-{n}"))
            response = _post(client, "/api/v1/events", signed.model_dump(mode="json"))
            codes.append(response.status_code)
        return codes


def _register(base: str, token: str) -> list[str]:
    headers = {"Authorization": f"Bearer {token}"}
    with httpx2.Client(base_url=base, headers=headers) as client:
        responses = [
            _post(client, "/api/v1/workers", {"id_number": n, "name": f"工{i}号"})
            for i, n in enumerate(ID_NUMBERS)
        ]
    assert all(r.status_code == 201 for r in responses)
    return [r.json()["worker_id"] for r in responses]


def _assert_linear(service: Service, total: int) -> None:
    assert service.log.size() == total
    report = service.audit()
    assert report.tree_size == total
    with service.engine.connect() as connection:
        rows = connection.execute(
            select(EntryRow.worker_id, EntryRow.worker_seq).order_by(EntryRow.log_index)
        ).all()
    seen: dict[str, int] = {}
    for worker, seq in rows:
        assert seq == seen.get(worker, -1) + 1
        seen[worker] = seq


@pytest.mark.slow
def test_sixteen_writers_for_different_workers(
    server: str, service: Service, issuers: dict[str, kit.Issuer], authority_token: str
) -> None:
    workers = _register(server, authority_token)
    train = issuers["train"]
    with ThreadPoolExecutor(WRITERS) as pool:
        results = list(
            pool.map(
                lambda w: _write(server, authority_token, w, train, range(EVENTS_EACH)),
                workers,
            )
        )
    assert all(code == 201 for codes in results for code in codes)
    _assert_linear(service, WRITERS * EVENTS_EACH)


@pytest.mark.slow
def test_sixteen_writers_for_the_same_worker(
    server: str, service: Service, issuers: dict[str, kit.Issuer], authority_token: str
) -> None:
    [worker, *_] = _register(server, authority_token)
    train = issuers["train"]
    with ThreadPoolExecutor(WRITERS) as pool:
        results = list(
            pool.map(
                lambda n: _write(
                    server,
                    authority_token,
                    worker,
                    train,
                    range(n * EVENTS_EACH, (n + 1) * EVENTS_EACH),
                ),
                range(WRITERS),
            )
        )
    assert all(code == 201 for codes in results for code in codes)
    _assert_linear(service, WRITERS * EVENTS_EACH)
    again = _write(server, authority_token, worker, train, range(3))
    assert again == [200, 200, 200]

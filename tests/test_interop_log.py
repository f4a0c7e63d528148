"""An independent RFC 9162 verifier checks the checkpoints and proofs the API serves.

The verifier is ``tests/interop/rfc9162check``, a small Go program on the Go
project's transparency-log packages ``golang.org/x/mod/sumdb/note`` and
``sumdb/tlog`` (Debian's golang-golang-x-mod-dev 0.7.0), which share no code
with skillpass. It accepts a checkpoint only as a signed note under the log
key from the trust list, computes each leaf hash itself from the leaf data,
and checks each proof against the root of an accepted checkpoint of the
proof's tree size: roots never come from the test.

CI runs ``.ci/install-interop`` and sets ``SKILLPASS_REQUIRE_INTEROP``; a
missing verifier then fails the tests. On a machine without PostgreSQL
settings and without the verifier they are skipped with the reason.
"""

from __future__ import annotations

import base64
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import pytest
import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine

from ledger.log import utc_now
from ledger.note import NoteSigner
from ledger.shards import period_of, shard_origin
from passport.service import Service
from schemas.events import SignedEvent
from tests import kit
from tests.conftest import PASSPHRASE

CHECKER_SOURCE = Path(__file__).parent / "interop" / "rfc9162check"
# Where Debian's golang-golang-x-mod-dev puts the sources; go.mod points here.
X_MOD = Path("/usr/share/gocode/src/golang.org/x/mod")
INSTALL_HINT = "install it with .ci/install-interop"

LEDGER_SIZE = 100_000
BATCH = 2_500
WORKERS = 8_000
RANDOM_CHECKPOINTS = 60
INCLUSION_SAMPLE = 5_000
CONSISTENCY_SAMPLE = 5_000
# What golang.org/x/mod/sumdb/tlog says of a proof that does not check.
BAD = "invalid transparency proof"

Request = dict[str, Any]
"""One request to the verifier, as JSON."""


@dataclass(frozen=True)
class Checker:
    """The built Go verifier, run once per batch of requests."""

    program: Path

    def run(self, requests: list[Request], *, vkey: str, origin: str) -> list[Any]:
        """Send ``requests`` to one process; its answers, in the same order."""
        result = subprocess.run(
            [str(self.program), "-vkey", vkey, "-origin", origin],
            input="\n".join(json.dumps(r) for r in requests),
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        answers = [json.loads(line) for line in result.stdout.splitlines()]
        assert len(answers) == len(requests)
        return answers


def _missing_tool() -> str | None:
    if shutil.which("go") is None:
        return "go is not installed (Debian package golang-go)"
    if not (X_MOD / "sumdb" / "tlog" / "tlog.go").is_file():
        return f"{X_MOD} is missing (Debian package golang-golang-x-mod-dev)"
    return None


@pytest.fixture(scope="session")
def checker(tmp_path_factory: pytest.TempPathFactory) -> Checker:
    """The Go verifier, built once per session with no download."""
    missing = _missing_tool()
    if missing is not None:
        reason = f"independent RFC 9162 verifier: {missing}; {INSTALL_HINT}"
        if os.environ.get("SKILLPASS_REQUIRE_INTEROP") or os.environ.get(
            "SKILLPASS_TEST_PG"
        ):
            pytest.fail(reason)
        pytest.skip(reason)
    out = tmp_path_factory.mktemp("interop")
    env = {**os.environ, "GOPROXY": "off", "GOFLAGS": "-mod=readonly"}
    env.setdefault("GOTOOLCHAIN", "local")
    # Go needs a build cache; CI may run without HOME.
    if not any(env.get(name) for name in ("GOCACHE", "HOME", "XDG_CACHE_HOME")):
        env["GOCACHE"] = str(out / "gocache")
    build = subprocess.run(
        ["go", "build", "-o", str(out / "rfc9162check"), "."],
        cwd=CHECKER_SOURCE,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if build.returncode != 0:
        pytest.fail(f"independent RFC 9162 verifier: go build: {build.stderr}")
    return Checker(out / "rfc9162check")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def server(
    service: Service,
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


def _log_key(client: httpx2.Client) -> dict[str, str]:
    """The note verifier key the trust list gives, and this year's shard origin."""
    log = _get(client, "/api/v1/trust-list")["trust_list"]["log"]
    origin = shard_origin(log["origin"], period_of(utc_now()))
    return {"vkey": log["verifier_key"], "origin": origin}


def _get(client: httpx2.Client, path: str, **params: int) -> Any:
    response = client.get(path, params=params, timeout=60)
    assert response.status_code == 200, response.text
    return response.json()


def _checkpoint(client: httpx2.Client) -> str:
    response = client.get("/api/v1/log/checkpoint", timeout=60)
    assert response.status_code == 200, response.text
    return response.text


def _inclusion(client: httpx2.Client, log_index: int, tree_size: int) -> Request:
    """An inclusion request: the served proof and the served entry's leaf data."""
    entry = _get(client, f"/api/v1/log/entries/{log_index}")
    proof = _get(
        client, "/api/v1/log/proof/inclusion", index=log_index, tree_size=tree_size
    )
    leaf_data = base64.b64encode(rfc8785.dumps(entry)).decode()
    return {"inclusion": {**proof, "leaf_data": leaf_data}}


def _consistency(client: httpx2.Client, first: int, second: int) -> Request:
    proof = _get(client, "/api/v1/log/proof/consistency", first=first, second=second)
    return {"consistency": proof}


def _flip(b64: str) -> str:
    raw = bytearray(base64.b64decode(b64))
    raw[0] ^= 1
    return base64.b64encode(bytes(raw)).decode()


def _append(
    service: Service, issuers: dict[str, kit.Issuer], start: int, end: int
) -> None:
    """Append entries ``start`` to ``end - 1`` in one batch through Log.append."""
    train, evaluator = issuers["train"], issuers["eval"]
    batch: list[SignedEvent] = []
    for n in range(start, end):
        worker_id = f"{n % WORKERS:032x}"
        if n % 2:
            batch.append(
                evaluator.sign(kit.certificate(worker_id, "eval-001", f"C{n}"))
            )
        else:
            batch.append(train.sign(kit.enrolment(worker_id, "train-001", f"T{n}")))
    outcomes = service.log.append(batch, service.policy())
    not_appended = [o for o in outcomes if o.entry is None or o.duplicate]
    assert not not_appended, not_appended[:3]


def test_independent_verifier_refuses_what_does_not_check(
    checker: Checker, server: str, service: Service, issuers: dict[str, kit.Issuer]
) -> None:
    with httpx2.Client(base_url=server) as client:
        key = _log_key(client)
        _append(service, issuers, 0, 3)
        at_3 = _checkpoint(client)
        _append(service, issuers, 3, 7)
        at_7 = _checkpoint(client)
        good = _inclusion(client, 5, 7)["inclusion"]
        other_leaf = _inclusion(client, 4, 7)["inclusion"]["leaf_data"]
        proof = _consistency(client, 3, 7)["consistency"]
    body = at_7.partition("\n\n")[0]
    origin, size, root = body.splitlines()
    stranger = NoteSigner(key["vkey"].split("+")[0], Ed25519PrivateKey.generate())

    cases: list[tuple[Request, str | None]] = [
        ({"checkpoint": at_3}, None),
        ({"checkpoint": at_7}, None),
        ({"inclusion": good}, None),
        ({"consistency": proof}, None),
        ({"checkpoint": at_7.replace(f"\n{size}\n", "\n8\n")}, "invalid signature"),
        ({"checkpoint": stranger.sign(f"{body}\n")}, "no verifiable signatures"),
        ({"checkpoint": at_7.replace(origin, "x" + origin, 1)}, "invalid signature"),
        ({"inclusion": {**good, "hashes": [_flip(good["hashes"][0])]}}, BAD),
        ({"inclusion": {**good, "hashes": good["hashes"][:-1]}}, BAD),
        ({"inclusion": {**good, "log_index": 6}}, BAD),
        ({"inclusion": {**good, "leaf_data": other_leaf}}, "leaf_hash"),
        ({"inclusion": {**good, "tree_size": 6}}, "no accepted checkpoint"),
        ({"consistency": {**proof, "hashes": proof["hashes"][1:]}}, BAD),
        ({"consistency": {**proof, "first": 7, "second": 3}}, "invalid inputs"),
        ({"consistency": {**proof, "hashes": [_flip(proof["hashes"][0])]}}, BAD),
    ]
    answers = checker.run([request for request, _ in cases], **key)

    assert answers[1]["tree_size"] == 7 and answers[1]["root_hash"] == root
    for (request, error), answer in zip(cases, answers, strict=True):
        if error is None:
            assert answer["ok"], (request, answer)
        else:
            assert not answer["ok"] and error in answer["error"], (request, answer)
    wrong_origin = checker.run([{"checkpoint": at_7}], vkey=key["vkey"], origin="x")
    assert "origin" in wrong_origin[0]["error"]


def _checkpoint_sizes(rng: random.Random) -> list[int]:
    """Sizes to stop at: RFC 9162's edge cases, every BATCH entries, and random."""
    sizes = {1, 2, 3, LEDGER_SIZE}
    for k in range(1, LEDGER_SIZE.bit_length()):
        sizes |= {2**k - 1, 2**k, 2**k + 1}
    sizes |= set(range(BATCH, LEDGER_SIZE, BATCH))
    sizes |= set(rng.sample(range(1, LEDGER_SIZE), RANDOM_CHECKPOINTS))
    return sorted(sizes)


def _inclusion_pairs(sizes: list[int], rng: random.Random) -> set[tuple[int, int]]:
    """(log_index, tree_size): first and last leaf of each size, then random."""
    pairs = {(0, n) for n in sizes} | {(n - 1, n) for n in sizes}
    for k in range(LEDGER_SIZE.bit_length()):
        pairs |= {(i, LEDGER_SIZE) for i in (2**k - 1, 2**k) if i < LEDGER_SIZE}
    while len(pairs) < INCLUSION_SAMPLE:
        n = rng.choice(sizes)
        pairs.add((rng.randrange(n), n))
    return pairs


def _consistency_pairs(sizes: list[int], rng: random.Random) -> set[tuple[int, int]]:
    """(first, second): equal sizes, from 1, to the whole log, then random."""
    pairs = {(n, n) for n in sizes} | {(1, n) for n in sizes}
    pairs |= {(m, LEDGER_SIZE) for m in sizes}
    while len(pairs) < CONSISTENCY_SAMPLE:
        first, second = sorted(rng.sample(sizes, 2))
        pairs.add((first, second))
    return pairs


def _proofs_up_to(
    base: str,
    tree_size: int,
    inclusion: list[tuple[int, int]],
    consistency: list[tuple[int, int]],
) -> list[Request]:
    """The served proofs whose largest tree size is ``tree_size``."""
    with httpx2.Client(base_url=base) as client:
        requests = [_inclusion(client, i, n) for i, n in inclusion if n == tree_size]
        requests += [
            _consistency(client, m, n) for m, n in consistency if n == tree_size
        ]
    return requests


@pytest.mark.slow
@pytest.mark.parametrize("db_url_and_engine", ["sqlite"], indirect=True)
def test_independent_verifier_accepts_every_served_proof(
    checker: Checker, server: str, service: Service, issuers: dict[str, kit.Issuer]
) -> None:
    rng = random.Random(9162)
    sizes = _checkpoint_sizes(rng)
    inclusion = sorted(_inclusion_pairs(sizes, rng))
    consistency = sorted(_consistency_pairs(sizes, rng))

    # 1. Grow the log batch by batch and take the served checkpoint at each
    #    size; meanwhile the server, in its own process, answers the proofs
    #    whose sizes the log has already reached, which stay valid for ever.
    checkpoints: list[Request] = []
    proofs: list[Future[list[Request]]] = []
    with httpx2.Client(base_url=server) as client, ThreadPoolExecutor(2) as pool:
        key = _log_key(client)
        start = 0
        for end in sizes:
            _append(service, issuers, start, end)
            checkpoints.append({"checkpoint": _checkpoint(client)})
            proofs.append(
                pool.submit(_proofs_up_to, server, end, inclusion, consistency)
            )
            start = end
        requests = checkpoints + [r for future in proofs for r in future.result()]

    # 2. The independent verifier accepts every checkpoint and every proof.
    answers = checker.run(requests, **key)
    refused = [(r, a) for r, a in zip(requests, answers, strict=True) if not a["ok"]]
    assert not refused, refused[:3]
    assert [a["tree_size"] for a in answers[: len(sizes)]] == sizes
    assert len(requests) == len(sizes) + len(inclusion) + len(consistency)

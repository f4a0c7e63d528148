"""Watching a log from outside: every checkpoint it serves must extend the last.

A Monitor keeps the last checkpoint it verified in a state file. Each check
fetches the log's checkpoint and, when the log grew, the consistency proof
from the stored size; both are verified against the trust list
(``verify.log``) before the state moves on. A rollback or a fork leaves the
state as it was and saves both signed checkpoints beside it as evidence.

The log is sharded by year (``ledger/shards.py``). When the served
checkpoint is of a newer shard, the monitor first checks that the stored
shard's final checkpoint extends the stored one, then follows the new
shard; a checkpoint of an older shard than the stored one is a rollback.

::

    MonitorError        the monitor cannot do its job (state file, URL)
    └── LogUnavailable  the log gave no answer that can be verified
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import os
import re
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from ledger.checkpoint import Checkpoint
from ledger.merkle import HASH_SIZE
from ledger.shards import period_of_origin
from schemas.trust import TrustList
from verify.errors import LogInconsistent, VerificationError
from verify.log import check_consistency, open_log_checkpoint

CHECKPOINT_PATH = "/api/v1/log/checkpoint"
CONSISTENCY_PATH = "/api/v1/log/proof/consistency"
TIMEOUT = 10.0
MAX_BODY = 1 << 20
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


class MonitorError(Exception):
    """The monitor cannot do its job: a bad URL or an unusable state file."""


class LogUnavailable(MonitorError):
    """The log gave no verifiable answer: unreachable, HTTP error, bad body."""


class Status(StrEnum):
    """What one check found."""

    FIRST_USE = "first_use"
    UNCHANGED = "unchanged"
    GREW = "grew"
    ROLLBACK = "rollback"
    FORK = "fork"


@dataclass(frozen=True)
class Observation:
    """The outcome of one check, with the signed notes behind it."""

    status: Status
    served: Checkpoint
    served_note: str
    stored: Checkpoint | None = None
    stored_note: str | None = None
    detail: str = ""
    evidence: tuple[Path, ...] = ()

    @property
    def consistent(self) -> bool:
        """Whether the log only grew (or was seen for the first time)."""
        return self.status not in (Status.ROLLBACK, Status.FORK)


def default_state(home: Path, origin: str) -> Path:
    """``HOME/monitor/<origin>.checkpoint``, the origin made a safe file name."""
    return home / "monitor" / f"{_UNSAFE.sub('_', origin)}.checkpoint"


def base_url(url: str) -> str:
    """An http(s) URL without a final slash; raise MonitorError otherwise."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise MonitorError(f"url: {url!r} is not an http:// or https:// URL")
    return url.rstrip("/")


class Monitor:
    """Checks one log, keeping the last verified checkpoint in ``state``."""

    def __init__(
        self,
        url: str,
        trust_list: TrustList,
        state: Path,
        *,
        timeout: float = TIMEOUT,
    ) -> None:
        self.url = base_url(url)
        self.trust_list = trust_list
        self.state = state
        self.timeout = timeout

    def check(self) -> Observation:
        """Fetch and verify the log's checkpoint against the stored one.

        1. Read the stored checkpoint, if any, and verify it again.
        2. Fetch the served checkpoint and verify it against the trust list.
        3. With nothing stored, trust it on first use and store it.
        4. If the log grew, fetch the consistency proof from the stored size
           (none from size 0, which every tree extends).
        5. Check consistency; a rollback or a fork keeps the stored
           checkpoint and saves both as evidence beside it.
        6. If the log grew, store the served checkpoint.

        When the served checkpoint opens a newer shard, steps 4 and 5 run
        against the stored shard's final checkpoint instead.
        """
        known = self._load()
        served_note, served = self._fetch_checkpoint()
        if known is None:
            _write_atomically(self.state, served_note)
            return Observation(Status.FIRST_USE, served, served_note)

        stored_note, stored = known
        period, served_period = self._period(stored), self._period(served)
        if served_period < period:
            detail = f"the log went back from {stored.origin} to {served.origin}"
            evidence = self._save_evidence(Status.ROLLBACK, stored_note, served_note)
            return Observation(
                Status.ROLLBACK,
                served,
                served_note,
                stored,
                stored_note,
                detail,
                evidence,
            )
        if served_period == period:
            closing_note, closing = served_note, served
        else:
            closing_note, closing = self._fetch_checkpoint(period)

        proof: list[bytes] = []
        if closing.tree_size > stored.tree_size > 0:
            proof = self._fetch_proof(period, stored.tree_size, closing.tree_size)
        try:
            check_consistency(stored, closing, proof)
        except LogInconsistent as exc:
            shrank = closing.tree_size < stored.tree_size
            status = Status.ROLLBACK if shrank else Status.FORK
            evidence = self._save_evidence(status, stored_note, closing_note)
            return Observation(
                status, closing, closing_note, stored, stored_note, str(exc), evidence
            )

        if served == stored:
            return Observation(
                Status.UNCHANGED, served, served_note, stored, stored_note
            )
        _write_atomically(self.state, served_note)
        detail = "" if closing is served else f"new shard {served.origin}"
        return Observation(
            Status.GREW, served, served_note, stored, stored_note, detail
        )

    def _period(self, checkpoint: Checkpoint) -> int:
        # open_log_checkpoint has checked that the origin names a shard
        return period_of_origin(self.trust_list.log.origin, checkpoint.origin)

    def _load(self) -> tuple[str, Checkpoint] | None:
        try:
            note = self.state.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as exc:
            raise MonitorError(f"state: cannot read {self.state}: {exc}") from exc
        try:
            return note, open_log_checkpoint(note, self.trust_list)
        except VerificationError as exc:
            raise MonitorError(
                f"state: {self.state} does not verify with this trust list: {exc}"
            ) from exc

    def _fetch_checkpoint(self, period: int | None = None) -> tuple[str, Checkpoint]:
        url = self.url + CHECKPOINT_PATH
        if period is not None:
            url += f"?period={period}"
        body = self._get(url)
        try:
            note = body.decode("utf-8")
            checkpoint = open_log_checkpoint(note, self.trust_list)
        except UnicodeDecodeError as exc:
            raise LogUnavailable(f"{url}: not a checkpoint: not UTF-8") from exc
        except VerificationError as exc:
            raise LogUnavailable(f"{url}: {exc}") from exc
        if period is not None and self._period(checkpoint) != period:
            raise LogUnavailable(f"{url}: a checkpoint of {checkpoint.origin}")
        return note, checkpoint

    def _fetch_proof(self, period: int, first: int, second: int) -> list[bytes]:
        query = urllib.parse.urlencode(
            {"first": first, "second": second, "period": period}
        )
        url = f"{self.url}{CONSISTENCY_PATH}?{query}"
        body = self._get(url)
        try:
            document = json.loads(body)
            echoed = (document["first"], document["second"])
            proof = [base64.b64decode(h, validate=True) for h in document["hashes"]]
        except (ValueError, TypeError, KeyError, binascii.Error) as exc:
            raise LogUnavailable(
                f"{url}: not a consistency proof (a JSON object of first, second "
                "and base64 hashes)"
            ) from exc
        if echoed != (first, second):
            raise LogUnavailable(
                f"{url}: proof for sizes {echoed}, asked for {(first, second)}"
            )
        for h in proof:
            if len(h) != HASH_SIZE:
                raise LogUnavailable(f"{url}: proof hash of {len(h)} bytes")
        return proof

    def _get(self, url: str) -> bytes:
        # a cached answer would look like a rollback: ask the log itself
        headers = {"User-Agent": "skillpass-monitor", "Cache-Control": "no-cache"}
        request = urllib.request.Request(url, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                body: bytes = response.read(MAX_BODY + 1)
        except urllib.error.HTTPError as exc:
            with exc:
                detail = exc.read(300).decode("utf-8", "replace")
            raise LogUnavailable(f"{url}: HTTP {exc.code}: {detail}") from exc
        except urllib.error.URLError as exc:
            raise LogUnavailable(f"{url}: unreachable: {exc.reason}") from exc
        except OSError as exc:  # a timeout or reset while reading the body
            raise LogUnavailable(f"{url}: unreachable: {exc}") from exc
        if len(body) > MAX_BODY:
            raise LogUnavailable(f"{url}: answer larger than {MAX_BODY} bytes")
        return body

    def _save_evidence(
        self, status: Status, stored: str, served: str
    ) -> tuple[Path, Path]:
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S.%fZ")
        prefix = f"{self.state.stem}.{status}-{stamp}"
        paths = (
            self.state.with_name(f"{prefix}.stored.checkpoint"),
            self.state.with_name(f"{prefix}.served.checkpoint"),
        )
        for path, note in zip(paths, (stored, served), strict=True):
            _write_atomically(path, note)
        return paths


def _write_atomically(path: Path, text: str) -> None:
    """Write a temporary file beside ``path``, sync it, then rename it over."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, name = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    except OSError as exc:
        raise MonitorError(f"state: cannot write {path}: {exc}") from exc
    temporary = Path(name)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        temporary.replace(path)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise MonitorError(f"state: cannot write {path}: {exc}") from exc

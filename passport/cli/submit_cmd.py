"""`skillpass submit`: append a JSON Lines file of issuer-signed events in batches.

Each batch is one transaction of the log. Its report lines reach stdout only
after that transaction has committed, so a printed line is an acknowledgement
that survives any crash (a line cut short by one acknowledges nothing).
Re-running the same file appends nothing twice, since the log knows an event
by its content hash.
"""

from __future__ import annotations

import json
import sys
from collections import Counter, deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, BinaryIO

import typer
from pydantic import ValidationError
from rich.progress import Progress

from ledger.appender import Outcome
from ledger.errors import LogBusy
from passport.cli.common import (
    NEGATIVE,
    OK,
    DbOption,
    HomeOption,
    discard_output,
    errors,
    fail,
    open_service,
    usage_errors,
)
from schemas.api import SubmitResult
from schemas.events import SignedEvent

if TYPE_CHECKING:
    from passport.service import Service

"""How often a batch is tried while another writer holds the log."""


@dataclass
class Batch:
    """The lines read since the last commit: events to submit and lines refused."""

    events: list[tuple[int, SignedEvent]] = field(default_factory=list)
    malformed: dict[int, SubmitResult] = field(default_factory=dict)


def submit(
    file: Annotated[
        Path,
        typer.Argument(help="JSON Lines: one signed event per line; - for stdin."),
    ],
    batch: Annotated[
        int, typer.Option("--batch", help="Lines per batch, one transaction each.")
    ] = 500,
    db: DbOption = None,
    home: HomeOption = None,
) -> None:
    """Append signed events from FILE; print one JSON result per line once committed.

    Exit 0 when every event was appended or already logged, 1 when one was
    refused or the log stayed busy, 2 on a usage error.
    """
    if batch < 1:
        raise typer.BadParameter(
            f"expected at least 1, got {batch}", param_hint="--batch"
        )
    if str(file) == "-":
        # standard input, whose size is unknown: the progress bar has no total
        source, size = sys.stdin.buffer, None
    else:
        with usage_errors():
            source = file.open("rb")
            size = file.stat().st_size
    with source:
        service = open_service(db, home)
        try:
            tally = _submit_all(service, source, size=size, batch_size=batch)
        finally:
            service.close()
    errors.print(
        f"已追加 appended {tally['appended']}, 已存在 duplicate "
        f"{tally['duplicate']}, 被拒绝 refused {tally['refused']}"
    )
    raise typer.Exit(NEGATIVE if tally["refused"] else OK)


def _submit_all(
    service: Service, source: BinaryIO, *, size: int | None, batch_size: int
) -> Counter[str]:
    """Read, submit and report batch by batch; count the statuses."""
    tally: Counter[str] = Counter()
    # The report lines must reach stdout exactly as written, never through
    # rich (which wraps them); when they go to the terminal themselves, they
    # show the progress and a bar would only garble them.
    progress = Progress(
        *Progress.get_default_columns(),
        console=errors,
        disable=not errors.is_terminal or sys.stdout.isatty(),
        transient=True,
        redirect_stdout=False,
    )
    with progress:
        task = progress.add_task("提交 submitting", total=size)
        batches: deque[tuple[Batch, int]] = deque()

        def events() -> Iterator[list[SignedEvent]]:
            for pending, read in _batches(source, batch_size):
                batches.append((pending, read))
                yield [signed for _, signed in pending.events]

        try:
            for outcomes in service.submit_many(events()):
                pending, read = batches.popleft()
                _report(pending, outcomes, tally)
                progress.advance(task, read)
        except LogBusy as exc:
            fail(
                f"{exc}; the lines printed are logged, run again to append the rest",
                NEGATIVE,
            )
    return tally


def _batches(source: BinaryIO, batch_size: int) -> Iterator[tuple[Batch, int]]:
    """Batches of at most ``batch_size`` lines, with the bytes read for each."""
    pending, read = Batch(), 0
    for line_no, raw in enumerate(source, start=1):
        read += len(raw)
        if not raw.strip():
            continue  # a blank line carries no event
        try:
            pending.events.append((line_no, _parse(raw)))
        except ValueError as exc:
            pending.malformed[line_no] = SubmitResult(
                status="refused", reason="malformed", detail=f"line {line_no}: {exc}"
            )
        if len(pending.events) + len(pending.malformed) >= batch_size:
            yield pending, read
            pending, read = Batch(), 0
    if pending.events or pending.malformed:
        yield pending, read


def _parse(raw: bytes) -> SignedEvent:
    """One line as a SignedEvent; raise ValueError saying what is wrong."""
    try:
        document = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 at byte {exc.start}") from exc
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON: {exc.msg} at column {exc.colno}") from exc
    try:
        return SignedEvent.model_validate(document)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise ValueError(f"{where}: {first['msg']}" if where else first["msg"]) from exc


def _report(pending: Batch, outcomes: list[Outcome], tally: Counter[str]) -> None:
    """Print one committed batch's results in line order, then flush."""
    results = dict(pending.malformed)
    for (line_no, _), outcome in zip(pending.events, outcomes, strict=True):
        results[line_no] = outcome.result()
    lines = []
    for line_no in sorted(results):
        result = results[line_no]
        tally[result.status] += 1
        report: dict[str, Any] = {"line": line_no, **result.model_dump(mode="json")}
        lines.append(json.dumps(report) + "\n")
    try:
        sys.stdout.write("".join(lines))
        sys.stdout.flush()
    except BrokenPipeError:
        discard_output(sys.stdout)

"""`skillpass import`: a roster from Excel, cleaned, signed locally and appended.

The issuer's private key stays with the issuer: this command runs where the
key file is, signs each prepared event with it, and submits the signed
events as `skillpass submit` does, batch by batch.
"""

from __future__ import annotations

import gc
from collections import Counter, deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.progress import Progress

from passport.cli.common import (
    NEGATIVE,
    OK,
    DbOption,
    HomeOption,
    console,
    errors,
    fail,
    open_service,
    usage_errors,
)
from passport.imports.columns import HeaderError, ImportKind

if TYPE_CHECKING:
    from passport.imports.importer import ImportPlan, RowResult
    from passport.service import Service


def import_roster(
    file: Annotated[
        Path, typer.Argument(help="The roster: .csv, .txt (tab) or .xlsx.")
    ],
    kind: Annotated[ImportKind, typer.Option("--kind", help="What the roster lists.")],
    issuer: Annotated[str, typer.Option("--issuer", help="Your issuer id.")],
    key: Annotated[
        Path,
        typer.Option(
            "--key",
            help="Your Ed25519 key, PKCS#8 PEM (encrypted with "
            "SKILLPASS_KEY_PASSPHRASE).",
        ),
    ],
    report: Annotated[
        Path | None,
        typer.Option("--report", help="Write the per-row report (.csv or .xlsx)."),
    ] = None,
    batch: Annotated[int, typer.Option("--batch", help="Rows per batch.")] = 1000,
    db: DbOption = None,
    home: HomeOption = None,
) -> None:
    """Import FILE: clean each row, sign its events with --key, append them.

    Rows with any problem are appended nowhere; the report says which cell
    and why. Importing the same file again adds nothing. Exit 0 when every
    row was appended or already logged, 1 when a row was invalid or refused.
    """
    from issuers.keys import load_key_file, passphrase_from_env
    from passport.imports.importer import prepare_in_chunks
    from passport.imports.reading import RosterError
    from passport.imports.report import write_report
    from passport.service import utc_now_seconds

    if batch < 1:
        raise typer.BadParameter(
            f"expected at least 1, got {batch}", param_hint="--batch"
        )
    with usage_errors():
        data = file.read_bytes()
        private_key = load_key_file(key, passphrase_from_env())
    service = open_service(db, home)
    try:
        with usage_errors():
            try:
                plan, chunks = prepare_in_chunks(
                    service,
                    data,
                    kind=kind,
                    issuer_id=issuer,
                    signed_at=utc_now_seconds(),
                    chunk=batch,
                )
            except (RosterError, HeaderError) as exc:
                fail(f"{file}: {exc}")
            _sign_and_submit(service, plan, chunks, private_key)
    finally:
        service.close()
    if report is not None:
        with usage_errors():
            write_report(plan, report)
    tally = Counter(r.status for r in plan.rows)
    console.print(
        f"{file.name} ({plan.encoding}): 已追加 appended {tally['appended']}, "
        f"已存在 already logged {tally['already_logged']}, "
        f"无效 invalid {tally['invalid']}, 被拒绝 refused {tally['refused']}"
    )
    raise typer.Exit(NEGATIVE if tally["invalid"] or tally["refused"] else OK)


def _sign_and_submit(
    service: Service,
    plan: ImportPlan,
    chunks: Iterable[list[RowResult]],
    private_key: Any,
) -> None:
    """Sign each prepared chunk's events and append them as the next is prepared.

    A thread prepares the next chunks while the log writes; a process signs
    them, so that neither holds up the writer.
    """
    from passport.imports.ahead import run_ahead
    from passport.imports.importer import record_outcomes
    from passport.imports.signing import SigningPool, signed_events
    from schemas.events import SignedEvent

    progress = Progress(
        *Progress.get_default_columns(),
        console=errors,
        disable=not errors.is_terminal,
        transient=True,
    )
    pending: deque[list[tuple[RowResult, dict[str, Any]]]] = deque()
    pool = SigningPool(private_key)

    def prepared() -> Iterator[tuple[list[dict[str, Any]], Future[Any]]]:
        for results in chunks:
            pairs = [(r, e) for r in results if r.status == "ready" for e in r.events]
            progress.advance(task, len(results))
            if pairs:
                pending.append(pairs)
                events = [e for _, e in pairs]
                yield events, pool.submit(events)

    def signed() -> Iterator[list[SignedEvent]]:
        for events, future in run_ahead(prepared()):
            yield signed_events(events, future.result())

    # The rows' results stay in memory until the report is written: with the
    # cyclic collector on, its full passes over them grow with the file and
    # come to cost more than the import itself. Nothing here makes cycles
    # that need it before the command ends.
    collecting = gc.isenabled()
    gc.disable()
    try:
        with progress:
            task = progress.add_task("导入 importing", total=plan.size)
            for outcomes in service.submit_many(signed()):
                record_outcomes(pending.popleft(), outcomes)
    finally:
        pool.close()
        if collecting:
            gc.enable()

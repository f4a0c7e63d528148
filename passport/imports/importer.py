"""Importing a roster: from the file to unsigned events, and from outcomes to a report.

Preparing an import takes these steps:

1. Read the file (XLSX or CSV in any of Excel's encodings) and map its
   header to the fields of the kind.
2. Clean each row; a row with any problem gets no events.
3. Register the rows' workers (ID number and cleaned name), one conflict
   stopping only its own row.
4. Complete each event with the worker id and the signing time, and check
   it is a valid event; a row repeating an earlier row's record is refused.
5. Set aside rows whose records the issuer has already logged, so that
   importing the same file again signs and appends nothing.

What is left are the unsigned events in their canonical form: the CLI signs
them with the issuer's key file, the API hands them to the issuer to sign.
The service never holds an issuer's private key.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select

from ledger.appender import Outcome
from ledger.store.tables import EntryRow
from passport.imports.cleaning import Cell, text_of
from passport.imports.columns import ALIASES, ImportKind, map_header
from passport.imports.reading import read_roster
from passport.imports.rows import Note, RowDraft, draft_row
from passport.service import Service
from passport.workers import register_many
from schemas.events import parse_event

# pydantic's location of an event field to the roster field it came from
_FIELD_OF = {
    "certificate_no": "certificate_no",
    "skill_level": "level",
    "issued_on": "issued_on",
    "occupation_code": "occupation",
    "work_type": "occupation",
    "start_on": "start_on",
    "completed_on": "end_on",
    "hours": "hours",
    "planned_hours": "hours",
    "course": "course",
    "ref": "class_no",
}


@dataclass
class RowResult:
    """One row's fate: its status, and the notes the report prints for it."""

    row: int
    status: str
    notes: list[Note] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class ImportPlan:
    """A prepared import: the header as written, and each row's result."""

    kind: ImportKind
    issuer_id: str
    header: list[str]
    columns: dict[str, int]
    encoding: str
    rows: list[RowResult]
    size: int = 0
    """How many data rows the file holds."""

    def unsigned(self) -> list[tuple[RowResult, dict[str, Any]]]:
        """The events still to sign, with their rows, in file order."""
        return [(r, e) for r in self.rows if r.status == "ready" for e in r.events]

    def column_of(self, field_name: str) -> str:
        """The header as the file wrote it for a field, else the field's name."""
        position = self.columns.get(field_name)
        if position is None:
            return ALIASES.get(field_name, (field_name,))[0]
        return self.header[position]


def prepare_import(
    service: Service,
    data: bytes,
    *,
    kind: ImportKind,
    issuer_id: str,
    signed_at: dt.datetime,
) -> ImportPlan:
    """Steps 1–5 of the module docstring; raise RosterError or HeaderError."""
    plan, chunks = prepare_in_chunks(
        service, data, kind=kind, issuer_id=issuer_id, signed_at=signed_at
    )
    for _ in chunks:
        pass
    return plan


def prepare_in_chunks(
    service: Service,
    data: bytes,
    *,
    kind: ImportKind,
    issuer_id: str,
    signed_at: dt.datetime,
    chunk: int = 1000,
) -> tuple[ImportPlan, Iterator[list[RowResult]]]:
    """Step 1 now, steps 2–5 chunk by chunk as the iterator is consumed.

    So that a bulk import signs and appends one chunk while the next is
    read; the plan's rows grow as the chunks are prepared.
    """
    roster = read_roster(data)
    columns = map_header(roster.header, kind)
    plan = ImportPlan(
        kind, issuer_id, roster.header, columns, roster.encoding, [], len(roster.rows)
    )
    stamp = signed_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    seen: dict[str, int] = {}

    def chunks() -> Iterator[list[RowResult]]:
        for start in range(0, len(roster.rows), chunk):
            lines = roster.rows[start : start + chunk]
            drafts = [draft_row(n, cells, columns, kind=kind) for n, cells in lines]
            results = [_result(d) for d in drafts]
            _register(service, drafts, results, signed_at)
            for result in results:
                if result.status == "ready":
                    _complete(result, issuer_id, stamp, seen)
            _set_aside_logged(service, issuer_id, results)
            plan.rows.extend(results)
            yield results

    return plan, chunks()


def _result(draft: RowDraft) -> RowResult:
    if draft.problems:
        return RowResult(draft.row, "invalid", [*draft.problems, *draft.cleaned])
    return RowResult(draft.row, "ready", list(draft.cleaned), list(draft.events))


def _register(
    service: Service,
    drafts: Sequence[RowDraft],
    results: Sequence[RowResult],
    now: dt.datetime,
) -> None:
    ready = [
        (d, r) for d, r in zip(drafts, results, strict=True) if r.status == "ready"
    ]
    people = [(d.id_number or "", d.name or "") for d, _ in ready]
    written = [d.name_as_written for d, _ in ready]
    with service.session() as session:
        ids = register_many(
            session,
            people,
            pseudonym_key=service.keys.pseudonym,
            now=now,
            written=written,
        )
    for (draft, result), worker in zip(ready, ids, strict=True):
        if isinstance(worker, str):
            result.events = [{**e, "worker_id": worker} for e in result.events]
            continue
        result.status = "invalid"
        field_name = "name" if str(worker).startswith("name") else "id_number"
        value = (draft.name if field_name == "name" else draft.id_number) or ""
        detail = str(worker).partition(": ")[2]
        result.notes.insert(0, Note(field_name, value, "not_registered", detail))
        result.events = []


def _complete(
    result: RowResult, issuer_id: str, stamp: str, seen: dict[str, int]
) -> None:
    """Step 4 for one row: the finished events, or the row's first problem."""
    finished = []
    for draft in result.events:
        event = {**draft, "issuer_id": issuer_id, "signed_at": stamp}
        try:
            # drafts are built in canonical form; the log checks that again
            parse_event(event)
            finished.append(event)
        except ValidationError as exc:
            error = exc.errors()[0]
            message = str(error["msg"]).removeprefix("Value error, ")
            # a model's own check names the field at the start of its message
            name = (
                str(error["loc"][1])
                if len(error["loc"]) > 1
                else message.partition(":")[0]
            )
            field_name = _FIELD_OF.get(name, name)
            value = event.get(name, "")
            result.notes.insert(
                0, Note(field_name, text_of(_cell(value)), "invalid_event", message)
            )
            result.status, result.events = "invalid", []
            return
    # a certificate number is unique on its own; a class only per worker
    first = finished[0]
    key = (
        first["ref"]
        if first["kind"] == "certificate.issued"
        else f"{first['worker_id']}|{first['ref']}"
    )
    if key in seen:
        result.notes.insert(
            0,
            Note("row", "", "repeated_in_file", f"the same record as row {seen[key]}"),
        )
        result.status, result.events = "invalid", []
        return
    seen[key] = result.row
    result.events = finished


def _cell(value: object) -> Cell:
    return value if isinstance(value, str | int | float) else str(value)


def _set_aside_logged(
    service: Service, issuer_id: str, results: Sequence[RowResult]
) -> None:
    """Step 5: rows whose every record the issuer has logged are already there."""
    keys = {
        (e["worker_id"], e["ref"])
        for r in results
        if r.status == "ready"
        for e in r.events
    }
    workers = sorted({worker for worker, _ in keys})
    logged: set[tuple[str, str]] = set()
    with service.reading() as session:
        for start in range(0, len(workers), 500):
            query = select(EntryRow.worker_id, EntryRow.ref).where(
                EntryRow.worker_id.in_(workers[start : start + 500]),
                EntryRow.issuer_id == issuer_id,
            )
            logged.update(
                (worker, ref)
                for worker, ref in session.execute(query)
                if (worker, ref) in keys
            )
    for result in results:
        if result.status != "ready":
            continue
        pending = [e for e in result.events if (e["worker_id"], e["ref"]) not in logged]
        if not pending:
            result.status, result.events = "already_logged", []
        else:
            result.events = pending


# TODO: a training row's enrolment and completion are two events; when the
# log refuses the completion only, the enrolment stays appended and the row
# is reported refused. Appending a row's events all or none needs the log
# to take groups of events.
def record_outcomes(
    pairs: Sequence[tuple[RowResult, dict[str, Any]]], outcomes: Sequence[Outcome]
) -> None:
    """Give each row the status its events met in the log."""
    for (result, _), outcome in zip(pairs, outcomes, strict=True):
        if outcome.refused is not None:
            result.status = "refused"
            result.notes.insert(
                0,
                Note("row", "", outcome.refused.reason, outcome.refused.detail),
            )
        elif result.status == "ready":
            result.status = "already_logged" if outcome.duplicate else "appended"
        # appended, and queued for the authority's review
        result.notes.extend(
            Note("row", "", f"flagged:{flag.rule}", flag.detail)
            for flag in outcome.flags
        )

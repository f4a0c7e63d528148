"""Roster uploads over HTTP: the per-row report and the events left to sign.

The service never holds an issuer's private key, so an upload does not
append anything. It answers with the report of every row and, for the
valid rows, the unsigned events in their canonical form (RFC 8785 bytes
are what the issuer signs). The issuer signs each and sends them to
``POST /api/v1/events/batch``, as it sends any signed event; the log then
treats them like every other submission, duplicates included.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict

from passport.imports.columns import HeaderError, ImportKind
from passport.imports.importer import prepare_import
from passport.imports.reading import RosterError
from passport.imports.report import report_lines
from passport.service import Service, utc_now_seconds
from passport.tokens import Principal
from passport.web.auth import PROBLEMS, check_issuer, require
from schemas.api import Problem, Role

router = APIRouter(prefix="/api/v1", tags=["imports"])

MAX_UPLOAD = 64 * 1024 * 1024
"""The largest roster accepted in one upload, in bytes."""


class ReportLine(BaseModel):
    """One line of the per-row report."""

    model_config = ConfigDict(extra="forbid")

    row: int
    status: str
    column: str
    value: str
    reason: str
    detail: str


class UnsignedEvent(BaseModel):
    """An event of a valid row, for the issuer to sign as it stands."""

    model_config = ConfigDict(extra="forbid")

    row: int
    event: dict[str, Any]


class ImportPrepared(BaseModel):
    """The answer to an upload: the report, then the events to sign."""

    model_config = ConfigDict(extra="forbid")

    encoding: str
    report: list[ReportLine]
    events: list[UnsignedEvent]


@router.post(
    "/imports",
    response_model=ImportPrepared,
    responses={**PROBLEMS, 413: {"model": Problem}, 422: {"model": Problem}},
    openapi_extra={
        "requestBody": {
            "content": {"application/octet-stream": {"schema": {"type": "string"}}},
            "required": True,
        }
    },
)
async def upload_roster(
    request: Request,
    kind: Annotated[ImportKind, Query()],
    issuer_id: Annotated[str, Query(min_length=3, max_length=64)],
    principal: Annotated[Principal, Depends(require(Role.AUTHORITY, Role.ISSUER))],
) -> ImportPrepared | JSONResponse:
    """Upload a roster (the file's bytes as the body: .csv, tab-separated or .xlsx).

    200 with the per-row report and the unsigned events of the valid rows,
    which nothing has appended yet; 422 when the file or its header cannot
    be read at all; 413 when it is larger than 64 MiB.
    """
    check_issuer(principal, [issuer_id])
    data = await request.body()
    if len(data) > MAX_UPLOAD:
        return _problem(
            status.HTTP_413_CONTENT_TOO_LARGE, "too_large", "file: larger than 64 MiB"
        )
    service: Service = request.app.state.service
    try:
        plan = prepare_import(
            service, data, kind=kind, issuer_id=issuer_id, signed_at=utc_now_seconds()
        )
    except (RosterError, HeaderError) as exc:
        return _problem(status.HTTP_422_UNPROCESSABLE_CONTENT, "unreadable", str(exc))
    names = ("row", "status", "column", "value", "reason", "detail")
    return ImportPrepared(
        encoding=plan.encoding,
        report=[
            ReportLine.model_validate(
                dict(zip(names, (int(line[0]), *line[1:]), strict=True))
            )
            for line in report_lines(plan)
        ],
        events=[UnsignedEvent(row=r.row, event=e) for r, e in plan.unsigned()],
    )


def _problem(code: int, reason: str, detail: str) -> JSONResponse:
    body = Problem(reason=reason, detail=detail).model_dump(mode="json")
    return JSONResponse(status_code=code, content=body)

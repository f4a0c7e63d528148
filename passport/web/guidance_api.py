"""Promotion guidance over HTTP: one worker's guidance, and a month's push list."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, Response

from passport.guidance import (
    GuidanceError,
    describe,
    guidance_notices,
    worker_guidance,
)
from passport.guidance.evaluation import describe_evaluation, evaluation_guidance
from passport.guidance.push import push_list, write_csv
from passport.service import Service
from passport.tokens import Principal
from passport.web.auth import PROBLEMS, check_worker, require
from schemas.api import Problem, Role

router = APIRouter(prefix="/api/v1", tags=["guidance"])


def _service(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


def _problem(detail: str) -> JSONResponse:
    body = Problem(reason="bad_request", detail=detail)
    return JSONResponse(body.model_dump(exclude_none=True), 422)


@router.get(
    "/workers/{worker_id}/guidance",
    responses={**PROBLEMS, 404: {"model": Problem}, 422: {"model": Problem}},
)
def read_guidance(
    worker_id: str,
    request: Request,
    principal: Annotated[Principal, Depends(require(Role.AUTHORITY, Role.WORKER))],
    as_of: Annotated[
        dt.date | None, Query(description="the day to judge on (default today)")
    ] = None,
) -> JSONResponse:
    """Guidance per occupation and evaluation guidance, with the CLI's text.

    Each occupation lists every path to the next step, each condition met,
    missing or unknown with the log indexes that prove it, and the earliest
    day of eligibility; ``lines`` holds the text the CLI prints. ``notices``
    says why there is none: no records yet, or no edition in force on the day.
    """
    check_worker(principal, worker_id)
    service = _service(request)
    service.identity(worker_id)
    day = as_of or dt.date.today()
    archive = service.archive(worker_id)
    try:
        occupations = worker_guidance(archive, as_of=day)
    except GuidanceError as exc:
        return _problem(str(exc))
    evaluations = evaluation_guidance(archive, service.trust_list(), as_of=day)
    body: dict[str, Any] = {
        "worker_id": worker_id,
        "as_of": day,
        "notices": guidance_notices(archive, as_of=day),
        "occupations": [
            {**dataclasses.asdict(g), "lines": describe(g)} for g in occupations
        ],
        "evaluations": [
            {**dataclasses.asdict(a), "lines": describe_evaluation(a)}
            for a in evaluations
        ],
    }
    return JSONResponse(jsonable_encoder(body))


@router.get(
    "/guidance/push",
    responses={**PROBLEMS, 422: {"model": Problem}},
    dependencies=[Depends(require(Role.AUTHORITY))],
)
def read_push_list(
    request: Request,
    month: Annotated[str, Query(description="YYYY-MM, e.g. 2026-12")],
    format: Annotated[Literal["json", "csv"], Query()] = "json",
) -> Response:
    """Workers who became eligible for a higher level in ``month`` (等级晋升指引).

    The authority's list: it names workers across every archive.
    """
    try:
        rows = push_list(_service(request), month)
    except GuidanceError as exc:
        return _problem(str(exc))
    if format == "csv":
        text = io.StringIO()
        write_csv(rows, text)
        return Response(
            text.getvalue(),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="push-{month}.csv"'},
        )
    return JSONResponse(jsonable_encoder([dataclasses.asdict(r) for r in rows]))

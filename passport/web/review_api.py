"""The review queue over HTTP: the authority lists risk flags and decides them."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from passport.review import ReviewError, list_flags, resolve_flag
from passport.service import Service, utc_now_seconds
from passport.web.auth import PROBLEMS, require
from schemas.api import Problem, RequestBody, Role
from schemas.text import PlainText

router = APIRouter(
    prefix="/api/v1/review",
    tags=["review"],
    dependencies=[Depends(require(Role.AUTHORITY))],
    responses={**PROBLEMS, 422: {"model": Problem}},
)


class FlagOut(BaseModel):
    """A risk flag and its decision, if any."""

    flag_id: int
    log_index: int
    worker_id: str
    issuer_id: str
    rule: str
    detail: str
    flagged_at: dt.datetime
    decision: str | None
    note: str | None
    reviewer: str | None


class Resolution(RequestBody):
    """The authority's decision on a flag."""

    decision: Literal["confirmed", "dismissed"]
    note: PlainText = Field(min_length=1, max_length=2000)
    reviewer: PlainText = Field(min_length=1, max_length=100)


@router.get("/flags")
def get_flags(
    request: Request,
    include_resolved: Annotated[bool, Query()] = False,
    rule: Annotated[str | None, Query()] = None,
) -> list[FlagOut]:
    """The open flags (or all with ``include_resolved``), oldest first."""
    service: Service = request.app.state.service
    flags = list_flags(service, include_resolved=include_resolved, rule=rule)
    return [FlagOut.model_validate(flag.__dict__) for flag in flags]


@router.post(
    "/flags/{flag_id}/resolution",
    status_code=status.HTTP_201_CREATED,
    response_model=None,
    responses={409: {"model": Problem}},
)
def post_resolution(
    flag_id: int, body: Resolution, request: Request
) -> dict[str, str] | JSONResponse:
    """Decide a flag: 201 recorded, 409 unknown or already decided."""
    service: Service = request.app.state.service
    try:
        resolve_flag(
            service,
            flag_id,
            decision=body.decision,
            note=body.note,
            reviewer=body.reviewer,
            now=utc_now_seconds(),
        )
    except ReviewError as exc:
        return JSONResponse(
            status_code=status.HTTP_409_CONFLICT,
            content=Problem(reason="review", detail=str(exc)).model_dump(mode="json"),
        )
    return {"status": body.decision}

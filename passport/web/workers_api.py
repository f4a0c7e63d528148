"""The workers' personal data over HTTP: erasure under the right of deletion."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Request, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from passport.erasure import MAX_REASON, AlreadyErased, erase_worker
from passport.service import Service, utc_now_seconds
from passport.tokens import Principal, Role
from passport.web.auth import PROBLEMS, check_worker, require
from passport.worker_links import MAX_LINK_DAYS, create_link, link_url
from schemas.api import Problem, RequestBody
from schemas.text import PlainText

router = APIRouter(prefix="/api/v1", tags=["workers"])


class ErasureRequest(RequestBody):
    """Why the worker's personal data is erased."""

    reason: PlainText = Field(min_length=1, max_length=MAX_REASON)


class LinkRequest(RequestBody):
    """How long the worker's link lasts."""

    days: int = Field(default=7, ge=1, le=MAX_LINK_DAYS)


class WorkerLink(BaseModel):
    """A link to the worker's own view, shown once."""

    url: str
    expires_at: dt.datetime


class ErasureReceipt(BaseModel):
    """What was erased, when and why, for the requester's records."""

    worker_id: str
    erased_at: dt.datetime
    reason: str = Field(description="the reason as stored with the erasure")
    passports: int = Field(description="issued passports that now verify as erased")


def _service(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


@router.delete(
    "/workers/{worker_id}/identity",
    response_model=ErasureReceipt,
    responses={
        **PROBLEMS,
        404: {"model": Problem},
        409: {"model": Problem},
        422: {"model": Problem},
    },
    dependencies=[Depends(require(Role.AUTHORITY))],
)
def erase_identity(
    worker_id: str, body: ErasureRequest, request: Request
) -> ErasureReceipt | JSONResponse:
    """Erase a worker's name and ID number (the authority only); the log stays valid.

    The reason travels in the JSON body (``{"reason": "…"}``), not the query,
    so that it stays out of access logs. 200 with a receipt when erased, 404
    for an unknown worker, 409 when already erased, 422 without a reason.
    Irreversible: issued passports then verify as "holder data erased", and
    registering the same ID number again is refused.
    """
    try:
        erasure = erase_worker(
            _service(request), worker_id, now=utc_now_seconds(), reason=body.reason
        )
    except AlreadyErased as exc:
        problem = Problem(reason="already_erased", detail=str(exc))
        return JSONResponse(
            problem.model_dump(exclude_none=True), status.HTTP_409_CONFLICT
        )
    return ErasureReceipt(
        worker_id=erasure.worker_id,
        erased_at=erasure.erased_at,
        reason=erasure.reason,
        passports=erasure.passports,
    )


@router.post(
    "/workers/{worker_id}/links",
    status_code=status.HTTP_201_CREATED,
    responses={**PROBLEMS, 404: {"model": Problem}, 422: {"model": Problem}},
)
def create_worker_link(
    worker_id: str,
    request: Request,
    principal: Annotated[Principal, Depends(require(Role.AUTHORITY, Role.WORKER))],
    body: LinkRequest | None = None,
) -> WorkerLink:
    """A new link to the worker's own view (the worker or the authority asks).

    The body is optional: without one the link lasts the default 7 days.
    """
    check_worker(principal, worker_id)
    service = _service(request)
    body = body or LinkRequest()
    token, expires_at = create_link(
        service, worker_id, days=body.days, now=utc_now_seconds()
    )
    return WorkerLink(url=link_url(service, token), expires_at=expires_at)

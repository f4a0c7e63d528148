"""Certificate checks over HTTP: one row as JSON, a batch as a CSV or XLSX file.

Both are rate-limited per client key with two token buckets: one for
requests, one for misses (``no_match`` and ``invalid`` answers), so that a
well-kept list of 10,000 certificates goes through while guessing numbers or
names soon gets 429 with Retry-After.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from passport.checks import (
    MAX_FIELD,
    MISSES,
    CheckRequest,
    check_certificates,
    limit_misses,
    with_text,
)
from passport.checktable import kind_of, read_table, write_table
from passport.ratelimit import BucketSize, TokenBucket, retry_after
from passport.service import Service
from schemas.api import Problem, RequestBody

router = APIRouter(prefix="/api/v1/certificate-checks", tags=["certificate checks"])

MAX_UPLOAD = 4 * 1024 * 1024
"""The largest batch file accepted, in bytes (10,000 rows fit easily)."""
MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass
class CheckLimits:
    """The two buckets per client: requests, and answers that missed."""

    requests: TokenBucket = field(
        default_factory=lambda: TokenBucket(BucketSize(capacity=30, rate=0.5))
    )
    misses: TokenBucket = field(
        default_factory=lambda: TokenBucket(BucketSize(capacity=500, rate=500 / 3600))
    )


class CertificateCheck(RequestBody):
    """A certificate number and the name the institution holds for it."""

    certificate_no: str = Field(max_length=MAX_FIELD)
    name: str = Field(max_length=MAX_FIELD)


class CertificateAnswer(BaseModel):
    """The answer: a result code, its words, and the date when revoked."""

    result: str = Field(description="match, revoked, no_match or invalid")
    detail: str
    revoked_on: str | None = None


def client_key(request: Request) -> str:
    """Whom a request is counted against: the peer address.

    TODO: count against the institution's authenticated identity once the
    API has bearer tokens (being added in ``passport/web/auth.py``); behind a
    proxy every client shares the proxy's address.
    """
    return request.client.host if request.client else "unknown"


def _limits(request: Request) -> CheckLimits:
    limits: CheckLimits = request.app.state.check_limits
    return limits


def _service(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


def _too_many(wait: float, what: str) -> JSONResponse:
    problem = Problem(reason="rate_limited", detail=f"{what}: too many; retry later")
    return JSONResponse(
        problem.model_dump(exclude_none=True),
        429,
        headers={"Retry-After": retry_after(wait)},
    )


@router.post("", response_model=CertificateAnswer, responses={429: {"model": Problem}})
def check_one(
    body: CertificateCheck, request: Request
) -> CertificateAnswer | JSONResponse:
    """Check one certificate number against a name; never reveals the right name."""
    limits, client = _limits(request), client_key(request)
    wait = limits.requests.take(client)
    if wait:
        return _too_many(wait, "certificate checks")
    [result] = check_certificates(
        _service(request), [CheckRequest(body.certificate_no, body.name)]
    )
    if result.result in MISSES:
        wait = limits.misses.take(client)
        if wait:
            return _too_many(wait, "answers without a match")
    worded = with_text(result)
    return CertificateAnswer(
        result=worded.result,
        detail=worded.detail,
        revoked_on=worded.revoked_on,
    )


@router.post(
    "/batch",
    response_class=Response,
    responses={
        200: {"content": {MEDIA["csv"]: {}, MEDIA["xlsx"]: {}}},
        413: {"model": Problem},
        422: {"model": Problem, "description": "not a CSV or XLSX table of ours"},
        429: {"model": Problem},
    },
)
async def check_batch(request: Request) -> Response:
    """Check a CSV or XLSX table sent as the body; the result table comes back.

    Rows after the client's miss budget runs out come back ``not_checked``.
    """
    limits, client = _limits(request), client_key(request)
    wait = limits.requests.take(client)
    if wait:
        return _too_many(wait, "certificate checks")
    # a batch starts only while the client has misses left to spend
    held = limits.misses.level(client)
    if held < 1:
        return _too_many(
            (1 - held) / limits.misses.size.rate, "answers without a match"
        )
    data = await _body(request)
    if data is None:
        problem = Problem(
            reason="too_large", detail=f"body: more than {MAX_UPLOAD} bytes"
        )
        return JSONResponse(problem.model_dump(exclude_none=True), 413)
    kind = kind_of("body", data)
    rows = read_table(data, kind)
    results = await run_in_threadpool(check_certificates, _service(request), rows)
    limited = limit_misses(results, lambda: not limits.misses.take(client))
    return Response(
        await run_in_threadpool(write_table, limited, kind),
        media_type=MEDIA[kind],
        headers={
            "Content-Disposition": f'attachment; filename="certificate-checks.{kind}"'
        },
    )


async def _body(request: Request) -> bytes | None:
    """The request body, or None once it grows past ``MAX_UPLOAD``."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_UPLOAD:
            return None
        chunks.append(chunk)
    return b"".join(chunks)

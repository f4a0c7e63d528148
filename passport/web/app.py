"""The FastAPI application: the API under /api/v1 and the page for people at /v/."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException

from issuers.errors import NotRegistered, RegistryError
from ledger.errors import LogBusy, ProofRequestError
from ledger.store.engine import is_busy
from passport.checktable import TableError
from passport.errors import ServiceError
from passport.issuance import EmptyPassport
from passport.pdf import FontError
from passport.service import Service
from passport.verification import BadVerificationCode
from passport.web import (
    api,
    checks_api,
    credentials_api,
    guidance_api,
    imports_api,
    issuers_api,
    log_api,
    lookup_api,
    page,
    review_api,
    worker_page,
    workers_api,
)
from passport.web.auth import Forbidden, Unauthenticated
from passport.web.logs import ID_NUMBER
from passport.workers import IdentityConflict
from schemas.api import Problem
from schemas.identifiers import IdentifierError

RETRY_AFTER_S = 1

WORKER_PATH = re.compile(r"/api/v1/workers/([^/]+)")
WORKER_ID = re.compile(r"[0-9a-f]{32}")

# What the framework's own errors (no route, no such method, a body it cannot
# parse) say, as {reason, detail} like every other refusal; never the path,
# which may hold a secret.
FRAMEWORK_ERRORS = {
    400: ("malformed", "body: not readable as JSON (or nested too deep)"),
    404: ("not_found", "path: no page or endpoint here; the API is listed at /docs"),
    405: ("method_not_allowed", "method: not allowed on this path"),
}


# Domain refusals that map straight to a status and a reason, their message
# as the detail; the handler walks an error's classes, so a subclass listed
# here wins over its base, as it would with one handler each.
REFUSALS: dict[type[Exception], tuple[int, str]] = {
    Forbidden: (403, "forbidden"),
    NotRegistered: (404, "not_found"),
    ProofRequestError: (404, "not_found"),
    ServiceError: (404, "not_found"),
    RegistryError: (409, "registry_refused"),
    IdentityConflict: (409, "identity_conflict"),
    TableError: (422, "bad_table"),
    EmptyPassport: (422, "empty_passport"),
    BadVerificationCode: (422, "bad_verification_code"),
    FontError: (422, "cannot_print"),
    IdentifierError: (422, "bad_identifier"),
}


def create_app(
    service: Service, *, check_limits: checks_api.CheckLimits | None = None
) -> FastAPI:
    """The app serving ``service``; OpenAPI at /docs."""
    app = FastAPI(
        title="skillpass",
        summary="职业技能电子档案与技能护照 Skills e-archive and skills passport",
        version="0.1.0",
    )
    app.state.service = service
    app.state.check_limits = check_limits or checks_api.CheckLimits()
    app.include_router(api.router)
    app.include_router(log_api.router)
    app.include_router(workers_api.router)
    app.include_router(guidance_api.router)
    app.include_router(credentials_api.router)
    app.include_router(checks_api.router)
    app.include_router(lookup_api.router)
    app.include_router(worker_page.router)
    app.include_router(imports_api.router)
    app.include_router(review_api.router)
    app.include_router(issuers_api.router)
    app.include_router(page.router)
    _add_error_handlers(app)
    app.middleware("http")(_check_worker_id)
    return app


async def _check_worker_id(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    """Refuse a worker path whose id is not a worker id, without echoing it."""
    match = WORKER_PATH.match(request.url.path)
    if match is None or WORKER_ID.fullmatch(match[1]):
        return await call_next(request)
    if ID_NUMBER.fullmatch(match[1]):
        detail = (
            "worker_id: an ID number is not a worker id; POST /api/v1/workers "
            "gives the worker id (an ID number never goes in a URL)"
        )
    else:
        detail = (
            "worker_id: expected 32 lowercase hexadecimal characters, "
            f"got {len(match[1])} characters"
        )
    return _problem(422, "malformed", detail)


def _problem(status: int, reason: str, detail: str, **headers: str) -> JSONResponse:
    body = Problem(reason=reason, detail=detail)
    return JSONResponse(body.model_dump(exclude_none=True), status, headers=headers)


def _add_error_handlers(app: FastAPI) -> None:
    """One place where domain errors become status codes and clear bodies."""

    async def refused(_: Request, exc: Exception) -> JSONResponse:
        status, reason = next(
            REFUSALS[cls] for cls in type(exc).__mro__ if cls in REFUSALS
        )
        return _problem(status, reason, str(exc))

    for refusal in REFUSALS:
        app.add_exception_handler(refusal, refused)

    @app.exception_handler(RequestValidationError)
    async def malformed(_: Request, exc: RequestValidationError) -> JSONResponse:
        # FastAPI's own handler echoes the input, which may hold personal
        # data or text that cannot even be encoded; say what and where only.
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        return _problem(422, "malformed", f"{where}: {first['msg']}")

    @app.exception_handler(Unauthenticated)
    async def unauthenticated(_: Request, exc: Unauthenticated) -> JSONResponse:
        reason = "invalid_token" if exc.invalid else "unauthenticated"
        headers = {"WWW-Authenticate": exc.challenge()}
        return _problem(401, reason, str(exc), **headers)

    @app.exception_handler(HTTPException)
    async def framework(_: Request, exc: HTTPException) -> JSONResponse:
        reason, detail = FRAMEWORK_ERRORS.get(
            exc.status_code, ("error", str(exc.detail))
        )
        return _problem(exc.status_code, reason, detail, **(exc.headers or {}))

    @app.exception_handler(OperationalError)
    async def database_busy(_: Request, exc: OperationalError) -> JSONResponse:
        if not is_busy(exc):
            raise exc
        detail = "database: another writer holds the lock; retry"
        return _problem(503, "busy", detail, **{"Retry-After": str(RETRY_AFTER_S)})

    @app.exception_handler(LogBusy)
    async def busy(_: Request, exc: LogBusy) -> JSONResponse:
        return _problem(503, "busy", str(exc), **{"Retry-After": str(RETRY_AFTER_S)})

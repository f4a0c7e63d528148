"""Who is calling: bearer tokens as FastAPI dependencies that endpoints adopt.

An endpoint names the roles it serves with ``Depends(require(Role.…))``;
one that reads a worker's data also calls ``check_worker``. A request with
no token or a bad one is refused with 401 and ``WWW-Authenticate: Bearer``
(RFC 6750 §3); a valid token whose role may not do the thing, with 403 and
the reason. Both bodies are the API's ``Problem``. Endpoints that must stay
open to anyone (the verification page, ``POST /api/v1/verify``, the trust
list, the log) take no dependency, or ``optional_principal`` to learn who
a caller is when they say.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Annotated, Any

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from passport.service import Service
from passport.tokens import InvalidToken, Principal, Role, authenticate
from schemas.api import Problem

REALM = "skillpass"

bearer = HTTPBearer(
    scheme_name="bearer",
    bearerFormat="sp1_<id>_<secret>",
    description="A token the authority issued with `skillpass token issue`.",
    auto_error=False,
)

PROBLEMS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "no token, or not a valid one"},
    403: {"model": Problem, "description": "the token's role may not do this"},
}
"""The refusals every endpoint with ``require`` may answer, for OpenAPI."""


class Unauthenticated(Exception):
    """No credentials, or credentials that do not authenticate (401)."""

    def __init__(self, detail: str, *, invalid: bool) -> None:
        super().__init__(detail)
        self.invalid = invalid

    def challenge(self) -> str:
        """The ``WWW-Authenticate`` value per RFC 6750 §3."""
        if not self.invalid:
            return f'Bearer realm="{REALM}"'
        return f'Bearer realm="{REALM}", error="invalid_token"'


class Forbidden(Exception):
    """A valid principal whose role may not do this (403)."""


Credentials = Annotated[HTTPAuthorizationCredentials | None, Security(bearer)]


def _service(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


def current_principal(request: Request, credentials: Credentials) -> Principal:
    """The caller's principal; raise Unauthenticated without a valid token."""
    if credentials is None:
        raise Unauthenticated(
            "authorization: send Authorization: Bearer <token>", invalid=False
        )
    try:
        return authenticate(_service(request), credentials.credentials)
    except InvalidToken as exc:
        raise Unauthenticated(str(exc), invalid=True) from exc


def optional_principal(request: Request, credentials: Credentials) -> Principal | None:
    """The caller's principal when a token is sent (a bad one is still a 401)."""
    if credentials is None:
        return None
    return current_principal(request, credentials)


def require(*roles: Role) -> Callable[..., Principal]:
    """A dependency that admits only principals of ``roles``."""
    allowed = ", ".join(roles)

    def dependency(
        principal: Annotated[Principal, Depends(current_principal)],
    ) -> Principal:
        if principal.role not in roles:
            raise Forbidden(
                f"role: a {principal.role} token may not do this; it needs {allowed}"
            )
        return principal

    return dependency


def check_worker(principal: Principal, worker_id: str) -> None:
    """A worker token reaches only its own worker's data."""
    if principal.role is Role.WORKER and principal.subject != worker_id:
        raise Forbidden("worker_id: a worker token reaches only its own archive")


def check_issuer(principal: Principal, issuer_ids: Iterable[object]) -> None:
    """An issuer token submits only events that name its own issuer."""
    if principal.role is not Role.ISSUER:
        return
    for index, issuer_id in enumerate(issuer_ids):
        if issuer_id != principal.subject:
            raise Forbidden(
                f"event {index}: issuer_id {issuer_id!r} is not the token's issuer "
                f"{principal.subject}"
            )

"""W3C Verifiable Credentials over HTTP: a certificate's credential, status lists.

Roles: a credential is for the worker it is about and the authority (its
subject is a pseudonymous worker id); a status list is public, since every
verifier of any credential must fetch it and it names no one.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse

from passport.credentials import (
    credential_for_entry,
    status_list_credential,
    worker_credentials,
)
from passport.service import Service
from passport.tokens import Principal
from passport.web.auth import PROBLEMS, check_worker, require
from schemas.api import Problem, Role
from schemas.events import MAX_SAFE_INTEGER

router = APIRouter(prefix="/api/v1", tags=["credentials"])

Holder = Annotated[Principal, Depends(require(Role.AUTHORITY, Role.WORKER))]

VC_MEDIA_TYPE = "application/vc+ld+json"
"""The media type of a VC 2.0 document secured with an embedded proof."""


def _service(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


def _vc(document: dict[str, Any]) -> JSONResponse:
    return JSONResponse(document, media_type=VC_MEDIA_TYPE)


RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {VC_MEDIA_TYPE: {}}},
    404: {"model": Problem},
}
HOLDER_RESPONSES = {**RESPONSES, **PROBLEMS}


@router.get("/credentials/status/{number}", responses=RESPONSES)
def read_status_list(
    request: Request, number: int = Path(ge=0, le=MAX_SAFE_INTEGER)
) -> JSONResponse:
    """Status list ``number``: a signed BitstringStatusListCredential of revocations.

    Bit *i* stands for the entry at log index ``number × 131072 + i``.
    """
    return _vc(status_list_credential(_service(request), number))


@router.get("/credentials/{log_index}", responses=HOLDER_RESPONSES)
def read_credential(
    request: Request,
    principal: Holder,
    log_index: int = Path(ge=0, le=MAX_SAFE_INTEGER),
) -> JSONResponse:
    """The Open Badges 3.0 credential of the certificate or award at ``log_index``."""
    service = _service(request)
    document = credential_for_entry(service, log_index)
    check_worker(principal, service.log.entry(log_index).worker_id)
    return _vc(document)


@router.get(
    "/workers/{worker_id}/credentials",
    responses={**PROBLEMS, 404: {"model": Problem}, 422: {"model": Problem}},
)
def read_worker_credentials(
    worker_id: str, request: Request, principal: Holder
) -> list[dict[str, Any]]:
    """Every live (unrevoked) credential of a worker, in log order."""
    check_worker(principal, worker_id)
    return worker_credentials(_service(request), worker_id)

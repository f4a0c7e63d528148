"""W3C Verifiable Credentials over HTTP: a certificate's credential, status lists.

Roles, once ``passport/web/auth.py`` has them: a credential is for the
worker it is about and the authority (its subject is a pseudonymous worker
id); a status list is public, since every verifier of any credential must
fetch it and it names no one.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse

from passport.credentials import (
    credential_for_entry,
    status_list_credential,
    worker_credentials,
)
from passport.service import Service
from schemas.api import Problem
from schemas.events import MAX_SAFE_INTEGER

# TODO: open to anyone for now; require the worker's own or the authority's
# role on the two credential endpoints when passport/web/auth.py lands.
router = APIRouter(prefix="/api/v1", tags=["credentials"])

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


@router.get("/credentials/status/{number}", responses=RESPONSES)
def read_status_list(
    request: Request, number: int = Path(ge=0, le=MAX_SAFE_INTEGER)
) -> JSONResponse:
    """Status list ``number``: a signed BitstringStatusListCredential of revocations.

    Bit *i* stands for the entry at log index ``number × 131072 + i``.
    """
    return _vc(status_list_credential(_service(request), number))


@router.get("/credentials/{log_index}", responses=RESPONSES)
def read_credential(
    request: Request, log_index: int = Path(ge=0, le=MAX_SAFE_INTEGER)
) -> JSONResponse:
    """The Open Badges 3.0 credential of the certificate or award at ``log_index``."""
    return _vc(credential_for_entry(_service(request), log_index))


@router.get("/workers/{worker_id}/credentials")
def read_worker_credentials(worker_id: str, request: Request) -> list[dict[str, Any]]:
    """Every live (unrevoked) credential of a worker, in log order."""
    return worker_credentials(_service(request), worker_id)

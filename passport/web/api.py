"""The JSON API: submit events, register workers, read archives, passports, verify."""

from __future__ import annotations

import io
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Request, Response, status
from fastapi.responses import JSONResponse

from ledger.entry import as_utc
from ledger.log import utc_now
from passport.issuance import PassportOptions, issue_passport
from passport.service import Service
from passport.tokens import Principal, Role
from passport.verification import verification_log, verify_online
from passport.web.auth import (
    PROBLEMS,
    check_issuer,
    check_worker,
    optional_principal,
    require,
)
from schemas.api import (
    ArchiveRecord,
    ArchiveView,
    PassportRequest,
    Problem,
    RevocationView,
    SubmitResult,
    VerificationEntry,
    VerifyRequest,
    WorkerRegistered,
    WorkerRegistration,
)
from schemas.events import SignedEvent, dump_event
from schemas.trust import SignedTrustList

router = APIRouter(prefix="/api/v1")

Submitter = Annotated[Principal, Depends(require(Role.AUTHORITY, Role.ISSUER))]
WorkerReader = Annotated[Principal, Depends(require(Role.AUTHORITY, Role.WORKER))]

WORKER_PATH = "/workers/{worker_id}"
MAX_BATCH = 1000
"""The most events one batch request may carry."""


def _service(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


@router.post(
    "/events",
    status_code=status.HTTP_201_CREATED,
    responses={
        **PROBLEMS,
        200: {"model": SubmitResult},
        422: {"model": SubmitResult | Problem},
        503: {"model": Problem},
    },
)
def submit_event(
    signed: SignedEvent, request: Request, response: Response, principal: Submitter
) -> SubmitResult:
    """Append one issuer-signed event: 201 appended, 200 already there, 422 refused.

    An issuer token submits only events naming its own issuer.
    """
    check_issuer(principal, [signed.event.get("issuer_id")])
    [outcome] = _service(request).submit([signed])
    result = outcome.result()
    if result.status == "refused":
        response.status_code = status.HTTP_422_UNPROCESSABLE_CONTENT
    elif result.status == "duplicate":
        response.status_code = status.HTTP_200_OK
    return result


@router.post(
    "/events/batch",
    responses={**PROBLEMS, 422: {"model": Problem}, 503: {"model": Problem}},
)
def submit_events(
    events: Annotated[list[SignedEvent], Body(max_length=MAX_BATCH)],
    request: Request,
    principal: Submitter,
) -> list[SubmitResult]:
    """Append several events; each gets its own result, in order."""
    check_issuer(principal, [signed.event.get("issuer_id") for signed in events])
    return [o.result() for o in _service(request).submit(events)]


@router.post(
    "/workers",
    status_code=status.HTTP_201_CREATED,
    responses={**PROBLEMS, 409: {"model": Problem}, 422: {"model": Problem}},
    dependencies=[Depends(require(Role.AUTHORITY, Role.ISSUER))],
)
def register_worker(body: WorkerRegistration, request: Request) -> WorkerRegistered:
    """Register a worker's identity; events then name the returned worker id."""
    [worker_id] = _service(request).register_workers([(body.id_number, body.name)])
    return WorkerRegistered(worker_id=worker_id)


@router.get(
    WORKER_PATH + "/archive",
    responses={**PROBLEMS, 404: {"model": Problem}, 422: {"model": Problem}},
)
def read_archive(
    worker_id: str, request: Request, principal: WorkerReader
) -> ArchiveView:
    """A worker's whole archive in log order, revocations marked, and its log."""
    check_worker(principal, worker_id)
    service = _service(request)
    service.identity(worker_id)
    archive = service.archive(worker_id)
    return ArchiveView(
        worker_id=worker_id,
        records=[
            ArchiveRecord(
                log_index=r.log_index,
                leaf_hash=r.leaf_hash,
                kind=r.kind.value,
                event=dump_event(r.event),
                revoked_by=r.revoked_by,
                revocation=(
                    None
                    if r.revocation is None
                    else RevocationView(
                        log_index=r.revocation.log_index,
                        revoked_on=r.revocation.revoked_on,
                        reason=r.revocation.reason,
                        corrected=r.revocation.corrected,
                    )
                ),
                corrects=r.correction.target_log_index if r.correction else None,
                compromised=r.compromised,
            )
            for r in archive.records
        ],
        verifications=_verification_entries(service, worker_id),
    )


@router.post(
    WORKER_PATH + "/passports",
    response_class=Response,
    responses={
        **PROBLEMS,
        200: {"content": {"application/pdf": {}}},
        404: {"model": Problem},
        422: {"model": Problem},
    },
)
def issue(
    worker_id: str, body: PassportRequest, request: Request, principal: WorkerReader
) -> Response:
    """Issue a passport with the chosen sections; the PDF comes back."""
    check_worker(principal, worker_id)
    options = PassportOptions(
        sections=frozenset(body.sections),
        valid_days=body.valid_days,
        language=body.language,
    )
    pdf = io.BytesIO()
    view = issue_passport(_service(request), worker_id, out=pdf, options=options)
    return Response(
        pdf.getvalue(),
        media_type="application/pdf",
        headers={
            "X-Passport-Id": view.passport_id,
            "X-Verification-Code": view.verification_code,
            "Content-Disposition": (
                f'attachment; filename="passport-{view.passport_id}.pdf"'
            ),
        },
    )


@router.get(
    WORKER_PATH + "/verifications",
    responses={**PROBLEMS, 404: {"model": Problem}, 422: {"model": Problem}},
)
def verifications(
    worker_id: str, request: Request, principal: WorkerReader
) -> list[VerificationEntry]:
    """Who verified the worker's passports, and with what result."""
    check_worker(principal, worker_id)
    service = _service(request)
    service.identity(worker_id)
    return _verification_entries(service, worker_id)


def _verification_entries(service: Service, worker_id: str) -> list[VerificationEntry]:
    return [
        VerificationEntry(
            passport_id=row.passport_id,
            verified_at=as_utc(row.verified_at),
            result=row.result,
            verifier=row.verifier,
        )
        for row in verification_log(service, worker_id)
    ]


@router.post("/verify", responses={401: PROBLEMS[401], 422: {"model": Problem}})
def verify(
    body: VerifyRequest,
    request: Request,
    principal: Annotated[Principal | None, Depends(optional_principal)],
) -> JSONResponse:
    """Verify a scanned QR text online: authentic, current, whose.

    Open to anyone; a verifier institution that sends its token is recorded
    under its own name rather than the name it gives.
    """
    now = utc_now()
    verifier = body.verifier
    if principal is not None and principal.role is Role.VERIFIER:
        verifier = principal.name
    verdict = verify_online(_service(request), body.qr, now=now, verifier=verifier)
    return JSONResponse(verdict.to_json(now=now))


@router.get("/trust-list")
def trust_list(request: Request) -> SignedTrustList:
    """The newest trust list, signed by the authority."""
    return SignedTrustList.model_validate_json(_service(request).trust_list_document())

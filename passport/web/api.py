"""The JSON API: submit events, register workers, read archives, passports, verify."""

from __future__ import annotations

import io
from typing import Annotated

from fastapi import APIRouter, Body, Request, Response, status
from fastapi.responses import JSONResponse

from ledger.entry import as_utc
from ledger.log import utc_now
from passport.issuance import PassportOptions, issue_passport
from passport.service import Service
from passport.verification import verification_log, verify_online
from schemas.api import (
    ArchiveRecord,
    ArchiveView,
    PassportRequest,
    Problem,
    SubmitResult,
    VerificationEntry,
    VerifyRequest,
    WorkerRegistered,
    WorkerRegistration,
)
from schemas.events import SignedEvent
from schemas.trust import SignedTrustList

# TODO: no authentication or roles yet: anyone who reaches the API can submit
# (signatures still bind every event to an accredited issuer), register
# workers and read archives. Deploy behind an authenticating proxy until the
# issuer, worker and authority roles exist.
router = APIRouter(prefix="/api/v1")

WORKER_PATH = "/workers/{worker_id}"
MAX_BATCH = 1000
"""The most events one batch request may carry."""


def _service(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


@router.post(
    "/events",
    status_code=status.HTTP_201_CREATED,
    responses={200: {"model": SubmitResult}, 422: {"model": SubmitResult}},
)
def submit_event(
    signed: SignedEvent, request: Request, response: Response
) -> SubmitResult:
    """Append one issuer-signed event: 201 appended, 200 already there, 422 refused."""
    [outcome] = _service(request).submit([signed])
    result = outcome.result()
    if result.status == "refused":
        response.status_code = status.HTTP_422_UNPROCESSABLE_CONTENT
    elif result.status == "duplicate":
        response.status_code = status.HTTP_200_OK
    return result


@router.post("/events/batch")
def submit_events(
    events: Annotated[list[SignedEvent], Body(max_length=MAX_BATCH)], request: Request
) -> list[SubmitResult]:
    """Append several events; each gets its own result, in order."""
    return [o.result() for o in _service(request).submit(events)]


@router.post("/workers", status_code=status.HTTP_201_CREATED)
def register_worker(body: WorkerRegistration, request: Request) -> WorkerRegistered:
    """Register a worker's identity; events then name the returned worker id."""
    [worker_id] = _service(request).register_workers([(body.id_number, body.name)])
    return WorkerRegistered(worker_id=worker_id)


@router.get(WORKER_PATH + "/archive")
def read_archive(worker_id: str, request: Request) -> ArchiveView:
    """A worker's whole archive in log order, revocations marked, and its log."""
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
                event=r.event.model_dump(mode="json", exclude_none=True),
                revoked_by=r.revoked_by,
            )
            for r in archive.records
        ],
        verifications=_verification_entries(service, worker_id),
    )


@router.post(
    WORKER_PATH + "/passports",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}, 404: {"model": Problem}},
)
def issue(worker_id: str, body: PassportRequest, request: Request) -> Response:
    """Issue a passport with the chosen sections; the PDF comes back."""
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


@router.get(WORKER_PATH + "/verifications")
def verifications(worker_id: str, request: Request) -> list[VerificationEntry]:
    """Who verified the worker's passports, and with what result."""
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


@router.post("/verify")
def verify(body: VerifyRequest, request: Request) -> JSONResponse:
    """Verify a scanned QR text online: authentic, current, whose."""
    now = utc_now()
    verdict = verify_online(_service(request), body.qr, now=now, verifier=body.verifier)
    return JSONResponse(verdict.to_json(now=now))


@router.get("/trust-list")
def trust_list(request: Request) -> SignedTrustList:
    """The newest trust list, signed by the authority."""
    return SignedTrustList.model_validate_json(_service(request).trust_list_document())

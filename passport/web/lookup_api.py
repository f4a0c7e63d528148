"""Looking a passport up by the 核验码 read aloud over the phone.

The answer is the one a scanned QR gets online (``passport.verdict``), built
from the service's own record of the passport. A code is as guessable as a
certificate number, so lookups spend the same per-client budgets as the
certificate checks: one request token each, and a miss token for a code the
service never issued.
"""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from ledger.log import utc_now
from passport.service import Service
from passport.verification import lookup_passport
from passport.web.checks_api import _limits, _too_many, client_key
from passport.web.page import MAX_ORG
from schemas.api import Problem

router = APIRouter(prefix="/api/v1/passports", tags=["passports"])


@router.get(
    "/{verification_code}",
    responses={422: {"model": Problem}, 429: {"model": Problem}},
)
def lookup(
    verification_code: str,
    request: Request,
    verifier: str = Query("", max_length=MAX_ORG),
) -> JSONResponse:
    """The online verdict for a verification code such as ``T5LK-DVSJ-SMVE-2``."""
    limits, client = _limits(request), client_key(request)
    wait = limits.requests.take(client)
    if wait:
        return _too_many(wait, "passport lookups")
    service: Service = request.app.state.service
    now = utc_now()
    verdict = lookup_passport(
        service, verification_code, now=now, verifier=verifier.strip() or "lookup"
    )
    if verdict.status == "unknown_passport":
        wait = limits.misses.take(client)
        if wait:
            return _too_many(wait, "answers without a match")
    return JSONResponse(verdict.to_json(now=now))

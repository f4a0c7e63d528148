"""The verification page that a phone opens from the passport's QR code.

Chinese first with an English switch (``?lang=en``), plain HTML that works
without JavaScript. The path carries the compact passport; the page checks
it online and logs the verification for the holder.
"""

from __future__ import annotations

from importlib import resources
from typing import Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from ledger.log import utc_now
from passport.service import Service
from passport.timefmt import LABEL, china_minute
from passport.verdict import STATUS_TEXT
from passport.verification import verify_online
from schemas.catalogue import load_catalogue
from verify.qrtext import QR_PATH

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(
    directory=str(resources.files("passport.web").joinpath("templates"))
)


def _page(request: Request, payload: str, lang: str) -> HTMLResponse:
    service: Service = request.app.state.service
    now = utc_now()
    qr_text = f"{service.verify_url}{QR_PATH}{payload}"
    verdict = verify_online(service, qr_text, now=now, verifier="web page")
    english = lang == "en"
    catalogue = load_catalogue()
    level_name = catalogue.level_name_en if english else catalogue.level_name
    certificates = [
        {
            "name": catalogue.display_name(c.code, english=english),
            "level": level_name(c.skill_level) if c.skill_level else "",
            "number": c.certificate_no,
            "issued_on": c.issued_on.isoformat(),
        }
        for c in (verdict.passport.certificates if verdict.passport else ())
    ]
    words = {code: pair[english] for code, pair in STATUS_TEXT.items()}
    return templates.TemplateResponse(
        request,
        "verify.html",
        {
            "lang": lang,
            "verdict": verdict,
            "status_text": words.get(verdict.status, verdict.status),
            "reasons": [
                (words.get(f.code, f.code), f.message) for f in verdict.findings
            ],
            "certificates": certificates,
            "expires_at": (
                china_minute(verdict.passport.expires_at) if verdict.passport else ""
            ),
            "checked_at": china_minute(now),
            "time_label": LABEL,
            "path": request.url.path,
        },
    )


@router.get("/v/{payload}", response_class=HTMLResponse)
@router.get("/V/{payload}", response_class=HTMLResponse)
def verification_page(
    payload: str, request: Request, lang: Literal["zh", "en"] = Query("zh")
) -> HTMLResponse:
    """The answer for the person who scanned the QR; the payload is case-sensitive."""
    return _page(request, payload, lang)

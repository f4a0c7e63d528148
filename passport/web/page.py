"""The verification page that a phone opens from the passport's QR code.

Chinese first with an English switch (``?lang=en``), plain HTML that works
without JavaScript. The path carries the compact passport; the page checks
it online and logs the verification for the holder, naming the verifier's
institution when the verifier gives it (``?org=``).
"""

from __future__ import annotations

from importlib import resources
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from ledger.log import utc_now
from passport.service import Service
from passport.timefmt import china_minute, time_label
from passport.verification import verify_online
from passport.web.answers import answers
from schemas.catalogue import load_catalogue
from schemas.text import PlainText
from verify.qrtext import QR_PATH

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(
    directory=str(resources.files("passport.web").joinpath("templates"))
)


MAX_ORG = 100
"""The longest institution name the page records."""


def _page(request: Request, payload: str, lang: str, org: str) -> HTMLResponse:
    service: Service = request.app.state.service
    now = utc_now()
    qr_text = f"{service.verify_url}{QR_PATH}{payload}"
    verifier = org.strip() or "web page"
    verdict = verify_online(service, qr_text, now=now, verifier=verifier)
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
    return templates.TemplateResponse(
        request,
        "verify.html",
        {
            "lang": lang,
            "verdict": verdict,
            "answers": answers(verdict, english=english),
            "certificates": certificates,
            "checked_at": china_minute(now),
            "time_label": time_label(english=english),
            "path": request.url.path,
            "org": org.strip(),
        },
    )


@router.get("/v/{payload}", response_class=HTMLResponse)
@router.get("/V/{payload}", response_class=HTMLResponse)
def verification_page(
    payload: str,
    request: Request,
    lang: Literal["zh", "en"] = Query("zh"),
    org: Annotated[PlainText, Query(max_length=MAX_ORG)] = "",
) -> HTMLResponse:
    """The answer for the person who scanned the QR; the payload is case-sensitive."""
    return _page(request, payload, lang, org)

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
    qr_text = f"{service.settings.verify_url}{QR_PATH}{payload}"
    verdict = verify_online(service, qr_text, now=now, verifier="web page")
    catalogue = load_catalogue()
    status_zh, status_en = STATUS_TEXT.get(
        verdict.status, (verdict.status, verdict.status)
    )
    certificates = []
    if verdict.passport is not None:
        for c in verdict.passport.certificates:
            level = c.skill_level
            certificates.append(
                {
                    "code": c.code,
                    "name": _item_name(c.code, lang),
                    "level": (
                        (
                            catalogue.level_name(level)
                            if lang == "zh"
                            else catalogue.level_name_en(level)
                        )
                        if level
                        else ""
                    ),
                    "number": c.certificate_no,
                    "issued_on": c.issued_on.isoformat(),
                }
            )
    return templates.TemplateResponse(
        request,
        "verify.html",
        {
            "lang": lang,
            "verdict": verdict,
            "status_text": status_zh if lang == "zh" else status_en,
            "reasons": [
                (
                    STATUS_TEXT.get(f.code, (f.code, f.code))[0 if lang == "zh" else 1],
                    f.message,
                )
                for f in verdict.findings
            ],
            "certificates": certificates,
            "checked_at": now.strftime("%Y-%m-%d %H:%M UTC"),
            "path": request.url.path,
        },
        status_code=200,
    )


def _item_name(code: str, lang: str) -> str:
    catalogue = load_catalogue()
    for item in catalogue.items:
        if item.code == code and item.work_type is None:
            return item.name_zh if lang == "zh" else item.name_en
    return code


@router.get("/v/{payload}", response_class=HTMLResponse)
@router.get("/V/{payload}", response_class=HTMLResponse)
def verification_page(
    payload: str, request: Request, lang: Literal["zh", "en"] = Query("zh")
) -> HTMLResponse:
    """The answer for the person who scanned the QR; the payload is case-sensitive."""
    return _page(request, payload, lang)

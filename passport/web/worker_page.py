"""The worker's own view behind a link: archive, passports, verification log.

``/w/{token}`` shows the worker's records, a form to issue a passport with
their choices (sections, language, days) that downloads the PDF, and who
verified their passports. Plain HTML forms, no JavaScript. The token is a
capability (``passport.worker_links``); pages say ``no-referrer`` and
``no-store`` so that it leaks neither to other sites nor into caches.
"""

from __future__ import annotations

import io
from importlib import resources
from typing import Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.datastructures import FormData

from ledger.entry import as_utc
from ledger.log import utc_now
from passport.archive import Record
from passport.errors import ServiceError
from passport.issuance import PassportOptions, issue_passport
from passport.service import Service
from passport.timefmt import china_minute, time_label
from passport.verdict import STATUS_TEXT
from passport.verification import verification_log
from passport.worker_links import LinkRefused, open_link
from schemas.passport import LANGUAGES, MAX_PASSPORT_DAYS, SECTIONS

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(
    directory=str(resources.files("passport.web").joinpath("templates"))
)
PRIVATE = {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}

KIND_TEXT = {
    "training.enrolled": ("培训报名", "Training enrolment"),
    "training.completed": ("培训结业", "Training completed"),
    "certificate.issued": ("证书", "Certificate"),
    "competition.awarded": ("竞赛获奖", "Competition award"),
    "employment.started": ("入职", "Employment started"),
    "employment.ended": ("离职", "Employment ended"),
    "insurance.period": ("社会保险缴费", "Insurance months"),
    "entry.revoked": ("撤销", "Revocation"),
}
SECTION_TEXT = {
    "certificates": ("证书", "Certificates"),
    "training": ("培训", "Training"),
    "employment": ("就业", "Employment"),
    "awards": ("竞赛获奖", "Awards"),
    "insurance": ("社保缴费月数（不含金额）", "Months insured (no amounts)"),
    "guidance": ("晋升指引", "Promotion guidance"),
}
# the fact each kind of record is dated by, and the one that says what it is
DATE_FIELDS = (
    "issued_on",
    "completed_on",
    "start_on",
    "started_on",
    "ended_on",
    "awarded_on",
    "revoked_on",
    "period_from",
)
WHAT_FIELDS = ("certificate_no", "course", "position", "contest", "scheme", "reason")


def _service(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


def _refused(
    request: Request, exc: ServiceError, lang: str, status: int = 404
) -> HTMLResponse:
    return templates.TemplateResponse(
        request,
        "worker.html",
        {"lang": lang, "refused": str(exc)},
        status_code=status,
        headers=PRIVATE,
    )


def _line(record: Record, issuers: dict[str, str], english: bool) -> dict[str, Any]:
    event = record.event
    facts = event.model_dump(mode="json")
    when = next((str(facts[f]) for f in DATE_FIELDS if facts.get(f)), "")
    if facts.get("period_to"):
        when = f"{when} – {facts['period_to']}"
    what = next((str(facts[f]) for f in WHAT_FIELDS if facts.get(f)), "")
    return {
        "when": when,
        "kind": KIND_TEXT[record.kind.value][english],
        "what": what,
        "issuer": issuers.get(event.issuer_id, event.issuer_id),
        "revoked": record.revoked_by is not None,
    }


@router.get("/w/{token}", response_class=HTMLResponse)
def worker_view(
    token: str, request: Request, lang: Literal["zh", "en"] = Query("zh")
) -> HTMLResponse:
    """The worker's archive, the passport form and the verification log."""
    try:
        worker_id = open_link(_service(request), token, now=utc_now())
    except LinkRefused as exc:
        return _refused(request, exc, lang)
    return _view(request, worker_id, lang)


def _view(
    request: Request,
    worker_id: str,
    lang: str,
    *,
    form_error: str = "",
    status: int = 200,
) -> HTMLResponse:
    """The worker's page, with what was wrong in the form when it came back."""
    service = _service(request)
    english = lang == "en"
    identity = service.identity(worker_id)
    issuers = {i.issuer_id: i.name for i in service.trust_list().issuers}
    records = service.archive(worker_id).records
    log = [
        {
            "when": f"{china_minute(as_utc(row.verified_at))}",
            "result": STATUS_TEXT.get(row.result, (row.result, row.result))[english],
            "verifier": row.verifier or "",
        }
        for row in verification_log(service, worker_id)
    ]
    return templates.TemplateResponse(
        request,
        "worker.html",
        {
            "lang": lang,
            "name": identity.name,
            "records": [_line(r, issuers, english) for r in reversed(records)],
            "log": log,
            "sections": [(s, SECTION_TEXT[s][english]) for s in SECTIONS],
            "languages": LANGUAGES,
            "max_days": MAX_PASSPORT_DAYS,
            "time_label": time_label(english=english),
            "path": request.url.path.removesuffix("/passport"),
            "form_error": form_error,
        },
        status_code=status,
        headers=PRIVATE,
    )


class FormError(ValueError):
    """A field of the passport form that cannot be used, in Chinese and English."""


def _options(form: FormData) -> PassportOptions:
    """The worker's choices from the form; FormError naming the field if unfit."""
    sections = [str(s) for s in form.getlist("section")]
    if not sections:
        raise FormError(
            "请至少选择一项展示内容 / section: none chosen; show at least one"
        )
    unknown = sorted(set(sections) - set(SECTIONS))
    if unknown:
        raise FormError(f"展示内容无此选项 / section: unknown {unknown[0][:20]!r}")
    language = str(form.get("language", "zh"))
    if language not in LANGUAGES:
        raise FormError(
            f"语言应为 zh 或 en / language: expected zh or en, got {language[:20]!r}"
        )
    days = str(form.get("days", "90")).strip()
    if not days.isascii() or not days.isdigit():
        raise FormError(
            f"有效天数应为整数 / days: expected a whole number, got {days[:20]!r}"
        )
    if not 1 <= int(days) <= MAX_PASSPORT_DAYS:
        raise FormError(
            f"有效天数应为1至{MAX_PASSPORT_DAYS}天 / days: expected 1 to "
            f"{MAX_PASSPORT_DAYS}, got {int(days)}"
        )
    return PassportOptions(
        sections=frozenset(sections), valid_days=int(days), language=language
    )


@router.post("/w/{token}/passport", response_class=Response)
async def worker_passport(token: str, request: Request) -> Response:
    """Issue a passport with the worker's choices from the form; the PDF downloads.

    A field that cannot be used gives the page again with the reason; only a
    bad or expired token says that the link does not work.
    """
    service = _service(request)
    form = await request.form()
    lang = "en" if form.get("ui") == "en" else "zh"
    try:
        worker_id = open_link(service, token, now=utc_now())
    except LinkRefused as exc:
        return _refused(request, exc, lang)
    try:
        options = _options(form)
    except FormError as exc:
        return _view(request, worker_id, lang, form_error=str(exc), status=422)
    pdf = io.BytesIO()
    try:
        view = issue_passport(service, worker_id, out=pdf, options=options)
    except ServiceError as exc:
        return _refused(request, exc, lang, status=422)
    return Response(
        pdf.getvalue(),
        media_type="application/pdf",
        headers={
            **PRIVATE,
            "Content-Disposition": (
                f'attachment; filename="passport-{view.passport_id}.pdf"'
            ),
        },
    )

"""The worker's own view behind a link: archive, passport form, verification log."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import select
from typer.testing import CliRunner

from ledger.log import utc_now
from passport.cli.main import app as cli
from passport.erasure import erase_worker
from passport.errors import ServiceError
from passport.service import Service
from passport.web.app import create_app
from passport.worker_links import WorkerLinkRow, create_link, token_hash
from verify.reader import read_qr_text


@pytest.fixture
def client(service: Service, authority_token: str) -> Iterator[TestClient]:
    headers = {"Authorization": f"Bearer {authority_token}"}
    with TestClient(create_app(service), headers=headers) as client:
        yield client


def _path(url: str) -> str:
    return url[url.index("/w/") :]


def test_link_opens_archive_form_and_log(
    client: TestClient, service: Service, worker: str, tmp_path
) -> None:
    made = client.post(f"/api/v1/workers/{worker}/links", json={"days": 3})
    assert made.status_code == 201, made.text
    url = made.json()["url"]
    assert url.startswith("http://127.0.0.1:8000/w/")
    token = url.rsplit("/", 1)[1]
    with service.reading() as session:
        [stored] = session.scalars(select(WorkerLinkRow)).all()
    assert stored.token_hash == token_hash(token) and token not in stored.token_hash

    page = client.get(_path(url))
    assert page.status_code == 200
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["cache-control"] == "no-store"
    assert "吉𠮷" in page.text and "培训结业" in page.text
    assert "S000050123456245" in page.text and "尚无核验记录" in page.text

    form = {
        "section": ["certificates", "insurance"],
        "language": "en",
        "days": "30",
        "ui": "zh",
    }
    pdf = client.post(_path(url) + "/passport", data=form)
    assert pdf.status_code == 200, pdf.text
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"].startswith("attachment;")
    text = PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert "Certificates 证书" in text and "Training" not in text

    saved = tmp_path / "p.pdf"
    saved.write_bytes(pdf.content)
    qr_text = read_qr_text(str(saved))
    checked = client.get(qr_text[qr_text.index("/V/") :], params={"org": "渝北养老院"})
    assert 'data-status="valid"' in checked.text
    again = client.get(_path(url))
    assert "渝北养老院" in again.text and "有效" in again.text
    english = client.get(_path(url), params={"lang": "en"})
    assert "Who checked my passports" in english.text


@pytest.mark.parametrize(
    ("form", "error"),
    [
        (
            {"section": "certificates", "days": "abc"},
            "有效天数应为整数 / days: expected a whole number, got &#39;abc&#39;",
        ),
        (
            {"section": "training", "days": "0"},
            "有效天数应为1至3660天 / days: expected 1 to 3660, got 0",
        ),
        (
            {"section": "training", "days": "３０"},
            "有效天数应为整数 / days: expected a whole number",
        ),
        (
            {"section": "bogus"},
            "展示内容无此选项 / section: unknown &#39;bogus&#39;",
        ),
        (
            {"days": "30"},
            "请至少选择一项展示内容 / section: none chosen; show at least one",
        ),
        (
            {"section": "training", "language": "fr"},
            "语言应为 zh 或 en / language: expected zh or en, got &#39;fr&#39;",
        ),
    ],
)
def test_a_bad_field_gives_the_form_again_and_the_link_still_works(
    client: TestClient,
    service: Service,
    worker: str,
    form: dict[str, str],
    error: str,
) -> None:
    token, _ = create_link(service, worker, days=1, now=utc_now())
    bad = client.post(f"/w/{token}/passport", data=form)
    assert bad.status_code == 422
    assert f'<p class="error" id="form-error" role="alert">{error}' in bad.text
    assert "链接无效或已过期" not in bad.text
    assert f'action="/w/{token}/passport"' in bad.text and "吉𠮷" in bad.text
    good = client.post(
        f"/w/{token}/passport", data={"section": "certificates", "days": "30"}
    )
    assert good.headers["content-type"] == "application/pdf", good.text


def test_unknown_expired_and_erased_links_open_nothing(
    client: TestClient, service: Service, worker: str
) -> None:
    message = "link: unknown or expired; ask for a new one"
    long_ago = utc_now() - dt.timedelta(days=10)
    expired, _ = create_link(service, worker, days=1, now=long_ago)
    live, _ = create_link(service, worker, days=1, now=utc_now())
    for token in ("nope", "x" * 200, expired):
        page = client.get(f"/w/{token}")
        assert page.status_code == 404 and message in page.text
        assert "吉𠮷" not in page.text
        form = client.post(f"/w/{token}/passport", data={"days": "5"})
        assert form.status_code == 404 and message in form.text
    assert client.get(f"/w/{live}").status_code == 200
    erase_worker(service, worker, now=utc_now(), reason="PIPL")
    assert client.get(f"/w/{live}").status_code == 404
    with pytest.raises(ServiceError, match=r"personal data was erased$"):
        create_link(service, worker, days=1, now=utc_now())


def test_link_days_are_bounded(client: TestClient, worker: str) -> None:
    response = client.post(f"/api/v1/workers/{worker}/links", json={"days": 91})
    assert response.status_code == 422
    assert response.json()["detail"].startswith("body.days:")


def test_cli_prints_a_link(service: Service, worker: str) -> None:
    where = ["--db", service.settings.db_url, "--home", str(service.settings.home)]
    result = CliRunner().invoke(cli, ["worker", "link", worker, "--days", "2", *where])
    assert result.exit_code == 0, result.output
    url = result.output.splitlines()[0]
    assert url.startswith("http://127.0.0.1:8000/w/") and len(url) > 60
    with TestClient(create_app(service)) as client:
        assert client.get(_path(url)).status_code == 200

"""The verification page in headless Chromium, one test per result kind.

Debian's ``chromium`` and ``chromium-driver`` (``.ci/run`` installs them) are
driven by Selenium with JavaScript switched off and a phone-sized window; the
app is served by uvicorn on a free localhost port. The status service is
made unreachable by a second server whose database file was destroyed after
it had loaded the trust list.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import uvicorn
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from selenium import webdriver
from selenium.webdriver.chrome.service import Service as DriverService
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from sqlalchemy import select

from issuers.keys import key_id, raw_public
from issuers.tables import ServiceKeyRow
from ledger.log import utc_now
from passport import keyring
from passport.config import Settings
from passport.erasure import erase_worker
from passport.issuance import PassportOptions, compose_passport, issue_passport
from passport.service import Service
from passport.web.app import create_app
from tests import kit
from tests.conftest import PASSPHRASE
from verify.compact import CompactPassport, sign_compact
from verify.qrtext import to_qr_text

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
PHONE_WIDTH = 390
PEOPLE = {
    "current": ("110105194912310038", "张三明"),
    "revoked": ("110105195001010012", "李四光"),
    "erased": ("110105195102020017", "王五华"),
}

if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
    if os.environ.get("SKILLPASS_REQUIRE_BROWSER"):
        pytest.fail("SKILLPASS_REQUIRE_BROWSER is set but chromium is missing")
    pytest.skip(
        "Debian's chromium and chromium-driver are not installed",
        allow_module_level=True,
    )


@dataclass
class Site:
    """Two servers (one with its database gone) and the page paths per kind."""

    base: str
    offline_base: str
    paths: dict[str, str] = field(default_factory=dict)
    service: Service | None = None
    workers: dict[str, str] = field(default_factory=dict)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class _Server:
    server: uvicorn.Server
    thread: threading.Thread
    base: str


def _serve(service: Service) -> _Server:
    port = _free_port()
    config = uvicorn.Config(
        create_app(service), host="127.0.0.1", port=port, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    return _Server(server, thread, f"http://127.0.0.1:{port}")


def _path(service: Service, qr_text: str) -> str:
    return qr_text[len(service.verify_url) :]


def _mark_signer(service: Service, *, compromised_since: dt.datetime) -> None:
    """Let the signer key date back to 2020 and mark it compromised since then."""
    with service.session() as session:
        row = session.scalars(
            select(ServiceKeyRow).where(ServiceKeyRow.role == keyring.PASSPORT_SIGNER)
        ).one()
        row.valid_from = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
        row.compromised_since = compromised_since
    service.publish_trust_list()


def _passports(service: Service, workers: dict[str, str]) -> dict[str, str]:
    """The QR text of one passport per result kind, the status-free ones first."""
    now = utc_now().replace(microsecond=0)
    before = now - dt.timedelta(days=2)

    def issue(who: str, at: dt.datetime, days: int = 90) -> str:
        view = issue_passport(
            service,
            workers[who],
            out=io.BytesIO(),
            options=PassportOptions(valid_days=days),
            now=at,
        )
        return view.qr_text

    # compromised after every other passport's date, the not-yet-valid one's too
    compromised_since = now + dt.timedelta(days=5)
    _mark_signer(service, compromised_since=compromised_since)
    qr = {
        "valid": issue("current", before),
        "expired": issue("current", now - dt.timedelta(days=30), days=1),
        "not_yet_valid": issue("current", now + dt.timedelta(days=3)),
        "key_compromised": issue("current", compromised_since),
        "revoked": issue("revoked", before),
        "holder_erased": issue("erased", before),
    }
    # a passport of the same shape signed by a key no trust list names
    stranger = Ed25519PrivateKey.generate()
    view = compose_passport(
        service, workers["current"], options=PassportOptions(), now=before
    )
    compact = CompactPassport(
        passport_id=view.passport_id,
        issued_at=view.issued_at,
        expires_at=view.expires_at,
        masked_name=view.holder.masked_name,
        id_last4=view.holder.id_last4,
        tree_size=view.tree_size,
        certificates=(),
    )
    kid = bytes.fromhex(key_id(raw_public(stranger.public_key())))
    cose = sign_compact(compact, private_key=stranger, key_id=kid)
    qr["unknown_signer"] = to_qr_text(cose, service.verify_url)
    return qr


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    os.environ["SKILLPASS_KEY_PASSPHRASE"] = PASSPHRASE
    home = tmp_path_factory.mktemp("browser")
    settings = Settings.load(db=f"sqlite:///{home / 'skillpass.db'}", home=home)
    service = Service.open(settings, create_keys=True)
    issuers = kit.standard_issuers()
    kit.register_issuers(service, issuers)
    workers = dict(
        zip(PEOPLE, service.register_workers(list(PEOPLE.values())), strict=True)
    )
    evaluator = issuers["eval"]
    for who, worker_id in workers.items():
        [outcome] = service.submit(
            [evaluator.sign(kit.certificate(worker_id, "eval-001", f"C-{who}"))]
        )
        assert outcome.entry is not None
    qr = _passports(service, workers)

    target = service.log.entry(service.archive(workers["revoked"]).records[0].log_index)
    reason = "考核舞弊 exam misconduct"
    revoke = kit.revocation(
        workers["revoked"], "eval-001", "R-1", target=target, reason=reason
    )
    [outcome] = service.submit([evaluator.sign(revoke)])
    assert outcome.entry is not None
    erase_worker(service, workers["erased"], now=utc_now(), reason="PIPL 测试")

    # a copy whose database then disappears: the status service is unreachable
    copy = tmp_path_factory.mktemp("offline")
    shutil.copytree(home, copy, dirs_exist_ok=True)
    unreachable = Service.open(
        Settings.load(db=f"sqlite:///{copy / 'skillpass.db'}", home=copy)
    )
    unreachable.trust_list()
    unreachable.engine.dispose()
    for leftover in copy.glob("skillpass.db*"):
        leftover.unlink()
    (copy / "skillpass.db").write_bytes(b"this is not a database\n" * 64)

    online, offline = _serve(service), _serve(unreachable)
    site = Site(online.base, offline.base, service=service, workers=workers)
    site.paths = {kind: _path(service, text) for kind, text in qr.items()}
    site.paths["status_unknown"] = site.paths["valid"]
    try:
        yield site
    finally:
        for running in (online, offline):
            running.server.should_exit = True
            running.thread.join(timeout=10)
        service.close()
        unreachable.close()
        del os.environ["SKILLPASS_KEY_PASSPHRASE"]


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
    ):
        options.add_argument(argument)
    # a phone's screen, so that the page's viewport meta tag counts
    options.add_experimental_option(
        "mobileEmulation",
        {"deviceMetrics": {"width": PHONE_WIDTH, "height": 844, "pixelRatio": 2}},
    )
    # the page must work without JavaScript
    options.add_experimental_option(
        "prefs", {"profile.managed_default_content_settings.javascript": 2}
    )
    driver = webdriver.Chrome(
        service=DriverService(executable_path=str(CHROMEDRIVER)), options=options
    )
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def _open(browser: WebDriver, site: Site, kind: str, query: str = "") -> None:
    base = site.offline_base if kind == "status_unknown" else site.base
    browser.get(base + site.paths[kind] + query)


def _text(browser: WebDriver, element_id: str) -> str:
    return browser.find_element(By.ID, element_id).text


def _status(browser: WebDriver) -> str:
    status = browser.find_element(By.ID, "status").get_attribute("data-status")
    assert status is not None
    return status


def _fits_the_phone(browser: WebDriver) -> None:
    main = browser.find_element(By.TAG_NAME, "main")
    assert main.size["width"] <= PHONE_WIDTH
    badge = browser.find_element(By.ID, "status")
    assert badge.value_of_css_property("font-size") == "24px"


def test_valid_passport_answers_all_three_and_switches_to_english(
    browser: WebDriver, site: Site
) -> None:
    _open(browser, site, "valid")
    assert _status(browser) == "valid"
    assert _text(browser, "status") == "✓ 有效"
    assert _text(browser, "authentic").startswith("是否真实\n是\n签名有效")
    assert "未撤销，有效期至" in _text(browser, "current")
    assert "张*明" in _text(browser, "whose")
    assert _text(browser, "id-last4") == "0038"
    assert "张三明" not in browser.page_source
    _fits_the_phone(browser)

    # a plain link, no script: follow it as the phone would
    english = browser.find_element(By.LINK_TEXT, "English").get_attribute("href")
    assert english is not None
    browser.get(english)
    assert browser.current_url.endswith("?lang=en")
    assert _text(browser, "status") == "✓ valid"
    assert "the signature is valid" in _text(browser, "authentic")
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"


def test_revoked_shows_the_date_and_the_reason(browser: WebDriver, site: Site) -> None:
    _open(browser, site, "revoked")
    assert _status(browser) == "revoked"
    assert _text(browser, "status") == "✗ 已撤销"
    assert _text(browser, "authentic").split("\n")[1] == "是"
    current = _text(browser, "current")
    assert current.split("\n")[1] == "否"
    assert "所载证书已于 2025-01-01 撤销，原因：考核舞弊 exam misconduct" in current
    assert "李*光" in _text(browser, "whose")


def test_expired(browser: WebDriver, site: Site) -> None:
    _open(browser, site, "expired", "?lang=en")
    assert _status(browser) == "expired"
    assert _text(browser, "status") == "✗ expired"
    current = _text(browser, "current")
    assert current.split("\n")[1] == "No" and "expired on" in current


def test_not_yet_valid(browser: WebDriver, site: Site) -> None:
    _open(browser, site, "not_yet_valid")
    assert _status(browser) == "not_yet_valid"
    assert _text(browser, "status") == "✗ 尚未生效"
    assert "尚未生效：签发时间为" in _text(browser, "current")


def test_unknown_issuer(browser: WebDriver, site: Site) -> None:
    _open(browser, site, "unknown_signer")
    assert _status(browser) == "unknown_signer"
    assert _text(browser, "status") == "✗ 签发方不在信任列表中"
    authentic = _text(browser, "authentic")
    assert authentic.split("\n")[1] == "否" and "无法确认来源" in authentic
    assert _text(browser, "whose").split("\n")[1] == "无法判断"


def test_compromised_key(browser: WebDriver, site: Site) -> None:
    _open(browser, site, "key_compromised")
    assert _status(browser) == "key_compromised"
    assert _text(browser, "status") == "✗ 签发密钥已泄露"
    assert "签发密钥已被宣布泄露" in _text(browser, "authentic")
    assert _text(browser, "current").split("\n")[1] == "无法判断"


def test_erased_holder_shows_no_name(browser: WebDriver, site: Site) -> None:
    _open(browser, site, "holder_erased")
    assert _status(browser) == "holder_erased"
    assert _text(browser, "status") == "✗ 持证人个人信息已删除"
    assert "持证人已申请删除个人信息" in _text(browser, "current")
    whose = _text(browser, "whose")
    assert whose.split("\n")[1] == "无法核对"
    assert "王*华" not in browser.page_source
    assert not browser.find_elements(By.ID, "id-last4")


def test_status_service_unreachable_is_not_valid(
    browser: WebDriver, site: Site
) -> None:
    _open(browser, site, "status_unknown")
    assert _status(browser) == "status_unknown"
    assert _text(browser, "status") == "! 状态暂时无法核实"
    assert _text(browser, "authentic").split("\n")[1] == "是"
    current = _text(browser, "current")
    assert current.split("\n")[1] == "无法确认" and "状态服务暂时无法访问" in current
    assert "仅离线核验" in browser.find_element(By.TAG_NAME, "footer").text


def test_verifier_institution_reaches_the_holders_log(
    browser: WebDriver, site: Site
) -> None:
    _open(browser, site, "valid")
    # a plain GET form, no script: what submitting it requests
    form = browser.find_element(By.TAG_NAME, "form")
    assert form.get_attribute("method") == "get"
    browser.get(f"{form.get_attribute('action')}?org=某某养老院")
    assert "org=" in browser.current_url and _status(browser) == "valid"
    assert site.service is not None
    from passport.verification import verification_log

    log = verification_log(site.service, site.workers["current"])
    assert log[0].verifier == "某某养老院" and log[0].result == "valid"

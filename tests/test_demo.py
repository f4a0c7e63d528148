"""The main job end to end: the demo's passports, read and checked as outsiders would.

The QR codes are decoded with zxing-cpp from pages rendered at 150 dpi, the
PDFs' text is extracted with pypdf, and ``skillpass`` runs as a separate
process, so its exit codes are the ones a shell sees.
"""

from __future__ import annotations

import io
import json
import os
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pypdfium2 as pdfium
import pytest
import zxingcpp
from pypdf import PdfReader
from rich.console import Console
from sqlalchemy import Engine

from ledger.log import utc_now
from passport.demo.run import DemoReport, run_demo
from passport.qr import qr_version
from passport.verdict import verify_offline
from tests.conftest import PASSPHRASE
from verify.qrtext import QR_TEXT_ALPHABET
from verify.reader import read_qr_text
from verify.trust import load_trust_list

WORKERS = 60


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, DemoReport]:
    out = tmp_path_factory.mktemp("demo")
    os.environ["SKILLPASS_KEY_PASSPHRASE"] = PASSPHRASE
    try:
        report = run_demo(
            out, workers=WORKERS, seed=11, db=None, console=Console(file=io.StringIO())
        )
    finally:
        del os.environ["SKILLPASS_KEY_PASSPHRASE"]
    return out, report


def skillpass(*args: str, passphrase: bool = False) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, COLUMNS="200")
    if passphrase:
        env["SKILLPASS_KEY_PASSPHRASE"] = PASSPHRASE
    return subprocess.run(
        [sys.executable, "-m", "passport", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_demo_appends_everything_and_verifies_its_passports(
    demo: tuple[Path, DemoReport],
) -> None:
    _, report = demo
    assert report.workers == WORKERS
    assert not report.refused
    assert sum(report.appended.values()) > 5 * WORKERS
    assert len(report.passports) >= 3
    assert report.verified == report.tampered_refused == len(report.passports)
    assert report.credentials and report.credentials_verified == len(report.credentials)


def test_zxing_reads_every_qr_from_a_150_dpi_render(
    demo: tuple[Path, DemoReport],
) -> None:
    """Every QR decodes at 150 dpi, is version 12-M at most; prints the spread."""
    decoded: Counter[int] = Counter()
    for path in demo[1].passports:
        page = pdfium.PdfDocument(path)[0]
        image = page.render(scale=150 / 72).to_pil()
        [barcode] = zxingcpp.read_barcodes(image)
        assert barcode.text == read_qr_text(str(path))
        assert barcode.text.startswith("HTTP://127.0.0.1:8000/V/")
        assert set(barcode.text) <= QR_TEXT_ALPHABET
        # zxing's own reading of the symbol, not our encoder's choice
        assert barcode.ec_level == "M"
        version = int(barcode.extra["Version"])
        assert version == qr_version(barcode.text) <= 12
        decoded[version] += 1
        passport = verify_offline(
            barcode.text, load_trust_list(demo[0] / "trust-list.json"), now=utc_now()
        ).passport
        assert passport is not None and len(passport.certificates) <= 6
    assert decoded == demo[1].qr_versions
    print("QR versions at level M over the demo passports:", sorted(decoded.items()))


def test_names_extract_back_exactly(demo: tuple[Path, DemoReport]) -> None:
    out, report = demo
    with sqlite3.connect(out / "skillpass.db") as connection:
        names = [
            connection.execute(
                "SELECT name FROM worker_identities WHERE worker_id = ?", (worker_id,)
            ).fetchone()[0]
            for worker_id in report.holders
        ]
    assert any("𠮷" in name or "䶮" in name or "·" in name for name in names)
    for path, name in zip(report.passports, names, strict=True):
        text = PdfReader(path).pages[0].extract_text()
        assert name in text
        assert "职业技能护照" in text and "Skills Passport" in text


def test_cli_verify_accepts_each_pdf(demo: tuple[Path, DemoReport]) -> None:
    out, report = demo
    trust = str(out / "trust-list.json")
    for path in report.passports:
        result = skillpass("verify", "--trust-list", trust, str(path))
        assert result.returncode == 0, result.stdout + result.stderr
        assert "有效 valid" in result.stdout


def test_cli_verify_refuses_every_single_character_change(
    demo: tuple[Path, DemoReport],
) -> None:
    out, report = demo
    trust = str(out / "trust-list.json")
    qr_text = read_qr_text(str(report.passports[0]))
    start = qr_text.index("/V/") + 3
    positions = range(start, len(qr_text), max(1, (len(qr_text) - start) // 5))
    for position in positions:
        changed = "B" if qr_text[position] == "A" else "A"
        text = qr_text[:position] + changed + qr_text[position + 1 :]
        result = skillpass("verify", "--json", "--trust-list", trust, text)
        assert result.returncode == 1, (position, result.stdout)
        assert json.loads(result.stdout)["valid"] is False


def test_cli_verify_usage_errors_exit_2(demo: tuple[Path, DemoReport]) -> None:
    out, _report = demo
    trust = str(out / "trust-list.json")
    missing = skillpass("verify", "--trust-list", trust, str(out / "nope.pdf"))
    assert missing.returncode == 2
    assert "is not a file, nor QR text" in missing.stderr
    no_list = skillpass("verify", "--trust-list", str(out / "x.json"), "x")
    assert no_list.returncode == 2 and "cannot read" in no_list.stderr
    assert skillpass("verify").returncode == 2


def test_cli_verify_refuses_a_trust_list_with_a_bad_signature(
    demo: tuple[Path, DemoReport], tmp_path: Path
) -> None:
    out, report = demo
    document = json.loads((out / "trust-list.json").read_text())
    document["trust_list"]["verify_url"] = "HTTP://EVIL.EXAMPLE"
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps(document))
    result = skillpass("verify", "--trust-list", str(forged), str(report.passports[0]))
    assert result.returncode == 1
    assert "the authority's signature does not verify" in result.stderr
    as_json = skillpass(
        "verify", "--json", "--trust-list", str(forged), str(report.passports[0])
    )
    assert as_json.returncode == 1
    assert json.loads(as_json.stdout)["reasons"][0]["code"] == "untrusted"
    pinned = skillpass(
        "verify",
        "--authority-key",
        "garbage",
        "--trust-list",
        str(out / "trust-list.json"),
        str(report.passports[0]),
    )
    assert pinned.returncode == 2
    assert "is not base64 of a 32-byte Ed25519 key" in pinned.stderr


def test_cli_audit_passes_on_the_demo_database(demo: tuple[Path, DemoReport]) -> None:
    out, _ = demo
    result = skillpass("audit", "--home", str(out), passphrase=True)
    assert result.returncode == 0, result.stderr
    assert "audit passed" in result.stdout


@pytest.mark.postgres
def test_demo_runs_on_postgresql(
    db_url_and_engine: tuple[str, Engine], tmp_path: Path, passphrase: str
) -> None:
    url, _ = db_url_and_engine
    report = run_demo(
        tmp_path, workers=15, seed=5, db=url, console=Console(file=io.StringIO())
    )
    assert not report.refused and report.passports
    assert report.verified == report.tampered_refused == len(report.passports)


def test_demo_prints_guidance_in_several_situations(
    demo: tuple[Path, DemoReport],
) -> None:
    out, report = demo
    shown = {why: lines for why, _, lines in report.guidance}
    assert len(shown) >= 4, list(shown)
    assert "已可申报 eligible now" in shown
    assert "将来可申报 eligible at a future date" in shown
    assert "培训后未取证 trained, no certificate yet" in shown
    now = [zh for zh, _ in shown["已可申报 eligible now"]]
    assert any(zh.startswith("已可申报（自") for zh in now)
    later = [zh for zh, _ in shown["将来可申报 eligible at a future date"]]
    assert any(zh.startswith("最早可申报日期：20") for zh in later)
    trainee = [zh for zh, _ in shown["培训后未取证 trained, no certificate yet"]]
    assert any(zh.startswith("技能评价指引：") for zh in trainee)
    # unknown conditions are shown as unknown, with whom to ask
    every = [zh for lines in shown.values() for zh, _ in lines]
    assert any("（待核实）" in zh and "请向评价机构核实？" in zh for zh in every)
    assert report.push_list is not None and report.push_list.parent == out
    header = report.push_list.read_text(encoding="utf-8").splitlines()[0]
    assert header.startswith("worker_id,occupation_code,")

"""Importing the broken rosters of ``tests/data/import/`` against a golden report.

Every encoding Excel writes (UTF-8 with and without BOM, GBK, GB18030,
UTF-16 tab-separated, XLSX with typed cells), every kind of damaged ID
number and every way of writing a date appear in those files; the report
of importing them one after the other must be exactly
``expected_report.csv``. The same rows in another encoding are already
logged, which shows that re-importing adds nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import importlib.util
import io
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from issuers.errors import KeyStoreError
from issuers.keys import load_key_file
from passport.cli.import_cmd import _sign_and_submit
from passport.imports.cleaning import (
    CellProblem,
    clean_date,
    clean_flag,
    clean_id_number,
    clean_int,
    clean_level,
    clean_name,
)
from passport.imports.columns import HeaderError, ImportKind
from passport.imports.importer import prepare_import, prepare_in_chunks
from passport.imports.reading import RosterError, detect_encoding, read_roster
from passport.imports.report import report_lines
from passport.service import Service, utc_now_seconds
from tests import kit
from tests.conftest import PASSPHRASE

DATA = Path(__file__).parent / "data" / "import"
# the folder is named after the feature, a keyword, so it is loaded by path
_SPEC = importlib.util.spec_from_file_location("make_files", DATA / "make_files.py")
assert _SPEC is not None and _SPEC.loader is not None
make_files = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(make_files)
FILES = [
    ("certificates_utf8.csv", ImportKind.CERTIFICATE, "eval"),
    ("certificates_utf8_bom.csv", ImportKind.CERTIFICATE, "eval"),
    ("certificates_utf16.txt", ImportKind.CERTIFICATE, "eval"),
    ("certificates.xlsx", ImportKind.CERTIFICATE, "eval"),
    ("training_gbk.csv", ImportKind.TRAINING, "train"),
    ("training_gb18030.csv", ImportKind.TRAINING, "train"),
]


def golden() -> list[list[str]]:
    with (DATA / "expected_report.csv").open(encoding="utf-8", newline="") as f:
        return list(csv.reader(f))[1:]


def import_file(
    service: Service, name: str, kind: ImportKind, issuer: kit.Issuer
) -> list[list[str]]:
    plan, chunks = prepare_in_chunks(
        service,
        (DATA / name).read_bytes(),
        kind=kind,
        issuer_id=issuer.issuer_id,
        signed_at=utc_now_seconds(),
        chunk=4,
    )
    _sign_and_submit(service, plan, chunks, issuer.key)
    return [[name, plan.encoding, *line] for line in report_lines(plan)]


def test_broken_rosters_give_exactly_the_golden_report(
    service: Service, issuers: dict[str, kit.Issuer]
) -> None:
    lines = []
    for name, kind, who in FILES:
        lines.extend(import_file(service, name, kind, issuers[who]))
    if os.environ.get("SKILLPASS_WRITE_GOLDEN"):
        with (DATA / "expected_report.csv").open("w", encoding="utf-8") as f:
            writer = csv.writer(f, lineterminator="\n")
            writer.writerow(
                [
                    "file",
                    "encoding",
                    "row",
                    "status",
                    "column",
                    "value",
                    "reason",
                    "detail",
                ]
            )
            writer.writerows(lines)
    assert lines == golden()
    # 7 certificate rows appended; 4 training rows, three with a completion
    assert service.log.size() == 7 + 4 + 3


def test_reimporting_adds_nothing(
    service: Service, issuers: dict[str, kit.Issuer]
) -> None:
    first = import_file(
        service, "training_gb18030.csv", ImportKind.TRAINING, issuers["train"]
    )
    size = service.log.size()
    again = import_file(
        service, "training_gb18030.csv", ImportKind.TRAINING, issuers["train"]
    )
    assert service.log.size() == size
    assert {line[3] for line in again} == {"already_logged", "invalid"}
    assert [line[2] for line in again if line[3] == "already_logged"] == [
        line[2] for line in first if line[3] == "appended"
    ]


@pytest.mark.parametrize(
    ("cell", "reason"),
    [
        ("5.00102E+17", "id_number_scientific"),
        (5.00102198001011e17, "id_number_as_number"),
        ("500102198001011000", "id_number_digits_lost"),
        ("", "missing"),
        ("50010219800101101", "id_number_invalid"),
    ],
)
def test_damaged_id_numbers_are_refused_with_their_reason(
    cell: str | float, reason: str
) -> None:
    with pytest.raises(CellProblem) as caught:
        clean_id_number(cell)
    assert caught.value.reason == reason


@pytest.mark.parametrize(
    "written",
    [
        "2024-01-01",
        "2024年1月1日",
        "2024.1.1",
        "2024/1/1",
        "20240101",
        "45292",
        dt.datetime(2024, 1, 1, 0, 0),
    ],
)
def test_every_date_form_reads_as_the_same_day(written: str | dt.datetime) -> None:
    assert clean_date(written) == dt.date(2024, 1, 1)


def test_utf16_without_bom_is_recognised() -> None:
    assert detect_encoding("姓名\t身份证号\n".encode("utf-16-le")) == "utf-16-le"


def test_a_roster_without_an_id_column_is_refused_whole(
    service: Service, issuers: dict[str, kit.Issuer]
) -> None:
    with pytest.raises(HeaderError, match="header: no column for 身份证号"):
        prepare_import(
            service,
            "姓名,证书编号,发证日期,职业\n王芳,S1,2024-01-01,养老护理员\n".encode(),
            kind=ImportKind.CERTIFICATE,
            issuer_id="eval-001",
            signed_at=utc_now_seconds(),
        )
    assert service.log.size() == 0


def test_cli_signs_with_the_key_file_and_writes_the_report(
    service: Service,
    issuers: dict[str, kit.Issuer],
    db_url_and_engine: tuple[str, object],
    tmp_path: Path,
) -> None:
    key_file = tmp_path / "eval.pem"
    key: Ed25519PrivateKey = issuers["eval"].key
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(PASSPHRASE.encode()),
        )
    )
    report = tmp_path / "report.csv"
    command = [
        sys.executable,
        "-m",
        "passport",
        "import",
        str(DATA / "certificates_utf8.csv"),
        "--kind",
        "certificate",
        "--issuer",
        "eval-001",
        "--key",
        str(key_file),
        "--report",
        str(report),
        "--home",
        str(tmp_path),
        "--db",
        db_url_and_engine[0],
    ]
    env = dict(os.environ, SKILLPASS_KEY_PASSPHRASE=PASSPHRASE, COLUMNS="200")
    done = subprocess.run(
        command, capture_output=True, text=True, env=env, timeout=120, check=False
    )
    assert done.returncode == 1, done.stderr
    assert "已追加 appended 4" in done.stdout
    rows = list(csv.reader(io.StringIO(report.read_text("utf-8-sig"))))
    expected = [line[2:] for line in golden() if line[0] == "certificates_utf8.csv"]
    assert rows[1:] == expected


def test_api_upload_returns_the_report_and_events_to_sign(
    service: Service, issuers: dict[str, kit.Issuer], authority_token: str
) -> None:
    from fastapi.testclient import TestClient

    from passport.web.app import create_app

    headers = {"Authorization": f"Bearer {authority_token}"}
    with TestClient(create_app(service), headers=headers) as client:
        response = client.post(
            "/api/v1/imports?kind=certificate&issuer_id=eval-001",
            content=(DATA / "certificates.xlsx").read_bytes(),
            headers={"content-type": "application/octet-stream"},
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert service.log.size() == 0  # nothing appended before signing
        assert [line["status"] for line in body["report"]] == [
            "ready",
            "invalid",
            "ready",
            "ready",
        ]
        signed = [
            issuers["eval"].sign(item["event"]).model_dump(mode="json")
            for item in body["events"]
        ]
        results = client.post("/api/v1/events/batch", json=signed).json()
        assert [r["status"] for r in results] == ["appended"] * 3
        again = client.post(
            "/api/v1/imports?kind=certificate&issuer_id=eval-001",
            content=(DATA / "certificates.xlsx").read_bytes(),
        ).json()
        assert again["events"] == []
        bad = client.post(
            "/api/v1/imports?kind=certificate&issuer_id=eval-001",
            content="姓名\n王芳\n".encode(),
        )
        assert bad.status_code == 422
        assert bad.json()["detail"].startswith("header: no column for 身份证号")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"PK\x03\x04not a zip", "file: not a readable XLSX workbook"),
        (b"\x80\x80\x80", "file: neither UTF-8, UTF-16 nor GB18030 text"),
        (b"", "file: empty, no header row"),
    ],
)
def test_unreadable_files_are_refused_whole(data: bytes, message: str) -> None:
    with pytest.raises(RosterError, match=message):
        read_roster(data)


@pytest.mark.parametrize(
    ("clean", "cell", "reason"),
    [
        (clean_level, "六级", "level_invalid"),
        (lambda c: clean_int(c, low=1, high=2000), "0", "number_out_of_range"),
        (lambda c: clean_flag(c, default=True), "也许", "flag_invalid"),
        (clean_name, " · ", "name_invalid"),
        (clean_date, "2024年2月30日", "date_invalid"),
        (clean_date, "next monday", "date_unreadable"),
    ],
)
def test_each_cell_problem_has_its_reason(clean: Any, cell: str, reason: str) -> None:
    with pytest.raises(CellProblem) as caught:
        clean(cell)
    assert caught.value.reason == reason


def test_names_are_nfc_with_one_middle_dot() -> None:
    assert clean_name("Zoe\u0301 ・ 买买提") == "Zoé·买买提"
    assert clean_name("阿依古丽．．买买提") == "阿依古丽·买买提"


def test_a_key_file_that_does_not_decrypt_is_refused(tmp_path: Path) -> None:
    key_file = tmp_path / "k.pem"
    key_file.write_bytes(
        Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"another passphrase"),
        )
    )
    with pytest.raises(KeyStoreError, match="cannot decrypt or read it"):
        load_key_file(key_file, b"wrong")


def test_the_name_as_written_is_kept_beside_the_clean_one_and_erased_with_it(
    service: Service, issuers: dict[str, kit.Issuer]
) -> None:
    from passport.erasure import erase_worker
    from passport.workers import worker_id_for

    import_file(
        service, "certificates_utf8.csv", ImportKind.CERTIFICATE, issuers["eval"]
    )
    worker_id = worker_id_for(make_files.id_number(12), service.keys.pseudonym)
    row = service.identity(worker_id)
    assert (row.name, row.name_as_written) == ("李娜", "李 娜")
    untouched = worker_id_for(make_files.id_number(11), service.keys.pseudonym)
    assert service.identity(untouched).name_as_written is None
    erase_worker(service, worker_id, now=utc_now_seconds(), reason="PIPL 2026-1")
    row = service.identity(worker_id)
    assert (row.name, row.name_as_written) == (None, None)

"""Certificate checks by number and name: answers, tables, rate limits, CLI."""

from __future__ import annotations

import csv
import datetime as dt
import io
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook, load_workbook
from typer.testing import CliRunner

from passport.checks import CheckRequest, check_certificates, limit_misses
from passport.checktable import TableError, read_table, write_table
from passport.cli.main import app as cli
from passport.erasure import erase_worker
from passport.ratelimit import BucketSize, TokenBucket
from passport.service import Service
from passport.web.app import create_app
from passport.web.checks_api import CheckLimits
from schemas.identifiers import id_check_char
from tests import kit

HOLDERS = 2000


def _name(i: int) -> str:
    return "张" + chr(0x4E00 + i) + "明"


def _id_number(i: int) -> str:
    born = dt.date(1970, 1, 1) + dt.timedelta(days=i)
    first17 = f"110105{born:%Y%m%d}001"
    return first17 + id_check_char(first17)


def _number(i: int) -> str:
    return f"S000050123456245{i:06d}"


def _holders(service: Service, issuers: dict[str, kit.Issuer], count: int) -> list[str]:
    """Workers 0..count-1, each with certificate _number(i); 0 is revoked."""
    people = [(_id_number(i), _name(i)) for i in range(count)]
    workers = service.register_workers(people)
    evaluator = issuers["eval"]
    events = [
        evaluator.sign(
            kit.certificate(w, "eval-001", f"C-{i}", certificate_no=_number(i))
        )
        for i, w in enumerate(workers)
    ]
    assert all(o.entry for o in service.submit(events))
    target = service.log.entry(service.archive(workers[0]).records[0].log_index)
    revoke = kit.revocation(workers[0], "eval-001", "R-0", target=target, reason="舞弊")
    [outcome] = service.submit([evaluator.sign(revoke)])
    assert outcome.entry is not None
    return workers


@pytest.fixture
def holders(service: Service, issuers: dict[str, kit.Issuer]) -> list[str]:
    """Twenty holders of certificates, the first one revoked."""
    return _holders(service, issuers, 20)


@pytest.fixture
def many(service: Service, issuers: dict[str, kit.Issuer]) -> list[str]:
    """HOLDERS holders of certificates, the first one revoked."""
    return _holders(service, issuers, HOLDERS)


def _client(service: Service, limits: CheckLimits | None = None) -> TestClient:
    return TestClient(create_app(service, check_limits=limits))


def test_answers_reveal_nothing_beyond_the_question(
    service: Service, holders: list[str]
) -> None:
    erase_worker(service, holders[2], now=dt.datetime.now(dt.UTC), reason="PIPL")
    requests = [
        CheckRequest(_number(1), _name(1)),
        CheckRequest(f" {_number(1)} ", f" {_name(1)}\t"),
        CheckRequest(_number(1), _name(3)),
        CheckRequest(_number(0), _name(0)),
        CheckRequest(_number(2), _name(2)),
        CheckRequest("S000050123456245999999", _name(1)),
        CheckRequest("", _name(1)),
        CheckRequest(_number(1), ""),
    ]
    results = check_certificates(service, requests)
    assert [r.result for r in results] == [
        "match",
        "match",
        "no_match",
        "revoked",
        "no_match",
        "no_match",
        "invalid",
        "invalid",
    ]
    assert results[3].revoked_on == "2025-01-01"
    assert [r.detail for r in results[6:]] == [
        "证书编号为空 / certificate_no: empty",
        "姓名为空 / name: empty",
    ]
    # a wrong name, an erased holder and an unknown number answer alike
    assert results[2].name == _name(3) and _name(1) not in repr(results[2])
    assert {(r.revoked_on, r.detail) for r in (results[2], results[4], results[5])} == {
        (None, "")
    }


def test_batch_of_10000_rows_over_http(service: Service, many: list[str]) -> None:
    rows, expected = [], []
    for i in range(10_000):
        holder = i % HOLDERS
        variant = i // HOLDERS
        if variant == 2:
            rows.append((_number(holder), _name((holder + 1) % HOLDERS)))
            expected.append("no_match")
        elif variant == 3:
            rows.append((f"S000050123456245{HOLDERS + i:06d}", _name(holder)))
            expected.append("no_match")
        else:
            rows.append((_number(holder), _name(holder)))
            expected.append("revoked" if holder == 0 else "match")
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(["序号", "证书编号", "姓名"])
    writer.writerows([str(n), *row] for n, row in enumerate(rows))
    limits = CheckLimits(misses=TokenBucket(BucketSize(capacity=10_000, rate=1)))
    started = time.monotonic()
    with _client(service, limits) as client:
        response = client.post(
            "/api/v1/certificate-checks/batch",
            content=text.getvalue().encode("utf-8"),
            headers={"content-type": "text/csv"},
        )
    elapsed = time.monotonic() - started
    assert response.status_code == 200, response.text
    assert response.headers["content-disposition"].endswith('.csv"')
    table = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert table[0][:3] == ["证书编号 certificate_no", "姓名 name", "核查结果 result"]
    assert [(r[0], r[1]) for r in table[1:]] == rows
    assert [r[2] for r in table[1:]] == expected
    assert Counter(r[4] for r in table[1:])["2025-01-01"] == 3
    assert elapsed < 60


def test_1000_enumeration_guesses_get_rate_limited(
    service: Service, holders: list[str]
) -> None:
    statuses: Counter[int] = Counter()
    answered = []
    started = time.monotonic()
    with _client(service) as client:
        for guess in range(1000):
            response = client.post(
                "/api/v1/certificate-checks",
                json={"certificate_no": _number(guess), "name": "王小二"},
            )
            statuses[response.status_code] += 1
            if response.status_code == 429:
                assert int(response.headers["retry-after"]) >= 1
                assert response.json()["reason"] == "rate_limited"
            else:
                answered.append(response.json()["result"])
    # a burst of 30, then one every 2 s while the guessing lasted
    allowed = 30 + int((time.monotonic() - started) * 0.5) + 1
    assert set(answered) == {"no_match"} and len(answered) <= allowed
    assert statuses[429] == 1000 - len(answered) >= 900


def test_misses_are_limited_across_requests_and_within_a_batch(
    service: Service, holders: list[str]
) -> None:
    limits = CheckLimits(misses=TokenBucket(BucketSize(capacity=3, rate=0.001)))
    rows = [(_number(i), _name(i) if i % 2 else "王小二") for i in range(1, 11)]
    book = Workbook()
    sheet = book.active
    sheet.append(["certificate_no", "name"])
    for row in rows:
        sheet.append(list(row))
    upload = io.BytesIO()
    book.save(upload)
    with _client(service, limits) as client:
        response = client.post(
            "/api/v1/certificate-checks/batch", content=upload.getvalue()
        )
        assert response.status_code == 200, response.text
        result = load_workbook(io.BytesIO(response.content), read_only=True)
        cells = list(result.worksheets[0].iter_rows(values_only=True))
        # rows 2, 4 and 6 miss; the fourth miss (row 8) and everything after
        # it is withheld, the matches in between included
        assert [c[2] for c in cells[1:]] == [
            "match",
            "no_match",
            "match",
            "no_match",
            "match",
            "no_match",
            "match",
            "not_checked",
            "not_checked",
            "not_checked",
        ]
        again = client.post(
            "/api/v1/certificate-checks/batch", content=upload.getvalue()
        )
        assert again.status_code == 429
        assert (
            again.json()["detail"] == "answers without a match: too many; retry later"
        )
        single = client.post(
            "/api/v1/certificate-checks",
            json={"certificate_no": _number(1), "name": _name(1)},
        )
        assert single.json() == {
            "result": "match",
            "detail": "一致：证书有效",
            "revoked_on": None,
        }


NUMBER_FORMAT = (
    "证书编号应为8至32位大写字母或数字 / certificate_no: expected 8 to 32 capital "
    "letters and digits"
)


@pytest.mark.parametrize(
    ("number", "name", "detail"),
    [
        ("abc", "吉𠮷", NUMBER_FORMAT),
        ("s000050123456", "吉𠮷", NUMBER_FORMAT),  # lowercase
        ("S00005-0123456", "吉𠮷", NUMBER_FORMAT),
        ("S" * 33, "吉𠮷", NUMBER_FORMAT),
        ("证书S000050123456", "吉𠮷", NUMBER_FORMAT),
        (
            _number(1),
            "张" * 33,
            "姓名最多32个字符 / name: expected at most 32 characters, got 33",
        ),
        (
            _number(1),
            "张\u200b明",
            "姓名含控制字符或格式字符 / name: character U+200B (Cf) at 1 is a "
            "control or format character",
        ),
    ],
)
def test_malformed_rows_are_invalid_with_the_reason(
    service: Service, holders: list[str], number: str, name: str, detail: str
) -> None:
    with _client(service) as client:
        response = client.post(
            "/api/v1/certificate-checks", json={"certificate_no": number, "name": name}
        )
    assert (response.status_code, response.json()) == (
        200,
        {"result": "invalid", "detail": detail, "revoked_on": None},
    )


def test_the_name_limit_is_the_one_registration_uses(
    service: Service, authority_token: str
) -> None:
    from passport.workers import check_name
    from schemas.identifiers import IdentifierError

    assert check_name("张" * 32) == "张" * 32
    with pytest.raises(IdentifierError, match=r"^name: expected 1 to 32 characters"):
        check_name("张" * 33)
    with _client(service) as client:
        response = client.post(
            "/api/v1/workers",
            json={"id_number": _id_number(1), "name": "张" * 33},
            headers={"Authorization": f"Bearer {authority_token}"},
        )
    assert response.json()["detail"] == (
        "body.name: String should have at most 32 characters"
    )


def test_blank_rows_of_a_batch_come_back_invalid_in_place(
    service: Service, holders: list[str]
) -> None:
    table = (
        f"证书编号,姓名\n{_number(1)},{_name(1)}\n,\n \t, \n{_number(3)},{_name(3)}"
        f"\n{_number(5)},王小二\n,\n\n"
    ).encode()
    rows = read_table(table, "csv")
    assert len(rows) == 5  # the two blank rows at the end are dropped
    with _client(service) as client:
        response = client.post("/api/v1/certificate-checks/batch", content=table)
    out = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [(r[0], r[2], r[3]) for r in out[1:]] == [
        (_number(1), "match", "一致：证书有效"),
        ("", "invalid", "证书编号为空 / certificate_no: empty"),
        ("", "invalid", "证书编号为空 / certificate_no: empty"),
        (_number(3), "match", "一致：证书有效"),
        (_number(5), "no_match", "不一致：无此证书或姓名不符"),
    ]


def test_retry_after_is_the_time_until_the_next_token(
    service: Service, holders: list[str]
) -> None:
    now = [1000.0]
    bucket = TokenBucket(BucketSize(capacity=2, rate=0.5), clock=lambda: now[0])
    body = {"certificate_no": _number(1), "name": _name(1)}
    with _client(service, CheckLimits(requests=bucket)) as client:
        assert [
            client.post("/api/v1/certificate-checks", json=body).status_code
            for _ in range(2)
        ] == [200, 200]
        waits = []
        for elapsed in (0.0, 0.5, 1.2, 1.9):
            now[0] = 1000.0 + elapsed
            response = client.post("/api/v1/certificate-checks", json=body)
            assert response.status_code == 429
            waits.append(response.headers["retry-after"])
        # one token every 2 s: 2.0, 1.5, 0.8 and 0.1 s left, in whole seconds up
        assert waits == ["2", "2", "1", "1"]
        now[0] = 1002.0
        assert client.post("/api/v1/certificate-checks", json=body).status_code == 200


def test_limit_misses_withholds_everything_after_the_budget() -> None:
    from passport.checks import CheckResult

    results = [CheckResult("N", "X", r) for r in ("no_match", "match", "no_match")]
    budget = iter([True, False])
    limited = limit_misses(results, lambda: next(budget))
    assert [r.result for r in limited] == ["no_match", "match", "not_checked"]


def test_token_bucket_refills_at_its_rate() -> None:
    now = [0.0]
    bucket = TokenBucket(BucketSize(capacity=2, rate=0.5), clock=lambda: now[0])
    assert bucket.take("a") == 0 and bucket.take("a") == 0
    assert bucket.take("a") == pytest.approx(2.0)
    assert bucket.take("b") == 0
    now[0] = 2.0
    assert bucket.take("a") == 0 and bucket.take("a") == pytest.approx(2.0)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "table: empty, expected a header row"),
        (
            "编号,姓名\nX,张三\n".encode(),
            "header: expected one column named 证书编号 or certificate_no for "
            "certificate_no, found 0",
        ),
        (
            "证书编号,姓名,name\nX,张三,张三\n".encode(),
            "header: expected one column named 姓名 or name for name, found 2",
        ),
        (b"\xff\xfe\x00", "csv: byte 0 is neither UTF-8 nor GB18030"),
        ('证书编号,姓名\nX,"张\n三"\n'.encode(), "row 2: a cell holds a line break"),
    ],
)
def test_unreadable_tables_say_where(content: bytes, message: str) -> None:
    with pytest.raises(TableError) as caught:
        read_table(content, "csv")
    assert str(caught.value) == message


def test_gb18030_csv_and_formula_cells(service: Service) -> None:
    rows = read_table("证书编号,姓名\n=1+1,张三\n".encode("gb18030"), "csv")
    assert rows == [CheckRequest("=1+1", "张三")]
    [result] = check_certificates(service, rows)
    table = write_table([result], "csv").decode("utf-8-sig")
    assert "'=1+1,张三,invalid,证书编号应为" in table


def test_bad_table_over_http_is_a_422(service: Service) -> None:
    with _client(service) as client:
        response = client.post(
            "/api/v1/certificate-checks/batch", content=b"a,b\n1,2\n"
        )
    assert response.status_code == 422
    assert response.json()["reason"] == "bad_table"


@pytest.fixture
def runner() -> Iterator[CliRunner]:
    yield CliRunner()


def test_cli_checks_one_and_a_batch(
    service: Service, holders: list[str], tmp_path: Path, runner: CliRunner
) -> None:
    where = ["--db", service.settings.db_url, "--home", str(service.settings.home)]
    one = runner.invoke(cli, ["check", "certificate", _number(5), _name(5), *where])
    assert one.exit_code == 0, one.output
    assert one.output.startswith("match: 一致：证书有效 / match")
    wrong = runner.invoke(cli, ["check", "certificate", _number(5), _name(6), *where])
    assert wrong.exit_code == 1 and wrong.output.startswith("no_match:")
    empty = runner.invoke(cli, ["check", "certificate", _number(5), "", *where])
    assert (empty.exit_code, empty.output) == (
        1,
        "invalid: 输入有误 / invalid input (姓名为空 / name: empty)\n",
    )
    table = tmp_path / "list.csv"
    table.write_text(f"证书编号,姓名\n{_number(5)},{_name(5)}\n", encoding="utf-8")
    out = tmp_path / "result.csv"
    batch = runner.invoke(
        cli, ["check", "batch", str(table), "--out", str(out), *where]
    )
    assert batch.exit_code == 0, batch.output
    assert "1 rows checked (match 1)" in batch.output
    assert (
        out.read_text("utf-8-sig")
        .splitlines()[1]
        .startswith(f"{_number(5)},{_name(5)},match,")
    )
    bad = runner.invoke(
        cli, ["check", "batch", str(table), "--out", str(tmp_path / "r.xlsx"), *where]
    )
    assert bad.exit_code == 2


def test_broken_xlsx_and_a_misnamed_file_are_refused() -> None:
    from passport.checktable import kind_of

    with pytest.raises(TableError, match=r"^xlsx: cannot be opened \(\w+\)$"):
        read_table(b"PK\x03\x04 not really a workbook", "xlsx")
    with pytest.raises(
        TableError, match=r"^list\.xlsx: not an XLSX file \(no ZIP header\)$"
    ):
        kind_of("list.xlsx", b"a,b\n")
    assert kind_of("list.txt", b"a,b\n") == "csv"


def test_too_large_a_batch_is_a_413(service: Service) -> None:
    from passport.web.checks_api import MAX_UPLOAD

    with _client(service) as client:
        response = client.post(
            "/api/v1/certificate-checks/batch", content=b"x" * (MAX_UPLOAD + 1)
        )
    assert response.status_code == 413
    assert response.json()["detail"] == f"body: more than {MAX_UPLOAD} bytes"


def test_more_than_10000_rows_is_refused() -> None:
    table = "证书编号,姓名\n" + "S000050123456245000001,张三\n" * 10_001
    with pytest.raises(TableError, match=r"^table: more than 10000 rows; split it$"):
        read_table(table.encode(), "csv")

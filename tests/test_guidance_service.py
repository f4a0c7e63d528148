"""Guidance through the real service on both engines: events, evaluation, push, API."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from issuers.keys import raw_public
from issuers.registry import add_issuer_key, register_issuer
from passport.guidance import describe_worker
from passport.guidance.evaluation import evaluation_guidance
from passport.guidance.push import push_list
from passport.issuance import PassportOptions, compose_passport
from passport.service import Service
from passport.web.app import create_app
from schemas.events import dump_event, parse_event
from schemas.trust import IssuerKind
from tests import kit
from tests.guidance_kit import NO_RECORDS, NOT_IN_FORCE

TRAINEE = "120103198806018241"


def _register(service: Service, *issuers: kit.Issuer) -> None:
    with service.session() as session:
        for issuer in issuers:
            t = issuer.trusted
            register_issuer(
                session,
                issuer_id=t.issuer_id,
                name=t.name,
                kind=t.kind,
                uscc=t.uscc,
                accreditation=t.accreditation,
                now=kit.EPOCH,
            )
            add_issuer_key(
                session,
                issuer_id=t.issuer_id,
                public_key=raw_public(issuer.key.public_key()),
                valid_from=kit.EPOCH,
            )
    service.publish_trust_list()


def _apprenticeship(worker_id: str, issuer_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "kind": "apprenticeship.completed",
        "worker_id": worker_id,
        "issuer_id": issuer_id,
        "ref": "XT-1",
        "signed_at": "2025-03-03T02:00:00Z",
        "occupation_code": "4-10-01-05",
        "started_on": "2024-03-01",
        "completed_on": "2025-02-28",
        **extra,
    }


def _appointment(worker_id: str, issuer_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "kind": "appointment.granted",
        "worker_id": worker_id,
        "issuer_id": issuer_id,
        "ref": "PP-1",
        "signed_at": "2025-03-03T02:00:00Z",
        "occupation_code": "4-10-01-05",
        "post": "special_grade_technician",
        "term_start": "2025-03-01",
        "term_end": "2028-02-29",
        **extra,
    }


LADDER_KINDS = ["apprenticeship.completed", "appointment.granted", "entry.revoked"]


@pytest.fixture
def ladder_issuers(
    service: Service, issuers: dict[str, kit.Issuer]
) -> dict[str, kit.Issuer]:
    made = {
        "employer": kit.make_issuer("emp-002", IssuerKind.EMPLOYER, LADDER_KINDS),
        "school": kit.make_issuer(
            "train-002", IssuerKind.TRAINING_INSTITUTION, LADDER_KINDS
        ),
        "evaluator": kit.make_issuer(
            "eval-002", IssuerKind.EVALUATION_INSTITUTION, LADDER_KINDS
        ),
    }
    _register(service, *made.values())
    return made


def test_ladder_events_are_signed_by_whom_they_may_be(
    service: Service, worker: str, ladder_issuers: dict[str, kit.Issuer]
) -> None:
    employer, school = ladder_issuers["employer"], ladder_issuers["school"]
    evaluator = ladder_issuers["evaluator"]
    size = service.log.size()
    outcomes = service.submit(
        [
            employer.sign(_apprenticeship(worker, "emp-002")),
            school.sign(_apprenticeship(worker, "train-002")),
            employer.sign(_appointment(worker, "emp-002")),
            evaluator.sign(_apprenticeship(worker, "eval-002")),
            school.sign(_appointment(worker, "train-002")),
        ]
    )
    assert [o.entry is not None for o in outcomes] == [True, True, True, False, False]
    refused = [o.refused for o in outcomes[3:]]
    assert [r.reason for r in refused if r] == ["not_accredited", "not_accredited"]
    assert refused[0] is not None and refused[0].detail == (
        "kind: apprenticeship.completed is signed only by employer, "
        "training_institution, and eval-002 is evaluation_institution"
    )
    assert refused[1] is not None and refused[1].detail == (
        "kind: appointment.granted is signed only by employer, "
        "and train-002 is training_institution"
    )
    assert service.log.size() == size + 3


@pytest.mark.parametrize(
    ("maker", "extra", "message"),
    [
        (_apprenticeship, {"completed_on": "2024-02-29"}, "is before started_on"),
        (_appointment, {"term_end": "2025-03-01"}, "is not after term_start"),
        (_appointment, {"post": "foreman"}, "post"),
    ],
)
def test_malformed_ladder_events_leave_the_log_as_it_was(
    service: Service,
    worker: str,
    ladder_issuers: dict[str, kit.Issuer],
    maker: Any,
    extra: dict[str, Any],
    message: str,
) -> None:
    size = service.log.size()
    employer = ladder_issuers["employer"]
    [outcome] = service.submit([employer.sign(maker(worker, "emp-002", **extra))])
    assert outcome.refused is not None and message in outcome.refused.detail
    assert service.log.size() == size


def test_guidance_reads_the_ledger_events(
    service: Service, worker: str, ladder_issuers: dict[str, kit.Issuer]
) -> None:
    employer = ladder_issuers["employer"]
    service.submit([employer.sign(_appointment(worker, "emp-002"))])
    lines = describe_worker(
        service.archive(worker), as_of=dt.date(2026, 1, 1), trust_list=None
    )
    zh = [line for line, _ in lines]
    assert "当前等级：特级技师（聘期2025-03-01至2028-02-29）" in zh
    assert "下一等级：首席技师" in zh


@pytest.fixture
def trainee(service: Service, issuers: dict[str, kit.Issuer]) -> str:
    [worker_id] = service.register_workers([(TRAINEE, "王芳")])
    train = issuers["train"]
    outcomes = service.submit(
        [
            train.sign(kit.enrolment(worker_id, "train-001", "T-7")),
            train.sign(kit.completion(worker_id, "train-001", "T-7-done", "T-7")),
        ]
    )
    assert all(o.entry for o in outcomes)
    return worker_id


def test_trainee_without_certificate_gets_evaluation_guidance(
    service: Service, trainee: str, worker: str
) -> None:
    trust = service.trust_list()
    [advice] = evaluation_guidance(
        service.archive(trainee), trust, as_of=dt.date(2024, 6, 1)
    )
    assert (advice.code, advice.level, advice.hours) == ("4-10-01-05", 5, 82)
    assert [i.issuer_id for i in advice.institutions] == ["eval-001"]
    lines = describe_worker(
        service.archive(trainee), as_of=dt.date(2024, 6, 1), trust_list=trust
    )
    zh = "\n".join(line for line, _ in lines)
    assert "可参加养老护理员 五级/初级工 职业技能等级认定" in zh
    assert "开展该评价的备案评价机构：测试机构 eval-001（eval-001）" in zh
    # the fixture worker holds 五级 and 四级: nothing to sit for that class
    assert (
        evaluation_guidance(service.archive(worker), trust, as_of=dt.date(2024, 6, 1))
        == []
    )


def test_no_accredited_institution_is_said_plainly(
    service: Service, issuers: dict[str, kit.Issuer]
) -> None:
    [worker_id] = service.register_workers([(TRAINEE, "王芳")])
    train = issuers["train"]
    completion = kit.completion(worker_id, "train-001", "T-8-done", "T-8")
    service.submit(
        [
            train.sign(kit.enrolment(worker_id, "train-001", "T-8")),
            train.sign({**completion, "target_level": 2}),
        ]
    )
    [advice] = evaluation_guidance(
        service.archive(worker_id), service.trust_list(), as_of=dt.date(2024, 6, 1)
    )
    # eval-001 certifies up to 三级 only
    assert (advice.level, advice.institutions) == (2, [])
    lines = describe_worker(
        service.archive(worker_id),
        as_of=dt.date(2024, 6, 1),
        trust_list=service.trust_list(),
    )
    assert ("信任列表中暂无备案开展该评价的评价机构，请向人社部门咨询") in [
        zh for zh, _ in lines
    ]


@pytest.fixture
def newly_eligible(service: Service, issuers: dict[str, kit.Issuer]) -> str:
    """A worker whose first year of work ends on 2025-12-31 (a month end)."""
    [worker_id] = service.register_workers([("360426199101010071", "刘䶮")])
    job = {
        "kind": "employment.started",
        "worker_id": worker_id,
        "issuer_id": "emp-001",
        "ref": "RZ-1",
        "signed_at": "2025-01-02T02:00:00Z",
        "occupation_code": "4-10-01-05",
        "position": "护理员",
        "started_on": "2024-12-31",
    }
    [outcome] = service.submit([issuers["employer"].sign(job)])
    assert outcome.entry is not None
    return worker_id


@pytest.mark.parametrize(("month", "listed"), [("2025-11", 0), ("2025-12", 1)])
def test_push_list_holds_the_month_of_eligibility(
    service: Service, newly_eligible: str, worker: str, month: str, listed: int
) -> None:
    rows = push_list(service, month)
    assert [r.worker_id for r in rows] == [newly_eligible] * listed
    if listed:
        row = rows[0]
        assert (row.eligible_on, row.next_zh, row.paths) == (
            dt.date(2025, 12, 31),
            "五级/初级工",
            "a",
        )
        assert row.current_zh == "无"


def _skillpass(
    service: Service, db_url: str, *args: str
) -> subprocess.CompletedProcess[str]:
    home = str(service.settings.home)
    return subprocess.run(
        [sys.executable, "-m", "passport", *args, "--home", home, "--db", db_url],
        capture_output=True,
        text=True,
        env=dict(os.environ, COLUMNS="200"),
        timeout=120,
        check=False,
    )


def test_cli_guidance_and_push_list(
    service: Service,
    newly_eligible: str,
    db_url_and_engine: tuple[str, Engine],
    tmp_path: Path,
) -> None:
    url, _ = db_url_and_engine
    home = service
    shown = _skillpass(home, url, "guidance", newly_eligible, "--as-of", "2026-01-01")
    assert shown.returncode == 0, shown.stderr
    assert "已可申报（自2025-12-31起）" in shown.stdout
    out = tmp_path / "push.csv"
    pushed = _skillpass(
        home, url, "guidance-push", "--month", "2025-12", "--out", str(out)
    )
    assert pushed.returncode == 0, pushed.stderr
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert [(r["worker_id"], r["eligible_on"]) for r in rows] == [
        (newly_eligible, "2025-12-31")
    ]
    bad = _skillpass(
        home, url, "guidance-push", "--month", "2025-13", "--out", str(out)
    )
    assert bad.returncode == 2
    assert "month: expected YYYY-MM like 2026-12, got '2025-13'" in bad.stderr


@pytest.fixture
def client(service: Service, authority_token: str) -> Iterator[TestClient]:
    headers = {"Authorization": f"Bearer {authority_token}"}
    with TestClient(create_app(service), headers=headers) as client:
        yield client


def test_api_guidance_and_push_list(client: TestClient, newly_eligible: str) -> None:
    response = client.get(
        f"/api/v1/workers/{newly_eligible}/guidance", params={"as_of": "2025-12-31"}
    )
    assert response.status_code == 200, response.text
    [occupation] = response.json()["occupations"]
    assert occupation["earliest_eligible"] == "2025-12-31"
    path_a = occupation["paths"][0]
    assert (path_a["path_id"], path_a["met"]) == ("a", True)
    assert path_a["conditions"][0]["evidence"] == [0]
    assert ["已可申报（自2025-12-31起）", "May apply now (since 2025-12-31)"] in (
        occupation["lines"]
    )
    pushed = client.get("/api/v1/guidance/push", params={"month": "2025-12"})
    assert [r["worker_id"] for r in pushed.json()] == [newly_eligible]
    as_csv = client.get(
        "/api/v1/guidance/push", params={"month": "2025-12", "format": "csv"}
    )
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert list(csv.reader(io.StringIO(as_csv.text)))[1][0] == newly_eligible


@pytest.mark.parametrize(
    ("path", "params", "status", "detail"),
    [
        ("/api/v1/workers/" + "f" * 32 + "/guidance", {}, 404, "is not registered"),
        ("/api/v1/guidance/push", {"month": "12-2025"}, 422, "month: expected"),
        ("/api/v1/guidance/push", {}, 422, "month"),
    ],
)
def test_api_guidance_errors(
    client: TestClient, path: str, params: dict[str, str], status: int, detail: str
) -> None:
    response = client.get(path, params=params)
    assert response.status_code == status
    assert detail in response.json()["detail"]


def test_passport_guidance_section_is_opt_in(service: Service, worker: str) -> None:
    plain = compose_passport(service, worker, options=PassportOptions())
    assert plain.guidance == []
    sections = frozenset({"certificates", "guidance"})
    shown = compose_passport(
        service, worker, options=PassportOptions(sections=sections)
    )
    texts = [line.text_zh for line in shown.guidance]
    assert any(text.startswith("职业：养老护理员") for text in texts)
    assert "下一等级：三级/高级工" in texts


@pytest.mark.parametrize("maker", [_apprenticeship, _appointment])
def test_ladder_events_round_trip(maker: Any) -> None:
    data = maker("a" * 32, "emp-002")
    assert dump_event(parse_event(data)) == data


ISSUE = ["passport", "issue", "f" * 32, "--out", "p.pdf"]


def test_cli_unregistered_worker_is_a_usage_error(
    service: Service, db_url_and_engine: tuple[str, Engine]
) -> None:
    url, _ = db_url_and_engine
    done = _skillpass(service, url, "guidance", "f" * 32)
    assert done.returncode == 2
    assert f"worker: {'f' * 32} is not registered" in done.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["guidance", "f" * 32, "--as-of", "2026-02-30"], "--as-of: '2026-02-30'"),
        (
            [*ISSUE, "--guidance", "--hide", "guidance"],
            "--guidance: the guidance section is also hidden with --hide",
        ),
    ],
)
def test_cli_guidance_usage_errors(args: list[str], message: str) -> None:
    """Refused before any database is opened."""
    done = subprocess.run(
        [sys.executable, "-m", "passport", *args],
        capture_output=True,
        text=True,
        env=dict(os.environ, COLUMNS="200"),
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert message in done.stderr


def test_evaluation_agrees_with_promotion_guidance(
    service: Service, issuers: dict[str, kit.Issuer], trainee: str
) -> None:
    job = {
        "kind": "employment.started",
        "worker_id": trainee,
        "issuer_id": "emp-001",
        "ref": "RZ-9",
        "signed_at": "2025-01-02T02:00:00Z",
        "occupation_code": "4-10-01-05",
        "position": "护理员",
        "started_on": "2018-01-01",
    }
    [outcome] = service.submit([issuers["employer"].sign(job)])
    assert outcome.entry is not None
    archive, trust = service.archive(trainee), service.trust_list()
    [advice] = evaluation_guidance(archive, trust, as_of=dt.date(2024, 6, 1))
    assert (advice.level, advice.path_met) == (4, True)
    zh = [
        line
        for line, _ in describe_worker(
            archive, as_of=dt.date(2024, 6, 1), trust_list=trust
        )
    ]
    assert "说明：已满足四级/中级工路径b的条件，可直接申报" in zh
    assert (
        "技能评价指引：已完成养老护理员培训（2024-04-19结业，共82学时，第1条），"
        "尚无相应证书；已满足该等级申报条件，可直接申报养老护理员 四级/中级工 "
        "职业技能等级认定"
    ) in zh
    assert not [line for line in zh if "五级/初级工 职业技能等级认定" in line]


def test_cli_and_api_say_why_there_is_no_guidance(
    service: Service,
    worker: str,
    client: TestClient,
    db_url_and_engine: tuple[str, Engine],
) -> None:
    url, _ = db_url_and_engine
    early = _skillpass(service, url, "guidance", worker, "--as-of", "2019-09-30")
    assert early.returncode == 0, early.stderr
    # the whole output, rich's wrapping undone
    assert " ".join(early.stdout.split()) == " ".join(NOT_IN_FORCE)
    response = client.get(
        f"/api/v1/workers/{worker}/guidance", params={"as_of": "2019-09-30"}
    )
    assert response.status_code == 200
    assert response.json()["notices"] == [list(NOT_IN_FORCE)]
    assert response.json()["occupations"] == []
    [empty] = service.register_workers([("360426199101010071", "刘䶮")])
    bare = _skillpass(service, url, "guidance", empty)
    assert bare.returncode == 0, bare.stderr
    assert " ".join(bare.stdout.split()) == " ".join(NO_RECORDS)
    answer = client.get(f"/api/v1/workers/{empty}/guidance").json()
    assert (answer["notices"], answer["occupations"]) == ([list(NO_RECORDS)], [])

"""Risk rules at append: a positive and a negative case for every rule.

The log's clock is fixed at ``NOW`` so that "today" and "newly accredited"
do not depend on when the tests run. Flags are read back from the review
queue; a flag never changes the entry it is about.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import zlib
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ledger.risk.config import RiskConfigError, load_risk_config
from ledger.risk.screen import RULES, RiskScreen
from passport.review import ReviewError, list_flags, resolve_flag
from passport.service import Service
from passport.web.app import create_app
from schemas.identifiers import id_check_char
from schemas.trust import IssuerKind
from tests import kit
from tests.conftest import PASSPHRASE

# after the trust lists are published, which the audit looks up by time
NOW = dt.datetime(2030, 6, 1, 2, 0, tzinfo=dt.UTC)
SIGNED = "2030-06-01T01:00:00Z"
LATE = "2024-12-01T02:00:00Z"
NEW_SINCE = NOW - dt.timedelta(days=10)


@pytest.fixture
def world(service: Service, issuers: dict[str, kit.Issuer]) -> dict[str, kit.Issuer]:
    """The standard issuers, a second training institution and a new evaluator."""
    more = {
        "train2": kit.make_issuer(
            "train-002",
            IssuerKind.TRAINING_INSTITUTION,
            ["training.enrolled", "training.completed"],
        ),
        "new_eval": kit.make_issuer(
            "eval-new",
            IssuerKind.EVALUATION_INSTITUTION,
            ["certificate.issued"],
            occupations=["4-10-01-05"],
            highest_level=3,
        ),
    }
    kit.register_issuers(service, {"train2": more["train2"]})
    kit.register_issuers(service, {"new_eval": more["new_eval"]}, since=NEW_SINCE)
    service.log.clock = lambda: NOW
    return {**issuers, **more}


@pytest.fixture
def worker(service: Service, world: dict[str, kit.Issuer]) -> str:
    [worker_id] = service.register_workers([("11010519491231002X", "刘䶮")])
    return worker_id


def append(service: Service, issuer: kit.Issuer, event: dict[str, Any]) -> Any:
    [outcome] = service.submit([issuer.sign(event)])
    return outcome


def rules_fired(service: Service) -> list[str]:
    return [flag.rule for flag in list_flags(service)]


def enrolment(worker: str, issuer: str, ref: str, **facts: Any) -> dict[str, Any]:
    event = kit.enrolment(worker, issuer, ref)
    event.update(facts)
    if "start_on" in facts:
        event["signed_at"] = f"{facts['start_on']}T02:00:00Z"
    return event


def completion(
    worker: str, issuer: str, ref: str, of: str, completed_on: str
) -> dict[str, Any]:
    event = kit.completion(worker, issuer, ref, of)
    event.update(completed_on=completed_on, signed_at=f"{completed_on}T09:00:00Z")
    return event


def new_certificate(worker: str, ref: str, issued_on: str) -> dict[str, Any]:
    serial = zlib.crc32(ref.encode()) % 10**6
    return kit.certificate(
        worker,
        "eval-new",
        ref,
        certificate_no=f"S000050123456305{serial:06d}",
        issued_on=issued_on,
        signed_at=SIGNED,
    )


# future_fact


def test_future_fact_is_refused(service: Service, world, worker) -> None:
    event = kit.certificate(
        worker,
        "eval-001",
        "C-future",
        certificate_no="S000050123456305000001",
        issued_on="2030-06-02",
        signed_at=SIGNED,
    )
    outcome = append(service, world["eval"], event)
    assert outcome.refused is not None
    assert outcome.refused.reason == "future_fact"
    assert outcome.refused.detail == (
        "issued_on: 2030-06-02 is after today 2030-06-01 (China time)"
    )
    assert service.log.size() == 0


def test_fact_dated_today_is_appended(service: Service, world, worker) -> None:
    event = kit.certificate(
        worker,
        "eval-001",
        "C-today",
        certificate_no="S000050123456305000002",
        issued_on="2030-06-01",
        signed_at=SIGNED,
    )
    assert append(service, world["eval"], event).entry is not None


# prerequisite_contradicted


def test_certificate_before_its_prerequisite_is_refused(
    service: Service, world, worker
) -> None:
    four = kit.certificate(
        worker, "eval-001", "C-4", level=4, issued_on="2024-06-01", signed_at=LATE
    )
    assert append(service, world["eval"], four).entry is not None
    three = kit.certificate(
        worker, "eval-001", "C-3", level=3, issued_on="2024-01-01", signed_at=LATE
    )
    outcome = append(service, world["eval"], three)
    assert outcome.refused is not None
    assert outcome.refused.reason == "prerequisite_contradicted"
    assert outcome.refused.detail == (
        "issued_on: level 3 on 2024-01-01, but the worker's level 4 certificate "
        "it builds on (entry 0) was issued later, on 2024-06-01"
    )
    assert service.log.size() == 1


def test_certificate_after_its_prerequisite_is_appended(
    service: Service, world, worker
) -> None:
    four = kit.certificate(
        worker, "eval-001", "C-4", level=4, issued_on="2024-01-01", signed_at=LATE
    )
    three = kit.certificate(
        worker, "eval-001", "C-3", level=3, issued_on="2024-05-08", signed_at=LATE
    )
    assert append(service, world["eval"], four).entry is not None
    assert append(service, world["eval"], three).entry is not None


def test_completion_before_start_stays_refused_by_the_references(
    service: Service, world, worker
) -> None:
    assert append(service, world["train"], enrolment(worker, "train-001", "T")).entry
    early = completion(worker, "train-001", "T-done", "T", "2024-02-01")
    assert append(service, world["train"], early).refused.reason == "impossible_dates"
    late = completion(worker, "train-001", "T-done", "T", "2024-04-01")
    assert append(service, world["train"], late).entry is not None


# repeat_subsidy, yearly_limit, lifetime_limit


def test_second_subsidy_for_same_occupation_and_level_is_flagged(
    service: Service, world, worker
) -> None:
    first = enrolment(worker, "train-001", "A", target_level=5, start_on="2023-03-01")
    again = enrolment(worker, "train-002", "B", target_level=5, start_on="2024-03-01")
    append(service, world["train"], first)
    outcome = append(service, world["train2"], again)
    assert outcome.entry is not None
    assert [f.rule for f in outcome.flags] == ["repeat_subsidy"]
    assert outcome.flags[0].detail == (
        "occupation_code: 4-10-01-05 level 5 was already subsidised at train-001 "
        "(entry 0, 2023-03-01)"
    )


def test_subsidy_for_another_level_is_not_a_repeat(
    service: Service, world, worker
) -> None:
    append(
        service,
        world["train"],
        enrolment(worker, "train-001", "A", target_level=5, start_on="2023-03-01"),
    )
    append(
        service,
        world["train"],
        enrolment(worker, "train-001", "B", target_level=4, start_on="2024-03-01"),
    )
    unpaid = enrolment(
        worker,
        "train-001",
        "C",
        target_level=4,
        subsidised=False,
        start_on="2024-09-01",
    )
    append(service, world["train"], unpaid)
    assert rules_fired(service) == []


def test_second_subsidy_in_a_year_is_flagged(service: Service, world, worker) -> None:
    append(
        service,
        world["train"],
        enrolment(worker, "train-001", "A", target_level=5, start_on="2024-03-01"),
    )
    outcome = append(
        service,
        world["train"],
        enrolment(worker, "train-001", "B", target_level=4, start_on="2024-09-01"),
    )
    assert [f.rule for f in outcome.flags] == ["yearly_limit"]
    assert outcome.flags[0].detail == (
        "start_on: subsidised training 2 in 2024, the limit is 1 (entries 0)"
    )


def test_fourth_subsidy_in_all_is_flagged_and_third_is_not(
    service: Service, world, worker
) -> None:
    for n, (level, year) in enumerate([(5, 2021), (4, 2022), (3, 2023)]):
        event = enrolment(
            worker, "train-001", f"L{n}", target_level=level, start_on=f"{year}-03-01"
        )
        assert append(service, world["train"], event).flags == ()
    fourth = enrolment(worker, "train-001", "L3", target_level=2, start_on="2024-03-01")
    outcome = append(service, world["train"], fourth)
    assert [f.rule for f in outcome.flags] == ["lifetime_limit"]
    assert outcome.flags[0].detail == "subsidised: training 4 in all, the limit is 3"


# overlapping_classes, two_places


def test_overlapping_classes_at_two_institutions_are_flagged(
    service: Service, world, worker
) -> None:
    append(
        service,
        world["train"],
        enrolment(worker, "train-001", "A", start_on="2024-03-01", subsidised=False),
    )
    append(
        service,
        world["train"],
        completion(worker, "train-001", "A-done", "A", "2024-04-19"),
    )
    append(
        service,
        world["train2"],
        enrolment(worker, "train-002", "B", start_on="2024-04-02", subsidised=False),
    )
    outcome = append(
        service,
        world["train2"],
        completion(worker, "train-002", "B-done", "B", "2024-05-01"),
    )
    assert [f.rule for f in outcome.flags] == ["overlapping_classes"]
    assert outcome.flags[0].detail == (
        "completed_on: the class 2024-04-02..2024-05-01 overlaps the class "
        "2024-03-01..2024-04-19 at train-001 (entry 1)"
    )


def test_classes_one_after_the_other_are_not_flagged(
    service: Service, world, worker
) -> None:
    append(
        service,
        world["train"],
        enrolment(worker, "train-001", "A", start_on="2024-03-01", subsidised=False),
    )
    append(
        service,
        world["train"],
        completion(worker, "train-001", "A-done", "A", "2024-04-19"),
    )
    append(
        service,
        world["train2"],
        enrolment(worker, "train-002", "B", start_on="2024-04-22", subsidised=False),
    )
    append(
        service,
        world["train2"],
        completion(worker, "train-002", "B-done", "B", "2024-05-20"),
    )
    assert rules_fired(service) == []


def test_two_places_on_one_day_is_flagged(service: Service, world, worker) -> None:
    append(
        service,
        world["train"],
        enrolment(worker, "train-001", "A", start_on="2024-03-01", subsidised=False),
    )
    outcome = append(
        service,
        world["train2"],
        enrolment(worker, "train-002", "B", start_on="2024-03-01", subsidised=False),
    )
    assert [f.rule for f in outcome.flags] == ["two_places"]
    assert outcome.flags[0].detail == (
        "start_on: on 2024-03-01 the trainee was also at train-001 "
        "(start_on of entry 0)"
    )


def test_two_classes_at_one_institution_on_one_day_are_not_flagged(
    service: Service, world, worker
) -> None:
    append(
        service,
        world["train"],
        enrolment(worker, "train-001", "A", start_on="2024-03-01", subsidised=False),
    )
    append(
        service,
        world["train"],
        enrolment(worker, "train-001", "B", start_on="2024-03-01", subsidised=False),
    )
    append(
        service,
        world["train2"],
        enrolment(worker, "train-002", "C", start_on="2024-03-02", subsidised=False),
    )
    assert rules_fired(service) == []


# burst_issuance


def three_workers(service: Service) -> list[str]:
    people = []
    for n, name in enumerate(["甲一", "乙二", "丙三"]):
        first17 = f"5001021990010100{n}"
        people.append((first17 + id_check_char(first17), name))
    return service.register_workers(people)


def strict_burst(service: Service, limit: int, tmp_path: Path) -> None:
    config = tmp_path / "risk.toml"
    config.write_text(f"[burst_issuance]\nmax_certificates = {limit}\n", "utf-8")
    service.log.risk = RiskScreen(load_risk_config(config), service.accredited_since)


def test_burst_issuance_by_a_new_evaluator_is_flagged(
    service: Service, world, tmp_path: Path
) -> None:
    strict_burst(service, 2, tmp_path)
    workers = three_workers(service)
    events = [
        world["new_eval"].sign(new_certificate(w, f"N{n}", "2030-05-30"))
        for n, w in enumerate(workers)
    ]
    outcomes = service.submit(events)
    assert [o.flags for o in outcomes[:2]] == [(), ()]
    assert [f.rule for f in outcomes[2].flags] == ["burst_issuance"]
    assert outcomes[2].flags[0].detail == (
        "issuer_id: certificate 3 of eval-new within 60 days of its accreditation "
        "on 2030-05-22, the limit is 2"
    )


def test_the_same_count_from_an_established_evaluator_is_not_flagged(
    service: Service, world, tmp_path: Path
) -> None:
    strict_burst(service, 2, tmp_path)
    workers = three_workers(service)
    events = [
        world["eval"].sign(kit.certificate(w, "eval-001", f"E{n}"))
        for n, w in enumerate(workers)
    ]
    assert all(o.entry and not o.flags for o in service.submit(events))


# before_status


def revocation(worker: str, target: Any, revoked_on: str) -> dict[str, Any]:
    return {
        "kind": "entry.revoked",
        "worker_id": worker,
        "issuer_id": "eval-001",
        "ref": f"R-{revoked_on}",
        "signed_at": f"{revoked_on}T03:00:00Z",
        "target_log_index": target.entry.log_index,
        "target_leaf_hash": target.entry.leaf_hash.hex(),
        "reason": "证书信息有误",
        "revoked_on": revoked_on,
    }


def test_revocation_dated_before_its_target_is_flagged(
    service: Service, world, worker
) -> None:
    target = append(service, world["eval"], kit.certificate(worker, "eval-001", "C"))
    outcome = append(service, world["eval"], revocation(worker, target, "2024-05-01"))
    assert [f.rule for f in outcome.flags] == ["before_status"]
    assert outcome.flags[0].detail == (
        "revoked_on: 2024-05-01 is before issued_on 2024-05-08 of the entry 0 "
        "it revokes"
    )


def test_revocation_after_its_target_is_not_flagged(
    service: Service, world, worker
) -> None:
    target = append(service, world["eval"], kit.certificate(worker, "eval-001", "C"))
    outcome = append(service, world["eval"], revocation(worker, target, "2024-06-01"))
    assert outcome.entry is not None and outcome.flags == ()


# the queue, the ledger, the configuration


def test_flags_never_change_the_ledger_and_are_reviewed(
    service: Service, world, worker, authority_token: str
) -> None:
    first = enrolment(worker, "train-001", "A", target_level=5, start_on="2023-03-01")
    again = enrolment(worker, "train-002", "B", target_level=5, start_on="2024-03-01")
    plain = service.log.entry(append(service, world["train"], first).entry.log_index)
    flagged = append(service, world["train2"], again).entry
    assert (
        service.log.entry(flagged.log_index).event == world["train2"].sign(again).event
    )
    assert "flag" not in service.log.entry(flagged.log_index).leaf_data.decode()
    assert plain.event == first
    assert service.audit().tree_size == 2
    headers = {"Authorization": f"Bearer {authority_token}"}
    with TestClient(create_app(service), headers=headers) as client:
        [flag] = client.get("/api/v1/review/flags").json()
        assert (flag["rule"], flag["log_index"]) == ("repeat_subsidy", 1)
        body = {"decision": "dismissed", "note": "第二次为复训", "reviewer": "审核员"}
        url = f"/api/v1/review/flags/{flag['flag_id']}/resolution"
        assert client.post(url, json=body).status_code == 201
        again_response = client.post(url, json=body)
        assert again_response.status_code == 409
        assert again_response.json()["detail"] == (
            f"flag: {flag['flag_id']} was already decided"
        )
        assert client.get("/api/v1/review/flags").json() == []
    [decided] = list_flags(service, include_resolved=True)
    assert (decided.decision, decided.reviewer) == ("dismissed", "审核员")
    with pytest.raises(ReviewError, match="flag: no flag 99"):
        resolve_flag(service, 99, decision="confirmed", note="x", reviewer="y", now=NOW)
    assert service.audit().tree_size == 2


def test_a_disabled_rule_does_not_run(
    service: Service, world, worker, tmp_path: Path
) -> None:
    config = tmp_path / "risk.toml"
    config.write_text("[repeat_subsidy]\nenabled = false\n", "utf-8")
    service.log.risk = RiskScreen(load_risk_config(config), service.accredited_since)
    append(
        service,
        world["train"],
        enrolment(worker, "train-001", "A", target_level=5, start_on="2023-03-01"),
    )
    append(
        service,
        world["train"],
        enrolment(worker, "train-001", "B", target_level=5, start_on="2024-03-01"),
    )
    assert rules_fired(service) == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[no_such_rule]\nenabled = true\n", "names no rule 'no_such_rule'"),
        ("[yearly_limit]\nmax_per_yr = 2\n", "rule yearly_limit has no setting"),
        (
            "[yearly_limit]\nmax_per_year = '2'\n",
            "yearly_limit.max_per_year expected int",
        ),
        ("[yearly_limit\n", "cannot read"),
    ],
)
def test_bad_risk_config_is_refused(tmp_path: Path, text: str, message: str) -> None:
    config = tmp_path / "risk.toml"
    config.write_text(text, "utf-8")
    with pytest.raises(RiskConfigError, match=message):
        load_risk_config(config)


def test_every_rule_has_a_default_and_an_explanation() -> None:
    config = load_risk_config()
    assert [rule.name for rule in RULES] == list(config.rules)
    assert all(config.enabled(rule.name) and rule.explanation for rule in RULES)


def test_review_cli_lists_and_resolves(
    service: Service,
    world: dict[str, kit.Issuer],
    worker: str,
    db_url_and_engine: tuple[str, object],
    tmp_path: Path,
) -> None:
    first = enrolment(worker, "train-001", "A", target_level=5, start_on="2023-03-01")
    again = enrolment(worker, "train-002", "B", target_level=5, start_on="2024-03-01")
    append(service, world["train"], first)
    append(service, world["train2"], again)

    def review(*args: str) -> subprocess.CompletedProcess[str]:
        command = [
            sys.executable,
            "-m",
            "passport",
            "review",
            *args,
            "--home",
            str(tmp_path),
            "--db",
            db_url_and_engine[0],
        ]
        env = dict(os.environ, SKILLPASS_KEY_PASSPHRASE=PASSPHRASE, COLUMNS="300")
        return subprocess.run(
            command, capture_output=True, text=True, env=env, timeout=120, check=False
        )

    listed = review("list", "--json")
    assert listed.returncode == 0, listed.stderr
    [flag] = [json.loads(line) for line in listed.stdout.splitlines()]
    assert (flag["rule"], flag["log_index"], flag["decision"]) == (
        "repeat_subsidy",
        1,
        None,
    )
    done = review(
        "resolve",
        str(flag["flag_id"]),
        "--decision",
        "confirmed",
        "--note",
        "同一等级重复申领",
        "--by",
        "审核员",
    )
    assert done.returncode == 0, done.stderr
    twice = review(
        "resolve",
        str(flag["flag_id"]),
        "--decision",
        "dismissed",
        "--note",
        "x",
        "--by",
        "y",
    )
    assert twice.returncode == 2
    assert f"flag: {flag['flag_id']} was already decided" in twice.stderr
    assert review("list").stdout.strip().endswith("0 条 flag(s)")

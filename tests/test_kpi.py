"""The plan's KPIs on the demo data, against counts made here by hand.

The expected values are counted directly over the generated histories (the
unsigned events the demo signs), with none of ``passport.reports``; the
report is counted from the ledger the demo filled.
"""

from __future__ import annotations

import calendar
import datetime as dt
import io
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from rich.console import Console

from passport.config import Settings
from passport.demo.generator import generate
from passport.demo.run import run_demo
from passport.reports.definitions import load_definitions
from passport.reports.kpi import KpiReport, kpi_report
from passport.reports.render import to_csv, to_html, to_json, write_pdf
from passport.service import Service
from tests.conftest import PASSPHRASE

WORKERS, SEED, YEAR = 150, 11, 2026
CARE = "4-10-01-05"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("kpi-demo")
    os.environ["SKILLPASS_KEY_PASSPHRASE"] = PASSPHRASE
    try:
        report = run_demo(
            out,
            workers=WORKERS,
            seed=SEED,
            db=None,
            console=Console(file=io.StringIO()),
        )
    finally:
        del os.environ["SKILLPASS_KEY_PASSPHRASE"]
    assert not report.refused, report.refused
    return out


@pytest.fixture(scope="module")
def report(demo: Path) -> KpiReport:
    os.environ["SKILLPASS_KEY_PASSPHRASE"] = PASSPHRASE
    try:
        service = Service.open(Settings.load(home=demo))
        try:
            return kpi_report(service, year=YEAR, definitions=load_definitions())
        finally:
            service.close()
    finally:
        del os.environ["SKILLPASS_KEY_PASSPHRASE"]


def histories() -> tuple[list[tuple[int, dict[str, Any]]], dict[str, str | None]]:
    """Every live (unrevoked) event with its worker's number; issuers' systems."""
    programme = generate(workers=WORKERS, seed=SEED)
    events: list[tuple[int, dict[str, Any]]] = []
    revoked = set()
    for number, history in enumerate(programme.workers()):
        for event in history.events:
            if event["kind"] == "entry.revoked":
                revoked.add((number, event["target_issuer_id"], event["target_ref"]))
            else:
                events.append((number, event))
    live = [(n, e) for n, e in events if (n, e["issuer_id"], e["ref"]) not in revoked]
    return live, {i.issuer_id: i.system for i in programme.issuers}


def figures(report: KpiReport) -> dict[str, float]:
    return {f.key: f.value for f in report.figures}


def test_counts_equal_a_direct_count_of_the_generated_events(
    report: KpiReport,
) -> None:
    live, _ = histories()
    in_year = [
        e
        for _, e in live
        if e["kind"] == "certificate.issued" and e["issued_on"].startswith(str(YEAR))
    ]
    enrolled = {
        (n, e["issuer_id"], e["ref"])
        for n, e in live
        if e["kind"] == "training.enrolled"
    }
    completed = [
        e
        for n, e in live
        if e["kind"] == "training.completed"
        and e["completed_on"].startswith(str(YEAR))
        and (n, e["issuer_id"], e["enrolment_ref"]) in enrolled
    ]
    expected = {
        "trainings": len(completed),
        "evaluations": len(in_year),
        "junior_evaluations": sum(1 for e in in_year if e.get("skill_level") in (5, 4)),
        "senior_evaluations": sum(
            1 for e in in_year if e.get("skill_level") in (3, 2, 1)
        ),
        "special_abilities": sum(
            1 for e in in_year if e["certificate_type"] == "special_ability"
        ),
    }
    got = figures(report)
    assert {k: got[k] for k in expected} == expected
    assert expected["trainings"] > 0 and expected["special_abilities"] > 0


def test_trainings_by_system_and_occupation_equal_a_direct_count(
    report: KpiReport,
) -> None:
    live, systems = histories()
    subsidised = {
        (n, e["issuer_id"], e["ref"])
        for n, e in live
        if e["kind"] == "training.enrolled" and e["subsidised"]
    }
    counted = [
        (n, e)
        for n, e in live
        if e["kind"] == "training.completed"
        and e["completed_on"].startswith(str(YEAR))
        and (n, e["issuer_id"], e["enrolment_ref"]) in subsidised
    ]
    by_system = Counter(systems[e["issuer_id"]] for _, e in counted)
    assert {b.key: b.trainings for b in report.by_system if b.trainings} == dict(
        by_system
    )
    care = sum(
        1 for _, e in counted if e["occupation_code"] == CARE and "work_type" not in e
    )
    [row] = [b for b in report.by_item if b.key == f"{CARE}|"]
    assert (row.trainings, row.target) == (care, 12800)
    assert {b.key: b.target for b in report.by_system}["民政"] == 14000


def test_employment_rate_equals_a_direct_count(report: KpiReport) -> None:
    live, _ = histories()
    window = dt.timedelta(days=180)
    completions = {
        (n, e["issuer_id"], e["enrolment_ref"]): e["completed_on"]
        for n, e in live
        if e["kind"] == "training.completed"
    }
    ended = {
        (n, e["issuer_id"], e["employment_ref"]): e["ended_on"]
        for n, e in live
        if e["kind"] == "employment.ended"
    }
    jobs: dict[int, list[tuple[str, str]]] = {}
    for n, e in live:
        if e["kind"] == "employment.started":
            end = ended.get((n, e["issuer_id"], e["ref"]), "9999-12-31")
            jobs.setdefault(n, []).append((e["started_on"], end))
        elif e["kind"] == "insurance.period":
            year, month = int(e["period_to"][:4]), int(e["period_to"][5:])
            last = dt.date(year, month, calendar.monthrange(year, month)[1])
            jobs.setdefault(n, []).append((e["period_from"] + "-01", f"{last}"))
    cohort = employed = 0
    for n, e in live:
        if e["kind"] != "training.enrolled" or not e["start_on"].startswith(str(YEAR)):
            continue
        cohort += 1
        end = completions.get((n, e["issuer_id"], e["ref"]), e["start_on"])
        until = (dt.date.fromisoformat(end) + window).isoformat()
        # a job or contribution months that reach into [end, end + 180 days]
        if any(start <= until and stop >= end for start, stop in jobs.get(n, [])):
            employed += 1
    [figure] = [f for f in report.figures if f.key == "employment_rate"]
    assert (figure.numerator, figure.denominator) == (employed, cohort)
    assert figure.target == 0.65
    assert "within 180 days" in figure.definition
    assert "denominator: enrolled" in figure.definition


def test_certification_rate_equals_a_direct_count(report: KpiReport) -> None:
    live, _ = histories()
    last_day = f"{YEAR}-12-31"
    ended = {
        (n, e["issuer_id"], e["employment_ref"])
        for n, e in live
        if e["kind"] == "employment.ended" and e["ended_on"] <= last_day
    }
    in_post = {
        n
        for n, e in live
        if e["kind"] == "employment.started"
        and e["occupation_code"] == CARE
        and e["started_on"] <= last_day
        and (n, e["issuer_id"], e["ref"]) not in ended
    }
    holders = {
        n
        for n, e in live
        if e["kind"] == "certificate.issued"
        and e["certificate_type"] == "skill_level"
        and e["occupation_code"] == CARE
        and e["issued_on"] <= last_day
    }
    [figure] = [f for f in report.figures if f.key == "certification_rate"]
    assert (figure.numerator, figure.denominator) == (
        len(in_post & holders),
        len(in_post),
    )
    assert figure.denominator > 0
    assert figure.target == 0.71


def test_definitions_change_the_count_and_are_printed(
    demo: Path, tmp_path: Path
) -> None:
    definitions = tmp_path / "definitions.toml"
    text = (Path(__file__).parents[1] / "passport/reports/definitions.toml").read_text(
        "utf-8"
    )
    definitions.write_text(
        text.replace('denominator = "enrolled"', 'denominator = "passed"'), "utf-8"
    )
    out, data = tmp_path / "kpi.html", tmp_path / "kpi.json"
    done = skillpass(
        "report",
        "kpi",
        "--year",
        str(YEAR),
        "--out",
        str(out),
        "--data",
        str(data),
        "--definitions",
        str(definitions),
        "--home",
        str(demo),
    )
    assert done.returncode == 0, done.stderr
    document = json.loads(data.read_text("utf-8"))
    [rate] = [f for f in document["figures"] if f["key"] == "employment_rate"]
    assert rate["definition"].startswith("denominator: passed trainings of 2026")
    assert document["definitions"]["employment"]["denominator"] == "passed"
    assert "denominator: passed trainings of 2026" in out.read_text("utf-8")
    assert "培训总体就业率" in done.stdout


def test_pdf_csv_and_html_carry_the_figures(report: KpiReport, tmp_path: Path) -> None:
    path = tmp_path / "kpi.pdf"
    write_pdf(report, path)
    text = "".join(page.extract_text() for page in PdfReader(path).pages)
    assert "职业技能培训数" in text and "培训总体就业率" in text
    trainings = figures(report)["trainings"]
    assert f"{trainings:,.0f}" in text
    rows = to_csv(report).splitlines()
    assert rows[1].startswith(
        f"kpi,trainings,职业技能培训数,Skills trainings,{trainings:.0f},60000"
    )
    assert "<svg" in to_html(report)
    assert json.loads(to_json(report))["year"] == YEAR


def test_bad_definitions_are_a_usage_error(demo: Path, tmp_path: Path) -> None:
    definitions = tmp_path / "bad.toml"
    definitions.write_text("[trainings]\ncount = 'started'\n", "utf-8")
    done = skillpass(
        "report",
        "kpi",
        "--year",
        "2026",
        "--out",
        str(tmp_path / "k.pdf"),
        "--definitions",
        str(definitions),
        "--home",
        str(demo),
    )
    assert done.returncode == 2
    assert "definitions: trainings.count:" in done.stderr


def skillpass(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, SKILLPASS_KEY_PASSPHRASE=PASSPHRASE, COLUMNS="300")
    return subprocess.run(
        [sys.executable, "-m", "passport", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )

"""Chosen disclosure: sections, insurance as months only, language, expiry."""

from __future__ import annotations

import io

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader

from passport.errors import ServiceError
from passport.issuance import PassportOptions, issue_passport
from passport.service import Service
from passport.web.app import create_app
from schemas.trust import IssuerKind
from tests import kit

USCC = "91500000MA5U000011"


@pytest.fixture
def rich_worker(service: Service, worker: str) -> str:
    """The conftest worker with an award and two insurance periods too."""
    contest = kit.make_issuer(
        "contest-001", IssuerKind.EMPLOYER, ["competition.awarded"]
    )
    agency = kit.make_issuer(
        "si-001", IssuerKind.SOCIAL_INSURANCE_AGENCY, ["insurance.period"]
    )
    kit.register_issuers(service, {"contest": contest, "agency": agency})
    events = [
        contest.sign(
            {
                "kind": "competition.awarded",
                "worker_id": worker,
                "issuer_id": "contest-001",
                "ref": "A-1",
                "signed_at": "2025-06-01T02:00:00Z",
                "occupation_code": "4-10-01-05",
                "contest": "重庆市养老护理职业技能大赛",
                "contest_class": "provincial_1",
                "rank": 3,
                "awarded_on": "2025-05-30",
            }
        ),
        *(
            agency.sign(
                {
                    "kind": "insurance.period",
                    "worker_id": worker,
                    "issuer_id": "si-001",
                    "ref": f"SI-{n}",
                    "signed_at": "2025-06-01T02:00:00Z",
                    "scheme": scheme,
                    "period_from": "2024-01",
                    "period_to": "2024-12",
                    "employer_uscc": USCC,
                }
            )
            for n, scheme in enumerate(("pension", "medical"))
        ),
    ]
    outcomes = service.submit(events)
    assert all(o.entry for o in outcomes), [o.refused for o in outcomes]
    return worker


def _text(service: Service, worker: str, options: PassportOptions) -> str:
    pdf = io.BytesIO()
    issue_passport(service, worker, out=pdf, options=options)
    pdf.seek(0)
    return "".join(page.extract_text() for page in PdfReader(pdf).pages)


def test_every_section_shows_with_insurance_as_months(
    service: Service, rich_worker: str
) -> None:
    text = _text(service, rich_worker, PassportOptions())
    assert "竞赛获奖" in text and "重庆市养老护理职业技能大赛" in text
    assert "省级一类竞赛" in text
    # two schemes over the same twelve months are twelve months insured
    assert "累计缴纳社会保险 12 个月" in text and "Months insured: 12" in text
    assert USCC not in text and "pension" not in text


def test_only_the_chosen_sections_show(service: Service, rich_worker: str) -> None:
    options = PassportOptions(sections=frozenset({"certificates"}), valid_days=7)
    text = _text(service, rich_worker, options)
    assert "证书" in text and "S000050123456245" in text
    for hidden in ("培训", "竞赛获奖", "社会保险", "就业", "晋升指引"):
        assert hidden not in text.replace("职业技能护照", "")


def test_english_first(service: Service, rich_worker: str) -> None:
    options = PassportOptions(language="en")
    text = _text(service, rich_worker, options)
    assert "Skills Passport 职业技能护照" in text
    assert "Certificates 证书" in text
    assert "Elderly Care Worker" in text or "Elderly" in text
    assert "吉𠮷" in text


def test_bad_choices_are_refused() -> None:
    with pytest.raises(ServiceError, match=r"^language: expected zh or en, got 'fr'$"):
        PassportOptions(language="fr")
    with pytest.raises(ServiceError, match=r"^sections: unknown 'salary'$"):
        PassportOptions(sections=frozenset({"salary"}))


def test_api_takes_sections_language_and_days(
    service: Service, rich_worker: str, authority_token: str
) -> None:
    headers = {"Authorization": f"Bearer {authority_token}"}
    with TestClient(create_app(service), headers=headers) as client:
        response = client.post(
            f"/api/v1/workers/{rich_worker}/passports",
            json={"sections": ["insurance"], "language": "en", "valid_days": 10},
        )
        assert response.status_code == 200, response.text
        text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
        assert "Months insured: 12" in text and "Certificates" not in text
        bad = client.post(
            f"/api/v1/workers/{rich_worker}/passports", json={"language": "fr"}
        )
        assert bad.status_code == 422
        assert bad.json()["detail"].startswith("body.language:")


def test_cli_show_and_lang(service: Service, rich_worker: str, tmp_path) -> None:
    from typer.testing import CliRunner

    from passport.cli.main import app as cli

    where = ["--db", service.settings.db_url, "--home", str(service.settings.home)]
    out = tmp_path / "p.pdf"
    args = ["passport", "issue", rich_worker, "--out", str(out), *where]
    shown = CliRunner().invoke(
        cli, [*args, "--show", "awards", "--show", "insurance", "--lang", "en"]
    )
    assert shown.exit_code == 0, shown.output
    text = PdfReader(out).pages[0].extract_text()
    assert "Competition awards 竞赛获奖" in text and "Months insured: 12" in text
    assert "Certificates" not in text and "Training" not in text
    both = CliRunner().invoke(cli, [*args, "--show", "awards", "--hide", "training"])
    assert both.exit_code == 2
    assert "--hide and --show: give one or the other" in both.output
    bad = CliRunner().invoke(cli, [*args, "--lang", "fr"])
    assert bad.exit_code == 2 and "language: expected zh or en, got 'fr'" in bad.output

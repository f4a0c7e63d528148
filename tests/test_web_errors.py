"""Refusals the framework itself makes, and worker paths, as {reason, detail}."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from passport.service import Service
from passport.web.app import create_app

ID_NUMBER_IN_URL = {
    "reason": "malformed",
    "detail": "worker_id: an ID number is not a worker id; POST /api/v1/workers "
    "gives the worker id (an ID number never goes in a URL)",
}


@pytest.fixture
def client(service: Service, authority_token: str) -> Iterator[TestClient]:
    headers = {"Authorization": f"Bearer {authority_token}"}
    with TestClient(create_app(service), headers=headers) as client:
        yield client


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/workers/{}/verifications"),
        ("GET", "/api/v1/workers/{}/archive"),
        ("GET", "/api/v1/workers/{}/guidance"),
        ("POST", "/api/v1/workers/{}/links"),
        ("DELETE", "/api/v1/workers/{}/identity"),
    ],
)
@pytest.mark.parametrize("id_number", ["110101199003074573", "11010519491231002x"])
def test_an_id_number_in_a_worker_path_is_refused_unechoed(
    client: TestClient, method: str, path: str, id_number: str
) -> None:
    response = client.request(method, path.format(id_number), json={"reason": "x"})
    assert (response.status_code, response.json()) == (422, ID_NUMBER_IN_URL)
    assert id_number not in response.text


def test_a_worker_path_with_no_worker_id_says_what_it_expected(
    client: TestClient,
) -> None:
    response = client.get("/api/v1/workers/ABC/archive")
    assert (response.status_code, response.json()) == (
        422,
        {
            "reason": "malformed",
            "detail": "worker_id: expected 32 lowercase hexadecimal characters, "
            "got 3 characters",
        },
    )


@pytest.mark.parametrize("path", ["/", "/V/", "/api/v1/nothing"])
def test_no_such_path_is_a_problem_body(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert (response.status_code, response.json()) == (
        404,
        {
            "reason": "not_found",
            "detail": "path: no page or endpoint here; the API is listed at /docs",
        },
    )


def test_a_body_nested_too_deep_is_a_problem_body(client: TestClient) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    response = client.post(
        "/api/v1/verify", content=deep, headers={"content-type": "application/json"}
    )
    assert (response.status_code, response.json()) == (
        400,
        {
            "reason": "malformed",
            "detail": "body: not readable as JSON (or nested too deep)",
        },
    )


def test_wrong_method_is_a_problem_body(client: TestClient) -> None:
    response = client.put("/api/v1/trust-list")
    assert (response.status_code, response.json()) == (
        405,
        {"reason": "method_not_allowed", "detail": "method: not allowed on this path"},
    )


def test_consistency_first_beyond_second_is_422(client: TestClient) -> None:
    response = client.get(
        "/api/v1/log/proof/consistency", params={"first": 20, "second": 10}
    )
    assert (response.status_code, response.json()) == (
        422,
        {
            "reason": "malformed",
            "detail": "query.first: expected at most second (10), got 20",
        },
    )


def test_a_link_without_a_body_lasts_7_days(
    client: TestClient, service: Service, worker: str
) -> None:
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    response = client.post(f"/api/v1/workers/{worker}/links")
    assert response.status_code == 201, response.text
    expires_at = dt.datetime.fromisoformat(response.json()["expires_at"])
    lasts = expires_at - before
    assert dt.timedelta(days=7) <= lasts <= dt.timedelta(days=7, seconds=5)
    assert response.json()["url"].startswith(f"{service.verify_url.lower()}/w/")

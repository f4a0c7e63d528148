"""Schemathesis against our own OpenAPI: no 5xx, no response outside the schema.

Runs in-process against the ASGI app on a real SQLite database, with an
authority token so that every operation is reached past authentication.
Examples are bounded to keep the run under a minute on two cores.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from issuers.keys import raw_public
from issuers.registry import add_issuer_key, register_issuer
from passport.config import Settings
from passport.service import Service
from passport.tokens import Role, issue_token
from passport.web.app import create_app
from tests import kit

# SKILLPASS_FUZZ_EXAMPLES=200 runs a deeper search locally
DEEP = int(os.environ.get("SKILLPASS_FUZZ_EXAMPLES", "0"))
EXAMPLES = {True: DEEP or 25, False: DEEP // 5 or 5}

CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
]


@pytest.fixture
def fuzzed_service(tmp_path: Path, passphrase: str) -> Iterator[Service]:
    settings_ = Settings.load(db=f"sqlite:///{tmp_path / 'fuzz.db'}", home=tmp_path)
    service = Service.open(settings_, create_keys=True)
    with service.registry_change() as change:
        for issuer in kit.standard_issuers().values():
            t = issuer.trusted
            register_issuer(
                change.session,
                issuer_id=t.issuer_id,
                name=t.name,
                kind=t.kind,
                uscc=t.uscc,
                accreditation=t.accreditation,
                now=kit.EPOCH,
            )
            add_issuer_key(
                change.session,
                issuer_id=t.issuer_id,
                public_key=raw_public(issuer.key.public_key()),
                valid_from=kit.EPOCH,
            )
    yield service
    service.close()


@pytest.fixture
def api_schema(fuzzed_service: Service) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_asgi("/openapi.json", create_app(fuzzed_service))


@pytest.mark.slow
@pytest.mark.parametrize("with_token", [True, False], ids=["authority", "anonymous"])
def test_api_conforms_to_its_openapi(
    api_schema: schemathesis.BaseSchema, fuzzed_service: Service, with_token: bool
) -> None:
    _, token = issue_token(
        fuzzed_service, role=Role.AUTHORITY, subject=None, name="fuzz", now=kit.EPOCH
    )
    headers = {"Authorization": f"Bearer {token}"} if with_token else {}
    # Each operation in turn, driven by Hypothesis directly: schemathesis's
    # pytest loader does not run under this pytest (it reads a private field).
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 20
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES[with_token],
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
            derandomize=not DEEP,
        )
        def check(case: schemathesis.Case) -> None:
            response = case.call_and_validate(checks=CHECKS, headers=headers)
            if not with_token and case.operation.method != "get":
                assert response.status_code in {401, 422, 200}, case.operation.label

        check()

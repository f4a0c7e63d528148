"""Our credentials verify with Digital Bazaar's JavaScript eddsa-rdfc-2022 suite.

The eddsa-jcs-2022 proof is checked there too, with the ``canonicalize``
RFC 8785 library and Node's own Ed25519.

``tests/interop/js`` pins @digitalbazaar/eddsa-rdfc-2022-cryptosuite,
@digitalbazaar/data-integrity and jsonld-signatures in its package-lock;
the session fixture installs them with ``npm ci`` (from the npm registry)
when ``node_modules`` is missing. Skipped only where node is absent, and
then failed instead when ``SKILLPASS_REQUIRE_INTEROP`` is set.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from passport.credentials import credential_for_entry, export_credentials
from passport.service import Service

JS = Path(__file__).parent / "interop" / "js"


@pytest.fixture(scope="session")
def node() -> str:
    """The node binary, with the pinned packages installed."""
    found = shutil.which("node")
    if found is None or shutil.which("npm") is None:
        reason = "node and npm are not installed (Debian: nodejs, npm)"
        if os.environ.get("SKILLPASS_REQUIRE_INTEROP"):
            pytest.fail(reason)
        pytest.skip(reason)
    if not (JS / "node_modules" / "jsonld-signatures").is_dir():
        subprocess.run(
            ["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund"],
            cwd=JS,
            check=True,
            capture_output=True,
            timeout=300,
        )
    return found


def _node_verify(node: str, paths: list[Path]) -> list[dict[str, Any]]:
    run = subprocess.run(
        [node, str(JS / "verify-vc.mjs"), *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return [json.loads(line) for line in run.stdout.splitlines()]


def _write(path: Path, document: dict[str, Any]) -> Path:
    path.write_text(json.dumps(document, ensure_ascii=False), "utf-8")
    return path


def test_exported_credentials_verify_in_javascript(
    node: str, service: Service, worker: str, tmp_path: Path
) -> None:
    written = export_credentials(service, worker, tmp_path)
    results = _node_verify(node, written)
    assert [(r["verified"], r["error"], r["jcs"]) for r in results] == [
        (True, None, 1)
    ] * 3


def test_a_changed_credential_fails_in_javascript(
    node: str, service: Service, worker: str, tmp_path: Path
) -> None:
    index = next(
        r.log_index
        for r in service.archive(worker).records
        if r.kind == "certificate.issued"
    )
    credential = credential_for_entry(service, index)
    changed = copy.deepcopy(credential)
    changed["credentialSubject"]["achievement"]["name"] = "职业技能等级证书 一级"
    [good, bad] = _node_verify(
        node,
        [_write(tmp_path / "a.json", credential), _write(tmp_path / "b.json", changed)],
    )
    assert good["verified"] is True
    assert bad["verified"] is False
    assert "Invalid signature" in bad["error"]

    jcs_only = copy.deepcopy(credential)
    jcs_only["proof"][1]["created"] = "2020-01-01T00:00:00Z"
    [result] = _node_verify(node, [_write(tmp_path / "c.json", jcs_only)])
    assert (result["verified"], result["error"]) == (
        False,
        "eddsa-jcs-2022 signature does not verify",
    )


def test_the_javascript_verifier_loads_no_context_from_the_network(
    node: str, tmp_path: Path
) -> None:
    vector = Path(__file__).parent / "data" / "vc-di-eddsa" / "eddsa-rdfc-2022"
    [result] = _node_verify(node, [vector / "signedDataInt.json"])
    assert result["verified"] is False
    assert "credentials/examples/v2" in result["error"]

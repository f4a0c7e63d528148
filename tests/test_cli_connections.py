"""Every CLI command that opens the service closes its database connections.

A command run in-process (as these tests and a long-lived caller do) that
left its engine open would keep PostgreSQL connections until the garbage
collector dropped them, with a warning; here any connection still checked
in or out after the command is a failure.
"""

from __future__ import annotations

import gc
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from passport.cli.main import app
from passport.service import Service


def _connections(engine: Engine, application_name: str) -> int:
    """Open connections that name themselves ``application_name``."""
    with engine.connect() as connection:
        return int(
            connection.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE application_name = :name"
                ),
                {"name": application_name},
            ).scalar_one()
        )


@pytest.mark.parametrize(
    "command",
    [
        ["init"],
        ["audit"],
        ["trust-list", "export", "{tmp}/trust.json"],
        ["passport", "issue", "{worker}", "--out", "{tmp}/p.pdf"],
        ["vc", "export", "{worker}", "--out", "{tmp}/vc"],
        ["guidance", "{worker}"],
        ["review", "list"],
        ["report", "kpi", "--year", "2024", "--out", "{tmp}/kpi.html"],
    ],
    ids=lambda command: " ".join(command[:2]),
)
def test_command_closes_its_connections(
    command: list[str],
    service: Service,
    worker: str,
    engine: Engine,
    tmp_path: Path,
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("only PostgreSQL shows each client's connections")
    service.close()
    name = f"cli-test-{uuid.uuid4().hex[:12]}"
    url = f"{service.settings.db_url}&application_name={name}"
    where = ["--db", url, "--home", str(service.settings.home)]
    args = [a.format(tmp=tmp_path, worker=worker) for a in command]
    result = CliRunner().invoke(app, [*args, *where])
    assert result.exit_code == 0, result.output
    # the server ends a backend a moment after its client hangs up
    deadline = time.monotonic() + 10
    while _connections(engine, name) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _connections(engine, name) == 0
    gc.collect()

"""`appeals warehouse up | status | down` on an embedded server of its own."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import psycopg
import pytest

from tests.support.cli import run_appeals


@pytest.fixture
def own_server(tmp_path: Path):
    env = {"APPEALS_STATE_DIR": str(tmp_path / "state"), "WAREHOUSE_DSN": ""}
    yield env
    run_appeals("warehouse", "down", env=env)


def test_up_status_down_cycle(own_server: dict[str, str]) -> None:
    up = run_appeals("warehouse", "up", env=own_server)
    assert up.returncode == 0, up.stderr
    assert "Applied migrations: V001__schemas_and_roles.sql" in up.stdout

    status = run_appeals("warehouse", "status", env=own_server)
    assert status.returncode == 0, status.stderr
    owner = re.search(r"Connect \(owner\):\s+(\S+)", status.stdout)
    bi = re.search(r"Connect \(BI tools\):\s+(\S+)", status.stdout)
    assert owner and bi, status.stdout
    assert re.fullmatch(r"postgresql://bi@127\.0\.0\.1:\d+/appeals", bi.group(1))
    with psycopg.connect(bi.group(1)) as conn:
        assert conn.execute("select current_user").fetchone() == ("bi",)
        assert conn.execute("select has_schema_privilege('marts', 'usage')").fetchone() == (True,)
        assert conn.execute("select has_schema_privilege('raw', 'usage')").fetchone() == (False,)

    again = run_appeals("warehouse", "up", env=own_server)
    assert "Migrations: up to date." in again.stdout

    down = run_appeals("warehouse", "down", env=own_server)
    assert down.returncode == 0 and "stopped" in down.stdout, down.stderr[:3000]
    stopped = run_appeals("warehouse", "status", env=own_server)
    assert stopped.returncode == 3 and "stopped" in stopped.stdout


def test_status_with_an_unreachable_external_server_fails_clearly() -> None:
    result = run_appeals(
        "warehouse", "status", env={"WAREHOUSE_DSN": "postgresql://nobody:secret@127.0.0.1:1/none"}
    )
    assert result.returncode == 3
    assert "is not reachable" in result.stderr
    assert "secret" not in result.stderr + result.stdout


def test_down_with_external_server_touches_nothing() -> None:
    result = run_appeals("warehouse", "down", env={"WAREHOUSE_DSN": "postgresql://x@127.0.0.1:1/none"})
    assert result.returncode == 0 and "nothing to stop" in result.stdout


def test_airflow_lists_the_projects_dags() -> None:
    """The set-up prepared the Airflow home: DAGs are listed with no manual step."""
    result = run_appeals("airflow", "dags", "list", "--output", "json", env={"PYTHONWARNINGS": "ignore"})
    assert result.returncode == 0, result.stderr
    listed = json.loads(result.stdout[result.stdout.index("[") :])
    dag_files = {p.stem for p in (Path(__file__).parents[2] / "dags").glob("*.py")}
    assert {d["dag_id"] for d in listed} >= dag_files
    assert all(os.path.dirname(d["fileloc"]).endswith("dags") for d in listed)

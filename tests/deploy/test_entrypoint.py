"""The image's entry point (docker/airflow/entrypoint.sh), run here with stand-ins for airflow and appeals."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.deploy.deployfiles import DOCKER

ENTRYPOINT = DOCKER / "airflow" / "entrypoint.sh"

STUB = """#!/usr/bin/env bash
echo "$(basename "$0") $*" >> "$CALLS"
if [[ "$*" == "users list --output json" ]]; then
    echo "2026-01-01 [info] some log line on stdout"
    echo "$USERS_JSON"
fi
"""

INIT_ENV = {
    "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": "postgresql+psycopg://airflow:secret1@warehouse-db:5432/airflow",
    "AIRFLOW__CORE__AUTH_MANAGER": "airflow.providers.fab.auth_manager.fab_auth_manager.FabAuthManager",
    "AIRFLOW_ADMIN_USERNAME": "admin",
    "AIRFLOW_ADMIN_PASSWORD": "secret2",
    "AIRFLOW_ADMIN_EMAIL": "admin@example.org",
    "WAREHOUSE_DSN": "postgresql://appeals_etl:secret3@warehouse-db:5432/appeals",
}


@pytest.fixture
def stubs(tmp_path: Path) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in ("airflow", "appeals"):
        path = bin_dir / name
        path.write_text(STUB)
        path.chmod(0o755)
    (bin_dir / "python").symlink_to(sys.executable)
    return bin_dir


def run(stubs: Path, *args: str, env: dict[str, str] | None = None, users: list[dict] | None = None):
    calls = stubs.parent / "calls.txt"
    calls.unlink(missing_ok=True)
    environment = {
        "PATH": f"{stubs}:/usr/bin:/bin",
        "CALLS": str(calls),
        "USERS_JSON": json.dumps(users or []),
        "HOME": os.environ.get("HOME", "/tmp"),
        **(env or {}),
    }
    result = subprocess.run(
        ["bash", str(ENTRYPOINT), *args],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    made = calls.read_text().splitlines() if calls.exists() else []
    return result, made


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["api-server"], "airflow api-server"),
        (["scheduler"], "airflow scheduler"),
        (["dag-processor"], "airflow dag-processor"),
        (["triggerer"], "airflow triggerer"),
        (["celery", "worker"], "airflow celery worker"),
        (["dags", "list"], "airflow dags list"),
        (["airflow", "version"], "airflow version"),
        (["appeals", "ingest", "--landing", "/data/landing"], "appeals ingest --landing /data/landing"),
    ],
)
def test_commands_reach_airflow_or_the_cli(stubs: Path, args: list[str], expected: str) -> None:
    result, calls = run(stubs, *args)
    assert result.returncode == 0, result.stderr
    assert calls == [expected]


def test_other_commands_run_as_given(stubs: Path) -> None:
    result, calls = run(stubs, "echo", "hello")
    assert result.stdout.strip() == "hello" and calls == []


def test_help_is_the_default(stubs: Path) -> None:
    result, _ = run(stubs)
    assert result.returncode == 0
    assert "init" in result.stdout and "api-server" in result.stdout


def test_init_creates_the_admin_then_migrates_the_warehouse(stubs: Path) -> None:
    result, calls = run(stubs, "init", env=INIT_ENV)
    assert result.returncode == 0, result.stderr
    assert calls[0] == "airflow db migrate"
    assert calls[1] == "airflow users list --output json"
    assert calls[2].startswith("airflow users create --role Admin --username admin --password secret2")
    assert calls[3] == "appeals warehouse migrate"


def test_init_again_resets_the_admin_password(stubs: Path) -> None:
    result, calls = run(stubs, "init", env=INIT_ENV, users=[{"username": "admin", "roles": ["Admin"]}])
    assert result.returncode == 0, result.stderr
    assert "airflow users reset-password --username admin --password secret2" in calls
    assert not any("users create" in call for call in calls)


def test_init_refuses_placeholders(stubs: Path) -> None:
    env = {**INIT_ENV, "AIRFLOW_ADMIN_PASSWORD": "change-me-airflow-admin"}
    result, calls = run(stubs, "init", env=env)
    assert result.returncode == 1
    assert "AIRFLOW_ADMIN_PASSWORD" in result.stderr
    assert calls == []


def test_init_names_missing_settings(stubs: Path) -> None:
    env = {key: value for key, value in INIT_ENV.items() if key != "WAREHOUSE_DSN"}
    result, calls = run(stubs, "init", env=env)
    assert result.returncode == 1
    assert "WAREHOUSE_DSN" in result.stderr and calls == []

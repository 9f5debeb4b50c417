"""The project's own Airflow home: configuration pointing at ``dags/``, metadata in SQLite.

``prepare_airflow_home`` is idempotent and is run by the set-up (``make setup``), so that
``appeals airflow dags list`` (or ``AIRFLOW_HOME=.airflow airflow dags list``) shows the project's DAGs
with no manual step: it migrates the metadata database, creates the pool ``warehouse_db`` the
database-heavy tasks run in (docs/orchestration.md), and registers the DAGs.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

from ingestion.settings import Settings, load_settings

log = logging.getLogger(__name__)


def airflow_config(settings: Settings) -> dict[str, str]:
    """Airflow settings as ``AIRFLOW__SECTION__KEY`` variables (explicit values override them)."""
    home = settings.airflow_home
    return {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(settings.dags_dir),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home / "logs"),
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "30",
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": os.environ.get("APPEALS_AIRFLOW_PORT", "8080"),
        "APPEALS_HOME": str(settings.root),
    }


def airflow_env(settings: Settings | None = None) -> dict[str, str]:
    """The process environment for running Airflow commands against the project's home."""
    settings = settings or load_settings()
    env = dict(os.environ)
    for key, value in airflow_config(settings).items():
        env.setdefault(key, value)
    # `airflow standalone` starts its components as `airflow …` found on PATH: this environment's.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


def write_airflow_cfg(settings: Settings) -> Path:
    """Write ``airflow.cfg`` with the project's values, so plain ``airflow`` commands find them too."""
    config = airflow_config(settings)
    home = settings.airflow_home
    home.mkdir(parents=True, exist_ok=True)
    sections: dict[str, list[str]] = {}
    for key, value in config.items():
        if key.startswith("AIRFLOW__"):
            _, section, option = key.split("__", 2)
            sections.setdefault(section.lower(), []).append(f"{option.lower()} = {value}")
    text = "# Written by `appeals airflow prepare`; local development settings.\n"
    for section, lines in sections.items():
        text += f"\n[{section}]\n" + "\n".join(lines) + "\n"
    path = home / "airflow.cfg"
    path.write_text(text)
    return path


def run_airflow(args: list[str], settings: Settings | None = None, **kwargs: object) -> int:
    """Run the ``airflow`` command of this environment with the project's configuration."""
    airflow = Path(sys.executable).with_name("airflow")
    return subprocess.run([str(airflow), *args], env=airflow_env(settings), check=False, **kwargs).returncode


def pool_command() -> list[str]:
    """``airflow pools set …`` for the pool of the database-heavy tasks (docker's airflow-init runs the same)."""
    from ingestion.orchestration.config import POOL, POOL_DESCRIPTION, pool_slots

    return ["pools", "set", POOL, str(pool_slots()), POOL_DESCRIPTION]


def prepare_airflow_home(settings: Settings | None = None) -> None:
    """Create the home, its metadata database and the ``warehouse_db`` pool, and register the project's DAGs."""
    settings = settings or load_settings()
    write_airflow_cfg(settings)
    for step in (["db", "migrate"], pool_command(), ["dags", "reserialize"]):
        log.info("airflow %s", " ".join(step))
        airflow = Path(sys.executable).with_name("airflow")
        result = subprocess.run(
            [str(airflow), *step], env=airflow_env(settings), capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            tail = "\n".join((result.stderr or result.stdout).splitlines()[-30:])
            raise RuntimeError(f"`airflow {' '.join(step)}` failed (exit {result.returncode}):\n{tail}")

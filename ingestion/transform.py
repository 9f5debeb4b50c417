"""Run dbt on the warehouse: the connection comes from ``WAREHOUSE_DSN`` or the embedded server.

dbt runs in-process (``dbtRunner``) with ``dbt_project/`` as project and profiles folder; the profile
reads its connection from ``APPEALS_DBT_*`` variables that :func:`dbt_environment` derives from the DSN,
so the DSN is the one configuration for every tool.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from psycopg.conninfo import conninfo_to_dict

from ingestion.settings import load_settings
from ingestion.warehouse.connection import warehouse_dsn

log = logging.getLogger(__name__)


class DbtError(RuntimeError):
    """dbt failed; the message lists the failed nodes."""


@dataclass
class DbtResult:
    success: bool
    failures: list[str]  # "model.appeals.fct_appeals: error message"
    raw: object


def dbt_environment(dsn: str) -> dict[str, str]:
    """``APPEALS_DBT_*`` variables for ``dbt_project/profiles.yml`` from a libpq DSN."""
    params = conninfo_to_dict(dsn)
    return {
        "APPEALS_DBT_HOST": str(params.get("host", "127.0.0.1")),
        "APPEALS_DBT_PORT": str(params.get("port", "5432")),
        "APPEALS_DBT_USER": str(params.get("user", os.environ.get("USER", "postgres"))),
        "APPEALS_DBT_PASSWORD": str(params.get("password", "")),
        "APPEALS_DBT_DBNAME": str(params.get("dbname", "appeals")),
        "APPEALS_DBT_SSLMODE": str(params.get("sslmode", "prefer")),
    }


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def run_dbt(args: Sequence[str], dsn: str | None = None) -> DbtResult:
    """Run one dbt command (e.g. ``["build"]``) against the warehouse; returns its outcome."""
    from dbt.cli.main import dbtRunner

    settings = load_settings()
    project = str(settings.dbt_project_dir)
    full = [*args, "--project-dir", project, "--profiles-dir", project]
    log.info("dbt %s", " ".join(args))
    with _environment(dbt_environment(dsn or warehouse_dsn())):
        outcome = dbtRunner().invoke(full)
    failures = []
    results = getattr(outcome.result, "results", None) or []
    for node in results:
        status = str(getattr(node, "status", ""))
        if status in {"error", "fail", "runtime error"}:
            failures.append(f"{node.node.unique_id}: {node.message}")
    if outcome.exception is not None:
        failures.append(f"dbt: {outcome.exception}")
    return DbtResult(success=bool(outcome.success), failures=failures, raw=outcome.result)


def build(dsn: str | None = None, select: Sequence[str] = ()) -> DbtResult:
    """``dbt build``: seeds, models and their tests, in dependency order."""
    args = ["build"] + (["--select", *select] if select else [])
    result = run_dbt(args, dsn)
    if not result.success:
        raise DbtError("dbt build failed:\n" + "\n".join(result.failures or ["see the dbt log above"]))
    return result

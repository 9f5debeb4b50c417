"""Run dbt on the warehouse: the connection comes from ``WAREHOUSE_DSN`` or the embedded server.

dbt runs in-process (``dbtRunner``) with ``dbt_project/`` as project and profiles folder; the profile
reads its connection from ``APPEALS_DBT_*`` variables that :func:`dbt_environment` derives from the DSN,
so the DSN is the one configuration for every tool.
"""

from __future__ import annotations

import json
import logging
import os
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

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
    counts: Counter[str] = field(default_factory=Counter)
    """Nodes by kind and status, e.g. ``{"model success": 31, "test pass": 240, "test warn": 1}``."""
    seconds: float = 0.0

    def summary(self) -> str:
        """``31 models, 12 seeds, 240 tests passed, 1 test warned`` — what ran and how it went."""
        parts = []
        for kind, plural in (("model", "models"), ("seed", "seeds"), ("snapshot", "snapshots")):
            done = sum(n for key, n in self.counts.items() if key.startswith(f"{kind} "))
            if done:
                parts.append(f"{done} {plural if done != 1 else kind}")
        for status, verb in (
            ("pass", "passed"),
            ("warn", "warned"),
            ("fail", "failed"),
            ("error", "errored"),
        ):
            tests = self.counts.get(f"test {status}", 0) + self.counts.get(f"unit_test {status}", 0)
            if tests:
                parts.append(f"{tests} test{'s' if tests != 1 else ''} {verb}")
        errors = sum(n for key, n in self.counts.items() if key.endswith((" error", " runtime error")))
        if errors and not any("errored" in p for p in parts):
            parts.append(f"{errors} node(s) errored")
        return ", ".join(parts) or "nothing ran"


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
def environment(values: dict[str, str]) -> Iterator[None]:
    """Set environment variables for the duration of the block, then restore them."""
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
    import time

    from dbt.cli.main import dbtRunner

    settings = load_settings()
    project = str(settings.dbt_project_dir)
    full = [*args, "--project-dir", project, "--profiles-dir", project]
    log.info("dbt %s", " ".join(args))
    started = time.monotonic()
    with environment(dbt_environment(dsn or warehouse_dsn())):
        outcome = dbtRunner().invoke(full)
    failures = []
    counts: Counter[str] = Counter()
    results = getattr(outcome.result, "results", None) or []
    for node in results:
        status = str(getattr(node, "status", ""))
        kind = str(getattr(getattr(node, "node", None), "resource_type", "node"))
        counts[f"{kind} {status}"] += 1
        if status in {"error", "fail", "runtime error"}:
            failures.append(f"{node.node.unique_id}: {node.message}")
    if outcome.exception is not None:
        failures.append(f"dbt: {outcome.exception}")
    return DbtResult(
        success=bool(outcome.success),
        failures=failures,
        raw=outcome.result,
        counts=counts,
        seconds=time.monotonic() - started,
    )


def build(
    dsn: str | None = None,
    select: Sequence[str] = (),
    *,
    variables: Mapping[str, object] | None = None,
    full_refresh: bool = False,
    exclude: Sequence[str] = (),
) -> DbtResult:
    """``dbt build``: seeds, models and their tests, in dependency order; raises :class:`DbtError` on failure.

    ``variables`` become ``--vars`` (e.g. ``{"marts_schema": "marts_next"}``: see ingestion/publish.py);
    ``select`` and ``exclude`` are dbt node selectors.
    """
    args = (
        ["build"] + (["--select", *select] if select else []) + (["--exclude", *exclude] if exclude else [])
    )
    if variables:
        args += ["--vars", json.dumps(dict(variables))]
    if full_refresh:
        args.append("--full-refresh")
    result = run_dbt(args, dsn)
    if not result.success:
        raise DbtError("dbt build failed:\n" + "\n".join(result.failures or ["see the dbt log above"]))
    return result

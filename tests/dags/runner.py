"""The DAG runner of the tests: one process that runs the project's DAGs in-process, on request.

    python -m tests.dags.runner        (started by the ``dag_runner`` fixture, tests/dags/conftest.py)

Airflow, GX and dbt are imported once here, and every test's runs reuse them: a fresh ``airflow dags test``
per run would cost ~20 s. Requests come one JSON object a line on stdin::

    {"op": "run_dag", "args": {...}, "landing": "...", "dsn": "...", "env": {...}}

and each reply is one JSON line on the file descriptor ``DAG_RUNNER_FD`` (stdout and stderr are Airflow's
and the tasks' logs, kept in a file): ``{"ok": true, "result": …}`` or ``{"ok": false, "error": "<traceback>"}``.
``landing`` and ``dsn`` are what the tasks use (``dag_runs.pipeline_environment``); ``env`` are more
environment variables for the duration of the request (e.g. an alert webhook connection).
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import importlib
import json
import os
import sys
import traceback
from pathlib import Path
from typing import Any


def _json(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    return str(value)


def _date(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


def _pools() -> list[Any]:
    from airflow.models.pool import Pool
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        pools = list(session.scalars(select(Pool)))
        session.expunge_all()
    return pools


def main() -> int:
    replies = os.fdopen(int(os.environ["DAG_RUNNER_FD"]), "w", buffering=1, encoding="utf-8")
    from ingestion.orchestration import config, dag_runs  # neither imports Airflow: it is configured first

    operations = {
        "run_dag": lambda dag_id, logical_date=None: dag_runs.run_dag(dag_id, _date(logical_date)),
        "night": lambda logical_date=None, dag_ids=dag_runs.NIGHTLY_DAGS: [
            dag_runs.run_dag(dag_id, _date(logical_date)) for dag_id in dag_ids
        ],
        "rerun": lambda dag_id, run_id: dag_runs.rerun(dag_id, run_id),
        "create_backfill": lambda dag_id, start, end, reprocess="none": dag_runs.create_backfill(
            dag_id, _date(start), _date(end), reprocess
        ),
        "run_queued": lambda dag_id, run_id: dag_runs.run_queued(dag_id, run_id),
        "dags": lambda: sorted(dag_runs.load_dags()),
        "pools": lambda: {p.pool: p.slots for p in _pools()},
        # the deadline alert's callback, called as the triggerer calls it when a deadline is missed
        "deadline_missed": lambda context: asyncio.run(
            importlib.import_module("ingestion.orchestration.alerts").deadline_missed(context=context)
        ),
        # a task function called directly (e.g. ``publish`` with ``full_refresh``), as the DAGs call it
        "task": lambda name, **kwargs: getattr(
            importlib.import_module("ingestion.orchestration.tasks"), name
        )(**kwargs),
    }
    try:
        dag_runs.load_dags()
    except Exception:
        replies.write(json.dumps({"ok": False, "error": traceback.format_exc()}) + "\n")
        return 1
    replies.write(json.dumps({"ok": True, "result": "ready"}) + "\n")
    for line in sys.stdin:
        request = json.loads(line)
        try:
            landing = Path(request["landing"]) if request.get("landing") else None
            with (
                config.environment(request.get("env") or {}),
                dag_runs.pipeline_environment(landing, request.get("dsn")),
            ):
                result = operations[request["op"]](**(request.get("args") or {}))
            reply = {"ok": True, "result": result}
        except Exception:
            reply = {"ok": False, "error": traceback.format_exc()}
        print(f"==== DAG runner: {request['op']} done ({'ok' if reply['ok'] else 'error'})", flush=True)
        replies.write(json.dumps(reply, default=_json) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

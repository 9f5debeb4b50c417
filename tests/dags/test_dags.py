"""The project's DAGs: they import cleanly and fast, and they run for real under Airflow."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from ingestion.airflow_home import airflow_env
from ingestion.warehouse.migrate import available_migrations
from tests.support.cli import run_appeals

DAGS_DIR = Path(__file__).parents[2] / "dags"

INTEGRITY = """
import json, sys, time
from airflow.dag_processing.dagbag import DagBag
started = time.monotonic()
bag = DagBag(dag_folder=sys.argv[1])
seconds = time.monotonic() - started
for dag in bag.dags.values():
    dag.check_cycle()
dags = {
    dag.dag_id: {
        "max_active_runs": dag.max_active_runs,
        "catchup": dag.catchup,
        "timetable": type(dag.timetable).__name__,
        "deadline": [
            {"reference": type(a.reference).__name__, "interval": a.interval.total_seconds(), "callback": a.callback.path}
            for a in (dag.deadline if isinstance(dag.deadline, list) else [dag.deadline] if dag.deadline else [])
        ],
        "tasks": {
            task.task_id: {
                "pool": task.pool,
                "pool_slots": task.pool_slots,
                "retries": task.retries,
                "retry_policy": type(task.retry_policy).__name__ if task.retry_policy else None,
                "retry_exponential_backoff": task.retry_exponential_backoff,
                "trigger_rule": str(task.trigger_rule.value),
                "outlets": [getattr(o, "name", str(o)) for o in task.outlets],
                "on_failure_callback": bool(task.on_failure_callback),
                "execution_timeout": bool(task.execution_timeout),
            }
            for task in dag.tasks
        },
    }
    for dag in bag.dags.values()
}
print(json.dumps({"dags": sorted(bag.dag_ids), "errors": {k: str(v) for k, v in bag.import_errors.items()},
                  "seconds": seconds,
                  "files": {s.file: s.duration.total_seconds() for s in bag.dagbag_stats},
                  "structure": dags}))
"""
SCHEDULE_VARIABLES = (
    "APPEALS_SCHEDULE_TIMEZONE",
    "APPEALS_ORGANIZATIONS_AT",
    "APPEALS_INGEST_AT",
    "APPEALS_BUILD_AT",
    "APPEALS_NIGHTLY_DEADLINE",
    "APPEALS_MAINTENANCE_AT",
    "APPEALS_RETRY_DELAY_SECONDS",
    "APPEALS_WAREHOUSE_POOL_SLOTS",
)
PIPELINE_DAGS = {
    "ingest_organizations",
    "ingest_pos",
    "ingest_incident",
    "ingest_register",
    "build_marts",
    "maintain_warehouse",
}


@pytest.fixture(scope="module")
def dagbag() -> dict:
    """The project's DAGs as Airflow's DagBag parses them (in a process of its own), with the default
    schedule."""
    env = {k: v for k, v in airflow_env().items() if not k.startswith(SCHEDULE_VARIABLES)}
    done = subprocess.run(
        [sys.executable, "-c", INTEGRITY, str(DAGS_DIR)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_every_dag_file_imports_without_errors_and_quickly(dagbag: dict) -> None:
    report = dagbag
    assert report["errors"] == {}
    assert report["dags"] == sorted(p.stem for p in DAGS_DIR.glob("*.py"))
    assert report["seconds"] < 2 * len(report["dags"])
    slow = {file: seconds for file, seconds in report["files"].items() if seconds >= 2}
    assert slow == {}, "each DAG file must parse in under 2 s"
    assert not any(Path(p).name.startswith("dbt_") for p in report["files"]), "dbt_*.py is dbt's, not a DAG"


def test_pipeline_dags_never_overlap_retry_only_transient_failures_and_alert(dagbag: dict) -> None:
    structure = dagbag["structure"]
    assert set(structure) >= PIPELINE_DAGS
    for dag_id in PIPELINE_DAGS:
        dag = structure[dag_id]
        assert dag["max_active_runs"] == 1, dag_id
        assert dag["catchup"] is False, dag_id
        for task_id, task in dag["tasks"].items():
            where = f"{dag_id}.{task_id}"
            if task_id == "verdict":  # marks the run failed after a failure that has alerted already
                assert (task["trigger_rule"], task["retries"], task["on_failure_callback"]) == (
                    "one_failed",
                    0,
                    False,
                ), where
                continue
            assert task["retries"] == 3 and task["retry_policy"] == "ExceptionRetryPolicy", where
            assert task["retry_exponential_backoff"] == 2.0, where
            assert task["on_failure_callback"] and task["execution_timeout"], where
            if task_id != "refresh_docs":
                assert task["pool"] == "warehouse_db", where
    for feed in ("organizations", "pos", "incident", "register"):
        tasks = structure[f"ingest_{feed}"]["tasks"]
        assert tasks["validate"]["outlets"] == [f"appeals_{feed}_validated"]
        assert tasks["validate"]["trigger_rule"] == "all_done"
    build = structure["build_marts"]
    assert build["timetable"] == "AssetOrTimeSchedule"
    # the alert when the nightly build (queued at 03:00) has not finished by 06:00
    assert build["deadline"] == [
        {
            "reference": "DagRunQueuedAtDeadline",
            "interval": 3 * 3600.0,
            "callback": "ingestion.orchestration.alerts.deadline_missed",
        }
    ]
    assert list(build["tasks"]) == ["build_and_publish"], "one dbt build for the whole candidate"
    assert build["tasks"]["build_and_publish"]["pool_slots"] == 2


def test_migrate_warehouse_dag_run_migrates_the_warehouse(fresh_db: str) -> None:
    result = run_appeals(
        "airflow", "dags", "test", "migrate_warehouse", env={"WAREHOUSE_DSN": fresh_db}, timeout=600
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    with psycopg.connect(fresh_db) as conn:
        versions = [r[0] for r in conn.execute("select version from audit.schema_migrations order by 1")]
    assert versions == [m.version for m in available_migrations()]

"""The project's DAGs: they import cleanly and fast, and they run for real under Airflow."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import psycopg

from ingestion.airflow_home import airflow_env
from ingestion.warehouse.migrate import available_migrations
from tests.support.cli import run_appeals

DAGS_DIR = Path(__file__).parents[2] / "dags"

INTEGRITY = """
import json, sys, time
from airflow.dag_processing.dagbag import DagBag
started = time.monotonic()
bag = DagBag(dag_folder=sys.argv[1])
print(json.dumps({"dags": sorted(bag.dag_ids), "errors": {k: str(v) for k, v in bag.import_errors.items()},
                  "seconds": time.monotonic() - started}))
"""


def test_every_dag_file_imports_without_errors_and_quickly() -> None:
    done = subprocess.run(
        [sys.executable, "-c", INTEGRITY, str(DAGS_DIR)],
        capture_output=True,
        text=True,
        env=airflow_env(),
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["errors"] == {}
    assert report["dags"] == sorted(p.stem for p in DAGS_DIR.glob("*.py"))
    assert report["seconds"] < 2 * len(report["dags"])


def test_migrate_warehouse_dag_run_migrates_the_warehouse(fresh_db: str) -> None:
    result = run_appeals(
        "airflow", "dags", "test", "migrate_warehouse", env={"WAREHOUSE_DSN": fresh_db}, timeout=600
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    with psycopg.connect(fresh_db) as conn:
        versions = [r[0] for r in conn.execute("select version from audit.schema_migrations order by 1")]
    assert versions == [m.version for m in available_migrations()]

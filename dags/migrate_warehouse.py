"""Apply the warehouse's schema migrations (the same step `appeals warehouse migrate` runs).

Run on demand after a deployment; the ingest and build DAGs also migrate before they work.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, task


@dag(
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["appeals", "maintenance"],
    doc_md=__doc__,
)
def migrate_warehouse() -> None:
    @task
    def apply_migrations() -> list[str]:
        from ingestion.warehouse.connection import warehouse_dsn
        from ingestion.warehouse.migrate import migrate

        return [m.path.name for m in migrate(warehouse_dsn())]

    apply_migrations()


migrate_warehouse()

"""The DAG factories the files in ``dags/`` call (one DAG per file; DAG id = file name).

```
ingest_organizations ─┐   00:30  load ─► validate ─► Asset appeals_organizations_validated
ingest_pos ───────────┤   01:00  load ─► validate ─► Asset appeals_pos_validated
ingest_incident ──────┤   01:00  load ─► validate ─► Asset appeals_incident_validated
ingest_register ──────┘   01:00  load ─► validate ─► Asset appeals_register_validated
        │ any of the assets, or 03:00 (nightly fallback)
        ▼
build_marts               build_and_publish   (one dbt build into marts_next → GX mart suites → swap)
maintain_warehouse        05:00  apply_retention ─► analyze ─► refresh_docs
```

Times are local (``APPEALS_SCHEDULE_TIMEZONE``) and configurable (:mod:`.config`). Every DAG: one run at
a time (``max_active_runs=1``), no catch-up, the retry policy and failure alerts of :mod:`.policy` and
:mod:`.alerts`, the database-heavy tasks in the pool ``warehouse_db``. The task bodies are one call each
into :mod:`.tasks`, imported when the task runs: parsing a DAG file imports neither psycopg, GX nor dbt.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pendulum
from airflow.sdk import (
    DAG,
    Asset,
    AssetAny,
    AssetOrTimeSchedule,
    CronTriggerTimetable,
    TriggerRule,
    dag,
    task,
)
from airflow.sdk.definitions.callback import AsyncCallback
from airflow.sdk.definitions.deadline import DeadlineAlert, DeadlineReference
from airflow.sdk.exceptions import AirflowFailException

from ingestion.orchestration import alerts, config, policy

FEEDS = ("organizations", "pos", "incident", "register")
"""In load order: the directory first (the other feeds resolve bodies and organisations through it)."""
FEED_ASSETS = {
    feed: Asset(name=f"appeals_{feed}_validated", uri=f"x-appeals://warehouse/raw/{feed}", group="appeals")
    for feed in FEEDS
}
"""One asset per feed: "new batches of this feed passed the gate and wait for the build"."""
TAGS = ["appeals"]
LOAD_TIMEOUT = dt.timedelta(hours=2)
GATE_TIMEOUT = dt.timedelta(hours=1)
BUILD_TIMEOUT = dt.timedelta(hours=3)
MAINTENANCE_TIMEOUT = dt.timedelta(hours=1)


def _start_date(schedule: config.Schedule) -> pendulum.DateTime:
    return pendulum.datetime(2024, 1, 1, tz=schedule.timezone)


def _daily(at: dt.time, schedule: config.Schedule) -> CronTriggerTimetable:
    return CronTriggerTimetable(config.cron_at(at), timezone=schedule.timezone)


def _verdict() -> Any:
    """The last task of a DAG whose tasks run even after an upstream failure (``all_done``): it runs only
    when some task failed, and fails the run so that the run shows red. It sends no alert of its own (the
    failed task did)."""

    @task(
        task_id="verdict",
        trigger_rule=TriggerRule.ONE_FAILED,
        retries=0,
        on_failure_callback=None,
        on_retry_callback=None,
    )
    def verdict() -> None:
        raise AirflowFailException("a task of this run failed (see it, and its alert, above)")

    return verdict()


def ingest_dag(feed: str) -> DAG:
    """``ingest_<feed>``: load the feed's new files, validate them, announce them with the feed's asset.

    ``validate`` runs even when ``load`` failed (``all_done``): a rejected file must not hold back the
    other files of the night. It is skipped when there is nothing new (no asset event, no build).
    """
    if feed not in FEEDS:
        raise ValueError(f"unknown feed {feed!r}; one of {', '.join(FEEDS)}")
    schedule = config.schedule()
    at = schedule.organizations_at if feed == "organizations" else schedule.ingest_at

    @dag(
        dag_id=f"ingest_{feed}",
        schedule=_daily(at, schedule),
        start_date=_start_date(schedule),
        catchup=False,
        max_active_runs=1,
        default_args=policy.task_defaults(),
        tags=[*TAGS, "ingest", feed],
        doc_md=(
            f"Load new `{feed}` exports from the landing folder into `raw`, run the quality gate on them, and"
            f" announce the validated batches (asset `{FEED_ASSETS[feed].name}`) to `build_marts`. Files are"
            " loaded once by content (sha256): clearing, re-running or backfilling a run loads nothing twice."
            " See docs/orchestration.md."
        ),
    )
    def ingest() -> None:
        @task(task_id="load", pool=config.POOL, execution_timeout=LOAD_TIMEOUT)
        def load() -> dict[str, Any]:
            from ingestion.orchestration.tasks import ingest_feed

            return ingest_feed(feed)

        @task(
            task_id="validate",
            pool=config.POOL,
            outlets=[FEED_ASSETS[feed]],
            trigger_rule=TriggerRule.ALL_DONE,
            execution_timeout=GATE_TIMEOUT,
        )
        def validate() -> dict[str, Any]:
            from ingestion.orchestration.tasks import validate_feed

            return validate_feed(feed)

        loaded, validated, verdict = load(), validate(), _verdict()
        loaded >> validated >> verdict
        loaded >> verdict

    return ingest()


def build_marts_dag() -> DAG:
    """``build_marts``: one ``dbt build`` of the whole candidate, the mart suites, the swap.

    Scheduled on any feed's asset (new validated batches) or, as a fallback, nightly at
    ``APPEALS_BUILD_AT``; a deadline alert fires when a run has not finished by ``APPEALS_NIGHTLY_DEADLINE``
    (measured from when it was queued: the nightly run is queued at ``APPEALS_BUILD_AT``).
    """
    schedule = config.schedule()

    @dag(
        dag_id="build_marts",
        schedule=AssetOrTimeSchedule(
            timetable=_daily(schedule.build_at, schedule), assets=AssetAny(*FEED_ASSETS.values())
        ),
        start_date=_start_date(schedule),
        catchup=False,
        max_active_runs=1,
        default_args=policy.task_defaults(),
        deadline=DeadlineAlert(
            reference=DeadlineReference.DAGRUN_QUEUED_AT,
            interval=schedule.deadline_after_build,
            callback=AsyncCallback(alerts.deadline_missed),
            name="nightly build finished",
        ),
        tags=[*TAGS, "build"],
        doc_md=(
            "Build the star schema into `marts_next` with one `dbt build` (models and their tests), check it"
            " with the GX mart suites, and swap it with `marts` in one transaction. When anything fails,"
            " analysts keep the previous marts. Triggered by new validated batches of any feed, and nightly"
            f" at {schedule.build_at:%H:%M} ({schedule.timezone}); alerts when a run is not done"
            f" {schedule.deadline_after_build} after it was queued (by {schedule.deadline_at:%H:%M} for the"
            " nightly run). See docs/orchestration.md."
        ),
    )
    def build() -> None:
        @task(task_id="build_and_publish", pool=config.POOL, pool_slots=2, execution_timeout=BUILD_TIMEOUT)
        def build_and_publish() -> dict[str, Any]:
            from ingestion.orchestration.tasks import publish

            return publish()

        build_and_publish()

    return build()


def maintain_warehouse_dag() -> DAG:
    """``maintain_warehouse``: the retention policy, ANALYZE, and the documentation sites, daily."""
    schedule = config.schedule()

    @dag(
        dag_id="maintain_warehouse",
        schedule=_daily(schedule.maintenance_at, schedule),
        start_date=_start_date(schedule),
        catchup=False,
        max_active_runs=1,
        default_args=policy.task_defaults(),
        tags=[*TAGS, "maintenance"],
        doc_md=(
            "Delete what the retention policy says is no longer needed (superseded raw versions after"
            " `APPEALS_RETENTION_DAYS`, quarantine, rejected files and validation results after"
            " `APPEALS_AUDIT_RETENTION_DAYS`), ANALYZE raw, audit and marts, and regenerate the dbt docs and"
            " the GX Data Docs. See docs/orchestration.md."
        ),
    )
    def maintain() -> None:
        @task(task_id="apply_retention", pool=config.POOL, execution_timeout=MAINTENANCE_TIMEOUT)
        def retention() -> dict[str, Any]:
            from ingestion.orchestration.tasks import apply_retention

            return apply_retention()

        @task(
            task_id="analyze",
            pool=config.POOL,
            trigger_rule=TriggerRule.ALL_DONE,
            execution_timeout=MAINTENANCE_TIMEOUT,
        )
        def analyze() -> dict[str, Any]:
            from ingestion.orchestration.tasks import analyze_warehouse

            return analyze_warehouse()

        @task(
            task_id="refresh_docs", trigger_rule=TriggerRule.ALL_DONE, execution_timeout=MAINTENANCE_TIMEOUT
        )
        def docs() -> dict[str, Any]:
            from ingestion.orchestration.tasks import refresh_docs

            return refresh_docs()

        retained, analyzed, documented = retention(), analyze(), docs()
        verdict = _verdict()
        retained >> analyzed >> documented >> verdict
        [retained, analyzed] >> verdict

    return maintain()

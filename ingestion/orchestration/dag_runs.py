"""Run the project's DAGs in this process, for the demo and the tests: real Airflow runs without a scheduler.

    runs = run_nightly_dags(landing, dsn)          # ingest_* then build_marts, one dag.test() each
    print(runs.render())

The runs are recorded in the Airflow metadata database of ``AIRFLOW_HOME`` (the project's ``.airflow/``
unless set), so ``make airflow`` shows them, with their task logs' outcomes and XComs, in the UI.

Besides ``dag.test()`` (one new run), two things the scheduler does are done here in-process, with
Airflow's own code:

- :func:`rerun` clears a finished run as the UI's "Clear" does (same run id, every task back to no state,
  try numbers going on) and runs it again;
- :func:`create_backfill` makes the runs of ``airflow backfill create`` (``run_type`` backfill, one per
  logical date of the range), and :func:`run_queued` runs one of them.

The last two drive a run with the loop ``dag.test()`` uses (``airflow.sdk.definitions.dag._run_task``):
an internal of Airflow 3.3, pinned by ``uv.lock`` and exercised by tests/dags. Production uses none of
this: the scheduler runs the same DAGs.

Airflow reads its configuration when it is first imported: call :func:`configure_airflow` (every function
here does) before anything imports ``airflow``.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ingestion.orchestration import config

log = logging.getLogger(__name__)

INGEST_DAGS = ("ingest_organizations", "ingest_pos", "ingest_incident", "ingest_register")
NIGHTLY_DAGS = (*INGEST_DAGS, "build_marts")
"""A night in the order the schedule runs it: the directory, the feeds, then the build."""
FINISHED = ("success", "failed")


# -- results ---------------------------------------------------------------------------------------------


@dataclass
class TaskOutcome:
    task_id: str
    state: str | None
    try_number: int
    result: Any = None
    """The task's return value (XCom ``return_value``): the summary ``ingestion.orchestration.tasks`` made."""


@dataclass
class DagRunOutcome:
    """How one DAG run ended."""

    dag_id: str
    run_id: str
    run_type: str
    logical_date: dt.datetime | None
    state: str
    tasks: dict[str, TaskOutcome] = field(default_factory=dict)
    alerts: list[str] = field(default_factory=list)
    """The failure alerts its tasks raised (the text that was logged, e-mailed or posted)."""
    asset_events: list[str] = field(default_factory=list)
    """The assets it updated (what triggers ``build_marts``)."""
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.state == "success"

    def summary(self) -> str:
        tasks = "  ".join(f"{t.task_id}={t.state}" for t in self.tasks.values())
        return f"{self.dag_id:<22} {self.state:<8} {tasks}  {self.seconds:.1f} s"


@dataclass
class NightlyRuns:
    """The runs of one night, in order."""

    runs: list[DagRunOutcome] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return all(run.ok for run in self.runs)

    def run(self, dag_id: str) -> DagRunOutcome:
        return next(r for r in self.runs if r.dag_id == dag_id)

    def render(self) -> str:
        """One line per DAG run, the summaries its tasks returned, and the alerts."""
        lines = []
        for run in self.runs:
            lines.append(run.summary())
            for task in run.tasks.values():
                if isinstance(task.result, dict):
                    lines.append(f"    {task.task_id}: {_brief(task.result)}")
            lines += [f"    ALERT {line}" for alert in run.alerts for line in alert.splitlines()[:6]]
        failed = [r.dag_id for r in self.runs if not r.ok]
        lines.append(
            f"{len(self.runs)} DAG run(s) in {self.seconds:.1f} s: "
            + ("all succeeded" if not failed else f"failed: {', '.join(failed)}")
        )
        return "\n".join(lines)


def _brief(result: dict[str, Any]) -> str:
    shown = {k: v for k, v in result.items() if not isinstance(v, list) or len(v) <= 3}
    text = ", ".join(f"{k}={v}" for k, v in shown.items())
    return text if len(text) <= 300 else text[:299] + "…"


# -- Airflow in this process -----------------------------------------------------------------------------


def configure_airflow() -> None:
    """Point Airflow at the project's home (``ingestion.airflow_home``; variables already set win) and make
    sure its metadata database exists (``airflow db migrate``). Must run before ``airflow`` is imported to
    take effect."""
    from ingestion.airflow_home import airflow_config, run_airflow
    from ingestion.settings import load_settings

    settings = load_settings()
    for key, value in airflow_config(settings).items():
        os.environ.setdefault(key, value)
    database = os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
    if database.startswith("sqlite:///") and not Path(database.removeprefix("sqlite:///")).exists():
        Path(os.environ["AIRFLOW_HOME"]).mkdir(parents=True, exist_ok=True)
        log.info("creating the Airflow metadata database %s", database)
        if run_airflow(["db", "migrate"], settings, capture_output=True) != 0:
            raise RuntimeError(f"`airflow db migrate` failed for {database}")


def ensure_pool() -> None:
    """The pool of the database-heavy tasks (``appeals airflow prepare`` creates it too). ``dag.test()``
    does not enforce pools; the scheduler, which does, finds it there."""
    from airflow.models.pool import Pool

    if Pool.get_pool(config.POOL) is None:
        Pool.create_or_update_pool(
            config.POOL, config.pool_slots(), config.POOL_DESCRIPTION, include_deferred=False
        )


_DAGS: dict[str, Any] = {}


def load_dags() -> dict[str, Any]:
    """The project's DAGs, parsed once per process (``dags/``, the folder Airflow is configured with)."""
    if not _DAGS:
        configure_airflow()
        from airflow.dag_processing.dagbag import DagBag

        bag = DagBag(dag_folder=os.environ["AIRFLOW__CORE__DAGS_FOLDER"])
        if bag.import_errors:
            raise RuntimeError(f"DAG import errors: {bag.import_errors}")
        ensure_pool()
        for dag in bag.dags.values():
            # Deadline alerts are the scheduler's business (it creates and checks them); dag.test() of
            # Airflow 3.3 hands the alert definitions where alert ids are expected and fails at the end
            # of the run. In-process runs leave them out: the runs are what is being tested.
            dag.deadline = None
        _DAGS.update(bag.dags)
    return _DAGS


def _dag(dag_id: str) -> Any:
    dags = load_dags()
    if dag_id not in dags:
        raise KeyError(f"no DAG {dag_id!r}; the DAGs are: {', '.join(sorted(dags))}")
    return dags[dag_id]


def _outcome(dag_run: Any, started: float, alerts_before: int) -> DagRunOutcome:
    """The outcome of the run as it ended; alerts and asset events of this attempt only (a cleared run
    keeps those of its earlier one)."""
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.models.taskinstance import TaskInstance
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    from ingestion.orchestration import alerts

    with create_session() as session:
        results = {
            row.task_id: XComModel.deserialize_value(row)
            for row in session.scalars(
                XComModel.get_many(run_id=dag_run.run_id, dag_ids=dag_run.dag_id, key="return_value")
            )
        }
        tis = session.scalars(
            select(TaskInstance).where(
                TaskInstance.dag_id == dag_run.dag_id, TaskInstance.run_id == dag_run.run_id
            )
        ).all()
        events = session.scalars(
            select(AssetModel.name)
            .join(AssetEvent, AssetEvent.asset_id == AssetModel.id)
            .where(
                AssetEvent.source_dag_id == dag_run.dag_id,
                AssetEvent.source_run_id == dag_run.run_id,
                AssetEvent.timestamp
                >= dt.datetime.now(dt.UTC) - dt.timedelta(seconds=time.monotonic() - started),
            )
            .order_by(AssetEvent.id)
        ).all()
        tasks = {
            ti.task_id: TaskOutcome(
                ti.task_id,
                str(ti.state.value) if hasattr(ti.state, "value") else ti.state,
                ti.try_number,
                results.get(ti.task_id),
            )
            for ti in sorted(tis, key=lambda t: (t.start_date is None, t.start_date or 0, t.task_id))
        }
    state = dag_run.state
    return DagRunOutcome(
        dag_id=dag_run.dag_id,
        run_id=dag_run.run_id,
        run_type=str(getattr(dag_run.run_type, "value", dag_run.run_type)),
        logical_date=dag_run.logical_date,
        state=str(getattr(state, "value", state)),
        tasks=tasks,
        alerts=[a.text() for a in alerts.recent[alerts_before:] if a.dag_id == dag_run.dag_id],
        asset_events=list(events),
        seconds=time.monotonic() - started,
    )


def run_dag(dag_id: str, logical_date: dt.datetime | None = None) -> DagRunOutcome:
    """One new run of ``dag_id`` (``dag.test()``), at ``logical_date`` (default: now). ``dag.test()`` replaces
    an earlier run of the same DAG at the same logical date."""
    from ingestion.orchestration import alerts

    dag = _dag(dag_id)
    started, before = time.monotonic(), len(alerts.recent)
    logical_date = logical_date or dt.datetime.now(dt.UTC)
    dag_run = dag.test(logical_date=logical_date)
    return _outcome(dag_run, started, before)


def rerun(dag_id: str, run_id: str) -> DagRunOutcome:
    """Clear the run ``run_id`` of ``dag_id`` — every task, as the UI's "Clear" does — and run it again."""
    from airflow import settings

    from ingestion.orchestration import alerts

    dag = _dag(dag_id)
    started, before = time.monotonic(), len(alerts.recent)
    scheduler_dag = _scheduler_dag(dag)
    session = settings.Session()
    try:
        scheduler_dag.clear(run_id=run_id, session=session)
        session.commit()
    finally:
        session.close()
    return _outcome(_drive(dag, run_id), started, before)


def create_backfill(
    dag_id: str, start: dt.datetime, end: dt.datetime, reprocess: str = "none"
) -> list[tuple[str, dt.datetime]]:
    """The runs ``airflow backfill create --dag-id <dag_id> --from-date <start> --to-date <end>
    --reprocess-behavior <reprocess>`` makes (queued, run type backfill, one per scheduled time in the
    range): ``(run_id, logical_date)`` in order. With ``none`` (Airflow's default), logical dates that
    already ran are left out; ``failed`` re-runs failed ones, ``completed`` every one."""
    from airflow.models.backfill import BackfillDagRun, ReprocessBehavior, _create_backfill
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session
    from sqlalchemy import select

    _sync(_dag(dag_id))
    backfill = _create_backfill(
        dag_id=dag_id,
        from_date=start,
        to_date=end,
        max_active_runs=1,
        reverse=False,
        dag_run_conf=None,
        triggering_user_name="appeals",
        reprocess_behavior=ReprocessBehavior(reprocess),
    )
    with create_session() as session:
        rows = session.execute(
            select(DagRun.run_id, DagRun.logical_date)
            .join(BackfillDagRun, BackfillDagRun.dag_run_id == DagRun.id)
            .where(BackfillDagRun.backfill_id == backfill.id, BackfillDagRun.dag_run_id.is_not(None))
            .order_by(BackfillDagRun.sort_ordinal)
        ).all()
    return [(run_id, logical_date) for run_id, logical_date in rows]


def run_queued(dag_id: str, run_id: str) -> DagRunOutcome:
    """Run a queued run (e.g. of a backfill) to its end, here, as the scheduler would have; a backfill
    whose runs have all ended is marked completed, as the scheduler does."""
    from ingestion.orchestration import alerts

    started, before = time.monotonic(), len(alerts.recent)
    outcome = _outcome(_drive(_dag(dag_id), run_id), started, before)
    _complete_backfills()
    return outcome


def _complete_backfills() -> None:
    from airflow.models.backfill import Backfill
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session
    from airflow.utils.state import DagRunState
    from sqlalchemy import exists, select

    with create_session() as session:
        done = session.scalars(
            select(Backfill).where(
                Backfill.completed_at.is_(None),
                ~exists(
                    select(DagRun.id).where(
                        DagRun.backfill_id == Backfill.id,
                        DagRun.state.in_((DagRunState.RUNNING, DagRunState.QUEUED)),
                    )
                ),
            )
        ).all()
        for backfill in done:
            backfill.completed_at = dt.datetime.now(dt.UTC)


def backfill(
    dag_id: str,
    start: dt.datetime,
    end: dt.datetime,
    before_each: Callable[[dt.datetime], None] | None = None,
) -> list[DagRunOutcome]:
    """A backfill of ``dag_id`` over ``[start, end]``, its runs one after the other (``max_active_runs=1``);
    ``before_each(logical_date)`` runs before each run (e.g. to deliver that day's exports)."""
    outcomes = []
    for run_id, logical_date in create_backfill(dag_id, start, end):
        if before_each is not None:
            before_each(logical_date)
        outcomes.append(run_queued(dag_id, run_id))
    return outcomes


def _scheduler_dag(dag: Any) -> Any:
    from airflow.serialization.serialized_objects import DagSerialization

    scheduler_dag = DagSerialization.deserialize_dag(DagSerialization.serialize_dag(dag))
    scheduler_dag.on_success_callback = dag.on_success_callback
    scheduler_dag.on_failure_callback = dag.on_failure_callback
    return scheduler_dag


def _sync(dag: Any) -> None:
    """Write the DAGs of the bundle to the metadata database (as ``dag.test()`` does before a run)."""
    from airflow.dag_processing.bundles.manager import DagBundlesManager
    from airflow.dag_processing.dagbag import BundleDagBag, sync_bag_to_db
    from airflow.utils.session import create_session

    manager = DagBundlesManager()
    with create_session() as session:
        manager.sync_bundles_to_db(session=session)
    for bundle in manager.get_all_dag_bundles():
        if not bundle.is_initialized:
            bundle.initialize()
        bag = BundleDagBag(dag_folder=bundle.path, bundle_path=bundle.path, bundle_name=bundle.name)
        sync_bag_to_db(bag, bundle.name, bundle.version)
        if dag.dag_id in bag.dags:
            break


def _drive(dag: Any, run_id: str) -> Any:
    """Run the run ``run_id`` until it ends: ``dag.test()``'s loop, for a run that already exists."""
    from airflow import settings
    from airflow.models.dagrun import DagRun
    from airflow.sdk.definitions.dag import _run_task
    from airflow.utils.state import DagRunState, TaskInstanceState
    from sqlalchemy import select

    session = settings.Session()
    try:
        dag_run = session.scalar(select(DagRun).where(DagRun.dag_id == dag.dag_id, DagRun.run_id == run_id))
        if dag_run is None:
            raise KeyError(f"no run {run_id!r} of {dag.dag_id}")
        dag_run.dag = _scheduler_dag(dag)
        if dag_run.state != DagRunState.RUNNING:
            dag_run.set_state(DagRunState.RUNNING)
            session.commit()
        finished = {
            TaskInstanceState.SUCCESS,
            TaskInstanceState.FAILED,
            TaskInstanceState.SKIPPED,
            TaskInstanceState.UPSTREAM_FAILED,
            TaskInstanceState.REMOVED,
        }
        while dag_run.state == DagRunState.RUNNING:
            session.expire_all()
            schedulable, _ = dag_run.update_state(session=session)
            for ti in schedulable:
                if ti.state != TaskInstanceState.UP_FOR_RESCHEDULE:
                    ti.try_number += 1
                ti.state = TaskInstanceState.SCHEDULED
            session.commit()
            tis = set(dag_run.get_task_instances(session=session))
            scheduled = [ti for ti in tis if ti.state == TaskInstanceState.SCHEDULED]
            if not scheduled and any(ti.state not in finished for ti in tis):
                time.sleep(1)  # a task waits for its retry delay
            for ti in scheduled:
                try:
                    _run_task(ti=ti, task=dag.task_dict[ti.task_id], run_triggerer=True)
                except Exception:
                    log.exception("task %s failed", ti.task_id)
        return dag_run
    finally:
        session.close()


# -- the nightly sequence --------------------------------------------------------------------------------


def _conn_json(dsn: str) -> str:
    """An Airflow connection (JSON form of ``AIRFLOW_CONN_…``) for a libpq DSN."""
    from psycopg.conninfo import conninfo_to_dict

    params = {k: v for k, v in conninfo_to_dict(dsn).items() if v not in (None, "")}
    conn: dict[str, Any] = {"conn_type": "postgres"}
    for airflow_key, libpq_key in (
        ("host", "host"),
        ("port", "port"),
        ("login", "user"),
        ("password", "password"),
        ("schema", "dbname"),
    ):
        if libpq_key in params:
            value = params.pop(libpq_key)
            conn[airflow_key] = int(value) if airflow_key == "port" else value
    if params:
        conn["extra"] = params
    return json.dumps(conn)


def _found_by_tasks(dsn: str) -> bool:
    """Whether the tasks would use ``dsn`` anyway (``WAREHOUSE_DSN``, or the running embedded server)."""
    from ingestion.settings import load_settings
    from ingestion.warehouse.connection import embedded_server

    if os.environ.get("AIRFLOW_CONN_" + config.WAREHOUSE_CONN_ID.upper()):
        return False
    settings = load_settings()
    if settings.warehouse_dsn:
        return settings.warehouse_dsn == dsn
    status = embedded_server(settings).status()
    return bool(status.running) and status.dsn(settings.database) == dsn


@contextmanager
def pipeline_environment(landing: Path | None = None, dsn: str | None = None) -> Iterator[None]:
    """Make the tasks of in-process runs use ``landing`` (``APPEALS_LANDING``) and the warehouse ``dsn``
    (as the Airflow connection ``appeals_warehouse``, the way production configures it — unless it is
    the warehouse the tasks would find anyway)."""
    values: dict[str, str | None] = {}
    if landing is not None:
        values["APPEALS_LANDING"] = str(Path(landing).resolve())
    if dsn is not None and not _found_by_tasks(dsn):
        values["AIRFLOW_CONN_" + config.WAREHOUSE_CONN_ID.upper()] = _conn_json(dsn)
    with config.environment(values):
        yield


def run_nightly_dags(
    landing: Path,
    dsn: str,
    *,
    logical_date: dt.datetime | None = None,
    dag_ids: Sequence[str] = NIGHTLY_DAGS,
    on_run: Callable[[DagRunOutcome], None] | None = None,
    quiet: bool = False,
) -> NightlyRuns:
    """Run a night's DAGs in this process, in schedule order: ``ingest_organizations``, ``ingest_pos``,
    ``ingest_incident``, ``ingest_register``, then ``build_marts`` — every one of them, whatever the others
    did (as the schedule does: a feed's failure never stops the others or the nightly build).

    ``landing`` and ``dsn`` are what the tasks use (:func:`pipeline_environment`); ``logical_date`` is the
    night (default: now; each DAG's run replaces an earlier one of the same DAG at that logical date).
    ``on_run`` sees each run's outcome as soon as it ends. ``quiet`` keeps the console to warnings and
    errors (Airflow's and the tasks' logs; dbt's progress lines) — it must be asked for before Airflow is
    first imported in the process. Returns every run's outcome; ``ok`` when all succeeded (a night with a
    rejected file is not ok, though its other feeds are published).
    """
    if quiet:
        os.environ.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING")
    configure_airflow()
    started = time.monotonic()
    night = NightlyRuns()
    logical_date = logical_date or dt.datetime.now(dt.UTC)
    with pipeline_environment(landing, dsn), config.environment({"DBT_QUIET": "true"} if quiet else {}):
        for dag_id in dag_ids:
            outcome = run_dag(dag_id, logical_date=logical_date)
            night.runs.append(outcome)
            if on_run is not None:
                on_run(outcome)
    night.seconds = time.monotonic() - started
    return night

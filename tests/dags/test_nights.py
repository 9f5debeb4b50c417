"""The DAGs end to end: real Airflow runs of the real DAGs against a real warehouse, night after night.

Each test has a database of its own (the DAGs migrate it), a landing folder, and asks the session's DAG
runner (tests/dags/runner.py) to run DAGs: a night is ``ingest_organizations``, ``ingest_pos``,
``ingest_incident``, ``ingest_register`` and ``build_marts``, in that order, as the schedule runs them.
What analysts see is read as ``analyst``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass

import psycopg
import pytest

from tests.dags.conftest import (
    UKHTA,
    DagRunner,
    MailServer,
    Pipeline,
    Webhook,
    new_pipeline,
    own_database,
    raw_counts,
    tasks,
)
from tests.support.exports import pos_row
from tests.support.marts import marts_seen_by_analyst

pytestmark = pytest.mark.slow

INGESTED = {"load": "success", "validate": "success", "verdict": "skipped"}
NOTHING_NEW = {"load": "success", "validate": "skipped", "verdict": "skipped"}


def appeals_by_source(pipeline: Pipeline) -> dict[str, int]:
    with psycopg.connect(pipeline.dsn) as conn:
        conn.execute("set role analyst")
        return dict(conn.execute("select source_code, count(*) from marts.fct_appeals group by 1").fetchall())


@dataclass
class CleanNight:
    pipeline: Pipeline
    runs: dict[str, dict]


@pytest.fixture(scope="module")
def clean_night(
    server_dsn: str, dag_runner: DagRunner, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[CleanNight]:
    """A night with a good export of every feed, on a database of this module's (two tests look at it)."""
    with own_database(server_dsn) as dsn:
        pipeline = new_pipeline(dag_runner, dsn, tmp_path_factory.mktemp("clean-night"))
        pipeline.register("register_2024-01.csv", range(1, 11))
        pipeline.pos("pos_2024-01.csv", [pos_row(n) for n in range(100, 110)])
        pipeline.incident("incident_2024-01.csv", range(900001, 900004))
        yield CleanNight(pipeline, pipeline.night("2024-02-01T01:00:00+03:00"))


def test_a_clean_night_loads_validates_announces_and_publishes_every_feed(clean_night: CleanNight) -> None:
    night, pipeline = clean_night.runs, clean_night.pipeline

    assert list(night) == [
        "ingest_organizations",
        "ingest_pos",
        "ingest_incident",
        "ingest_register",
        "build_marts",
    ]
    assert {dag_id: run["state"] for dag_id, run in night.items()} == dict.fromkeys(night, "success")
    for feed in ("organizations", "pos", "incident", "register"):
        run = night[f"ingest_{feed}"]
        assert tasks(run) == INGESTED, feed
        assert run["asset_events"] == [f"appeals_{feed}_validated"]
        assert run["tasks"]["load"]["result"]["loaded"] == 1
        assert run["tasks"]["load"]["try_number"] == 1
    published = night["build_marts"]["tasks"]["build_and_publish"]["result"]
    assert published["appeals"] == 23 and published["batches_published"] == 4
    assert "tests passed" in published["dbt"] and published["mart_suites"].startswith("passed")

    assert set(pipeline.statuses().values()) == {"published"}
    assert appeals_by_source(pipeline) == {"register": 10, "pos": 10, "incident": 3}
    assert pipeline.query("select status from audit.publications") == [("published",)]
    # the database-heavy tasks' pool exists in the Airflow home (the scheduler would need it)
    assert pipeline.runner.call("pools")["warehouse_db"] == 4


def test_clearing_and_rerunning_the_night_duplicates_nothing(clean_night: CleanNight) -> None:
    night, pipeline = clean_night.runs, clean_night.pipeline
    raw_before, marts_before = raw_counts(pipeline.dsn), marts_seen_by_analyst(pipeline.dsn)
    assert raw_before["register_rows"] == 10 and raw_before["load_batches"] == 4

    # clear every run of the night (as the UI's "Clear" does) and run them again, in order
    again = {
        dag_id: pipeline.call("rerun", dag_id=dag_id, run_id=run["run_id"]) for dag_id, run in night.items()
    }

    for dag_id, run in again.items():
        assert run["run_id"] == night[dag_id]["run_id"], "the same run, cleared and run again"
        assert run["state"] == "success", dag_id
    for feed in ("organizations", "pos", "incident", "register"):
        run = again[f"ingest_{feed}"]
        assert tasks(run) == NOTHING_NEW, feed
        load = run["tasks"]["load"]
        assert load["try_number"] == 2 and (load["result"]["loaded"], load["result"]["skipped"]) == (0, 1)
        assert run["asset_events"] == [], "nothing new: the build is not triggered for nothing"
    rebuilt = again["build_marts"]["tasks"]["build_and_publish"]
    assert rebuilt["try_number"] == 2 and rebuilt["result"]["batches_published"] == 0
    assert raw_counts(pipeline.dsn) == raw_before
    assert marts_seen_by_analyst(pipeline.dsn) == marts_before
    assert pipeline.query(
        "select count(*), count(*) filter (where status = 'published') from audit.publications"
    ) == [(2, 2)]


def test_a_bad_file_fails_its_feed_without_retry_keeps_its_previous_marts_and_the_others_publish(
    pipeline: Pipeline, webhook: Webhook, mail_server: MailServer
) -> None:
    pipeline.register("register_2024-01.csv", range(1, 11))
    pipeline.pos("pos_2024-01.csv", [pos_row(n) for n in range(100, 110)])
    first = pipeline.night("2024-02-01T01:00:00+03:00")
    assert all(run["state"] == "success" for run in first.values())

    def pos_marts() -> list[tuple]:
        return pipeline.query(
            "select appeal_id, final_result_code, primary_topic_code, territory_key from marts.fct_appeals"
            " where source_code = 'pos' order by 1"
        )

    pos_before = pos_marts()
    assert len(pos_before) == 10

    # the next night: two of ten ПОС messages name an organisation of no directory (the gate tolerates 1 %);
    # the register delivers ten new appeals
    pipeline.pos(
        "pos_2024-02.csv",
        [pos_row(n, **{"Стадия": "В работе"}) for n in range(100, 108)]
        + [pos_row(n, org="МКУ «Служба заказчика»") for n in (108, 109)],
    )
    pipeline.register("register_2024-02.csv", range(11, 21), date="15.02.2024")
    pipeline.env.update(
        {
            "AIRFLOW_CONN_APPEALS_ALERT_WEBHOOK": webhook.connection,
            "AIRFLOW_CONN_SMTP_DEFAULT": mail_server.connection,
            "APPEALS_ALERT_EMAIL": "duty@example.org, analysts@example.org",
        }
    )

    second = pipeline.night("2024-02-02T01:00:00+03:00")

    pos = second["ingest_pos"]
    assert pos["state"] == "failed"
    assert tasks(pos) == {"load": "success", "validate": "failed", "verdict": "failed"}
    assert pos["tasks"]["validate"]["try_number"] == 1, "bad data is never retried"
    assert pos["asset_events"] == []
    assert tasks(second["ingest_register"]) == INGESTED
    assert second["ingest_register"]["asset_events"] == ["appeals_register_validated"]
    assert tasks(second["ingest_organizations"]) == NOTHING_NEW
    assert second["build_marts"]["state"] == "success"

    statuses = pipeline.statuses()
    assert statuses["pos/pos_2024-02.csv"] == "rejected"
    assert statuses[f"register/{UKHTA}/register_2024-02.csv"] == "published"
    assert pos_marts() == pos_before, "the rejected export changed nothing analysts see"
    assert appeals_by_source(pipeline) == {"register": 20, "pos": 10}

    # one alert, for the failed task, saying which file and which check; sent to the webhook too
    [alert] = pos["alerts"]
    assert alert.startswith("FAILED: DAG ingest_pos, task validate, run ")
    assert "pos/pos_2024-02.csv" in alert and "pos.receiving_org.territory" in alert
    assert "2 of 10 rows" in alert and "МКУ «Служба заказчика»" in alert
    [posted] = webhook.received
    assert posted["path"] == "/hooks/appeals"
    body = posted["body"]
    assert (body["kind"], body["dag_id"], body["task_id"], body["try_number"]) == (
        "task_failed",
        "ingest_pos",
        "validate",
        1,
    )
    assert body["text"] == alert and "AirflowFailException" in body["error"]
    [mail] = mail_server.messages
    assert mail["Subject"] == "[appeals] ingest_pos.validate failed"
    assert mail["To"] == "duty@example.org, analysts@example.org"
    assert "pos/pos_2024-02.csv" in mail.get_body().get_content()


def test_the_deadline_alert_reaches_the_webhook(pipeline: Pipeline, webhook: Webhook) -> None:
    # what the triggerer hands the callback when the nightly build has not finished by its deadline
    context = {
        "dag_run": {
            "dag_id": "build_marts",
            "dag_run_id": "scheduled__2024-02-01T00:00:00+00:00",
            "logical_date": "2024-02-01T00:00:00Z",
            "state": "running",
        },
        "deadline": {"id": "0190", "deadline_time": "2024-02-01T03:00:00Z"},
    }
    pipeline.env["AIRFLOW_CONN_APPEALS_ALERT_WEBHOOK"] = webhook.connection

    pipeline.call("deadline_missed", context=context)

    [posted] = webhook.received
    body = posted["body"]
    assert (body["kind"], body["dag_id"], body["run_id"]) == (
        "deadline_missed",
        "build_marts",
        "scheduled__2024-02-01T00:00:00+00:00",
    )
    assert body["text"].startswith("DEADLINE MISSED: DAG build_marts, run scheduled__2024-02-01")
    assert "not finished by 2024-02-01T03:00:00Z (state running)" in body["text"]


def test_a_seven_day_backfill_loads_each_file_once(pipeline: Pipeline) -> None:
    organizations = pipeline.call(
        "run_dag", dag_id="ingest_organizations", logical_date="2024-04-01T00:30:00+03:00"
    )
    assert organizations["state"] == "success"
    moscow = dt.timezone(dt.timedelta(hours=3))
    start, end = dt.datetime(2024, 4, 1, tzinfo=moscow), dt.datetime(2024, 4, 7, 23, 59, tzinfo=moscow)

    runs = pipeline.call(
        "create_backfill", dag_id="ingest_register", start=start.isoformat(), end=end.isoformat()
    )

    # one run a day at 01:00 Moscow time; before each, that day's register export lands
    dates = [dt.datetime.fromisoformat(logical_date) for _, logical_date in runs]
    assert [d.astimezone(moscow) for d in dates] == [
        dt.datetime(2024, 4, day, 1, 0, tzinfo=moscow) for day in range(1, 8)
    ]
    outcomes = []
    for day, (run_id, _) in enumerate(runs, start=1):
        # each day's export repeats the previous day's last appeal (a re-export) and adds five new ones
        pipeline.register(
            f"register_2024-04-{day:02d}.csv", range(day * 5 - 1, day * 5 + 5), date=f"{day:02d}.04.2024"
        )
        outcomes.append(pipeline.call("run_queued", dag_id="ingest_register", run_id=run_id))
    for day, run in enumerate(outcomes, start=1):
        assert run["run_type"] == "backfill" and run["state"] == "success", run
        load = run["tasks"]["load"]["result"]
        assert (load["loaded"], load["skipped"]) == (1, day - 1), f"day {day}: only its own file is new"

    # the same range again, every day re-run (reprocess "completed"): nothing is loaded twice
    again = pipeline.call(
        "create_backfill",
        dag_id="ingest_register",
        start=start.isoformat(),
        end=end.isoformat(),
        reprocess="completed",
    )
    assert len(again) == 7
    for run_id, _ in again:
        run = pipeline.call("run_queued", dag_id="ingest_register", run_id=run_id)
        assert run["state"] == "success" and tasks(run) == NOTHING_NEW
        assert run["tasks"]["load"]["result"]["loaded"] == 0

    files = pipeline.query(
        "select file_path, count(*), min(status) from audit.load_batches where feed = 'register' group by 1 order by 1"
    )
    assert files == [
        (f"register/{UKHTA}/register_2024-04-{day:02d}.csv", 1, "validated") for day in range(1, 8)
    ]
    assert pipeline.query("select count(*) from raw.register_rows") == [(7 * 6,)]

    # the build publishes the week: every appeal once, the re-exported ones in their newest version
    build = pipeline.call("run_dag", dag_id="build_marts", logical_date="2024-04-08T03:00:00+03:00")
    assert build["state"] == "success"
    assert build["tasks"]["build_and_publish"]["result"]["batches_published"] == 8
    assert appeals_by_source(pipeline) == {"register": 7 * 5 + 1}


def test_transient_failures_are_retried_with_backoff_then_alert(pipeline: Pipeline) -> None:
    # the warehouse is unreachable: nothing listens on this port
    pipeline.dsn = "postgresql://postgres@127.0.0.1:9/appeals"

    run = pipeline.call("run_dag", dag_id="ingest_pos", logical_date="2024-05-01T01:00:00+03:00")

    assert run["state"] == "failed"
    assert tasks(run) == {"load": "failed", "validate": "failed", "verdict": "failed"}
    assert run["tasks"]["load"]["try_number"] == 4, "three retries (after 1, 2, 4 s in the tests)"
    [load_alert, validate_alert] = run["alerts"]
    assert "task load" in load_alert and "try 4" in load_alert and "TransientError" in load_alert
    assert "127.0.0.1" in load_alert and "task validate" in validate_alert
    assert json.dumps(run).count("AirflowFailException") == 0

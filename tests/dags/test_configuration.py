"""The DAGs' configuration and alert formatting, without Airflow (fast)."""

from __future__ import annotations

import datetime as dt
import json
from types import SimpleNamespace

import pytest
from psycopg.conninfo import conninfo_to_dict

from ingestion.orchestration import config
from ingestion.orchestration.alerts import Alert, webhook_request
from ingestion.orchestration.maintenance import delete_old_files


def test_the_default_schedule_and_its_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "APPEALS_SCHEDULE_TIMEZONE",
        "APPEALS_TIMEZONE",
        "APPEALS_BUILD_AT",
        "APPEALS_NIGHTLY_DEADLINE",
    ):
        monkeypatch.delenv(name, raising=False)
    schedule = config.schedule()
    assert schedule.timezone == "Europe/Moscow"
    assert config.cron_at(schedule.ingest_at) == "0 1 * * *"
    assert config.cron_at(schedule.organizations_at) == "30 0 * * *"
    assert schedule.deadline_after_build == dt.timedelta(hours=3)

    monkeypatch.setenv("APPEALS_TIMEZONE", "Asia/Tomsk")
    monkeypatch.setenv("APPEALS_BUILD_AT", "23:30")
    monkeypatch.setenv("APPEALS_NIGHTLY_DEADLINE", "2:00")
    schedule = config.schedule()
    assert schedule.timezone == "Asia/Tomsk"
    assert schedule.deadline_after_build == dt.timedelta(hours=2, minutes=30), "the next morning"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("APPEALS_BUILD_AT", "3am", "APPEALS_BUILD_AT='3am': expected a local time of day as HH:MM"),
        ("APPEALS_SCHEDULE_TIMEZONE", "Moscow", "unknown time zone 'Moscow'"),
        ("APPEALS_RETRY_DELAY_SECONDS", "0", "APPEALS_RETRY_DELAY_SECONDS='0': expected a whole number ≥ 1"),
    ],
)
def test_a_bad_setting_is_named(monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        config.schedule() if "RETRY" not in name else config.retry_delay()


def test_retention_periods(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("APPEALS_RETENTION_DAYS", raising=False)
    monkeypatch.setenv("APPEALS_AUDIT_RETENTION_DAYS", "0")
    assert config.retention() == config.Retention(superseded_days=90, audit_days=0)


def test_the_landing_folder(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("APPEALS_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.delenv("APPEALS_LANDING", raising=False)
    assert config.landing_dir() == tmp_path / "state" / "landing"
    monkeypatch.setenv("APPEALS_LANDING", str(tmp_path / "exports"))
    assert config.landing_dir() == tmp_path / "exports"


def connection(**fields: object) -> SimpleNamespace:
    """What an Airflow connection offers the code (``Connection`` attributes)."""
    values = {
        "conn_type": "postgres",
        "host": None,
        "port": None,
        "login": None,
        "password": None,
        "schema": None,
    }
    values.update(fields)
    extra = values.pop("extra", {})
    return SimpleNamespace(**values, extra_dejson=extra)


def test_the_warehouse_dsn_from_an_airflow_connection() -> None:
    conn = connection(
        host="db.internal",
        port=5432,
        login="etl",
        password="p@ss:word",
        schema="appeals",
        extra={"sslmode": "require"},
    )
    assert (
        config.dsn_from_connection(conn)
        == "postgresql://etl:p%40ss%3Aword@db.internal:5432/appeals?sslmode=require"
    )
    socket = connection(host="/var/run/postgresql", login="etl", schema="appeals")
    assert conninfo_to_dict(config.dsn_from_connection(socket)) == {
        "host": "/var/run/postgresql",
        "user": "etl",
        "dbname": "appeals",
    }


ALERT = Alert(
    kind="task_failed",
    dag_id="ingest_pos",
    task_id="validate",
    run_id="scheduled__2026-03-02T22:00:00+00:00",
    try_number=1,
    logical_date="2026-03-02T22:00:00+00:00",
    error="AirflowFailException: 1 of 1 pos batch(es) rejected",
)


@pytest.mark.parametrize(
    ("conn", "url"),
    [
        (
            connection(conn_type="https", host="chat.example.org", schema="hooks/abc"),
            "https://chat.example.org/hooks/abc",
        ),
        (
            connection(conn_type="http", host="127.0.0.1", port=8065, schema="hooks"),
            "http://127.0.0.1:8065/hooks",
        ),
        (
            connection(conn_type="http", extra={"url": "https://h.example.org/x?y=1"}),
            "https://h.example.org/x?y=1",
        ),
        (connection(conn_type="generic", host="https://h.example.org/a"), "https://h.example.org/a"),
    ],
)
def test_the_webhook_request(conn: SimpleNamespace, url: str) -> None:
    request = webhook_request(conn, ALERT)
    assert (request.full_url, request.get_method()) == (url, "POST")
    body = json.loads(request.data)
    assert body["text"] == (
        "FAILED: DAG ingest_pos, task validate, run scheduled__2026-03-02T22:00:00+00:00"
        " (logical date 2026-03-02T22:00:00+00:00), try 1\nAirflowFailException: 1 of 1 pos batch(es) rejected"
    )
    assert body["kind"] == "task_failed" and body["task_id"] == "validate"


def test_webhook_headers_come_from_the_connection() -> None:
    conn = connection(
        conn_type="http", extra={"url": "https://h.example.org", "headers": {"Authorization": "Bearer t"}}
    )
    request = webhook_request(conn, ALERT)
    assert request.get_header("Authorization") == "Bearer t"
    assert request.get_header("Content-type") == "application/json; charset=utf-8"


def test_old_result_files_go_and_their_empty_folders_too(tmp_path) -> None:
    import os

    (tmp_path / "a" / "b").mkdir(parents=True)
    old, new = tmp_path / "a" / "b" / "old.json", tmp_path / "a" / "new.json"
    old.write_text("{}")
    new.write_text("{}")
    os.utime(old, (0, 0))
    assert delete_old_files(tmp_path, days=30) == 1
    assert not (tmp_path / "a" / "b").exists() and new.exists()
    assert delete_old_files(tmp_path / "missing", days=30) == 0

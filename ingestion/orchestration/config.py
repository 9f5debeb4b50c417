"""Configuration of the DAGs: Airflow connections first, then the same environment variables as the CLI.

What the tasks connect to (read when a task runs):

- the warehouse: the Airflow connection ``appeals_warehouse`` if it is defined (in the metadata database,
  a secrets backend, or ``AIRFLOW_CONN_APPEALS_WAREHOUSE=postgresql://etl:…@db:5432/appeals``); else
  ``WAREHOUSE_DSN``; else the embedded server — exactly what ``appeals …`` uses;
- the pseudonym key: the password of the Airflow connection ``appeals_hmac_key`` if it is defined; else
  ``APPEALS_HMAC_KEY`` / ``APPEALS_HMAC_KEY_FILE`` as for the CLI; with the embedded warehouse only, the
  local key file. A warehouse given as an Airflow connection with no key configured is an error (a
  throwaway key would make pseudonyms that never match again);
- the landing folder: ``APPEALS_LANDING``, default ``<state dir>/landing``.

How the DAGs are scheduled (read when the DAG files are parsed, so the dag-processor needs them; local
times in ``APPEALS_SCHEDULE_TIMEZONE``, default ``APPEALS_TIMEZONE``, default Europe/Moscow):
``APPEALS_ORGANIZATIONS_AT`` (00:30), ``APPEALS_INGEST_AT`` (01:00), ``APPEALS_BUILD_AT`` (03:00, the nightly
fallback of the build), ``APPEALS_NIGHTLY_DEADLINE`` (06:00: alert when the nightly build has not finished),
``APPEALS_MAINTENANCE_AT`` (05:00); ``APPEALS_RETRY_DELAY_SECONDS`` (60: the first retry's delay, doubled
each time, at most 15 min); ``APPEALS_WAREHOUSE_POOL_SLOTS`` (4).

Retention (read when the maintenance DAG runs): ``APPEALS_RETENTION_DAYS`` (90) and
``APPEALS_AUDIT_RETENTION_DAYS`` (180); see :mod:`ingestion.orchestration.maintenance`.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ingestion.settings import load_settings

log = logging.getLogger(__name__)

WAREHOUSE_CONN_ID = "appeals_warehouse"
HMAC_KEY_CONN_ID = "appeals_hmac_key"
WEBHOOK_CONN_ID = "appeals_alert_webhook"
SMTP_CONN_ID = "smtp_default"
POOL = "warehouse_db"
"""The Airflow pool of the tasks that work the warehouse hard (loads, gate, dbt, maintenance)."""
POOL_DESCRIPTION = "Tasks that load, validate, build or maintain the appeals warehouse"
DEFAULT_TIMEZONE = "Europe/Moscow"


# -- Airflow connections --------------------------------------------------------------------------------


def airflow_connection(conn_id: str) -> Any | None:
    """The Airflow connection ``conn_id``, or None when it is not defined (or Airflow is not there).

    Looked up the way hooks do (``AIRFLOW_CONN_<ID>`` variables, secrets backends, the metadata database
    through the task's execution API). A backend that refuses access raises: that is not "undefined".
    """
    try:
        from airflow.sdk import Connection
        from airflow.sdk.exceptions import AirflowNotFoundException
    except ImportError:  # the CLI without Airflow installed
        return None
    try:
        return Connection.get(conn_id)
    except AirflowNotFoundException:
        return None


def dsn_from_connection(conn: Any) -> str:
    """A ``postgresql://`` URL from an Airflow connection (host, port, login, password, schema = database,
    extras such as ``sslmode`` as parameters); a ``key=value`` DSN when the host is a socket directory."""
    from psycopg.conninfo import make_conninfo

    from ingestion.warehouse.connection import to_url

    params: dict[str, object] = {
        key: value
        for key, value in {
            "host": conn.host,
            "port": conn.port,
            "user": conn.login,
            "password": conn.password,
            "dbname": conn.schema,
        }.items()
        if value not in (None, "")
    }
    params.update({k: v for k, v in (conn.extra_dejson or {}).items() if isinstance(v, str | int)})
    if str(params.get("host", "")).startswith("/"):
        return make_conninfo(**{k: str(v) for k, v in params.items()})
    return to_url(params)


def warehouse_dsn() -> str:
    """The warehouse DSN a task uses (see the module docstring)."""
    conn = airflow_connection(WAREHOUSE_CONN_ID)
    if conn is not None:
        return dsn_from_connection(conn)
    from ingestion.warehouse.connection import warehouse_dsn as cli_dsn

    return cli_dsn()


def warehouse_source() -> str:
    """Where :func:`warehouse_dsn` takes the warehouse from, for logs and messages."""
    if airflow_connection(WAREHOUSE_CONN_ID) is not None:
        return f"Airflow connection {WAREHOUSE_CONN_ID}"
    return "WAREHOUSE_DSN" if load_settings().warehouse_dsn else "the embedded server"


@contextmanager
def pseudonym_key() -> Iterator[str]:
    """Make the pseudonym key available to the loader for the duration; yields where it came from.

    The loader reads the key as the CLI does (``ingestion.pseudonymise.load_key``); a key kept in the
    Airflow connection ``appeals_hmac_key`` is handed to it through ``APPEALS_HMAC_KEY`` while the block
    runs (Airflow masks the connection's password in task logs). Raises ``KeyNotConfiguredError`` when no
    key is configured for a warehouse that is not the embedded one.
    """
    from ingestion.pseudonymise import KeyNotConfiguredError, load_key

    conn = airflow_connection(HMAC_KEY_CONN_ID)
    if conn is not None:
        key = conn.password or (conn.extra_dejson or {}).get("key")
        if not key:
            raise KeyNotConfiguredError(
                f"the Airflow connection {HMAC_KEY_CONN_ID} has no password: put the key (≥ 32 characters) there"
            )
        with environment({"APPEALS_HMAC_KEY": key}):
            load_key()  # checks its length, with a clear message
            yield f"Airflow connection {HMAC_KEY_CONN_ID}"
        return
    configured = os.environ.get("APPEALS_HMAC_KEY") or os.environ.get("APPEALS_HMAC_KEY_FILE")
    if not configured and airflow_connection(WAREHOUSE_CONN_ID) is not None:
        raise KeyNotConfiguredError(
            f"the warehouse comes from the Airflow connection {WAREHOUSE_CONN_ID} but no pseudonym key is"
            f" configured: define the connection {HMAC_KEY_CONN_ID} (the key as its password) or set"
            " APPEALS_HMAC_KEY / APPEALS_HMAC_KEY_FILE"
        )
    load_key()
    yield (
        "APPEALS_HMAC_KEY"
        if os.environ.get("APPEALS_HMAC_KEY")
        else "APPEALS_HMAC_KEY_FILE"
        if configured
        else "the local key file"
    )


@contextmanager
def environment(values: Mapping[str, str | None]) -> Iterator[None]:
    """Set (or, for None, unset) environment variables for the duration of the block."""
    saved = {key: os.environ.get(key) for key in values}
    for key, value in values.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


# -- the landing folder ----------------------------------------------------------------------------------


def landing_dir() -> Path:
    """Where the exports land: ``APPEALS_LANDING``, default ``<state dir>/landing``."""
    configured = os.environ.get("APPEALS_LANDING")
    return Path(configured).resolve() if configured else load_settings().state_dir / "landing"


# -- schedules, deadline, retries, pool ------------------------------------------------------------------


def _time_of_day(name: str, default: str) -> dt.time:
    value = os.environ.get(name) or default
    match = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", value.strip())
    if not match:
        raise ValueError(f"{name}={value!r}: expected a local time of day as HH:MM, e.g. {default}")
    return dt.time(int(match[1]), int(match[2]))


def _whole_number(name: str, default: int, minimum: int = 1) -> int:
    value = (os.environ.get(name) or str(default)).strip()
    if not value.isdigit() or int(value) < minimum:
        raise ValueError(f"{name}={value!r}: expected a whole number ≥ {minimum}")
    return int(value)


def cron_at(at: dt.time) -> str:
    """A daily cron expression at a local time of day."""
    return f"{at.minute} {at.hour} * * *"


@dataclass(frozen=True)
class Schedule:
    """When the DAGs run, in local time of ``timezone``."""

    timezone: str
    organizations_at: dt.time
    ingest_at: dt.time
    build_at: dt.time
    deadline_at: dt.time
    maintenance_at: dt.time

    @property
    def deadline_after_build(self) -> dt.timedelta:
        """How long after its scheduled start the nightly build must have finished (the next day's
        ``deadline_at`` when that is earlier in the day than ``build_at``)."""
        day = dt.date(2000, 1, 1)
        start = dt.datetime.combine(day, self.build_at)
        end = dt.datetime.combine(day, self.deadline_at)
        return end - start if end > start else end + dt.timedelta(days=1) - start


def schedule() -> Schedule:
    """The schedule from the environment (module docstring); raises ValueError naming a bad variable."""
    timezone = (
        os.environ.get("APPEALS_SCHEDULE_TIMEZONE") or os.environ.get("APPEALS_TIMEZONE") or DEFAULT_TIMEZONE
    )
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(f"unknown time zone {timezone!r} (APPEALS_SCHEDULE_TIMEZONE)") from error
    return Schedule(
        timezone=timezone,
        organizations_at=_time_of_day("APPEALS_ORGANIZATIONS_AT", "00:30"),
        ingest_at=_time_of_day("APPEALS_INGEST_AT", "01:00"),
        build_at=_time_of_day("APPEALS_BUILD_AT", "03:00"),
        deadline_at=_time_of_day("APPEALS_NIGHTLY_DEADLINE", "06:00"),
        maintenance_at=_time_of_day("APPEALS_MAINTENANCE_AT", "05:00"),
    )


def retry_delay() -> dt.timedelta:
    """The delay before the first retry of a transient failure (doubled for each further one)."""
    return dt.timedelta(seconds=_whole_number("APPEALS_RETRY_DELAY_SECONDS", 60))


def pool_slots() -> int:
    """Slots of the ``warehouse_db`` pool (``appeals airflow prepare`` and docker's airflow-init create it)."""
    return _whole_number("APPEALS_WAREHOUSE_POOL_SLOTS", 4)


@dataclass(frozen=True)
class Retention:
    """How long what is kept (docs/orchestration.md, "Retention")."""

    superseded_days: int
    """Raw versions of a record that a newer published version replaced, this many days after it did."""
    audit_days: int
    """Quarantined rows, rows of rejected files, validation results and GX result files."""


def retention() -> Retention:
    return Retention(
        superseded_days=_whole_number("APPEALS_RETENTION_DAYS", 90, minimum=0),
        audit_days=_whole_number("APPEALS_AUDIT_RETENTION_DAYS", 180, minimum=0),
    )

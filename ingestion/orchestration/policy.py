"""Retries: transient failures are retried with exponential backoff; bad data never is.

A task body runs inside :func:`transient_errors`, which turns the failures worth retrying into
:class:`TransientError`:

- the warehouse could not be reached or the connection was lost, a lock or statement timed out, a
  deadlock or serialization failure (``psycopg.OperationalError`` and its subclasses; SQLAlchemy's
  ``OperationalError`` from GX; ``ConnectionError``, ``TimeoutError``);
- another run holds the publish lock (``PublishBusy``), or a gate check could not run (``GateError``:
  "a broken deployment, not bad data" — usually the database went away under GX);
- a file whose load failed for another reason than its content (the loader marks it ``failed`` and loads
  it again next time).

:data:`RETRY_POLICY` (Airflow 3.3's ``retry_policy``) retries ``TransientError`` — ``retries`` times, after
``APPEALS_RETRY_DELAY_SECONDS`` doubled each time, at most 15 minutes — and fails every other exception at
once. Bad data raises ``AirflowFailException``, which Airflow never retries (the policy is not even asked):
a rejected file or batch fails the same way however often it is tried, and the next delivery of a
corrected export is what fixes it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from airflow.sdk import ExceptionRetryPolicy, RetryAction, RetryRule

from ingestion.orchestration import alerts, config

RETRIES = 3
BACKOFF = 2.0
MAX_RETRY_DELAY = dt.timedelta(minutes=15)


class TransientError(RuntimeError):
    """A failure that may well not happen again: retried with backoff (see the module docstring)."""


def is_transient(error: BaseException) -> bool:
    """Whether ``error`` (or an error it was raised from) is one of the transient kinds above."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if _transient_kind(current):
            return True
        current = current.__cause__ or current.__context__
    return False


def _transient_kind(error: BaseException) -> bool:
    if isinstance(error, TransientError | ConnectionError | TimeoutError):
        return True
    module = type(error).__module__
    if module.startswith("psycopg"):
        import psycopg

        return isinstance(error, psycopg.OperationalError)
    if module.startswith("sqlalchemy"):
        from sqlalchemy import exc

        return isinstance(error, exc.OperationalError) or bool(
            isinstance(error, exc.DBAPIError) and error.connection_invalidated
        )
    if module.startswith("ingestion."):
        from ingestion.publish import PublishBusy
        from ingestion.quality.gate import GateError

        return isinstance(error, PublishBusy | GateError)
    return False


@contextmanager
def transient_errors() -> Iterator[None]:
    """Re-raise transient failures as :class:`TransientError` (chained to the original); others as they are."""
    try:
        yield
    except TransientError:
        raise
    except Exception as error:
        # Airflow's own exceptions (AirflowFailException for bad data, AirflowSkipException) say what they
        # mean, even when raised while handling a transient error.
        if not type(error).__module__.startswith("airflow") and is_transient(error):
            raise TransientError(f"{type(error).__name__}: {error}") from error
        raise


RETRY_POLICY = ExceptionRetryPolicy(
    rules=[
        RetryRule(
            exception=f"{__name__}.TransientError",
            action=RetryAction.RETRY,
            reason="transient failure (connection, lock, busy publish): retried with backoff",
        )
    ],
    default=RetryAction.FAIL,
)


def task_defaults() -> dict[str, Any]:
    """``default_args`` of every pipeline DAG: retries as above, and the failure alerts."""
    return {
        "owner": "appeals",
        "retries": RETRIES,
        "retry_delay": config.retry_delay(),
        "retry_exponential_backoff": BACKOFF,
        "max_retry_delay": MAX_RETRY_DELAY,
        "retry_policy": RETRY_POLICY,
        "on_failure_callback": alerts.on_task_failure,
        "on_retry_callback": alerts.on_task_retry,
    }

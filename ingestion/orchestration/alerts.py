"""Alerts: a failed task, and a nightly build that has not finished by the deadline.

Every alert is logged (ERROR, one line that says what failed, where and why: DAG, task, run, try number and
the exception); it is then sent, when configured, to

- e-mail: through Airflow's SMTP connection ``smtp_default`` (host, port, login, password; ``from_email``
  in its extras or ``APPEALS_ALERT_FROM``) to the addresses in ``APPEALS_ALERT_EMAIL`` (comma-separated);
  both must be set;
- a webhook: when the Airflow connection ``appeals_alert_webhook`` is defined, a JSON ``POST`` to its URL
  (``AIRFLOW_CONN_APPEALS_ALERT_WEBHOOK=https://chat.example.org/hooks/abc``, or the URL in the extra
  ``url``; headers, e.g. a token, in the extra ``headers``). The body carries ``text`` (what Slack,
  Mattermost and Rocket.Chat incoming webhooks show) and the fields of :class:`Alert`.

A channel that fails is logged and skipped: an alert never hides the failure it reports.

Task failures reach :func:`on_task_failure` through ``on_failure_callback`` (after the last try; retries
are logged by :func:`on_task_retry`). The deadline alert is Airflow's ``DeadlineAlert`` (Airflow 3.1+) on
``build_marts``; the triggerer calls :func:`deadline_missed` when the nightly run has not finished by
``APPEALS_NIGHTLY_DEADLINE``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import urllib.request
from dataclasses import asdict, dataclass
from typing import Any

log = logging.getLogger(__name__)

WEBHOOK_TIMEOUT = 10  # seconds


@dataclass
class Alert:
    """What went wrong, for people (``text``) and for machines (the fields)."""

    kind: str
    """``task_failed`` or ``deadline_missed``."""
    dag_id: str
    task_id: str | None
    run_id: str | None
    try_number: int | None
    logical_date: str | None
    error: str
    log_url: str | None = None

    @property
    def subject(self) -> str:
        where = f"{self.dag_id}.{self.task_id}" if self.task_id else self.dag_id
        what = "failed" if self.kind == "task_failed" else "missed its deadline"
        return f"[appeals] {where} {what}"

    def text(self) -> str:
        where = f"DAG {self.dag_id}" + (f", task {self.task_id}" if self.task_id else "")
        run = f"run {self.run_id}" + (f" (logical date {self.logical_date})" if self.logical_date else "")
        tries = f", try {self.try_number}" if self.try_number else ""
        head = "FAILED" if self.kind == "task_failed" else "DEADLINE MISSED"
        lines = [f"{head}: {where}, {run}{tries}", self.error]
        if self.log_url:
            lines.append(f"log: {self.log_url}")
        return "\n".join(lines)


def _error_text(error: BaseException | str | None) -> str:
    if error is None:
        return "no exception was recorded (see the task log)"
    if isinstance(error, BaseException):
        return f"{type(error).__name__}: {error}"
    return str(error)


def alert_from_context(context: Any, kind: str = "task_failed") -> Alert:
    """An :class:`Alert` from a task callback's context."""
    ti = context.get("ti") or context.get("task_instance")
    dag_run = context.get("dag_run")
    logical_date = context.get("logical_date") or getattr(dag_run, "logical_date", None)
    log_url = None
    try:
        log_url = ti.log_url if ti is not None else None
    except Exception:  # the URL needs configuration that a test run may not have
        log_url = None
    return Alert(
        kind=kind,
        dag_id=getattr(ti, "dag_id", None) or getattr(dag_run, "dag_id", "?"),
        task_id=getattr(ti, "task_id", None),
        run_id=getattr(ti, "run_id", None) or getattr(dag_run, "run_id", None),
        try_number=getattr(ti, "try_number", None),
        logical_date=logical_date.isoformat() if logical_date is not None else None,
        error=_error_text(context.get("exception")),
        log_url=log_url,
    )


recent: list[Alert] = []
"""The alerts raised in this process, newest last (what in-process runs report: ``dag_runs``; a worker
process runs one task, so this stays short)."""


def on_task_failure(context: Any) -> None:
    """``on_failure_callback`` of every pipeline task: log the alert, then send it where configured."""
    alert = alert_from_context(context)
    recent.append(alert)
    log.error("%s", alert.text())
    send(alert)


def on_task_retry(context: Any) -> None:
    """``on_retry_callback``: a transient failure is logged; only the last failure alerts people."""
    alert = alert_from_context(context)
    log.warning("will retry (transient failure): %s", alert.text().replace("\n", " — "))


async def deadline_missed(context: dict[str, Any] | None = None, **kwargs: Any) -> None:
    """The ``DeadlineAlert`` callback of ``build_marts`` (run by the triggerer)."""
    context = context or {}
    dag_run = context.get("dag_run") or {}
    deadline = context.get("deadline") or {}
    alert = Alert(
        kind="deadline_missed",
        dag_id=str(dag_run.get("dag_id") or kwargs.get("dag_id") or "build_marts"),
        task_id=None,
        run_id=dag_run.get("dag_run_id") or dag_run.get("run_id"),
        try_number=None,
        logical_date=dag_run.get("logical_date"),
        error=(
            f"the nightly build has not finished by {deadline.get('deadline_time', kwargs.get('deadline', '?'))}"
            f" (state {dag_run.get('state', 'unknown')}): analysts still see the previous marts"
        ),
    )
    recent.append(alert)
    log.error("%s", alert.text())
    await asyncio.to_thread(send, alert)


# -- channels ----------------------------------------------------------------------------------------------


def send(alert: Alert) -> list[str]:
    """Send ``alert`` on every configured channel; returns the channels it went out on."""
    sent = []
    for name, channel in (("e-mail", _send_email), ("webhook", _send_webhook)):
        try:
            if channel(alert):
                sent.append(name)
        except Exception:
            log.exception("could not send the alert by %s", name)
    if sent:
        log.info("alert sent by %s", ", ".join(sent))
    return sent


def _send_email(alert: Alert) -> bool:
    recipients = [a.strip() for a in os.environ.get("APPEALS_ALERT_EMAIL", "").split(",") if a.strip()]
    if not recipients:
        return False
    from ingestion.orchestration.config import SMTP_CONN_ID, airflow_connection

    if airflow_connection(SMTP_CONN_ID) is None:
        log.warning(
            "APPEALS_ALERT_EMAIL is set but the Airflow connection %s is not: no e-mail", SMTP_CONN_ID
        )
        return False
    from html import escape

    from airflow.providers.smtp.hooks.smtp import SmtpHook

    with SmtpHook(smtp_conn_id=SMTP_CONN_ID) as hook:
        hook.send_email_smtp(
            to=recipients,
            subject=alert.subject,
            html_content=f"<pre>{escape(alert.text())}</pre>",
            from_email=os.environ.get("APPEALS_ALERT_FROM") or None,
        )
    return True


def webhook_request(conn: Any, alert: Alert) -> urllib.request.Request:
    """The ``POST`` an alert makes to the webhook of the Airflow connection ``conn``."""
    extra = conn.extra_dejson or {}
    url = extra.get("url")
    if not url:
        host = conn.host or ""
        if "://" in host:
            url = host
        else:
            scheme = conn.conn_type if conn.conn_type in ("http", "https") else "https"
            url = f"{scheme}://{host}" + (f":{conn.port}" if conn.port else "")
        if conn.schema:
            url = url.rstrip("/") + "/" + conn.schema.lstrip("/")
    headers = {"Content-Type": "application/json; charset=utf-8", **(extra.get("headers") or {})}
    body = json.dumps({"text": alert.text(), **asdict(alert)}, ensure_ascii=False).encode()
    return urllib.request.Request(url, data=body, headers=headers, method="POST")


def _send_webhook(alert: Alert) -> bool:
    from ingestion.orchestration.config import WEBHOOK_CONN_ID, airflow_connection

    conn = airflow_connection(WEBHOOK_CONN_ID)
    if conn is None:
        return False
    request = webhook_request(conn, alert)
    with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT) as response:
        response.read()
    return True

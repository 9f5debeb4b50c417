#!/opt/venv/bin/python
"""Health check of an Airflow component in the appeals image (the image's HEALTHCHECK, and compose's).

    airflow-healthcheck [api-server|scheduler|dag-processor|triggerer|worker]

With no argument, the component is read from the container's command line (PID 1 and its arguments);
a container running anything else (the one-shot ``init``, an ``appeals`` command) is reported healthy.

- api-server: ``/api/v2/monitor/health`` answers and reports the metadata database healthy;
- scheduler: its health server (``[scheduler] enable_health_check``, port 8974) answers 200;
- dag-processor, triggerer: this host's job has heartbeated in the metadata database within
  ``AIRFLOW_HEALTHCHECK_HEARTBEAT_SECONDS`` (default 60) — the query ``airflow jobs check`` makes, without
  starting Airflow (that costs ~10 s of CPU on each probe); falls back to ``airflow jobs check`` when the
  metadata database is not given as ``AIRFLOW__DATABASE__SQL_ALCHEMY_CONN``;
- worker: the Celery worker of this host answers a ping.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import urllib.error
import urllib.request

TIMEOUT = 20  # seconds; below the HEALTHCHECK timeout


def http_ok(url: str) -> tuple[bool, str]:
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT) as response:
            return response.status == 200, response.read().decode("utf-8", "replace")
    except (urllib.error.URLError, OSError) as error:
        return False, str(error)


def api_server() -> bool:
    port = os.environ.get("AIRFLOW__API__PORT", "8080")
    ok, body = http_ok(f"http://127.0.0.1:{port}/api/v2/monitor/health")
    if not ok:
        print(f"api-server: {body}")
        return False
    status = json.loads(body).get("metadatabase", {}).get("status")
    print(f"api-server: metadatabase {status}")
    return status == "healthy"


def scheduler() -> bool:
    port = os.environ.get("AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_PORT", "8974")
    ok, body = http_ok(f"http://127.0.0.1:{port}/health")
    print(f"scheduler: {body.strip()[:200]}")
    return ok


def airflow_hostname() -> str:
    """The host name Airflow records for this container's jobs (``airflow.utils.net.getfqdn``)."""
    name = socket.gethostname()
    try:
        addresses = socket.getaddrinfo(name, None, 0, socket.SOCK_DGRAM, 0, socket.AI_CANONNAME)
    except OSError:
        return name
    return next((address[3] for address in addresses if address[3]), name)


def job(job_type: str) -> bool:
    url = os.environ.get("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "")
    if not url.startswith("postgresql"):
        command = ["airflow", "jobs", "check", "--job-type", job_type, "--local"]
        result = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT, check=False)
        print((result.stdout + result.stderr).strip()[-300:])
        return result.returncode == 0
    import psycopg

    dsn = "postgresql://" + url.split("://", 1)[1]  # the SQLAlchemy URL without its driver
    threshold = int(os.environ.get("AIRFLOW_HEALTHCHECK_HEARTBEAT_SECONDS", "60"))
    hostname = airflow_hostname()
    with psycopg.connect(dsn, connect_timeout=TIMEOUT) as conn:
        row = conn.execute(
            """
            select count(*), extract(epoch from now() - max(latest_heartbeat))
            from job
            where job_type = %s and state = 'running' and hostname = %s
              and latest_heartbeat > now() - make_interval(secs => %s)
            """,
            [job_type, hostname, threshold],
        ).fetchone()
    alive, age = row if row else (0, None)
    print(f"{job_type} on {hostname}: {alive} alive" + (f", last heartbeat {age:.0f} s ago" if alive else ""))
    return bool(alive)


def worker() -> bool:
    app = "airflow.providers.celery.executors.celery_executor.app"
    command = ["celery", "--app", app, "inspect", "ping", "--destination", f"celery@{socket.gethostname()}"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT, check=False)
    print((result.stdout + result.stderr).strip()[-300:])
    return result.returncode == 0


CHECKS = {
    "api-server": api_server,
    "scheduler": scheduler,
    "dag-processor": lambda: job("DagProcessorJob"),
    "triggerer": lambda: job("TriggererJob"),
    "worker": worker,
}


def component_from_command_line() -> str | None:
    """The component this container runs, from PID 1's arguments (entrypoint, docker-init, …)."""
    try:
        with open("/proc/1/cmdline", "rb") as file:
            args = [arg.decode("utf-8", "replace") for arg in file.read().split(b"\0") if arg]
    except OSError:
        return None
    if "celery" in args and "worker" in args:
        return "worker"
    return next((arg for arg in args if arg in CHECKS), None)


def main() -> int:
    component = sys.argv[1] if len(sys.argv) > 1 else component_from_command_line()
    if component is None:
        return 0
    if component not in CHECKS:
        print(f"unknown component {component!r}; one of: {', '.join(CHECKS)}", file=sys.stderr)
        return 1
    try:
        return 0 if CHECKS[component]() else 1
    except subprocess.TimeoutExpired:
        print(f"{component}: no answer within {TIMEOUT} s")
        return 1
    except Exception as error:  # any failure to check is "unhealthy", with the reason in the probe log
        print(f"{component}: {type(error).__name__}: {error}")
        return 1


if __name__ == "__main__":
    sys.exit(main())

"""Fixtures of the DAG tests: a DAG runner process with an Airflow home of its own, nights of exports, and
a webhook that receives the alerts.

The runner (tests/dags/runner.py) is started once per session: it prepares a throwaway Airflow home
(metadata database, the ``warehouse_db`` pool), parses ``dags/``, and then runs DAGs on request — real
Airflow runs (``dag.test()``, clear and re-run, backfill), with the real loader, GX gate and dbt, against
each test's own database on the real PostgreSQL of ``tests/conftest.py``.
"""

from __future__ import annotations

import email
import email.message
import email.policy
import json
import os
import selectors
import socketserver
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

from tests.conftest import dsn_for_database
from tests.support import exports
from tests.support.exports import (
    INCIDENT_HEADERS,
    POS_HEADERS,
    REGISTER_HEADERS,
    register_row,
    write_csv,
)

ROOT = Path(__file__).resolve().parents[2]
TEST_KEY = "dag-test-key-" + "d" * 40
UKHTA = "87725000"
RUNNER_TIMEOUT = 600  # seconds for one request; a night takes well under a minute


class DagRunner:
    """The client side of tests/dags/runner.py."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.log_path = workdir / "runner.log"
        home = workdir / "airflow"
        env = {
            **os.environ,
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
            "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home / "logs"),
            "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "APPEALS_STATE_DIR": str(workdir / "state"),
            "APPEALS_HMAC_KEY": TEST_KEY,
            "APPEALS_DBT_THREADS": "4",
            "APPEALS_RETRY_DELAY_SECONDS": "1",
            "DBT_TARGET_PATH": str(workdir / "dbt" / "target"),
            "DBT_LOG_PATH": str(workdir / "dbt" / "logs"),
        }
        # the tests' own warehouse connection settings must not leak into the tasks
        for key in ("WAREHOUSE_DSN", "AIRFLOW_CONN_APPEALS_WAREHOUSE", "APPEALS_LANDING"):
            env.pop(key, None)
        read, write = os.pipe()
        env["DAG_RUNNER_FD"] = str(write)
        self._log = self.log_path.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.dags.runner"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            pass_fds=(write,),
            text=True,
        )
        os.close(write)
        self._replies = os.fdopen(read, "r", encoding="utf-8")
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._replies, selectors.EVENT_READ)
        self._reply(timeout=300)  # ready: Airflow home prepared, DAGs parsed

    def _reply(self, timeout: float) -> Any:
        if not self._selector.select(timeout):
            raise TimeoutError(f"the DAG runner did not answer in {timeout} s; log: {self.log_path}")
        line = self._replies.readline()
        if not line:
            raise RuntimeError(f"the DAG runner exited ({self.process.poll()}):\n{self.log_tail()}")
        reply = json.loads(line)
        if not reply["ok"]:
            raise RuntimeError(
                f"the DAG runner failed:\n{reply['error']}\n--- log tail ---\n{self.log_tail()}"
            )
        return reply["result"]

    def log_tail(self, lines: int = 60) -> str:
        self._log.flush()
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def call(
        self,
        op: str,
        *,
        landing: Path | None = None,
        dsn: str | None = None,
        env: dict[str, str] | None = None,
        **args: Any,
    ) -> Any:
        request = {
            "op": op,
            "args": args,
            "landing": str(landing) if landing else None,
            "dsn": dsn,
            "env": env,
        }
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        return self._reply(timeout=RUNNER_TIMEOUT)

    def close(self) -> None:
        if self.process.stdin:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._replies.close()
        self._log.close()


@pytest.fixture(scope="session")
def dag_runner(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DagRunner]:
    runner = DagRunner(tmp_path_factory.mktemp("dag-runner"))
    yield runner
    runner.close()


# -- the warehouse and the exports of each night ---------------------------------------------------------

INCIDENT = {
    "ID инцидента": "",
    "Дата публикации": "10.01.2024 09:15",
    "Соцсеть": "ВКонтакте",
    "Автор": "Иван Петров",
    "Текст": "Нет отопления",
    "Направление": "ЖКХ",
    "Муниципальное образование": 'МО ГО "Ухта"',
    "ОКТМО": "",
    "Статус": "Новый",
    "Спам": "Нет",
}


def incident_row(number: int, **overrides: str) -> list[str]:
    values = {**INCIDENT, "ID инцидента": str(number), **overrides}
    return [values[h] for h in INCIDENT_HEADERS]


@dataclass
class Pipeline:
    """One test's warehouse (a database of its own), its landing folder, and the runs of its DAGs."""

    runner: DagRunner
    dsn: str
    landing: Path
    env: dict[str, str] = field(default_factory=dict)

    def register(self, name: str, numbers: range, **overrides: object) -> None:
        rows = [register_row(n, **{"ОКТМО": UKHTA, **overrides}) for n in numbers]
        write_csv(self.landing / "register" / UKHTA / name, REGISTER_HEADERS, rows)

    def pos(self, name: str, rows: list[list]) -> None:
        write_csv(self.landing / "pos" / name, POS_HEADERS, rows)

    def incident(self, name: str, numbers: range) -> None:
        write_csv(self.landing / "incident" / name, INCIDENT_HEADERS, [incident_row(n) for n in numbers])

    def call(self, op: str, **args: Any) -> Any:
        return self.runner.call(op, landing=self.landing, dsn=self.dsn, env=self.env, **args)

    def night(self, logical_date: str, dag_ids: tuple[str, ...] | None = None) -> dict[str, dict]:
        """The night's runs (ingest_* then build_marts), by DAG id."""
        args: dict[str, Any] = {"logical_date": logical_date}
        if dag_ids:
            args["dag_ids"] = list(dag_ids)
        return {run["dag_id"]: run for run in self.call("night", **args)}

    def query(self, statement: str | sql.Composable, params: list | None = None) -> list[tuple]:
        with psycopg.connect(self.dsn) as conn:
            return conn.execute(statement, params or []).fetchall()

    def statuses(self) -> dict[str, str]:
        return dict(self.query("select file_path, status from audit.load_batches order by batch_id"))


def new_pipeline(runner: DagRunner, dsn: str, folder: Path) -> Pipeline:
    """A pipeline on ``dsn`` with a landing folder in ``folder`` that holds the directory of bodies."""
    landing = folder / "landing"
    exports.organizations(landing)
    return Pipeline(runner, dsn, landing, {"DBT_TARGET_PATH": str(folder / "dbt" / "target")})


@pytest.fixture
def pipeline(fresh_db: str, tmp_path: Path, dag_runner: DagRunner) -> Pipeline:
    """An empty database (the DAGs migrate it themselves) and a landing folder with the directory."""
    return new_pipeline(dag_runner, fresh_db, tmp_path)


@contextmanager
def own_database(server_dsn: str) -> Iterator[str]:
    """An empty database for longer than one test (a module's shared night); dropped afterwards."""
    name = f"appeals_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    try:
        yield dsn_for_database(server_dsn, name)
    finally:
        with psycopg.connect(server_dsn, autocommit=True) as conn:
            conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))


def tasks(run: dict) -> dict[str, str]:
    return {task_id: task["state"] for task_id, task in run["tasks"].items()}


def raw_counts(dsn: str) -> dict[str, int]:
    with psycopg.connect(dsn) as conn:
        return {
            table: conn.execute(
                sql.SQL("select count(*) from raw.{}").format(sql.Identifier(table))
            ).fetchone()[0]
            for table in ("organizations_rows", "pos_rows", "incident_rows", "register_rows")
        } | {
            "load_batches": conn.execute("select count(*) from audit.load_batches").fetchone()[0],
            "quarantine": conn.execute("select count(*) from audit.quarantine").fetchone()[0],
        }


# -- a webhook that records the alerts it receives ---------------------------------------------------------


class Webhook:
    def __init__(self) -> None:
        self.received: list[dict] = []
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                received.append({"path": self.path, "body": json.loads(body)})
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def connection(self) -> str:
        """``AIRFLOW_CONN_APPEALS_ALERT_WEBHOOK`` for this server (JSON form)."""
        host, port = self.server.server_address[:2]
        return json.dumps({"conn_type": "http", "host": host, "port": port, "schema": "hooks/appeals"})

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    hook = Webhook()
    yield hook
    hook.close()


# -- a mail server that keeps the messages it is given ------------------------------------------------------


class MailServer:
    """Just enough SMTP (RFC 5321, no TLS, no auth) for Airflow's SMTP hook to hand over a message."""

    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []
        messages = self.messages

        class Session(socketserver.StreamRequestHandler):
            def reply(self, line: str) -> None:
                self.wfile.write((line + "\r\n").encode())

            def handle(self) -> None:
                self.reply("220 localhost test SMTP")
                while line := self.rfile.readline():
                    command = line.decode(errors="replace").strip().upper()
                    if command.startswith("EHLO"):
                        self.reply("250-localhost")
                        self.reply("250 8BITMIME")
                    elif command == "DATA":
                        self.reply("354 end with <CRLF>.<CRLF>")
                        data = b""
                        while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                            data += chunk[1:] if chunk.startswith(b"..") else chunk
                        messages.append(email.message_from_bytes(data, policy=email.policy.default))
                        self.reply("250 OK")
                    elif command == "QUIT":
                        self.reply("221 bye")
                        return
                    else:  # HELO, MAIL FROM, RCPT TO, RSET, NOOP
                        self.reply("250 OK")

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Session)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def connection(self) -> str:
        """``AIRFLOW_CONN_SMTP_DEFAULT`` for this server: plain SMTP, a sender, no retries."""
        host, port = self.server.server_address[:2]
        extra = {
            "disable_ssl": True,
            "disable_tls": True,
            "from_email": "airflow@example.org",
            "retry_limit": 0,
        }
        return json.dumps({"conn_type": "smtp", "host": host, "port": port, "extra": extra})

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def mail_server() -> Iterator[MailServer]:
    server = MailServer()
    yield server
    server.close()

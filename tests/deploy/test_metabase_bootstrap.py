"""docker/metabase/register_warehouse.py against a stand-in for Metabase's API on 127.0.0.1."""

from __future__ import annotations

import importlib.util
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import ModuleType
from typing import Any

import pytest

from tests.deploy.deployfiles import DOCKER


class FakeMetabase:
    """Just enough of Metabase's API: health, set-up, session, databases, sync."""

    def __init__(self) -> None:
        self.set_up = False
        self.session = "session-1"
        self.databases: dict[int, dict[str, Any]] = {}
        self.requests: list[tuple[str, str, Any]] = []

    def handle(self, method: str, path: str, body: Any, session: str | None) -> tuple[int, Any]:
        self.requests.append((method, path, body))
        if path == "/api/health":
            return 200, {"status": "ok"}
        if path == "/api/session/properties":
            return 200, {"has-user-setup": self.set_up, "setup-token": None if self.set_up else "token-1"}
        if path == "/api/setup" and method == "POST":
            if self.set_up or body.get("token") != "token-1":
                return 403, {"message": "setup already done"}
            self.set_up = True
            self.admin = (body["user"]["email"], body["user"]["password"])
            return 200, {"id": self.session}
        if path == "/api/session" and method == "POST":
            if (body["username"], body["password"]) != self.admin:
                return 401, {"errors": {"password": "did not match"}}
            return 200, {"id": self.session}
        if session != self.session:
            return 401, "Unauthenticated"
        if path == "/api/database" and method == "GET":
            return 200, {"data": list(self.databases.values()), "total": len(self.databases)}
        if path == "/api/database" and method == "POST":
            database_id = len(self.databases) + 1
            self.databases[database_id] = {"id": database_id, **body}
            return 200, self.databases[database_id]
        if path.startswith("/api/database/"):
            database_id = int(path.split("/")[3])
            if method == "PUT":
                self.databases[database_id].update(body)
                return 200, self.databases[database_id]
            if path.endswith("/sync_schema") and method == "POST":
                return 200, {"status": "ok"}
        return 404, {"message": f"no {method} {path}"}


@pytest.fixture
def metabase() -> Iterator[tuple[FakeMetabase, str]]:
    fake = FakeMetabase()

    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length)) if length else None
            status, answer = fake.handle(
                self.command, self.path, body, self.headers.get("X-Metabase-Session")
            )
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = _serve

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield fake, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def register() -> ModuleType:
    path = DOCKER / "metabase" / "register_warehouse.py"
    spec = importlib.util.spec_from_file_location("register_warehouse", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def settings(metabase: tuple[FakeMetabase, str], monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    values = {
        "METABASE_URL": metabase[1],
        "METABASE_ADMIN_EMAIL": "bi-admin@example.org",
        "METABASE_ADMIN_PASSWORD": "secret-admin-1",
        "WAREHOUSE_HOST": "warehouse-db",
        "WAREHOUSE_PORT": "5432",
        "WAREHOUSE_DB": "appeals",
        "WAREHOUSE_BI_USER": "bi",
        "WAREHOUSE_BI_PASSWORD": "secret-bi",
    }
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    return values


def test_first_run_sets_up_metabase_and_adds_the_marts(metabase, register, settings) -> None:
    fake, _ = metabase
    assert register.main() == 0
    assert fake.set_up and fake.admin == ("bi-admin@example.org", "secret-admin-1")
    [database] = fake.databases.values()
    details = database["details"]
    assert database["engine"] == "postgres"
    assert (details["host"], details["port"], details["dbname"]) == ("warehouse-db", 5432, "appeals")
    assert (details["user"], details["password"]) == ("bi", "secret-bi")
    assert details["schema-filters-type"] == "inclusion" and details["schema-filters-patterns"] == "marts"
    assert ("POST", f"/api/database/{database['id']}/sync_schema", None) in fake.requests


def test_second_run_logs_in_and_updates_the_connection(metabase, register, settings, monkeypatch) -> None:
    fake, _ = metabase
    assert register.main() == 0
    monkeypatch.setenv("WAREHOUSE_BI_PASSWORD", "rotated-bi")
    assert register.main() == 0
    assert len(fake.databases) == 1, "the connection is updated, not added twice"
    assert fake.databases[1]["details"]["password"] == "rotated-bi"
    assert any(method == "POST" and path == "/api/session" for method, path, _ in fake.requests)


def test_wrong_admin_password_fails_with_the_reason(
    metabase, register, settings, monkeypatch, capsys
) -> None:
    assert register.main() == 0
    monkeypatch.setenv("METABASE_ADMIN_PASSWORD", "wrong")
    assert register.main() == 1
    assert "HTTP 401" in capsys.readouterr().err

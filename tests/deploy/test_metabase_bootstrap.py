"""docker/metabase/register_warehouse.py against a stand-in for Metabase's API on 127.0.0.1."""

from __future__ import annotations

import copy
import importlib.util
import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import ModuleType
from typing import Any
from urllib.parse import parse_qs

import pytest

from tests.deploy.deployfiles import DOCKER


class FakeMetabase:
    """Just enough of Metabase's API: health, set-up, session, databases, sync, and what the dashboard import
    uses — collections and their items, native cards, dashboards with their dashcards (``PUT
    /api/dashboard/:id`` with the whole array: existing ids updated, negative ids created, the rest deleted).
    Checks the request bodies the way Metabase's schemas do (400 when they do not fit)."""

    GRID_COLUMNS = 24

    def __init__(self) -> None:
        self.set_up = False
        self.sync_completes = True
        self.session = "session-1"
        self.databases: dict[int, dict[str, Any]] = {}
        self.collections: dict[int, dict[str, Any]] = {
            # someone's personal collection of the same name: never the import's
            1: {"id": 1, "name": "Обращения граждан", "personal_owner_id": 7, "location": "/"},
        }
        self.cards: dict[int, dict[str, Any]] = {}
        self.dashboards: dict[int, dict[str, Any]] = {}
        self.requests: list[tuple[str, str, Any]] = []
        self._next_id = {"collection": 2, "card": 1, "dashboard": 1, "dashcard": 1}

    def new_id(self, kind: str) -> int:
        self._next_id[kind] += 1
        return self._next_id[kind] - 1

    def handle(self, method: str, raw_path: str, body: Any, session: str | None) -> tuple[int, Any]:
        self.requests.append((method, raw_path, body))
        path, _, query = raw_path.partition("?")
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
            if path.endswith("/sync_schema") and method == "POST":
                self.databases[database_id]["initial_sync_status"] = (
                    "complete" if self.sync_completes else "incomplete"
                )
                return 200, {"status": "ok"}
            if method == "PUT":
                self.databases[database_id].update(body)
                return 200, self.databases[database_id]
            if method == "GET":
                return 200, self.databases[database_id]
        if path.startswith("/api/collection"):
            return self.collection(method, path, parse_qs(query), body)
        if path.startswith("/api/card"):
            return self.card(method, path, body)
        if path.startswith("/api/dashboard"):
            return self.dashboard(method, path, body)
        return 404, {"message": f"no {method} {path}"}

    # -- collections ------------------------------------------------------------------------------------

    def collection(self, method: str, path: str, query: dict[str, list[str]], body: Any) -> tuple[int, Any]:
        parts = path.split("/")
        if path == "/api/collection" and method == "GET":
            root = {"id": "root", "name": "Our analytics", "can_write": True}
            return 200, [root, *self.collections.values()]
        if path == "/api/collection" and method == "POST":
            if not (body.get("name") or "").strip():
                return 400, {"errors": {"name": "value must be a non-blank string."}}
            collection_id = self.new_id("collection")
            self.collections[collection_id] = {
                "id": collection_id,
                "location": "/",
                "personal_owner_id": None,
                "archived": False,
                **body,
            }
            return 200, self.collections[collection_id]
        collection_id = int(parts[3])
        if collection_id not in self.collections:
            return 404, "Not found."
        if len(parts) == 4 and method == "PUT":
            self.collections[collection_id].update(body)
            return 200, self.collections[collection_id]
        if len(parts) == 5 and parts[4] == "items" and method == "GET":
            models = set(query.get("models", ["card", "dashboard"]))
            items = [
                {"id": c["id"], "name": c["name"], "model": "card"}
                for c in self.cards.values()
                if c["collection_id"] == collection_id and not c.get("archived")
            ] + [
                {"id": d["id"], "name": d["name"], "model": "dashboard"}
                for d in self.dashboards.values()
                if d["collection_id"] == collection_id and not d.get("archived")
            ]
            data = [item for item in items if item["model"] in models]
            return 200, {"total": len(data), "data": data, "models": sorted(models)}
        return 404, {"message": f"no {method} {path}"}

    # -- cards ------------------------------------------------------------------------------------------

    def card_problems(self, body: dict[str, Any], creating: bool) -> list[str]:
        problems = []
        required = ("name", "dataset_query", "display", "visualization_settings") if creating else ()
        problems += [f"{key} is required" for key in required if key not in body]
        for key in ("name", "display", "description"):
            if key in body and not (isinstance(body[key], str) and body[key].strip()):
                problems.append(f"{key} must be a non-blank string")
        if body.get("type", "question") != "question":
            problems.append("type must be question")
        if "collection_id" in body and body["collection_id"] not in self.collections:
            problems.append("no such collection")
        query = body.get("dataset_query")
        if query is not None:
            if query.get("type") != "native" or query.get("database") not in self.databases:
                problems.append("dataset_query: a native query of a known database expected")
            native = query.get("native") or {}
            tags = native.get("template-tags") or {}
            used = set(re.findall(r"\{\{\s*(\w+)\s*\}\}", native.get("query") or ""))
            if set(tags) != used:
                problems.append(f"template-tags {sorted(tags)} do not match the query's {sorted(used)}")
            for name, tag in tags.items():
                if tag.get("name") != name or tag.get("type") != "text" or not tag.get("id"):
                    problems.append(f"template tag {name}: {tag}")
            parameter_ids = {p["id"] for p in body.get("parameters") or []}
            if parameter_ids != {tag.get("id") for tag in tags.values()}:
                problems.append("card parameters do not mirror the template tags")
        return problems

    def card(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        parts = path.split("/")
        if path == "/api/card" and method == "POST":
            if problems := self.card_problems(body, creating=True):
                return 400, {"errors": problems}
            card_id = self.new_id("card")
            self.cards[card_id] = {"id": card_id, "archived": False, **body}
            return 200, self.cards[card_id]
        card_id = int(parts[3])
        if card_id not in self.cards:
            return 404, "Not found."
        if method == "PUT":
            if problems := self.card_problems(body, creating=False):
                return 400, {"errors": problems}
            self.cards[card_id].update(body)
            return 200, self.cards[card_id]
        if method == "GET":
            return 200, self.cards[card_id]
        return 404, {"message": f"no {method} {path}"}

    # -- dashboards -------------------------------------------------------------------------------------

    def dashcard_problems(self, dashboard: dict[str, Any], dashcards: list[dict[str, Any]]) -> list[str]:
        problems = []
        ids = [d.get("id") for d in dashcards]
        if len(ids) != len(set(ids)):
            problems.append("dashcards: value must be seq of maps in which ids are unique")
        current = {d["id"] for d in dashboard["dashcards"]}
        parameters = {p["id"] for p in dashboard["parameters"]}
        for d in dashcards:
            if isinstance(d.get("id"), int) and d["id"] > 0 and d["id"] not in current:
                problems.append(f"dashcard {d['id']} is not on this dashboard")
            if d.get("card_id") not in self.cards:
                problems.append(f"dashcard {d.get('id')}: no card {d.get('card_id')}")
                continue
            if d["size_x"] < 1 or d["size_y"] < 1 or d["row"] < 0 or d["col"] < 0:
                problems.append(f"dashcard {d['id']}: bad position")
            if d["col"] + d["size_x"] > self.GRID_COLUMNS:
                problems.append(f"dashcard {d['id']}: wider than the grid")
            tags = self.cards[d["card_id"]]["dataset_query"]["native"]["template-tags"]
            for mapping in d.get("parameter_mappings") or []:
                if mapping["parameter_id"] not in parameters:
                    problems.append(f"dashcard {d['id']}: no dashboard parameter {mapping['parameter_id']}")
                if mapping.get("card_id") != d["card_id"]:
                    problems.append(f"dashcard {d['id']}: mapping of another card")
                kind, (tag_kind, tag) = mapping["target"]
                if (kind, tag_kind) != ("variable", "template-tag") or tag not in tags:
                    problems.append(
                        f"dashcard {d['id']}: target {mapping['target']} is not a tag of the card"
                    )
        return problems

    def dashboard(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        parts = path.split("/")
        if path == "/api/dashboard" and method == "POST":
            if not (body.get("name") or "").strip() or body.get("collection_id") not in self.collections:
                return 400, {"errors": {"name": "non-blank name and a known collection expected"}}
            dashboard_id = self.new_id("dashboard")
            self.dashboards[dashboard_id] = {
                "id": dashboard_id,
                "archived": False,
                "parameters": [],
                "dashcards": [],
                "tabs": [],
                **body,
            }
            return 200, self.dashboards[dashboard_id]
        dashboard_id = int(parts[3])
        if dashboard_id not in self.dashboards:
            return 404, "Not found."
        dashboard = self.dashboards[dashboard_id]
        if method == "GET":
            return 200, dashboard
        if method == "PUT":
            updated = {**dashboard, **{k: v for k, v in body.items() if k != "dashcards"}}
            if "dashcards" in body:
                if problems := self.dashcard_problems(updated, body["dashcards"]):
                    return 400, {"errors": problems}
                current = {d["id"]: d for d in dashboard["dashcards"]}
                placed = []
                for d in body["dashcards"]:
                    if d["id"] in current:
                        placed.append({**current[d["id"]], **d})
                    else:
                        placed.append({**d, "id": self.new_id("dashcard"), "dashboard_id": dashboard_id})
                updated["dashcards"] = placed
            self.dashboards[dashboard_id] = updated
            return 200, updated
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

        do_GET = do_POST = do_PUT = do_DELETE = _serve

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
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


# ---------------------------------------------------------------------------------------------------
# The dashboard of docker/metabase/dashboard.json
# ---------------------------------------------------------------------------------------------------

DEFINITION = json.loads((DOCKER / "metabase" / "dashboard.json").read_text(encoding="utf-8"))


def card_sql(card: dict[str, Any]) -> str:
    return card["sql"] if isinstance(card["sql"], str) else "\n".join(card["sql"])


def ours(fake: FakeMetabase) -> tuple[dict[str, Any], dict[str, dict[str, Any]], dict[str, Any]]:
    """The import's collection, its cards by name, and its dashboard."""
    [collection] = [
        c
        for c in fake.collections.values()
        if c["name"] == DEFINITION["collection"]["name"] and not c.get("personal_owner_id")
    ]
    cards = {c["name"]: c for c in fake.cards.values() if c["collection_id"] == collection["id"]}
    [dashboard] = [d for d in fake.dashboards.values() if d["collection_id"] == collection["id"]]
    return collection, cards, dashboard


def snapshot(fake: FakeMetabase) -> dict[str, Any]:
    return {
        "collections": sorted(fake.collections),
        "cards": sorted(fake.cards),
        "dashboards": sorted(fake.dashboards),
        "dashcards": sorted(d["id"] for b in fake.dashboards.values() for d in b["dashcards"]),
    }


def test_first_run_imports_the_dashboard(metabase, register, settings) -> None:
    fake, _ = metabase
    assert register.main() == 0
    collection, cards, dashboard = ours(fake)
    [database_id] = fake.databases
    assert collection["location"] == "/" and collection["description"]
    assert set(cards) == {card["name"] for card in DEFINITION["cards"]}
    for card in DEFINITION["cards"]:
        saved = cards[card["name"]]
        assert saved["display"] == card["display"] and saved["description"] == card["description"]
        assert saved["dataset_query"]["type"] == "native"
        assert saved["dataset_query"]["database"] == database_id
        assert saved["dataset_query"]["native"]["query"] == card_sql(card)
        assert saved["visualization_settings"] == card["visualization_settings"]

    assert dashboard["name"] == DEFINITION["dashboard"]["name"]
    assert dashboard["description"] == DEFINITION["dashboard"]["description"]
    assert dashboard["parameters"] == DEFINITION["dashboard"]["parameters"]
    assert dashboard["width"] == "full"
    by_card: dict[int, list[dict[str, Any]]] = {}
    for dashcard in dashboard["dashcards"]:
        by_card.setdefault(dashcard["card_id"], []).append(dashcard)
    for card in DEFINITION["cards"]:
        placed = by_card[cards[card["name"]]["id"]]
        assert [(d["row"], d["col"], d["size_x"], d["size_y"]) for d in placed] == [
            (p["row"], p["col"], p["size_x"], p["size_y"]) for p in card["dashcards"]
        ]
    assert len(dashboard["dashcards"]) == sum(len(card["dashcards"]) for card in DEFINITION["cards"])

    # KPI tiles: one card, a tile per figure (the dashcard's settings pick the column and the title)
    kpi = cards["Показатели последнего месяца"]
    tiles = by_card[kpi["id"]]
    assert [t["visualization_settings"]["scalar.field"] for t in tiles] == [
        "appeals",
        "change_percent",
        "overdue_percent",
        "response_hours",
    ]
    assert all(t["visualization_settings"]["card.title"] for t in tiles)

    # the filter reaches the drill-down, through its template tag, and nothing else
    drill = cards["Последние обращения муниципального образования"]
    [tag] = drill["dataset_query"]["native"]["template-tags"].values()
    assert tag["name"] == "municipality_oktmo" and tag["type"] == "text" and tag["required"] is False
    assert "[[and f.oktmo = {{municipality_oktmo}}]]" in drill["dataset_query"]["native"]["query"]
    [drill_dashcard] = by_card[drill["id"]]
    assert drill_dashcard["parameter_mappings"] == [
        {
            "parameter_id": "municipality_oktmo",
            "card_id": drill["id"],
            "target": ["variable", ["template-tag", "municipality_oktmo"]],
        }
    ]
    mapped = [d for d in dashboard["dashcards"] if d["parameter_mappings"]]
    assert mapped == [drill_dashcard]


def test_second_run_updates_and_creates_nothing(metabase, register, settings, capsys) -> None:
    fake, _ = metabase
    assert register.main() == 0
    first = snapshot(fake)
    first_dashboard = copy.deepcopy(ours(fake)[2])
    done = len(fake.requests)
    capsys.readouterr()
    assert register.main() == 0
    assert snapshot(fake) == first, "nothing created, nothing deleted"
    again = fake.requests[done:]
    posts = [path for method, path, _ in again if method == "POST"]
    assert not [p for p in posts if p.startswith(("/api/card", "/api/collection", "/api/dashboard"))], posts
    puts = {path.rsplit("/", 1)[0] for method, path, _ in again if method == "PUT"}
    assert {"/api/collection", "/api/card", "/api/dashboard"} <= puts
    assert ours(fake)[2]["dashcards"] == first_dashboard["dashcards"]
    out = capsys.readouterr().out
    assert "created" not in out and f"{len(DEFINITION['cards'])} cards" in out


def test_an_edited_definition_updates_in_place(metabase, register, settings, tmp_path, monkeypatch) -> None:
    fake, _ = metabase
    assert register.main() == 0
    before = snapshot(fake)
    edited = copy.deepcopy(DEFINITION)
    volume = next(c for c in edited["cards"] if c["key"] == "volume_by_month_and_channel")
    volume["description"] = "Новое описание"
    volume["dashcards"][0]["size_y"] = 7
    kpi = next(c for c in edited["cards"] if c["key"] == "kpi_this_month")
    kpi["dashcards"].pop()  # one tile fewer
    path = tmp_path / "dashboard.json"
    path.write_text(json.dumps(edited, ensure_ascii=False), encoding="utf-8")
    monkeypatch.setenv("METABASE_DASHBOARD_FILE", str(path))
    assert register.main() == 0
    after = snapshot(fake)
    assert after["cards"] == before["cards"] and after["dashboards"] == before["dashboards"]
    assert (
        set(after["dashcards"]) < set(before["dashcards"])
        and len(after["dashcards"]) == len(before["dashcards"]) - 1
    )
    _, cards, dashboard = ours(fake)
    saved = cards[volume["name"]]
    assert saved["description"] == "Новое описание"
    [tile] = [d for d in dashboard["dashcards"] if d["card_id"] == saved["id"]]
    assert tile["size_y"] == 7


def test_a_broken_definition_fails_after_the_connection(
    metabase, register, settings, tmp_path, monkeypatch, capsys
) -> None:
    fake, _ = metabase
    monkeypatch.setenv("METABASE_DASHBOARD_FILE", str(tmp_path / "missing.json"))
    assert register.main() == 1
    assert "cannot read the dashboard definition" in capsys.readouterr().err
    assert len(fake.databases) == 1, "the warehouse is connected all the same"
    bad = copy.deepcopy(DEFINITION)
    bad["cards"][0]["sql"] = ["select {{period}}"]
    (tmp_path / "bad.json").write_text(json.dumps(bad), encoding="utf-8")
    monkeypatch.setenv("METABASE_DASHBOARD_FILE", str(tmp_path / "bad.json"))
    assert register.main() == 1
    assert "not dashboard parameters" in capsys.readouterr().err
    bad["cards"][0] = {key: value for key, value in DEFINITION["cards"][0].items() if key != "dashcards"}
    (tmp_path / "bad.json").write_text(json.dumps(bad), encoding="utf-8")
    assert register.main() == 1
    assert "malformed, KeyError: 'dashcards'" in capsys.readouterr().err
    assert not fake.cards


def test_a_slow_first_sync_does_not_hold_the_import(
    metabase, register, settings, monkeypatch, capsys
) -> None:
    fake, _ = metabase
    fake.sync_completes = False
    monkeypatch.setenv("METABASE_SYNC_WAIT_SECONDS", "0")
    assert register.main() == 0
    assert "first sync not finished after 0 s (incomplete)" in capsys.readouterr().out
    assert ours(fake)[2]["dashcards"]

"""Connect Metabase to the warehouse's published marts, as the read-only role ``bi``, and import the dashboard.

Run by the ``metabase-init`` service of docker/compose.yaml once Metabase is healthy (one-shot, repeatable):

1. first start: completes Metabase's set-up through its API (admin account from METABASE_ADMIN_EMAIL /
   METABASE_ADMIN_PASSWORD, Russian locale, no usage tracking); later starts: logs in as that admin;
2. adds the database "Обращения граждан (marts)" — PostgreSQL ``WAREHOUSE_HOST:WAREHOUSE_PORT``,
   database ``WAREHOUSE_DB``, user ``bi`` with WAREHOUSE_BI_PASSWORD, schema ``marts`` only — or, if it
   exists, updates its connection details (a changed password, say);
3. asks Metabase to sync the schema now (it also syncs hourly by itself) and waits for the first sync to
   finish (METABASE_SYNC_WAIT_SECONDS, default 120; the native cards below do not need it, so it goes on
   after that time with a note);
4. imports the dashboard defined in ``dashboard.json`` next to this script (METABASE_DASHBOARD_FILE): the
   collection «Обращения граждан», one native-SQL card (question) per card of the file, the dashboard with
   its filter and its dashcards, the filter wired to the cards' template tags. Idempotent by name: a second
   run updates the collection, cards and dashboard it finds and creates nothing new; the dashboard's layout
   and filters are the file's (changes made in Metabase are overwritten).

Standard library only; every setting comes from the environment. Exits non-zero, saying why, on failure.

The Metabase API used for step 4 (checked against Metabase's sources of the v0.5x–v0.6x line; v0.64.1.5 is
the image in docker/compose.yaml):

- ``POST /api/collection`` {name, description, parent_id}; ``PUT /api/collection/:id``; ``GET /api/collection``
  lists them; ``GET /api/collection/:id/items?models=card&models=dashboard`` gives {data: [{id, name, model}]}.
- ``POST /api/card`` / ``PUT /api/card/:id``: name, description (non-blank), display, type "question",
  visualization_settings, collection_id, dataset_query. The legacy (MBQL 4) native form
  ``{type: "native", native: {query, template-tags}, database}`` is still accepted on input; since v0.57 Metabase
  stores and returns MBQL 5 (``stages``), so this script never reads a query back. A text template tag is
  ``{id, name, display-name, type: "text"}``; the card's ``parameters`` mirror it as Metabase derives them
  (type "category", target ["variable", ["template-tag", name]], slug = tag name).
- ``POST /api/dashboard`` {name, description, parameters, collection_id}, then ``PUT /api/dashboard/:id`` with
  the whole ``dashcards`` array (``PUT /api/dashboard/:id/cards`` is deprecated since v0.48): a dashcard whose
  id exists is updated, a negative id creates one, an existing dashcard left out is deleted. A dashcard has
  card_id, row, col, size_x, size_y (24-column grid), series, visualization_settings (overrides the card's)
  and parameter_mappings [{parameter_id, card_id, target: ["variable", ["template-tag", name]]}]. Dashboard
  parameters: {id, name, slug, type: "string/=", sectionId: "string"} for a text filter.
- ``GET /api/database/:id``: ``initial_sync_status`` is "complete" once the first sync has finished.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

DATABASE_NAME = os.environ.get("METABASE_WAREHOUSE_NAME", "Обращения граждан (marts)")
DASHBOARD_FILE = Path(__file__).with_name("dashboard.json")
GRID_COLUMNS = 24
# Template-tag ids are derived from the card key and the tag name: the same on every run.
TAG_NAMESPACE = uuid.UUID("5c1c2a8e-3f0b-4d8e-9a57-0b5d7d3c2f61")
TEMPLATE_TAG = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


class MetabaseError(RuntimeError):
    pass


def env(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if not value:
        raise SystemExit(f"register_warehouse: {name} is not set (see docker/.env.example)")
    return value


class Metabase:
    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")
        self.session: str | None = None

    def call(self, method: str, path: str, payload: object | None = None) -> object:
        data = json.dumps(payload).encode() if payload is not None else None
        request = urllib.request.Request(f"{self.url}{path}", data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if self.session:
            request.add_header("X-Metabase-Session", self.session)
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                body = response.read().decode("utf-8")
        except urllib.error.HTTPError as error:
            detail = error.read().decode("utf-8", "replace")[:500]
            raise MetabaseError(f"{method} {path}: HTTP {error.code}: {detail}") from error
        return json.loads(body) if body.strip() else None

    def wait_until_healthy(self, seconds: int = 600) -> None:
        deadline = time.monotonic() + seconds
        while True:
            try:
                if (self.call("GET", "/api/health") or {}).get("status") == "ok":
                    return
            except (MetabaseError, urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                raise MetabaseError(f"Metabase at {self.url} not healthy after {seconds} s")
            time.sleep(5)

    def log_in(self, email: str, password: str) -> None:
        properties = self.call("GET", "/api/session/properties") or {}
        if not properties.get("has-user-setup"):
            print(f"Metabase: first start, creating the admin account {email}")
            answer = self.call(
                "POST",
                "/api/setup",
                {
                    "token": properties["setup-token"],
                    "user": {
                        "email": email,
                        "password": password,
                        "first_name": "Администратор",
                        "last_name": "BI",
                        "site_name": "Обращения граждан",
                    },
                    "prefs": {"site_name": "Обращения граждан", "site_locale": "ru", "allow_tracking": False},
                },
            )
        else:
            answer = self.call("POST", "/api/session", {"username": email, "password": password})
        self.session = answer["id"]


def warehouse_details() -> dict[str, object]:
    return {
        "host": env("WAREHOUSE_HOST", "warehouse-db"),
        "port": int(env("WAREHOUSE_PORT", "5432")),
        "dbname": env("WAREHOUSE_DB", "appeals"),
        "user": env("WAREHOUSE_BI_USER", "bi"),
        "password": env("WAREHOUSE_BI_PASSWORD"),
        "ssl": os.environ.get("WAREHOUSE_SSL", "false").lower() == "true",
        "schema-filters-type": "inclusion",
        "schema-filters-patterns": "marts",
        "tunnel-enabled": False,
        "advanced-options": False,
    }


class DefinitionError(ValueError):
    """The dashboard file is missing or malformed."""


def load_definition(path: Path) -> dict:
    try:
        definition = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise DefinitionError(f"cannot read the dashboard definition {path}: {error}") from error
    except ValueError as error:
        raise DefinitionError(f"{path} is not valid JSON: {error}") from error
    try:
        check_definition(definition)
    except (KeyError, TypeError, AttributeError) as error:
        raise DefinitionError(f"{path}: malformed, {type(error).__name__}: {error}") from error
    except DefinitionError as error:
        raise DefinitionError(f"{path}: {error}") from error
    return definition


def check_definition(definition: dict) -> None:
    """What Metabase would refuse, or silently get wrong, said before anything is imported."""
    for key in ("collection", "dashboard", "cards"):
        if key not in definition:
            raise DefinitionError(f"no {key!r}")
    slugs = {parameter["slug"] for parameter in definition["dashboard"].get("parameters", [])}
    keys = set()
    for card in definition["cards"]:
        if card["key"] in keys:
            raise DefinitionError(f"card key {card['key']!r} twice")
        keys.add(card["key"])
        for field in ("name", "description", "display"):
            if not str(card[field]).strip():
                raise DefinitionError(f"card {card['key']!r}: empty {field}")
        unknown = set(TEMPLATE_TAG.findall(card_sql(card))) - slugs
        if unknown:
            raise DefinitionError(f"card {card['key']!r} uses {sorted(unknown)}, not dashboard parameters")
        for place in card["dashcards"]:
            if place["col"] < 0 or place["size_x"] < 1 or place["col"] + place["size_x"] > GRID_COLUMNS:
                raise DefinitionError(f"card {card['key']!r} does not fit the {GRID_COLUMNS}-column grid")


def card_sql(card: dict) -> str:
    sql = card["sql"]
    return sql if isinstance(sql, str) else "\n".join(sql)


def native_card(card: dict, database_id: int, collection_id: int, parameters: list[dict]) -> dict:
    """The body of POST/PUT /api/card for a card of the definition: a native query with its template tags."""
    sql = card_sql(card)
    by_slug = {parameter["slug"]: parameter for parameter in parameters}
    tags: dict[str, dict] = {}
    card_parameters = []
    for name in dict.fromkeys(TEMPLATE_TAG.findall(sql)):
        tag_id = str(uuid.uuid5(TAG_NAMESPACE, f"{card['key']}/{name}"))
        display_name = by_slug[name]["name"]
        tags[name] = {
            "id": tag_id,
            "name": name,
            "display-name": display_name,
            "type": "text",
            "required": False,
        }
        card_parameters.append(
            {
                "id": tag_id,
                "type": "category",
                "target": ["variable", ["template-tag", name]],
                "name": display_name,
                "slug": name,
            }
        )
    return {
        "name": card["name"],
        "description": card["description"],
        "type": "question",
        "display": card["display"],
        "collection_id": collection_id,
        "dataset_query": {
            "type": "native",
            "native": {"query": sql, "template-tags": tags},
            "database": database_id,
        },
        "parameters": card_parameters,
        "visualization_settings": card.get("visualization_settings", {}),
    }


def find_collection(metabase: Metabase, name: str) -> dict | None:
    """A top-level, shared (not personal), not archived collection of that name."""
    listed = metabase.call("GET", "/api/collection") or []
    collections = listed.get("data", []) if isinstance(listed, dict) else listed
    for collection in collections:
        if (
            isinstance(collection.get("id"), int)
            and collection.get("name") == name
            and not collection.get("personal_owner_id")
            and not collection.get("archived")
            and collection.get("location", "/") == "/"
        ):
            return collection
    return None


def collection_items(metabase: Metabase, collection_id: int, model: str) -> dict[str, dict]:
    """The collection's cards or dashboards (not archived) by name."""
    query = urllib.parse.urlencode({"models": model})
    listed = metabase.call("GET", f"/api/collection/{collection_id}/items?{query}") or {}
    items = listed.get("data", []) if isinstance(listed, dict) else listed
    found: dict[str, dict] = {}
    for item in items:
        if item.get("model") == model and not item.get("archived"):
            found.setdefault(item["name"], item)
    return found


def upsert(metabase: Metabase, kind: str, path: str, existing: dict | None, payload: dict) -> dict:
    """PUT the payload to an existing object, or POST a new one; says which."""
    if existing:
        answer = metabase.call("PUT", f"{path}/{existing['id']}", payload)
        print(f"Metabase: {kind} {payload['name']!r} (id {existing['id']}) updated")
        return answer if isinstance(answer, dict) and "id" in answer else {**existing, **payload}
    answer = metabase.call("POST", path, payload)
    print(f"Metabase: {kind} {payload['name']!r} (id {answer['id']}) created")
    return answer


def dashcards(definition: dict, card_ids: dict[str, int], current: list[dict]) -> list[dict]:
    """The dashboard's whole dashcards array: existing dashcards reused (by card, in order), new ones with
    negative ids; each mapped to the dashboard parameters its card's template tags name."""
    reusable: dict[int, list[int]] = {}
    for dashcard in sorted(current, key=lambda d: d["id"]):
        if dashcard.get("card_id") is not None:
            reusable.setdefault(dashcard["card_id"], []).append(dashcard["id"])
    parameters = {p["slug"]: p for p in definition["dashboard"].get("parameters", [])}
    result = []
    new_id = 0
    for card in definition["cards"]:
        card_id = card_ids[card["key"]]
        mappings = [
            {
                "parameter_id": parameters[name]["id"],
                "card_id": card_id,
                "target": ["variable", ["template-tag", name]],
            }
            for name in dict.fromkeys(TEMPLATE_TAG.findall(card_sql(card)))
        ]
        for place in card["dashcards"]:
            free = reusable.get(card_id) or []
            if free:
                dashcard_id = free.pop(0)
            else:
                new_id -= 1
                dashcard_id = new_id
            result.append(
                {
                    "id": dashcard_id,
                    "card_id": card_id,
                    "row": place["row"],
                    "col": place["col"],
                    "size_x": place["size_x"],
                    "size_y": place["size_y"],
                    "series": [],
                    "visualization_settings": place.get("visualization_settings", {}),
                    "parameter_mappings": mappings,
                }
            )
    return result


def import_dashboard(metabase: Metabase, database_id: int, definition: dict) -> int:
    """Collection, cards, dashboard and dashcards of the definition, created or updated. Returns the
    dashboard's id."""
    collection_def = definition["collection"]
    collection = upsert(
        metabase,
        "collection",
        "/api/collection",
        find_collection(metabase, collection_def["name"]),
        {"name": collection_def["name"], "description": collection_def.get("description"), "parent_id": None},
    )
    collection_id = collection["id"]
    dashboard_def = definition["dashboard"]
    parameters = dashboard_def.get("parameters", [])
    existing_cards = collection_items(metabase, collection_id, "card")
    card_ids: dict[str, int] = {}
    for card in definition["cards"]:
        saved = upsert(
            metabase,
            "card",
            "/api/card",
            existing_cards.get(card["name"]),
            native_card(card, database_id, collection_id, parameters),
        )
        card_ids[card["key"]] = saved["id"]
    dashboard_fields = {
        "name": dashboard_def["name"],
        "description": dashboard_def.get("description"),
        "parameters": parameters,
        "collection_id": collection_id,
    }
    existing = collection_items(metabase, collection_id, "dashboard").get(dashboard_def["name"])
    if existing:
        dashboard_id = existing["id"]
        verb = "updated"
    else:
        dashboard_id = metabase.call("POST", "/api/dashboard", dashboard_fields)["id"]
        verb = "created"
    current = (metabase.call("GET", f"/api/dashboard/{dashboard_id}") or {}).get("dashcards") or []
    placed = dashcards(definition, card_ids, current)
    payload = {**dashboard_fields, "dashcards": placed}
    if "width" in dashboard_def:
        payload["width"] = dashboard_def["width"]
    metabase.call("PUT", f"/api/dashboard/{dashboard_id}", payload)
    print(
        f"Metabase: dashboard {dashboard_def['name']!r} (id {dashboard_id}) {verb}:"
        f" {len(card_ids)} cards, {len(placed)} dashcards"
    )
    return dashboard_id


def wait_for_sync(metabase: Metabase, database_id: int, seconds: float) -> None:
    """Wait for the database's first sync; go on after ``seconds`` (native cards do not need it)."""
    deadline = time.monotonic() + seconds
    while True:
        status = (metabase.call("GET", f"/api/database/{database_id}") or {}).get("initial_sync_status")
        if status == "complete":
            return
        if time.monotonic() >= deadline:
            print(
                f"Metabase: first sync not finished after {seconds:g} s ({status}); importing the dashboard anyway"
            )
            return
        time.sleep(3)


def main() -> int:
    metabase = Metabase(env("METABASE_URL", "http://metabase:3000"))
    try:
        metabase.wait_until_healthy()
        metabase.log_in(env("METABASE_ADMIN_EMAIL"), env("METABASE_ADMIN_PASSWORD"))
        listed = metabase.call("GET", "/api/database")
        databases = listed.get("data", []) if isinstance(listed, dict) else listed or []
        existing = next((db for db in databases if db.get("name") == DATABASE_NAME), None)
        payload = {
            "name": DATABASE_NAME,
            "engine": "postgres",
            "details": warehouse_details(),
            "is_full_sync": True,
            "auto_run_queries": True,
        }
        if existing:
            database = metabase.call("PUT", f"/api/database/{existing['id']}", payload)
            print(f"Metabase: database {DATABASE_NAME!r} (id {existing['id']}) updated")
        else:
            database = metabase.call("POST", "/api/database", payload)
            print(f"Metabase: database {DATABASE_NAME!r} (id {database['id']}) added")
        metabase.call("POST", f"/api/database/{database['id']}/sync_schema")
        print("Metabase: schema sync started (marts, as role bi)")
        wait_for_sync(metabase, database["id"], float(os.environ.get("METABASE_SYNC_WAIT_SECONDS", "120")))
        definition = load_definition(Path(os.environ.get("METABASE_DASHBOARD_FILE") or DASHBOARD_FILE))
        import_dashboard(metabase, database["id"], definition)
    # ValueError: a malformed dashboard file (DefinitionError) or setting, a reply that is not JSON
    except (MetabaseError, KeyError, ValueError, urllib.error.URLError) as error:
        print(f"register_warehouse: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Connect Metabase to the warehouse's published marts, as the read-only role ``bi`` (one-shot, repeatable).

Run by the ``metabase-init`` service of docker/compose.yaml once Metabase is healthy:

1. first start: completes Metabase's set-up through its API (admin account from METABASE_ADMIN_EMAIL /
   METABASE_ADMIN_PASSWORD, Russian locale, no usage tracking); later starts: logs in as that admin;
2. adds the database "Обращения граждан (marts)" — PostgreSQL ``WAREHOUSE_HOST:WAREHOUSE_PORT``,
   database ``WAREHOUSE_DB``, user ``bi`` with WAREHOUSE_BI_PASSWORD, schema ``marts`` only — or, if it
   exists, updates its connection details (a changed password, say);
3. asks Metabase to sync the schema now (it also syncs hourly by itself).

Standard library only; every setting comes from the environment. Exits non-zero, saying why, on failure.
"""

from __future__ import annotations

import json
import os
import sys
import time
import urllib.error
import urllib.request

DATABASE_NAME = os.environ.get("METABASE_WAREHOUSE_NAME", "Обращения граждан (marts)")


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
    except (MetabaseError, KeyError, urllib.error.URLError) as error:
        print(f"register_warehouse: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Connections to the warehouse: ``WAREHOUSE_DSN`` when set, else the embedded server (started on demand)."""

from __future__ import annotations

import logging
from urllib.parse import quote, urlencode

import psycopg
from psycopg.conninfo import conninfo_to_dict

from ingestion.settings import Settings, load_settings
from ingestion.warehouse.embedded import EmbeddedServer

log = logging.getLogger(__name__)


def embedded_server(settings: Settings | None = None) -> EmbeddedServer:
    settings = settings or load_settings()
    return EmbeddedServer(settings.state_dir, port=settings.port)


def ensure_database(admin_dsn: str, database: str) -> None:
    """Create ``database`` on the server of ``admin_dsn`` if it does not exist yet."""
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        exists = conn.execute("select 1 from pg_database where datname = %s", [database]).fetchone()
        if not exists:
            log.info("creating database %s", database)
            conn.execute(psycopg.sql.SQL("create database {}").format(psycopg.sql.Identifier(database)))


def warehouse_dsn(settings: Settings | None = None, *, start: bool = True) -> str:
    """The DSN every command uses. With no ``WAREHOUSE_DSN``, start the embedded server if needed."""
    settings = settings or load_settings()
    if settings.warehouse_dsn:
        return settings.warehouse_dsn
    server = embedded_server(settings)
    status = server.up() if start else server.status()
    if not status.running:
        raise RuntimeError("the embedded warehouse is not running: start it with `appeals warehouse up`")
    ensure_database(status.dsn("postgres"), settings.database)
    return status.dsn(settings.database)


def connect(dsn: str | None = None, **kwargs: object) -> psycopg.Connection:
    """Open a psycopg connection to the warehouse."""
    return psycopg.connect(dsn or warehouse_dsn(), **kwargs)


def to_url(params: dict[str, object]) -> str:
    """A ``postgresql://`` URL from connection parameters (the form BI tools and dbt docs expect)."""
    rest = {k: v for k, v in params.items() if k not in {"user", "password", "host", "port", "dbname"}}
    user = quote(str(params.get("user", "")), safe="")
    password = params.get("password")
    auth = f"{user}:{quote(str(password), safe='*')}@" if password else (f"{user}@" if user else "")
    host = str(params.get("host", "localhost"))
    port = f":{params['port']}" if params.get("port") else ""
    query = f"?{urlencode(rest)}" if rest else ""
    return f"postgresql://{auth}{quote(host, safe='/')}{port}/{quote(str(params.get('dbname', '')))}{query}"


def with_user(dsn: str, user: str) -> str:
    """The same DSN for another role (used to show analysts and BI tools how to connect)."""
    params = conninfo_to_dict(dsn)
    params["user"] = user
    params.pop("password", None)
    return to_url(params)


def redact(dsn: str) -> str:
    """The DSN without its password, safe to print and log."""
    params = conninfo_to_dict(dsn)
    if "password" in params:
        params["password"] = "***"
    return to_url(params)

"""Fixtures shared by the whole suite: a real PostgreSQL server and throwaway databases on it.

With ``WAREHOUSE_DSN`` set, the tests use that server (they create and drop their own databases on it,
so the role needs CREATEDB); otherwise they use the project's embedded server, started on demand.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from ingestion.settings import load_settings
from ingestion.warehouse.connection import embedded_server, to_url
from ingestion.warehouse.migrate import migrate


@pytest.fixture(scope="session")
def server_dsn() -> Iterator[str]:
    """A DSN with the right to create databases: WAREHOUSE_DSN, or the embedded server's superuser."""
    settings = load_settings()
    if settings.warehouse_dsn:
        yield settings.warehouse_dsn
        return
    server = embedded_server(settings)
    was_running = server.status().running
    status = server.up()
    yield status.dsn("postgres")
    if not was_running and "PYTEST_XDIST_WORKER" not in os.environ:
        server.down()


def dsn_for_database(dsn: str, database: str) -> str:
    params = conninfo_to_dict(dsn)
    params["dbname"] = database
    return to_url(params)


@pytest.fixture
def fresh_db(server_dsn: str) -> Iterator[str]:
    """An empty database of its own for one test; dropped afterwards."""
    name = f"appeals_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    yield dsn_for_database(server_dsn, name)
    with psycopg.connect(server_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))


@pytest.fixture
def migrated_db(fresh_db: str) -> str:
    """A fresh database with every migration applied."""
    migrate(fresh_db)
    return fresh_db


@pytest.fixture(scope="session")
def quality_gate(tmp_path_factory: pytest.TempPathFactory):  # -> QualityGate (imports GX: only when used)
    """The quality gate, its GX context loaded once per session; results and Data Docs in a temporary folder."""
    from ingestion.quality.gate import QualityGate

    state = tmp_path_factory.mktemp("gx")
    return QualityGate(results_dir=state / "validations", data_docs_dir=state / "data_docs")

"""Fixtures of the quality gate tests: one GX context for the session, one shared warehouse per module.

The GX context is loaded once (importing GX is the slow part). Most tests share a module-wide warehouse
and keep out of each other's way by registering for a body of their own (the volume checks compare a
batch with earlier batches of the same feed and body) and by keeping ПОС files the same size.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import psycopg
import pytest
from psycopg import sql

from ingestion.ingest import ingest_landing
from ingestion.load import LoadResult
from ingestion.warehouse.migrate import migrate
from tests.conftest import dsn_for_database
from tests.support import exports

if TYPE_CHECKING:
    from ingestion.quality.gate import QualityGate

TEST_KEY = "test-key-" + "0" * 40


@pytest.fixture(autouse=True)
def hmac_key(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("APPEALS_HMAC_KEY", TEST_KEY)
    return TEST_KEY


@pytest.fixture(scope="session")
def gate(tmp_path_factory: pytest.TempPathFactory) -> QualityGate:
    """The gate, its GX context loaded once for all tests; results and Data Docs in a temporary folder."""
    from ingestion.quality.gate import QualityGate  # imports GX: slow, so only when a test needs it

    state = tmp_path_factory.mktemp("gx")
    return QualityGate(results_dir=state / "validations", data_docs_dir=state / "data_docs")


@pytest.fixture(scope="module")
def warehouse(server_dsn: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database for the module, with the organisations directory of ``tests.support.exports``."""
    name = f"appeals_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    dsn = dsn_for_database(server_dsn, name)
    try:
        migrate(dsn)
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("APPEALS_HMAC_KEY", TEST_KEY)
            landing = tmp_path_factory.mktemp("directory")
            exports.organizations(landing)
            ingest_landing(landing, dsn=dsn)
        yield dsn
    finally:
        with psycopg.connect(server_dsn, autocommit=True) as conn:
            conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))


Load = Callable[..., dict[str, LoadResult]]


@pytest.fixture
def load(tmp_path: Path) -> Load:
    """Write export files into a fresh landing folder and ingest them into ``dsn``: results by file."""
    counter = iter(range(1_000))

    def run(dsn: str, *files: Callable[[Path], Path]) -> dict[str, LoadResult]:
        landing = tmp_path / f"landing{next(counter)}"
        landing.mkdir()
        for write in files:
            write(landing)
        return {r.file: r for r in ingest_landing(landing, dsn=dsn)}

    return run


def query(dsn: str, statement: str, params: list | None = None) -> list[tuple]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(statement, params or []).fetchall()

"""Fixtures for the dbt project's tests: generated landing data, loaded into real databases, built by real dbt.

Each test database gets its own dbt target and log folders (``DBT_TARGET_PATH``/``DBT_LOG_PATH``), so tests
may run in parallel (pytest-xdist) without sharing dbt's artefacts.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import psycopg
import pytest
from psycopg import sql
from psycopg.rows import dict_row

if TYPE_CHECKING:
    from ingestion.quality.gate import QualityGate

from ingestion.generate import generate
from ingestion.ingest import ingest_landing
from ingestion.publish import PublishResult, publish_marts
from ingestion.transform import DbtResult, run_dbt
from ingestion.warehouse.migrate import migrate
from tests.conftest import dsn_for_database

TEST_KEY = "dbt-test-key-" + "0" * 40
TERRITORIES = ["87725000", "69701000"]  # Ухта, Томск


@dataclass
class Warehouse:
    """A migrated test database, the dbt artefact folders used for it, and the quality gate."""

    dsn: str
    dbt_dir: Path
    gate: QualityGate

    @contextmanager
    def _environment(self) -> Iterator[None]:
        """The HMAC key, more dbt threads, and this database's own dbt target and log folders."""
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("APPEALS_HMAC_KEY", TEST_KEY)
            patch.setenv("APPEALS_DBT_THREADS", "4")
            patch.setenv("DBT_TARGET_PATH", str(self.dbt_dir / "target"))
            patch.setenv("DBT_LOG_PATH", str(self.dbt_dir / "logs"))
            yield

    def dbt(self, *args: str) -> DbtResult:
        """Run dbt against this database; fails the test when dbt fails."""
        with self._environment():
            result = run_dbt(list(args), self.dsn)
        assert result.success, "dbt " + " ".join(args) + " failed:\n" + "\n".join(result.failures)
        return result

    def build(self) -> PublishResult:
        """``ingestion.publish.publish_marts`` — what the CLI and DAGs call: build, check, publish."""
        with self._environment():
            result = publish_marts(self.dsn, gate=self.gate)
        assert result.published, result.summary()
        return result

    def ingest(self, landing: Path) -> None:
        """Load ``landing`` and validate its batches: every file must load and pass the gate."""
        with self._environment():
            results = ingest_landing(landing, dsn=self.dsn)
            bad = [r for r in results if r.status not in ("loaded", "skipped")]
            assert not bad, bad
            rejected = [r.summary() for r in self.gate.validate_pending(self.dsn) if not r.passed]
        assert not rejected, rejected

    def query(self, statement: str | sql.Composable, params: tuple | None = None) -> list[tuple]:
        with psycopg.connect(self.dsn) as conn:
            return conn.execute(statement, params).fetchall()

    def records(self, statement: str) -> list[dict]:
        """A query's rows as dicts keyed by column name."""
        with psycopg.connect(self.dsn, row_factory=dict_row) as conn:
            return conn.execute(statement).fetchall()


def _create_database(server_dsn: str) -> str:
    name = f"appeals_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    return name


def _drop_database(server_dsn: str, name: str) -> None:
    with psycopg.connect(server_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))


@pytest.fixture(scope="session")
def warehouse_factory(
    server_dsn: str, tmp_path_factory: pytest.TempPathFactory, quality_gate: QualityGate
) -> Iterator:
    """Makes migrated databases that live as long as the test session."""
    created: list[str] = []

    def make() -> Warehouse:
        name = _create_database(server_dsn)
        created.append(name)
        dsn = dsn_for_database(server_dsn, name)
        migrate(dsn)
        return Warehouse(dsn=dsn, dbt_dir=tmp_path_factory.mktemp(f"dbt-{name}"), gate=quality_gate)

    yield make
    for name in created:
        _drop_database(server_dsn, name)


def generate_landing(out_dir: Path, date_to: date, rows: int, seed: int) -> Path:
    generate(out_dir, TERRITORIES, date(2024, 1, 1), date_to, rows=rows, dirty_rate=0.02, seed=seed)
    return out_dir


@dataclass
class Built:
    """A generated year loaded and built once per session: what the truth and report tests read."""

    warehouse: Warehouse
    landing: Path
    result: PublishResult


@pytest.fixture(scope="session")
def built_year(warehouse_factory, tmp_path_factory: pytest.TempPathFactory) -> Built:
    """2024 for Ухта and Томск, ~3 000 appeals with 2 % messiness: generated, ingested, ``build(dsn)``."""
    landing = generate_landing(tmp_path_factory.mktemp("landing"), date(2024, 12, 31), rows=3000, seed=7)
    warehouse = warehouse_factory()
    warehouse.ingest(landing)
    return Built(warehouse, landing, warehouse.build())

"""Migrations: applied once, in order, idempotently; edited migrations are refused."""

from __future__ import annotations

import shutil
from pathlib import Path

import psycopg
import pytest

from ingestion.warehouse.migrate import MIGRATIONS_DIR, MigrationError, available_migrations, migrate

EXPECTED_SCHEMAS = {"raw", "audit", "staging", "intermediate", "marts"}


def schemas(dsn: str) -> set[str]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute("select nspname from pg_namespace").fetchall()
    return {r[0] for r in rows}


def test_first_run_applies_every_migration_and_second_run_none(fresh_db: str) -> None:
    first = migrate(fresh_db)
    assert [m.version for m in first] == [m.version for m in available_migrations()]
    assert schemas(fresh_db) >= EXPECTED_SCHEMAS

    assert migrate(fresh_db) == []
    with psycopg.connect(fresh_db) as conn:
        recorded = conn.execute("select version from audit.schema_migrations order by version").fetchall()
        tables = conn.execute(
            "select table_name from information_schema.tables where table_schema = 'audit' order by 1"
        ).fetchall()
    assert [r[0] for r in recorded] == [m.version for m in available_migrations()]
    assert {"load_batches", "quarantine", "schema_migrations"} <= {t[0] for t in tables}


def test_roles_exist_after_migration(migrated_db: str) -> None:
    with psycopg.connect(migrated_db) as conn:
        roles = dict(
            conn.execute(
                "select rolname, rolcanlogin from pg_roles "
                "where rolname in ('loader', 'transformer', 'analyst', 'bi')"
            ).fetchall()
        )
    assert roles == {"loader": False, "transformer": False, "analyst": True, "bi": True}


def test_edited_migration_is_refused(fresh_db: str, tmp_path: Path) -> None:
    folder = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, folder, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    migrate(fresh_db, folder)
    first = sorted(folder.glob("V*.sql"))[0]
    first.write_text(first.read_text() + "\n-- edited later\n")
    with pytest.raises(MigrationError, match="changed after it was applied"):
        migrate(fresh_db, folder)


def test_badly_named_migration_is_refused(tmp_path: Path) -> None:
    (tmp_path / "001_init.sql").write_text("select 1;")
    with pytest.raises(MigrationError, match=r"V<NNN>__<name>\.sql"):
        available_migrations(tmp_path)


def test_load_audit_enforces_the_row_balance(migrated_db: str) -> None:
    """rows read = rows loaded + rows quarantined is a constraint, not a hope."""
    with psycopg.connect(migrated_db) as conn, pytest.raises(psycopg.errors.CheckViolation):
        conn.execute(
            "insert into audit.load_batches (feed, file_path, file_sha256, file_bytes,"
            " rows_read, rows_loaded, rows_quarantined)"
            " values ('pos', 'pos/a.csv', repeat('a', 64), 10, 10, 8, 1)"
        )

"""Apply the versioned SQL migrations in ``migrations/`` (``V<NNN>__<name>.sql``), each once, in order.

Applied versions are recorded in ``audit.schema_migrations`` with a checksum; editing a migration that
was already applied is an error (write a new one instead). Concurrent runs are serialised with an
advisory lock, so any number of processes may call :func:`migrate` at start-up.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from pathlib import Path

import psycopg

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
_NAME = re.compile(r"^V(\d{3})__(\w+)\.sql$")
_LOCK_KEY = 0x4150_5045  # "APPE": one advisory lock for all migration runs


class MigrationError(RuntimeError):
    """A migration is malformed, or one already applied has been edited."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    path: Path

    @property
    def sql(self) -> str:
        return self.path.read_text(encoding="utf-8")

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.path.read_bytes()).hexdigest()


def available_migrations(folder: Path = MIGRATIONS_DIR) -> list[Migration]:
    found = []
    for path in sorted(folder.glob("*.sql")):
        match = _NAME.match(path.name)
        if not match:
            raise MigrationError(f"{path}: migration files are named V<NNN>__<name>.sql")
        found.append(Migration(int(match[1]), match[2], path))
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise MigrationError(f"{folder}: two migrations share a version number")
    return found


def migrate(dsn: str, folder: Path = MIGRATIONS_DIR) -> list[Migration]:
    """Bring the database at ``dsn`` up to date; returns the migrations applied now (empty if none)."""
    applied_now: list[Migration] = []
    with psycopg.connect(dsn) as conn:
        conn.execute("select pg_advisory_xact_lock(%s)", [_LOCK_KEY])
        conn.execute("create schema if not exists audit")
        conn.execute(
            """
            create table if not exists audit.schema_migrations (
                version    integer primary key,
                name       text not null,
                checksum   text not null,
                applied_at timestamptz not null default now()
            )
            """
        )
        done = dict(conn.execute("select version, checksum from audit.schema_migrations").fetchall())
        for migration in available_migrations(folder):
            if migration.version in done:
                if done[migration.version] != migration.checksum:
                    raise MigrationError(
                        f"{migration.path.name} was changed after it was applied; add a new migration instead"
                    )
                continue
            log.info("applying migration %s", migration.path.name)
            conn.execute(migration.sql.encode())
            conn.execute(
                "insert into audit.schema_migrations (version, name, checksum) values (%s, %s, %s)",
                [migration.version, migration.name, migration.checksum],
            )
            applied_now.append(migration)
    return applied_now


def current_version(dsn: str) -> int | None:
    """The newest applied migration version, or None for a database never migrated."""
    with psycopg.connect(dsn) as conn:
        exists = conn.execute("select to_regclass('audit.schema_migrations')").fetchone()[0]
        if not exists:
            return None
        return conn.execute("select max(version) from audit.schema_migrations").fetchone()[0]

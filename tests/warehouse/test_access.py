"""Read-only roles see marts and nothing else."""

from __future__ import annotations

import psycopg
import pytest
from psycopg import sql


@pytest.fixture
def seeded(migrated_db: str) -> str:
    with psycopg.connect(migrated_db) as conn:
        conn.execute("create table marts.demo_fact (n int)")
        conn.execute("insert into marts.demo_fact values (1), (2)")
        conn.execute("create table raw.demo_rows (secret text)")
        conn.execute("insert into raw.demo_rows values ('Иванов И.И.')")
    return migrated_db


def query_as(dsn: str, role: str, query: str) -> list[tuple]:
    with psycopg.connect(dsn) as conn:
        conn.execute(sql.SQL("set role {}").format(sql.Identifier(role)))
        return conn.execute(query).fetchall()


@pytest.mark.parametrize("role", ["analyst", "bi"])
def test_readers_read_marts(seeded: str, role: str) -> None:
    assert query_as(seeded, role, "select sum(n) from marts.demo_fact") == [(3,)]


@pytest.mark.parametrize("role", ["analyst", "bi"])
@pytest.mark.parametrize(
    "query",
    ["select * from raw.demo_rows", "select * from audit.load_batches", "select * from audit.quarantine"],
)
def test_readers_are_denied_raw_and_audit(seeded: str, role: str, query: str) -> None:
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied"):
        query_as(seeded, role, query)


@pytest.mark.parametrize("role", ["analyst", "bi"])
def test_readers_cannot_write_marts(seeded: str, role: str) -> None:
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        query_as(seeded, role, "insert into marts.demo_fact values (3) returning n")


def test_loader_writes_raw_and_transformer_reads_it(seeded: str) -> None:
    assert query_as(seeded, "loader", "insert into raw.demo_rows values ('x') returning secret") == [("x",)]
    assert len(query_as(seeded, "transformer", "select * from raw.demo_rows")) == 2

"""Who may see what the gate keeps: the loader runs it, dbt may read it, analysts and BI see none of it."""

from __future__ import annotations

import psycopg
import pytest
from psycopg import sql


def as_role(dsn: str, role: str, statement: str) -> list[tuple]:
    with psycopg.connect(dsn) as conn:
        conn.execute(sql.SQL("set role {}").format(sql.Identifier(role)))
        conn.execute("set appeals.batch_id = 1")
        return conn.execute(statement).fetchall()


@pytest.mark.parametrize(
    "statement",
    [
        "select count(*) from quality.register_batch",
        "select count(*) from quality.pos_batch",
        "select count(*) from quality.incident_batch",
        "select count(*) from quality.organizations_batch",
        "select count(*) from audit.validation_results",
        "select count(*) from quality.reference_values",
    ],
)
def test_the_loader_reads_the_batch_views_and_the_results(migrated_db: str, statement: str) -> None:
    assert as_role(migrated_db, "loader", statement) == [(0,)]


def test_the_loader_records_results_and_refreshes_references(migrated_db: str) -> None:
    with psycopg.connect(migrated_db) as conn:
        conn.execute(
            "insert into audit.load_batches (feed, file_path, file_sha256, file_bytes, status)"
            " values ('pos', 'pos/x.csv', repeat('a', 64), 1, 'loaded')"
        )
    assert as_role(
        migrated_db,
        "loader",
        "insert into audit.validation_results (batch_id, check_name, severity, outcome, expectation_type, message)"
        " values (1, 'pos.batch.rows_present', 'error', 'failed', 'expect_table_row_count_to_be_between',"
        " 'the batch has no rows') returning outcome",
    ) == [("failed",)]
    assert as_role(
        migrated_db,
        "loader",
        "insert into quality.reference_values (vocabulary, value) values ('classifier', 'x') returning value",
    ) == [("x",)]
    assert as_role(migrated_db, "transformer", "select count(*) from audit.validation_results") == [(1,)]


@pytest.mark.parametrize("role", ["analyst", "bi"])
@pytest.mark.parametrize(
    "statement",
    [
        "select * from audit.validation_results",
        "select * from quality.register_batch",
        "select * from quality.reference_values",
    ],
)
def test_readers_see_nothing_of_the_gate(migrated_db: str, role: str, statement: str) -> None:
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied"):
        as_role(migrated_db, role, statement)

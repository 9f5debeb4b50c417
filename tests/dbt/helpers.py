"""Reading marts and the generator's truth into comparable shapes."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from psycopg import sql

from ingestion.generate.truth import TRUTH_DIR, read_table
from tests.dbt.conftest import Warehouse


def text(value: object) -> str:
    """A value as the truth writes it: booleans true/false, unknown empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def truth_appeals(landing: Path) -> dict[str, dict[str, str]]:
    """The truth's appeals that belong in fct_appeals (spam incidents excluded), by appeal_id."""
    rows = read_table(landing / TRUTH_DIR / "appeals.csv")
    return {row["appeal_id"]: row for row in rows if row["is_spam"] != "true"}


def truth_questions(landing: Path, appeal_ids: set[str]) -> dict[tuple[str, int], dict[str, str]]:
    rows = read_table(landing / TRUTH_DIR / "questions.csv")
    return {(r["appeal_id"], int(r["question_no"])): r for r in rows if r["appeal_id"] in appeal_ids}


APPEAL_COLUMNS = {
    # truth column: SQL over marts.fct_appeals a, dim_territory t, audit.load_batches b (local times)
    "source_code": "a.source_code",
    "source_record_id": "a.source_record_id",
    "received_date": "a.received_date",
    "registered_at": "a.registered_at at time zone b.timezone",
    "answered_at": "a.answered_at at time zone b.timezone",
    "due_at": "a.due_at at time zone b.timezone",
    "oktmo": "a.oktmo",
    "territory_oktmo": "t.oktmo",
    "channel_code": "a.channel_code",
    "origin_code": "a.origin_code",
    "appeal_type": "a.appeal_type",
    "form": "a.form",
    "is_official_appeal": "a.is_official_appeal",
    "is_collective": "a.is_collective",
    "is_repeat": "a.is_repeat",
    "question_count": "a.question_count",
    "final_result_code": "a.final_result_code",
    "satisfaction": "a.satisfaction",
    "rating": "a.rating",
    "on_control": "a.on_control",
}


def mart_appeals(warehouse: Warehouse) -> dict[str, dict[str, str]]:
    columns = sql.SQL(", ").join(sql.SQL(expression) for expression in APPEAL_COLUMNS.values())
    rows = warehouse.query(
        sql.SQL(
            """
            select a.appeal_id, {columns}
            from marts.fct_appeals as a
            join marts.dim_territory as t using (territory_key)
            join audit.load_batches as b on b.batch_id = a.loaded_batch_id
            """
        ).format(columns=columns)
    )
    return {
        row[0]: {name: text(value) for name, value in zip(APPEAL_COLUMNS, row[1:], strict=True)}
        for row in rows
    }


QUESTION_COLUMNS = {
    "topic_code": "topic_code",
    "result_code": "result_code",
    "measures_taken": "measures_taken",
    "by_commission": "reviewed_by_commission",
    "on_site": "reviewed_on_site",
    "with_applicant": "reviewed_with_applicant",
}


def mart_questions(warehouse: Warehouse) -> dict[tuple[str, int], dict[str, str]]:
    columns = sql.SQL(", ").join(sql.Identifier(name) for name in QUESTION_COLUMNS.values())
    rows = warehouse.query(
        sql.SQL("select appeal_id, question_no, {columns} from marts.fct_appeal_questions").format(
            columns=columns
        )
    )
    return {
        (row[0], row[1]): {name: text(value) for name, value in zip(QUESTION_COLUMNS, row[2:], strict=True)}
        for row in rows
    }


def differences(
    expected: dict, actual: dict, columns: list[str] | tuple[str, ...], limit: int = 5
) -> dict[str, list]:
    """Per column: up to ``limit`` examples (key, expected, actual) of rows that disagree."""
    found: dict[str, list] = {}
    for key in expected.keys() & actual.keys():
        for column in columns:
            if expected[key][column] != actual[key][column]:
                found.setdefault(column, [])
                if len(found[column]) < limit:
                    found[column].append((key, expected[key][column], actual[key][column]))
    return found


def mart_tables(warehouse: Warehouse) -> list[str]:
    rows = warehouse.query(
        "select table_name from information_schema.tables where table_schema = 'marts' order by 1"
    )
    return [name for (name,) in rows]


def mart_contents(warehouse: Warehouse, table: str) -> Counter:
    """Every row of a mart table as a multiset; load-batch ids (which depend on load order) are replaced by
    the path of the file they came from."""
    columns = [
        name
        for (name,) in warehouse.query(
            "select column_name from information_schema.columns"
            " where table_schema = 'marts' and table_name = %s order by ordinal_position",
            (table,),
        )
    ]
    select = sql.SQL(", ").join(
        sql.SQL("(select file_path from audit.load_batches where batch_id = m.loaded_batch_id)")
        if name == "loaded_batch_id"
        else sql.SQL("m.{}").format(sql.Identifier(name))
        for name in columns
    )
    return Counter(
        warehouse.query(sql.SQL("select {} from marts.{} as m").format(select, sql.Identifier(table)))
    )

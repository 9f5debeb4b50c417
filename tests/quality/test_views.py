"""The batch views: they show exactly the gate's batch, and name the empty required values of a row."""

from __future__ import annotations

import psycopg
import pytest

from ingestion.feeds import FEEDS
from ingestion.quality.checks import REQUIRED


def insert_blank_row(conn: psycopg.Connection, feed: str, batch_id: int) -> None:
    """A row of ``feed`` whose required text values are all empty (timestamps cannot be: they are NOT NULL)."""
    spec = FEEDS[feed]
    columns = ["batch_id", "source_row_number", "file_sha256"] + (
        ["body_oktmo"] if feed == "register" else []
    )
    columns += [c.name for c in spec.required_columns]
    values = [batch_id, 1, "0" * 64] + ([""] if feed == "register" else [])
    values += ["2024-01-15 00:00+03" if c.kind == "timestamp" else "" for c in spec.required_columns]
    conn.execute(
        f"insert into raw.{spec.table} ({', '.join(columns)}) values ({', '.join(['%s'] * len(values))})",
        values,
    )


@pytest.mark.parametrize("feed", sorted(REQUIRED))
def test_missing_required_names_every_empty_required_value(migrated_db: str, feed: str) -> None:
    with psycopg.connect(migrated_db) as conn:
        ids = [
            conn.execute(
                "insert into audit.load_batches (feed, file_path, file_sha256, file_bytes, status)"
                " values (%s, %s, repeat(%s, 64), 1, 'loaded') returning batch_id",
                [feed, f"{feed}/{n}.csv", str(n)],
            ).fetchone()[0]
            for n in (1, 2)
        ]
        for batch_id in ids:
            insert_blank_row(conn, feed, batch_id)
        conn.execute("select set_config('appeals.batch_id', %s, false)", [str(ids[1])])
        view = psycopg.sql.Identifier("quality", f"{feed}_batch")
        rows = conn.execute(
            psycopg.sql.SQL("select batch_id, missing_required from {}").format(view)
        ).fetchall()

    text_columns = (
        [c for c in REQUIRED[feed] if FEEDS[feed].column(c).kind != "timestamp"]
        if feed != "register"
        else [c for c in REQUIRED[feed] if c == "body_oktmo" or FEEDS[feed].column(c).kind != "timestamp"]
    )
    assert rows == [(ids[1], "row 1: " + ", ".join(text_columns))]

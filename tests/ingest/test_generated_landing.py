"""Ingest a generated landing folder and compare with the generator's ground truth, file by file."""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import date
from pathlib import Path

import psycopg
import pytest

from ingestion.generate import generate
from ingestion.load import LoadResult

Ingest = Callable[[Path], list[LoadResult]]


def read_truth(landing: Path, name: str) -> list[dict[str, str]]:
    with (landing / "_truth" / name).open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    landing = tmp_path_factory.mktemp("generated") / "landing"
    generate(
        landing,
        ["87725000", "69701000"],
        date(2024, 1, 1),
        date(2024, 6, 30),
        rows=2500,
        dirty_rate=0.05,
        seed=7,
    )
    return landing


def test_every_file_lands_as_the_truth_says(ingest: Ingest, generated: Path, migrated_db: str) -> None:
    results = {r.file: r for r in ingest(generated)}
    files = read_truth(generated, "files.csv")
    expected_quarantine: dict[str, set[int]] = {}
    for row in read_truth(generated, "quarantine.csv"):
        expected_quarantine.setdefault(row["path"], set()).add(int(row["row_number"]))
    with psycopg.connect(migrated_db) as conn:
        quarantined: dict[str, set[int]] = {}
        for path, number in conn.execute(
            "select b.file_path, q.row_number from audit.quarantine q join audit.load_batches b using (batch_id)"
        ):
            quarantined.setdefault(path, set()).add(number)

    assert set(results) == {f["path"] for f in files} | {"reference/organizations.csv"}
    for file in files:
        result = results[file["path"]]
        if file["is_duplicate_of"]:
            assert result.status == "skipped", file["path"]
            continue
        assert result.status == "loaded", (file["path"], result.message)
        assert result.rows_read == int(file["rows_written"]), file["path"]
        assert result.rows_quarantined == int(file["broken_rows"]), file["path"]
        assert quarantined.get(file["path"], set()) == expected_quarantine.get(file["path"], set()), file[
            "path"
        ]


def test_newest_versions_are_the_truths_appeals(ingest: Ingest, generated: Path, migrated_db: str) -> None:
    ingest(generated)
    with psycopg.connect(migrated_db) as conn:
        conn.execute("set timezone = 'UTC'")
        loaded = {
            row[0]: row[1:]
            for row in conn.execute(
                """
                select distinct on (appeal_id) appeal_id, result
                from (
                    select 'pos:' || message_id as appeal_id, coalesce(decision_type, stage) as result,
                           batch_id, source_row_number from raw.pos_rows
                    union all
                    select 'incident:' || incident_id, status, batch_id, source_row_number from raw.incident_rows
                    union all
                    select 'register:' || r.body_oktmo || ':'
                           || extract(year from r.registered_at at time zone b.timezone) || ':' || r.reg_number,
                           r.result_code, r.batch_id, r.source_row_number
                    from raw.register_rows r join audit.load_batches b using (batch_id)
                ) versions
                order by appeal_id, batch_id desc, source_row_number desc
                """
            )
        }
    truth = {row["appeal_id"] for row in read_truth(generated, "appeals.csv")}
    assert set(loaded) == truth

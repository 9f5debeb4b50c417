"""A clean generated landing folder passes the gate end to end, feed by feed; Data Docs are built on request."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from ingestion.generate import generate
from ingestion.ingest import ingest_landing
from ingestion.quality.build import context_dir
from ingestion.quality.gate import QualityGate, validate_pending
from tests.quality.conftest import query

pytestmark = pytest.mark.slow


def test_a_clean_generated_landing_validates_with_data_docs(
    gate: QualityGate, migrated_db: str, tmp_path: Path
) -> None:
    landing = tmp_path / "landing"
    generate(
        landing,
        ["87725000"],
        date(2024, 1, 1),
        date(2024, 1, 31),
        rows=300,
        dirty_rate=0,
        seed=3,
        split="all",
    )
    loaded = [r for r in ingest_landing(landing, dsn=migrated_db) if r.status == "loaded"]
    assert {r.file.split("/")[0] for r in loaded} == {"reference", "pos", "incident", "register"}
    project_file = (context_dir() / "great_expectations.yml").read_bytes()
    docs = tmp_path / "data_docs"
    with_docs = QualityGate(data_docs=True, results_dir=tmp_path / "validations", data_docs_dir=docs)

    results = validate_pending(migrated_db, gate=with_docs)

    assert [r.feed for r in results] == ["organizations", "pos", "incident", "register"]
    assert [(r.status, r.failures, r.warnings) for r in results] == [("validated", [], [])] * 4, [
        r.summary() for r in results
    ]
    assert query(migrated_db, "select distinct status from audit.load_batches") == [("validated",)]
    assert query(migrated_db, "select count(*) from audit.validation_results") == [(0,)]
    assert all(r.rows and r.rows > 0 for r in results)
    # Data Docs: an index and one page per validation, in the folder asked for
    assert (docs / "index.html").is_file()
    assert len(list((docs / "validations").rglob("*.html"))) == 4
    # nothing of the run leaks into the committed project, and no DSN into the stored results
    assert (context_dir() / "great_expectations.yml").read_bytes() == project_file
    stored = "".join(p.read_text(encoding="utf-8") for p in (tmp_path / "validations").rglob("*.json"))
    assert "postgresql" not in stored and "127.0.0.1" not in stored
    # nothing left to validate
    assert validate_pending(migrated_db, gate=gate) == []

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from ingestion.ingest import ingest_landing
from ingestion.load import LoadResult

TEST_KEY = "test-key-" + "0" * 40


@pytest.fixture(autouse=True)
def hmac_key(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("APPEALS_HMAC_KEY", TEST_KEY)
    return TEST_KEY


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    folder = tmp_path / "landing"
    folder.mkdir()
    return folder


def assert_balanced(dsn: str) -> None:
    """The count invariant, checked against the tables themselves, for every loaded batch."""
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            """
            select b.batch_id, b.feed, b.rows_read, b.rows_loaded, b.rows_quarantined,
                   (select count(*) from audit.quarantine q where q.batch_id = b.batch_id),
                   coalesce((select count(*) from raw.pos_rows r where r.batch_id = b.batch_id), 0)
                 + coalesce((select count(*) from raw.incident_rows r where r.batch_id = b.batch_id), 0)
                 + coalesce((select count(*) from raw.register_rows r where r.batch_id = b.batch_id), 0)
                 + coalesce((select count(*) from raw.organizations_rows r where r.batch_id = b.batch_id), 0)
            from audit.load_batches b
            """
        ).fetchall()
    for batch_id, feed, read, loaded, quarantined, in_quarantine, in_raw in rows:
        assert (read or 0) == (loaded or 0) + (quarantined or 0), f"batch {batch_id} ({feed})"
        assert in_raw == (loaded or 0), f"batch {batch_id} ({feed}): raw holds {in_raw}, audit says {loaded}"
        assert in_quarantine == (quarantined or 0), f"batch {batch_id} ({feed})"


@pytest.fixture
def ingest(migrated_db: str) -> Callable[[Path], list[LoadResult]]:
    """Run ingestion on a landing folder against the test database, then check the count invariant."""

    def run(landing: Path) -> list[LoadResult]:
        results = ingest_landing(landing, dsn=migrated_db)
        assert_balanced(migrated_db)
        return results

    return run

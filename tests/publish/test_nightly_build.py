"""The nightly build costs what the night brought: incremental aggregates, checks on the night's rows only.

Nights of real files through the real loader, gate, dbt and mart suites (``run_night``); the marts they
publish night after night are compared with a rebuild from scratch of the same batches.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

import ingestion.publish
from ingestion.nightly import NightReport, run_night
from ingestion.publish import publish_marts
from tests.support import exports
from tests.support.exports import REGISTER_HEADERS, register_row, write_csv

pytestmark = pytest.mark.slow

UKHTA = "87725000"
AGGREGATES = ("agg_appeals_monthly", "agg_questions_monthly", "agg_appeal_profile_monthly")


@pytest.fixture(autouse=True)
def environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("APPEALS_HMAC_KEY", "nightly-build-test-key-" + "n" * 32)
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "dbt" / "target"))
    monkeypatch.setenv("DBT_LOG_PATH", str(tmp_path / "dbt" / "logs"))
    monkeypatch.setenv("APPEALS_DBT_THREADS", "4")


class Nights:
    def __init__(self, dsn: str, landing: Path, gate: object) -> None:
        self.dsn, self.landing, self.gate = dsn, landing, gate
        exports.organizations(landing)

    def register(self, name: str, numbers: range, **overrides: object) -> None:
        rows = [register_row(n, **{"ОКТМО": UKHTA, **overrides}) for n in numbers]
        write_csv(self.landing / "register" / UKHTA / name, REGISTER_HEADERS, rows)

    def run(self) -> NightReport:
        report = run_night(self.landing, self.dsn, gate=self.gate, data_docs=False)
        assert report.ok and report.publication and report.publication.published, report.render()
        return report

    def query(self, statement: str | sql.Composable, params: list | None = None) -> list[tuple]:
        with psycopg.connect(self.dsn) as conn:
            return conn.execute(statement, params or []).fetchall()

    def marts(self) -> dict[str, list[tuple]]:
        """Every aggregate, sorted, and the facts without their batch ids (which a rebuild keeps anyway)."""
        contents = {}
        for table in (*AGGREGATES, "fct_appeals", "fct_appeal_questions"):
            contents[table] = sorted(
                self.query(sql.SQL("select * from marts.{}").format(sql.Identifier(table))), key=repr
            )
        return contents


@pytest.fixture
def nights(migrated_db: str, tmp_path: Path, quality_gate: object) -> Iterator[Nights]:
    yield Nights(migrated_db, tmp_path / "landing", quality_gate)


def test_nights_build_incrementally_check_only_their_rows_and_equal_a_rebuild(nights: Nights) -> None:
    # the first two nights fill both copies of the marts (the swap leaves the other copy one night behind)
    nights.register("register_2024-01.csv", range(1, 21), date="15.01.2024")
    nights.run()
    nights.register("register_2024-02.csv", range(21, 41), date="10.02.2024")
    nights.run()
    candidate_newest = nights.query("select max(loaded_batch_id) from marts_next.fct_appeals")[0][0]

    # the third night: new appeals in March, and January's appeals 5–8 re-exported with another result
    nights.register("register_2024-03.csv", range(41, 61), date="05.03.2024")
    nights.register("register_2024-01.csv", range(1, 21), date="15.01.2024")  # unchanged: not loaded again
    nights.register("register_2024-01_corrections.csv", range(5, 9), date="15.01.2024", result="Поддержано")
    publication = nights.run().publication
    assert publication is not None and publication.dbt is not None and publication.marts_check is not None

    assert not publication.full_refresh
    kinds = {key.split()[0] for key in publication.dbt.counts}
    assert "seed" not in kinds and "unit_test" not in kinds, publication.dbt.counts
    assert publication.marts_check.since_batch == candidate_newest
    assert f"fact rows of batches after {candidate_newest}" in publication.marts_check.summary()
    details = nights.query(
        "select details from audit.publications where publication_id = %s", [publication.publication_id]
    )[0][0]
    assert details["since_batch"] == candidate_newest
    assert details["dbt_project_sha256"] == ingestion.publish.dbt_project_digest()
    # the views of the night's rows are gone: they would block the next build's drops
    assert nights.query("select count(*) from pg_views where schemaname = 'marts_new_rows'") == [(0,)]

    supported = nights.query(
        "select sum(questions) from marts.agg_questions_monthly where result_code = 'supported'"
        " and month_start = '2024-01-01'"
    )
    assert supported == [(4,)]
    nightly = nights.marts()

    rebuilt = publish_marts(nights.dsn, full_refresh=True)
    assert rebuilt.published and rebuilt.full_refresh, rebuilt.summary()
    kinds = {key.split()[0] for key in rebuilt.dbt.counts} if rebuilt.dbt else set()
    assert {"seed", "unit_test", "model", "test"} <= kinds
    assert rebuilt.marts_check is not None and rebuilt.marts_check.since_batch is None
    assert nights.marts() == nightly


def test_a_changed_dbt_project_rebuilds_the_candidate_from_scratch(
    nights: Nights, monkeypatch: pytest.MonkeyPatch
) -> None:
    for month in ("01", "02"):
        nights.register(f"register_2024-{month}.csv", range(int(month) * 100, int(month) * 100 + 5))
        nights.run()

    monkeypatch.setattr(ingestion.publish, "dbt_project_digest", lambda: "a newer project")
    nights.register("register_2024-03.csv", range(300, 305))
    publication = nights.run().publication

    assert publication is not None and publication.full_refresh
    assert publication.full_refresh_reason is not None
    assert "dbt project changed" in publication.full_refresh_reason
    kinds = {key.split()[0] for key in publication.dbt.counts} if publication.dbt else set()
    assert "seed" in kinds and "unit_test" in kinds
    assert nights.query("select count(*) from marts.fct_appeals") == [(15,)]


def test_an_appeal_that_moved_to_another_month_stops_the_night_and_the_next_rebuilds(nights: Nights) -> None:
    nights.register("register_2024-01.csv", range(1, 11), date="15.01.2024")
    nights.run()
    nights.register("register_2024-02.csv", range(11, 21), date="10.02.2024")
    nights.run()

    # appeal 3 re-exported with a February registration date: only February is recomputed, January still
    # counts it, and the totals against the facts say so
    nights.register("register_2024-01_fix.csv", range(3, 4), date="16.02.2024")
    report = run_night(nights.landing, nights.dsn, gate=nights.gate, data_docs=False)
    assert report.publication is not None and not report.publication.published
    assert "sums_to" in (report.publication.error or ""), report.publication.error

    # the next night rebuilds from scratch and publishes the right months
    again = nights.run().publication
    assert again is not None and again.full_refresh
    months = nights.query(
        "select month_start::text, sum(appeals) from marts.agg_appeals_monthly group by 1 order by 1"
    )
    assert months == [("2024-01-01", 9), ("2024-02-01", 11)]

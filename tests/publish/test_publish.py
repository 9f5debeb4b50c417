"""Write → audit → publish, night after night: rejected batches stay out, failed checks keep the previous marts.

Each test is a story of several nights on a database of its own: real files, the real loader, the real GX
gate, real dbt building the candidate schema, the real swap. What analysts see is read as ``analyst``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from ingestion.nightly import NightReport, run_night
from ingestion.publish import CANDIDATE_SCHEMA, PUBLISH_LOCK, PublishBusy, publish_marts
from tests.support import exports
from tests.support.exports import (
    INCIDENT_HEADERS,
    POS_HEADERS,
    REGISTER_HEADERS,
    pos_row,
    register_row,
    write_csv,
)
from tests.support.marts import marts_seen_by_analyst

pytestmark = pytest.mark.slow

UKHTA = "87725000"


@pytest.fixture(autouse=True)
def environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The HMAC key, and dbt artefacts of this test's own (tests may run beside other dbt runs)."""
    monkeypatch.setenv("APPEALS_HMAC_KEY", "publish-test-key-" + "p" * 32)
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "dbt" / "target"))
    monkeypatch.setenv("DBT_LOG_PATH", str(tmp_path / "dbt" / "logs"))
    monkeypatch.setenv("APPEALS_DBT_THREADS", "4")


class Nights:
    """One landing folder that files are added to, night after night, and the runs over it."""

    def __init__(self, dsn: str, landing: Path, gate: object) -> None:
        self.dsn, self.landing, self.gate = dsn, landing, gate
        exports.organizations(landing)

    def register(self, name: str, numbers: range, **overrides: object) -> None:
        rows = [register_row(n, **{"ОКТМО": UKHTA, **overrides}) for n in numbers]
        write_csv(self.landing / "register" / UKHTA / name, REGISTER_HEADERS, rows)

    def pos(self, name: str, rows: list[list]) -> None:
        write_csv(self.landing / "pos" / name, POS_HEADERS, rows)

    def run(self) -> NightReport:
        return run_night(self.landing, self.dsn, gate=self.gate, data_docs=False)

    def query(self, statement: str, params: list | None = None) -> list[tuple]:
        with psycopg.connect(self.dsn) as conn:
            return conn.execute(statement, params or []).fetchall()

    def statuses(self) -> dict[str, str]:
        return dict(self.query("select file_path, status from audit.load_batches order by batch_id"))


@pytest.fixture
def nights(migrated_db: str, tmp_path: Path, quality_gate: object) -> Iterator[Nights]:
    yield Nights(migrated_db, tmp_path / "landing", quality_gate)


def as_analyst(dsn: str, statement: str | sql.Composable) -> list[tuple]:
    with psycopg.connect(dsn) as conn:
        conn.execute("set role analyst")
        return conn.execute(statement).fetchall()


def test_a_rejected_batch_stays_out_while_other_feeds_publish_and_its_corrected_redelivery_publishes(
    nights: Nights,
) -> None:
    nights.register("register_2024-01.csv", range(1, 11))
    # two of ten messages name an organisation of no directory: more than the 1 % the gate tolerates
    bad = [pos_row(n) for n in range(100, 108)] + [
        pos_row(n, org="МКУ «Служба заказчика»") for n in (108, 109)
    ]
    nights.pos("pos_2024-01.csv", bad)

    first = nights.run()

    assert not first.ok
    assert first.problems == ["rejected by the gate: pos/pos_2024-01.csv (batch 2)"]
    assert first.publication is not None and first.publication.published, first.render()
    assert nights.statuses() == {
        "reference/organizations.csv": "published",
        f"register/{UKHTA}/register_2024-01.csv": "published",
        "pos/pos_2024-01.csv": "rejected",
    }
    error = nights.query("select error from audit.load_batches where file_path = 'pos/pos_2024-01.csv'")[0][0]
    assert "receiving_org" in error and "2 of 10 rows" in error and "МКУ «Служба заказчика»" in error
    assert as_analyst(nights.dsn, "select source_code, count(*) from marts.fct_appeals group by 1") == [
        ("register", 10)
    ]
    screen = first.render()
    assert "files     3: 3 loaded" in screen and "1 rejected; 1 check(s) failed" in screen
    assert "published: marts hold 10 appeals" in screen and "FAILED    1 problem(s)" in screen

    # the operator re-delivers the export corrected: the next night publishes it
    nights.pos("pos_2024-01_corrected.csv", [pos_row(n) for n in range(100, 110)])
    second = nights.run()

    assert second.ok, second.render()
    assert nights.statuses()["pos/pos_2024-01_corrected.csv"] == "published"
    assert nights.statuses()["pos/pos_2024-01.csv"] == "rejected"
    assert as_analyst(
        nights.dsn, "select source_code, count(*) from marts.fct_appeals group by 1 order by 1"
    ) == [
        ("pos", 10),
        ("register", 10),
    ]
    assert "\nOK\n" in second.render()


def test_a_warning_only_night_publishes_and_reports_the_warnings(nights: Nights) -> None:
    nights.register("register_2024-01.csv", range(1, 11))
    rows = [[*register_row(n, **{"ОКТМО": UKHTA}), "выгрузка 2"] for n in range(11, 21)]
    write_csv(
        nights.landing / "register" / UKHTA / "register_2024-02.csv",
        [*REGISTER_HEADERS, "Служебная отметка"],
        rows,
    )

    report = nights.run()

    assert report.ok, report.render()
    warned = [r for r in report.gate if r.warnings]
    assert [r.file for r in warned] == [f"register/{UKHTA}/register_2024-02.csv"]
    assert "Служебная отметка" in warned[0].warnings[0].message
    assert "1 warned in 1 batch(es)" in report.render()
    assert as_analyst(nights.dsn, "select count(*) from marts.fct_appeals") == [(20,)]


def test_a_defect_in_old_rows_keeps_the_previous_marts_byte_for_byte_until_the_next_good_night(
    nights: Nights,
) -> None:
    # two good nights: after the second, the candidate schema holds the first night's marts
    nights.register("register_2024-01.csv", range(1, 11))
    assert nights.run().ok
    nights.register("register_2024-02.csv", range(11, 21), date="15.02.2024")
    assert nights.run().ok
    before = marts_seen_by_analyst(nights.dsn)
    assert before["fct_appeals"].startswith("20:")

    # a defect leaves an appeal without questions among the candidate's older rows: the night's dbt tests
    # read the night's rows, and the mart suites' totals (whole tables) find the appeal nothing counted
    with psycopg.connect(nights.dsn) as conn:
        candidate = sql.Identifier(CANDIDATE_SCHEMA)
        conn.execute(
            sql.SQL("create temp table orphan as select * from {}.fct_appeals limit 1").format(candidate)
        )
        conn.execute("update orphan set appeal_id = 'register:orphan'")
        conn.execute(sql.SQL("insert into {}.fct_appeals select * from orphan").format(candidate))
    nights.register("register_2024-03.csv", range(21, 31), date="15.03.2024")
    third = nights.run()

    assert not third.ok and third.publication is not None and not third.publication.published
    assert "the mart suites failed" in third.publication.error and "sums_to" in third.publication.error
    assert marts_seen_by_analyst(nights.dsn) == before
    assert nights.statuses()[f"register/{UKHTA}/register_2024-03.csv"] == "validated"
    failed = nights.query("select status, error from audit.publications order by publication_id desc limit 1")
    assert failed[0][0] == "failed" and failed[0][1] == third.publication.error
    assert (
        "NOT published" in third.render()
        and "Analysts keep the previous marts (20 appeals)" in third.render()
    )

    # the next night rebuilds the candidate from scratch (it held an unpublished build) and publishes
    fourth = nights.run()

    assert fourth.ok, fourth.render()
    assert fourth.publication is not None and fourth.publication.full_refresh
    assert "was not published" in (fourth.publication.full_refresh_reason or "")
    assert as_analyst(nights.dsn, "select count(*) from marts.fct_appeals") == [(30,)]
    assert as_analyst(
        nights.dsn, "select count(*) from marts.fct_appeals where appeal_id like '%orphan'"
    ) == [(0,)]
    assert nights.statuses()[f"register/{UKHTA}/register_2024-03.csv"] == "published"


def test_the_swap_moves_the_readers_and_another_run_waits_its_turn(nights: Nights) -> None:
    nights.register("register_2024-01.csv", range(1, 6))
    assert nights.run().ok
    assert as_analyst(nights.dsn, "select count(*) from marts.fct_appeals") == [(5,)]
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        as_analyst(
            nights.dsn, sql.SQL("select count(*) from {}.dim_date").format(sql.Identifier(CANDIDATE_SCHEMA))
        )
    privileges = nights.query(
        "select nspname, has_schema_privilege('bi', oid, 'usage') from pg_namespace"
        " where nspname in ('marts', 'marts_next') order by 1"
    )
    assert privileges == [("marts", True), ("marts_next", False)]

    with psycopg.connect(nights.dsn, autocommit=True) as other:
        other.execute("select pg_advisory_lock(%s, %s)", PUBLISH_LOCK)
        with pytest.raises(PublishBusy, match="another run"):
            publish_marts(nights.dsn, gate=nights.gate)


INCIDENT = {
    "Дата публикации": "10.01.2024 09:15",
    "Соцсеть": "ВКонтакте",
    "Автор": "Иван Петров",
    "Текст": "Нет отопления",
    "Направление": "ЖКХ",
    "Муниципальное образование": 'МО ГО "Ухта"',
    "ОКТМО": "",
    "Статус": "Новый",
    "Спам": "Нет",
}


def incident_rows(numbers: range, **overrides: str) -> list[list[str]]:
    rows = [{**INCIDENT, "ID инцидента": str(n), **overrides} for n in numbers]
    return [[row[h] for h in INCIDENT_HEADERS] for row in rows]


def test_a_failing_mart_suite_keeps_the_previous_marts(nights: Nights) -> None:
    write_csv(
        nights.landing / "incident" / "incident_2024-01.csv", INCIDENT_HEADERS, incident_rows(range(1, 41))
    )
    assert nights.run().ok
    before = marts_seen_by_analyst(nights.dsn)

    # a re-export that flags 30 of the 40 incidents as spam: the candidate loses 75 % of the published appeals
    spam = incident_rows(range(1, 31), **{"Спам": "Да", "Статус": "Отклонен"})
    write_csv(nights.landing / "incident" / "incident_2024-01_reexport.csv", INCIDENT_HEADERS, spam)
    report = nights.run()

    assert report.gate and all(r.passed for r in report.gate), report.render()
    assert report.publication is not None and not report.publication.published
    assert "mart suites failed" in report.publication.error
    assert (
        "publish_guard" in report.publication.error
        and "10 appeals vs 40 published" in report.publication.error
    )
    assert marts_seen_by_analyst(nights.dsn) == before
    assert "NOT published" in report.render()

"""The report queries that read the monthly aggregates built for them — top questions
(``agg_question_topics_monthly``), personal reception (``agg_personal_reception_monthly``), ПОС
(``agg_appeal_outcomes_monthly``) and incidents (``agg_incident_response_monthly``) — give exactly what the
same queries gave over the facts (``tests/reports/fact_queries/``: the queries as they were), for every period,
territory, source set and top length, as the owner and as a municipal analyst; the aggregates hold the facts'
totals per month and territory; and an incremental build after a new batch gives the aggregates a full rebuild
gives."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

from ingestion import access
from ingestion.generate.truth import TRUTH_DIR, read_table
from ingestion.reports.queries import load_queries, report_params, tables_read
from ingestion.warehouse.connection import with_user
from tests.dbt.conftest import Built, Warehouse, generate_landing

pytestmark = pytest.mark.slow

FACT_QUERIES = Path(__file__).resolve().parent / "fact_queries"
AGGREGATES = {
    "top_topics": "agg_question_topics_monthly",
    "personal_reception": "agg_personal_reception_monthly",
    "pos_messages_vs_official": "agg_appeal_outcomes_monthly",
    "incidents_by_network_and_status": "agg_incident_response_monthly",
}
UKHTA, TOMSK = "87725000", "69701000"
KOMI, TOMSK_REGION = "87000000", "69000000"


def fact_query(name: str) -> str:
    return (FACT_QUERIES / f"{name}.sql").read_text(encoding="utf-8")


def result(conn: psycopg.Connection, code: str, params: dict[str, Any]) -> tuple[list, list]:
    """The columns (name, type) and the rows, each value with its Python type: equal only when identical."""
    with conn.cursor() as cursor:
        cursor.execute(code, params)
        columns = [(c.name, c.type_code) for c in cursor.description]
        rows = [tuple((type(v).__name__, v) for v in row) for row in cursor.fetchall()]
    return columns, rows


@pytest.fixture(scope="module")
def conn(built_year: Built) -> Iterator[psycopg.Connection]:
    with psycopg.connect(built_year.warehouse.dsn, autocommit=True) as connection:
        yield connection


@pytest.fixture(scope="module")
def elsewhere(conn: psycopg.Connection) -> str:
    """A municipality of Коми without appeals: the queries' empty answers must agree too."""
    row = conn.execute(
        """
        select oktmo from marts.dim_territory
        where level = 'municipality' and region_oktmo = %s and oktmo <> %s
            and territory_key not in (select territory_key from marts.fct_appeals)
        order by oktmo limit 1
        """,
        [KOMI, UKHTA],
    ).fetchone()
    assert row
    return row[0]


def test_the_queries_read_their_aggregates_and_no_facts() -> None:
    queries = load_queries()
    for name, aggregate in AGGREGATES.items():
        assert aggregate in tables_read(queries[name]), name
        assert "fct_appeals" in tables_read(fact_query(name)) or "fct_appeal_questions" in tables_read(
            fact_query(name)
        )
    for name, code in queries.items():
        assert not tables_read(code) & {"fct_appeals", "fct_appeal_questions"}, name


@pytest.mark.parametrize("name", sorted(AGGREGATES))
def test_every_period_and_territory_gives_what_the_facts_gave(
    conn: psycopg.Connection, elsewhere: str, name: str
) -> None:
    new, old = load_queries()[name], fact_query(name)
    compared = 0
    for territory in (None, UKHTA, TOMSK, KOMI, TOMSK_REGION, elsewhere):
        for quarter in (None, 1, 2, 3):
            for year in (2024, 2023):
                params = report_params(year, quarter=quarter, territory=territory)
                expected = result(conn, old, params)
                assert result(conn, new, params) == expected, (name, params)
                compared += len(expected[1])
    assert compared > 0


def test_every_month_of_a_municipality_gives_what_the_facts_gave(conn: psycopg.Connection) -> None:
    """Small periods: few incidents per network and result, odd and even counts (the median's two cases)."""
    queries = load_queries()
    medians = set()
    for name in AGGREGATES:
        for territory in (UKHTA, TOMSK):
            for month in range(1, 13):
                params = {**report_params(2024, territory=territory), "through_month": month}
                expected = result(conn, fact_query(name), params)
                assert result(conn, queries[name], params) == expected, (name, params)
                if name == "incidents_by_network_and_status":
                    medians |= {row[-1][1] for row in expected[1]}
    assert len(medians) > 20


def test_top_topics_of_every_source_set_and_length(conn: psycopg.Connection) -> None:
    new, old = load_queries()["top_topics"], fact_query("top_topics")
    for sources in (["register"], ["pos"], ["incident"], ["register", "pos", "incident"], ["nothing"]):
        for top_n in (1, 3, 10, 50):
            for territory in (None, TOMSK):
                params = report_params(2024, quarter=2, sources=sources, territory=territory, top_n=top_n)
                assert result(conn, new, params) == result(conn, old, params), params


def test_a_municipal_analyst_gets_what_the_facts_gave_it(built_year: Built, conn: psycopg.Connection) -> None:
    """Row-level security: a role granted Томск reads only Томск's aggregate rows, as it read the facts."""
    role = f"mo_test_{uuid.uuid4().hex[:10]}"
    dsn = built_year.warehouse.dsn
    access.grant(dsn, role, [TOMSK])
    try:
        with psycopg.connect(with_user(dsn, role), autocommit=True) as municipal:
            for name in AGGREGATES:
                params = report_params(2024)
                seen = result(municipal, load_queries()[name], params)
                assert seen == result(municipal, fact_query(name), params), name
                tomsk = report_params(2024, territory=TOMSK)
                assert seen == result(conn, load_queries()[name], tomsk), name
    finally:
        with psycopg.connect(dsn, autocommit=True) as owner:
            owner.execute("delete from access.territory_grants where role_name = %s", [role])
            owner.execute(sql.SQL("drop role if exists {}").format(sql.Identifier(role)))


# -- the aggregates hold the facts ---------------------------------------------------------------------------

TOTALS = {
    # aggregate: (its totals per month and territory, the facts' totals at the same grain)
    "agg_question_topics_monthly": (
        "select month_start, territory_key, source_code, sum(questions)"
        " from marts.agg_question_topics_monthly group by 1, 2, 3",
        "select cast(date_trunc('month', received_date) as date), territory_key, source_code, count(*)"
        " from marts.fct_appeal_questions group by 1, 2, 3",
    ),
    "agg_appeal_outcomes_monthly": (
        "select month_start, territory_key, source_code, is_official_appeal, final_result_code,"
        " sum(appeals), sum(overdue_appeals), sum(rating_sum), sum(ratings)"
        " from marts.agg_appeal_outcomes_monthly group by 1, 2, 3, 4, 5",
        "select cast(date_trunc('month', received_date) as date), territory_key, source_code,"
        " is_official_appeal, final_result_code,"
        " count(*), count(*) filter (where is_overdue), coalesce(sum(rating), 0), count(rating)"
        " from marts.fct_appeals group by 1, 2, 3, 4, 5",
    ),
    "agg_personal_reception_monthly": (
        "select month_start, territory_key, received_by, section_code, sum(appeals), sum(questions)"
        " from marts.agg_personal_reception_monthly group by 1, 2, 3, 4",
        "select cast(date_trunc('month', a.received_date) as date), a.territory_key, a.received_by,"
        " t.section_code, count(distinct a.appeal_id), count(*)"
        " from marts.fct_appeals as a join marts.fct_appeal_questions as q using (appeal_id)"
        " join marts.dim_topic as t on q.topic_code = t.topic_code"
        " where a.source_code = 'register' and a.channel_code in ('personal_reception', 'field_reception')"
        " group by 1, 2, 3, 4",
    ),
    "agg_incident_response_monthly": (
        "select month_start, territory_key, social_network, final_result_code,"
        " sum(incidents), coalesce(sum(incidents) filter (where response_hours is not null), 0),"
        " sum(incidents * response_hours)"
        " from marts.agg_incident_response_monthly group by 1, 2, 3, 4",
        "select cast(date_trunc('month', received_date) as date), territory_key, social_network,"
        " final_result_code, count(*), count(response_hours), sum(response_hours)"
        " from marts.fct_appeals where source_code = 'incident' group by 1, 2, 3, 4",
    ),
}


def totals(warehouse: Warehouse, aggregate: str) -> tuple[Counter, Counter]:
    mart, facts = TOTALS[aggregate]
    return Counter(warehouse.query(mart)), Counter(warehouse.query(facts))


@pytest.mark.parametrize("aggregate", sorted(TOTALS))
def test_an_aggregate_holds_the_facts_per_month_and_territory(built_year: Built, aggregate: str) -> None:
    in_mart, in_facts = totals(built_year.warehouse, aggregate)
    assert in_mart == in_facts
    assert len(in_facts) > 20  # months × territories × …: the comparison is not a trivial one
    assert len({(row[0], row[1]) for row in in_facts}) >= 20  # most of 12 months × two municipalities


def test_the_aggregates_are_smaller_than_the_facts(built_year: Built) -> None:
    """Even on the thin generated year (about 120 appeals a month and municipality); at 1M appeals the
    aggregates hold 1/12 to 1/230 of the rows they replace (docs/marts.md)."""
    warehouse = built_year.warehouse
    [(appeals, questions, incidents, reception)] = warehouse.query(
        """
        select
            (select count(*) from marts.fct_appeals),
            (select count(*) from marts.fct_appeal_questions),
            (select count(*) from marts.fct_appeals where source_code = 'incident'),
            (select count(*) from marts.fct_appeals
             where source_code = 'register' and channel_code in ('personal_reception', 'field_reception'))
        """
    )
    rows = {
        aggregate: warehouse.query(
            sql.SQL("select count(*) from marts.{}").format(sql.Identifier(aggregate))
        )[0][0]
        for aggregate in AGGREGATES.values()
    }
    assert all(rows.values()), rows
    assert rows["agg_appeal_outcomes_monthly"] < appeals / 5
    assert rows["agg_question_topics_monthly"] < questions / 2
    assert rows["agg_personal_reception_monthly"] <= reception
    # one row per distinct response time of a month, territory, network and result: at most the incidents
    assert rows["agg_incident_response_monthly"] <= incidents


# -- incremental by month --------------------------------------------------------------------------------------


READS_MONTHS_OF = {
    # aggregate: the facts whose new rows' months it recomputes (in_changed_months)
    "agg_question_topics_monthly": "fct_appeal_questions",
    "agg_personal_reception_monthly": "fct_appeal_questions",
    "agg_appeal_outcomes_monthly": "fct_appeals",
    "agg_incident_response_monthly": "fct_appeals",
}


def mart_rows(warehouse: Warehouse, table: str) -> Counter:
    return Counter(warehouse.query(sql.SQL("select * from marts.{}").format(sql.Identifier(table))))


def versions(warehouse: Warehouse, table: str) -> dict[date, set[str]]:
    """Per month, the transaction ids that wrote its rows (xmin): a month rewritten gets new ones."""
    found: dict[date, set[str]] = {}
    for month, xmin in warehouse.query(
        sql.SQL("select month_start, xmin::text from marts.{}").format(sql.Identifier(table))
    ):
        found.setdefault(month, set()).add(xmin)
    return found


def test_an_incremental_build_after_a_new_batch_equals_a_full_rebuild(
    warehouse_factory, tmp_path: Path
) -> None:
    """Four months loaded, the marts built; the fifth month's exports (which re-export earlier records) loaded
    and the marts built again, incrementally: the aggregates recompute the months of the new fact rows only,
    and equal what a full rebuild of them from the same facts gives."""
    landing = generate_landing(tmp_path / "generated", date(2024, 5, 31), rows=900, seed=23)
    files = read_table(landing / TRUTH_DIR / "files.csv")
    periods = sorted({f["period"] for f in files if f["period"]})
    assert len(periods) == 5
    first = tmp_path / "first"
    for path in ["reference/organizations.csv"] + [f["path"] for f in files if f["period"] != periods[-1]]:
        (first / path).parent.mkdir(parents=True, exist_ok=True)
        (first / path).write_bytes((landing / path).read_bytes())

    warehouse = warehouse_factory()
    warehouse.ingest(first)
    warehouse.dbt("build")
    [(since,)] = warehouse.query("select max(loaded_batch_id) from marts.fct_appeals")
    before = {table: versions(warehouse, table) for table in AGGREGATES.values()}

    warehouse.ingest(landing)  # the last month's files: new batches
    upstream = [f"+{table}" for table in AGGREGATES.values()]  # the facts, and these aggregates
    warehouse.dbt("run", "--select", *upstream, "--vars", json.dumps({"since_batch": since}))
    changed = {
        facts: {
            month
            for (month,) in warehouse.query(
                sql.SQL(
                    "select distinct cast(date_trunc('month', received_date) as date) from marts.{}"
                    " where loaded_batch_id > %s"
                ).format(sql.Identifier(facts)),
                (since,),
            )
        }
        for facts in ("fct_appeals", "fct_appeal_questions")
    }
    for months in changed.values():
        assert date(2024, 5, 1) in months and date(2024, 1, 1) not in months, months
    incremental = {table: mart_rows(warehouse, table) for table in AGGREGATES.values()}
    for table in AGGREGATES.values():
        recomputed = changed[READS_MONTHS_OF[table]]
        after = versions(warehouse, table)
        for month, xmins in after.items():
            if month in recomputed:
                assert not xmins & before[table].get(month, set()), (table, month, "not recomputed")
            else:
                assert xmins == before[table][month], (table, month, "recomputed, though unchanged")

    warehouse.dbt("run", "--select", *AGGREGATES.values(), "--full-refresh")
    for table in AGGREGATES.values():
        assert incremental[table] == mart_rows(warehouse, table), table
        in_mart, in_facts = totals(warehouse, table)
        assert in_mart == in_facts, table

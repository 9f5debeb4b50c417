"""Every card of docker/metabase/dashboard.json against a real built warehouse, connected as the role ``bi``.

The warehouse is the dbt tests' session build (``built_year``: 2024, two municipalities). Each card's SQL is run
the way the benchmark runs it (Metabase template syntax turned into psycopg parameters), logged in as ``bi`` —
the login Metabase uses, not ``set role``: the test and embedded servers trust local connections, so ``bi``
needs no password here. Each card must return rows, have the columns its visualisation names, and read
nothing but the ``marts`` tables it declares (from its plan).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from psycopg import sql

from ingestion.bench.dashboard_queries import DASHBOARD_CARDS, FILTERS, card_sql, render
from ingestion.warehouse.connection import with_user
from tests.dbt.conftest import Built, built_year, warehouse_factory  # noqa: F401 (fixtures)

pytestmark = pytest.mark.slow

DRILL_DOWN = "latest_appeals_of_a_municipality"


@pytest.fixture(scope="module")
def bi(built_year: Built) -> Iterator[psycopg.Connection]:  # noqa: F811
    """A connection to the built warehouse, logged in as bi."""
    try:
        conn = psycopg.connect(with_user(built_year.warehouse.dsn, "bi"), autocommit=True)
    except psycopg.OperationalError as error:
        pytest.skip(f"cannot log in as bi without a password on this server: {error}")
    with conn:
        assert conn.execute("select session_user, current_user").fetchone() == ("bi", "bi")
        yield conn


@pytest.fixture(scope="module")
def filters(bi: psycopg.Connection) -> dict[str, Any]:
    """The dashboard's filter values as the benchmark picks them (the municipality with most appeals)."""
    values = {name: bi.execute(query).fetchone()[0] for name, query in FILTERS.items()}
    assert all(values.values()), values
    return values


def relations(plan: Any) -> set[str]:
    """Every table a plan (EXPLAIN FORMAT JSON) reads, as schema.name."""
    found = set()
    if isinstance(plan, dict):
        if "Relation Name" in plan:
            found.add(f"{plan['Schema']}.{plan['Relation Name']}")
        for value in plan.values():
            found |= relations(value)
    elif isinstance(plan, list):
        for value in plan:
            found |= relations(value)
    return found


def columns_named(settings: dict[str, Any]) -> set[str]:
    """The result columns a card's visualisation settings refer to."""
    named = set(settings.get("graph.dimensions", [])) | set(settings.get("graph.metrics", []))
    named |= {settings[key] for key in ("scalar.field", "pie.dimension", "pie.metric") if key in settings}
    named |= {key.split('"')[3] for key in settings.get("column_settings", {})}  # ["name","<column>"]
    return named


@pytest.mark.parametrize("key", list(DASHBOARD_CARDS))
def test_card_runs_as_bi_and_reads_only_its_marts(bi: psycopg.Connection, filters: dict, key: str) -> None:
    card = DASHBOARD_CARDS[key]
    query, params = render(card_sql(card), filters)
    cursor = bi.execute(query, params)
    rows = cursor.fetchall()
    names = [column.name for column in cursor.description]
    assert rows, f"{key} returned no rows"
    named = columns_named(card["visualization_settings"])
    for place in card["dashcards"]:
        named |= columns_named(place.get("visualization_settings", {}))
    assert named <= set(names), f"{key}: settings name columns the query lacks: {named - set(names)}"
    explain = sql.SQL("explain (format json, verbose) {}").format(sql.SQL(query))  # the card's own SQL
    [[plan]] = bi.execute(explain, params).fetchall()
    assert relations(plan) == set(card["reads"]), key


def test_drill_down_with_and_without_the_municipality(bi: psycopg.Connection, filters: dict) -> None:
    template = card_sql(DASHBOARD_CARDS[DRILL_DOWN])
    query, params = render(template, filters)
    picked = bi.execute(query, params).fetchall()
    assert picked and {row[2] for row in picked} == {filters["municipality_oktmo"]}
    assert [row[1] for row in picked] == sorted((row[1] for row in picked), reverse=True)
    query, params = render(template, {"municipality_oktmo": None})
    assert params == {} and "oktmo =" not in query
    everywhere = bi.execute(query).fetchall()
    assert len(everywhere) == 100 and len({row[2] for row in everywhere}) > 1


def test_the_benchmark_queries_run_with_its_filters(bi: psycopg.Connection, filters: dict) -> None:
    """DASHBOARD_QUERIES as ingestion/bench/suite.py runs them: every filter value passed to every query."""
    from ingestion.bench.dashboard_queries import DASHBOARD_QUERIES

    for key, query in DASHBOARD_QUERIES.items():
        assert bi.execute(query, filters).fetchall(), key

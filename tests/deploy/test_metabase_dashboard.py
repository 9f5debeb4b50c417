"""docker/metabase/dashboard.json — the dashboard's definition — and its SQL as the benchmark runs it.

Static checks of the file (cards, grid, filters, the marts each card may read), the conversion of Metabase's
template syntax to psycopg parameters, and the compose file handing the definition to ``metabase-init``.
The SQL against a built warehouse: tests/deploy/test_metabase_dashboard_sql.py.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from ingestion.bench.dashboard_queries import (
    DASHBOARD_CARDS,
    DASHBOARD_QUERIES,
    FILTERS,
    card_sql,
    dashboard_path,
    render,
    template_tags,
    to_psycopg,
)
from tests.deploy.deployfiles import DOCKER, load_compose, services

DEFINITION: dict[str, Any] = json.loads((DOCKER / "metabase" / "dashboard.json").read_text(encoding="utf-8"))
DRILL_DOWN = "latest_appeals_of_a_municipality"
DISPLAYS = {"line", "bar", "row", "area", "combo", "pie", "table", "scalar", "smartscalar", "map", "object"}


def test_the_benchmark_reads_the_dashboard_file() -> None:
    assert dashboard_path() == DOCKER / "metabase" / "dashboard.json"
    assert list(DASHBOARD_QUERIES) == [card["key"] for card in DEFINITION["cards"]]
    assert set(DASHBOARD_QUERIES) >= {
        "volume_by_month_and_channel",
        "top_topics",
        "results",
        "overdue_share",
        "appeals_by_territory",
        "kpi_this_month",
        "latest_appeals_of_a_municipality",
    }
    for key, query in DASHBOARD_QUERIES.items():
        assert "{{" not in query and "[[" not in query, key
    assert "and f.oktmo = %(municipality_oktmo)s" in DASHBOARD_QUERIES[DRILL_DOWN]


def test_every_card_is_described_and_fits_the_grid() -> None:
    assert DEFINITION["collection"]["name"] == DEFINITION["dashboard"]["name"] == "Обращения граждан"
    assert DEFINITION["dashboard"]["description"]
    keys = [card["key"] for card in DEFINITION["cards"]]
    names = [card["name"] for card in DEFINITION["cards"]]
    assert len(set(keys)) == len(keys) and len(set(names)) == len(names)
    cells: dict[tuple[int, int], str] = {}
    for card in DEFINITION["cards"]:
        assert card["key"].isidentifier() and card["key"].islower(), card["key"]
        assert card["name"].strip() and card["description"].strip(), card["key"]
        assert card["display"] in DISPLAYS, card["key"]
        assert card["dashcards"], f"{card['key']} is not on the dashboard"
        for place in card["dashcards"]:
            assert place["row"] >= 0 and place["col"] >= 0, card["key"]
            assert place["size_x"] >= 1 and place["size_y"] >= 1, card["key"]
            assert place["col"] + place["size_x"] <= 24, f"{card['key']}: wider than Metabase's 24 columns"
            for row in range(place["row"], place["row"] + place["size_y"]):
                for col in range(place["col"], place["col"] + place["size_x"]):
                    assert (row, col) not in cells, f"{card['key']} overlaps {cells[(row, col)]}"
                    cells[(row, col)] = card["key"]


def test_cards_read_aggregates_and_dimensions_only_except_the_drill_down() -> None:
    for card in DEFINITION["cards"]:
        sql = card_sql(card)
        for table in card["reads"]:
            schema, _, name = table.partition(".")
            assert schema == "marts" and name in sql, f"{card['key']}: {table}"
        if card["key"] != DRILL_DOWN:
            assert all(t.split(".")[1].startswith(("agg_", "dim_")) for t in card["reads"]), card["key"]
            assert "fct_" not in sql, card["key"]
    assert "marts.fct_appeals" in DASHBOARD_CARDS[DRILL_DOWN]["reads"]
    results = DASHBOARD_CARDS["results"]
    assert "marts.agg_questions_monthly" in results["reads"] and "measures_taken" in card_sql(results)


def test_the_filter_is_a_dashboard_parameter_wired_to_the_drill_down() -> None:
    parameters = DEFINITION["dashboard"]["parameters"]
    assert [p["slug"] for p in parameters] == ["municipality_oktmo"]
    assert {p["slug"] for p in parameters} == set(FILTERS), "the benchmark sets every filter"
    for parameter in parameters:
        assert parameter["id"] and parameter["name"] and parameter["type"] == "string/="
    used = {key: template_tags(card_sql(card)) for key, card in DASHBOARD_CARDS.items()}
    assert {key for key, tags in used.items() if tags} == {DRILL_DOWN}
    assert used[DRILL_DOWN] == ["municipality_oktmo"]


def test_metabase_init_gets_the_definition_next_to_the_script() -> None:
    volumes = services(load_compose())["metabase-init"]["volumes"]
    assert "./metabase/register_warehouse.py:/opt/bootstrap/register_warehouse.py:ro" in volumes
    assert "./metabase/dashboard.json:/opt/bootstrap/dashboard.json:ro" in volumes


# ---------------------------------------------------------------------------------------------------
# Metabase template syntax → psycopg
# ---------------------------------------------------------------------------------------------------

QUERY = "select * from marts.t where true [[and a = {{a}}]] [[and b between {{ a }} and {{b}}]] and c = {{c}}"


def test_variables_become_named_placeholders() -> None:
    assert to_psycopg("select {{x}}, {{ y }}, {{x}}", {"x", "y"}) == "select %(x)s, %(y)s, %(x)s"
    assert template_tags(QUERY) == ["a", "b", "c"]


def test_optional_clauses_kept_with_values_and_left_out_without() -> None:
    assert to_psycopg(QUERY, {"a", "b", "c"}) == (
        "select * from marts.t where true and a = %(a)s and b between %(a)s and %(b)s and c = %(c)s"
    )
    assert to_psycopg(QUERY, {"a", "c"}) == "select * from marts.t where true and a = %(a)s  and c = %(c)s"
    assert to_psycopg(QUERY, set()) == "select * from marts.t where true   and c = %(c)s"


def test_literal_percent_signs_are_escaped() -> None:
    assert to_psycopg("select 'a%' [[, {{x}} || '%']]", {"x"}) == "select 'a%%' , %(x)s || '%%'"
    assert to_psycopg("select 'a%' [[, {{x}} || '%']]", ()) == "select 'a%%' "


def test_render_gives_the_query_and_only_the_parameters_it_uses() -> None:
    query, params = render(QUERY, {"a": "1", "b": None, "c": 3, "unused": 4})
    assert query == "select * from marts.t where true and a = %(a)s  and c = %(c)s"
    assert params == {"a": "1", "c": 3}
    _, params = render(QUERY, {"a": "", "b": "2", "c": 3})
    assert params == {"c": 3}, "an empty text filter is no value, like in Metabase"
    with pytest.raises(ValueError, match="required filter"):
        render(QUERY, {"a": "1"})


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("select 1 [[and a = {{a}}", "unbalanced"),
        ("select 1 and a = {{a}}]]", "unbalanced"),
        ("select 1 [[and [[a = {{a}}]] ]]", "unbalanced or nested"),
        ("select 1 [[and true]]", "has no"),
        ("select * from {{#12-orders}}", "unsupported template tag"),
        ("select 1 {{snippet: period}}", "unsupported template tag"),
    ],
)
def test_unsupported_templates_are_refused(sql: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        to_psycopg(sql, {"a"})

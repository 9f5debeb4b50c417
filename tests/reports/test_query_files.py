"""The report query files themselves (no database): each is documented, takes only the report's parameters,
reads only ``marts`` tables, and the dbt exposures name every query and every mart it reads."""

from __future__ import annotations

import re

import pytest
import yaml

from ingestion.bench.dashboard_queries import DASHBOARD_QUERIES
from ingestion.reports.queries import (
    QUERIES_DIR,
    load_queries,
    report_params,
    tables_read,
    through_month,
    with_values,
)
from ingestion.settings import load_settings

PARAMETERS = set(report_params(2024))
REF = re.compile(r"ref\('(\w+)'\)")


@pytest.fixture(scope="module")
def exposures() -> dict[str, dict]:
    path = load_settings().dbt_project_dir / "models" / "marts" / "_exposures.yml"
    with path.open(encoding="utf-8") as handle:
        return {e["name"]: e for e in yaml.safe_load(handle)["exposures"]}


def test_the_queries_moved_out_of_dbt() -> None:
    dbt = load_settings().dbt_project_dir
    assert not list((dbt / "analyses").glob("*.sql"))
    assert not (dbt / "macros" / "reports.sql").exists()
    assert len(load_queries()) == 12 and "appeals_by_origin_and_quarter" in load_queries()


@pytest.mark.parametrize("name", sorted(load_queries()))
def test_a_query_is_documented_and_parameterised(name: str) -> None:
    code = load_queries()[name]
    header = [line for line in code.splitlines() if line.startswith("--")]
    assert header and code.startswith("--"), name
    parameters = next(line for line in header if "Параметры / parameters:" in line)
    used = set(re.findall(r"%\((\w+)\)s", code))
    assert used <= PARAMETERS, used - PARAMETERS
    assert used == {p.strip(" .") for p in parameters.split(":", 1)[1].split(",")}, name
    assert "{{" not in code and "{%" not in code  # no jinja left
    assert tables_read(code), name
    assert not re.search(r"\b(raw|staging|intermediate|audit|quality|marts_next)\.", code), "marts only"
    assert (QUERIES_DIR / f"{name}.sql").read_text(encoding="utf-8") == code


def test_each_query_reads_only_the_marts_its_exposures_name(exposures: dict[str, dict]) -> None:
    assert set(exposures) == {"annual_report_tables", "quarterly_report", "appeals_monthly_dashboard"}
    assert {e["owner"]["name"] for e in exposures.values()} == {"Committee analysts"}
    assert exposures["appeals_monthly_dashboard"]["type"] == "dashboard"
    assert "ref('agg_appeals_monthly')" in exposures["appeals_monthly_dashboard"]["depends_on"]
    queries = load_queries()
    covered = set()
    for exposure in exposures.values():
        depends_on = {REF.fullmatch(ref).group(1) for ref in exposure["depends_on"]}
        for name in exposure.get("config", {}).get("meta", {}).get("queries", []):
            assert tables_read(queries[name]) <= depends_on, (exposure["name"], name)
            covered.add(name)
        assert "analyses" not in exposure.get("config", {}).get("meta", {})
    assert covered == set(queries)


def test_the_dashboard_exposure_names_every_mart_the_dashboard_reads(exposures: dict[str, dict]) -> None:
    depends_on = {REF.fullmatch(ref).group(1) for ref in exposures["appeals_monthly_dashboard"]["depends_on"]}
    read = set().union(*(tables_read(code) for code in DASHBOARD_QUERIES.values()))
    assert read == depends_on


def test_the_period_of_a_quarter_is_cumulative() -> None:
    assert [through_month(q) for q in (None, 1, 2, 3, 4)] == [12, 3, 6, 9, 12]
    assert report_params(2024) == {
        "year": 2024,
        "compare_year": 2023,
        "through_month": 12,
        "sources": ["register"],
        "territory": None,
        "top_n": 10,
    }
    with pytest.raises(ValueError):
        through_month(5)


def test_a_query_with_its_values_for_psql() -> None:
    code = with_values(
        load_queries()["top_topics"], report_params(2024, quarter=1, territory="69701000", top_n=5)
    )
    assert "%(" not in code
    assert "access.territory_keys('69701000')" in code and "any('{register}')" in code
    assert "make_interval(months => 3)" in code and "topic_rank <= 5" in code
    every = with_values(load_queries()["top_topics"], report_params(2024))
    assert "access.territory_keys(NULL)" in every

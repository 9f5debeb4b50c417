"""The report queries: parameterised SQL over ``marts``, run with psycopg 3 (no dbt at run time).

Each ``<name>.sql`` here is one table of the report analysts publish. Every query receives the same parameters
(:func:`report_params`) and uses those it needs:

``year``           the report year;
``compare_year``   the comparison year (default ``year - 1``);
``through_month``  the period is January to this month of each year (a quarter ``N`` of the report: ``3 * N``;
                   12 for the whole year); the comparison year is cut at the same month;
``sources``        the source codes counted (``text[]``; default ``['register']``); the ПОС and incident tables
                   keep their own source;
``territory``      an ОКТМО code (region, municipality or settlement): its rows and those of every territory
                   under it (``territory_key in (select access.territory_keys(…))``); ``None``: every row (the
                   queries skip the filter then: ``cast(%(territory)s as text) is null or …``);
``top_n``          how many top questions (default 10).

The queries run as whoever connects: a municipal analyst's role sees only its territories (row-level security).
``python -m ingestion.reports.queries NAME --year 2024 …`` prints a query with the values filled in, for psql.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

QUERIES_DIR = Path(__file__).resolve().parent
"""Where the ``*.sql`` files are."""

DEFAULT_SOURCES: tuple[str, ...] = ("register",)
DEFAULT_TOP_N = 10

_PLACEHOLDER = re.compile(r"%\((\w+)\)s|%%")
_MARTS_TABLE = re.compile(r"\bmarts\.(\w+)")


@cache
def _read(name: str) -> str:
    path = QUERIES_DIR / f"{name}.sql"
    if not path.is_file():
        raise KeyError(f"no report query {name!r}; known: {sorted(query_names())}")
    return path.read_text(encoding="utf-8")


def query_names() -> list[str]:
    """The names of the report queries (file stems), sorted."""
    return sorted(path.stem for path in QUERIES_DIR.glob("*.sql"))


def load_queries() -> dict[str, str]:
    """Every report query: name → SQL (with ``%(name)s`` placeholders), sorted by name."""
    return {name: _read(name) for name in query_names()}


def tables_read(code: str) -> set[str]:
    """The ``marts`` tables a query's SQL names (``marts.<table>``)."""
    return set(_MARTS_TABLE.findall(code))


def through_month(quarter: int | None) -> int:
    """The last month of the cumulative period: a quarter N of the report ends in month 3·N; no quarter: 12."""
    if quarter is None:
        return 12
    if quarter not in (1, 2, 3, 4):
        raise ValueError(f"quarter must be 1..4, got {quarter}")
    return 3 * quarter


def report_params(
    year: int,
    *,
    compare_year: int | None = None,
    quarter: int | None = None,
    sources: Sequence[str] = DEFAULT_SOURCES,
    territory: str | None = None,
    top_n: int = DEFAULT_TOP_N,
) -> dict[str, Any]:
    """The parameters every report query receives (see the module's docstring)."""
    return {
        "year": int(year),
        "compare_year": int(compare_year) if compare_year is not None else int(year) - 1,
        "through_month": through_month(quarter),
        "sources": list(sources),
        "territory": territory,
        "top_n": int(top_n),
    }


def run_query(conn: psycopg.Connection, name: str, params: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Run the report query ``name`` with ``params`` on ``conn``; its rows as dicts (column → value)."""
    with conn.cursor(row_factory=dict_row) as cursor:
        cursor.execute(_read(name), dict(params))
        return cursor.fetchall()


def with_values(code: str, params: Mapping[str, Any]) -> str:
    """The query with its parameters written in as SQL literals: to paste into psql or a BI tool's editor."""

    def literal(match: re.Match[str]) -> str:
        if match.group(0) == "%%":
            return "%"
        name = match.group(1)
        if name not in params:
            raise KeyError(f"the query needs the parameter {name!r}")
        return sql.Literal(params[name]).as_string(None)

    return _PLACEHOLDER.sub(literal, code)

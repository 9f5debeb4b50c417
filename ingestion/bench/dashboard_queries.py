"""The queries a dashboard over ``marts`` sends (Metabase, Superset, DataLens): what the benchmark times.

One source: the cards of the Metabase dashboard in ``docker/metabase/dashboard.json`` (imported into Metabase
by ``docker/metabase/register_warehouse.py``; described in docs/bi.md). Each card's native SQL is written in
Metabase's template syntax — ``{{name}}`` for a dashboard filter, ``[[ … ]]`` around a clause that applies only
while its filter has a value — and turned here into a psycopg query: ``{{name}}`` → ``%(name)s``, an optional
clause kept when its filters have values and left out otherwise (:func:`to_psycopg`, :func:`render`).

Every card reads the aggregates (``agg_appeals_monthly``, ``agg_questions_monthly``) and the dimensions, except
the drill-down (``latest_appeals_of_a_municipality``), which reads ``fct_appeals`` by ОКТМО. The dashboard's
period is the 12 months up to the newest month the marts hold.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

from ingestion.settings import project_root

DASHBOARD_FILE = Path("docker") / "metabase" / "dashboard.json"
"""The dashboard definition, relative to the project checkout."""

# What the dashboard's filters are set to while the benchmark times the queries, as a BI tool sends them:
# literal values, looked up once before the queries are timed (here: the municipality with the most appeals).
# One entry per parameter (slug) of the dashboard.
FILTERS: dict[str, str] = {
    "municipality_oktmo": """
        select t.municipality_oktmo
        from marts.agg_appeals_monthly as a
        join marts.dim_territory as t using (territory_key)
        where t.municipality_oktmo is not null
        group by 1
        order by sum(a.appeals) desc
        limit 1
    """,
}

_OPTIONAL = re.compile(r"\[\[(.*?)\]\]", re.DOTALL)
_TAG = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def dashboard_path() -> Path:
    """``docker/metabase/dashboard.json`` of the checkout this package runs from (or of ``APPEALS_HOME``)."""
    candidates = [Path(__file__).resolve().parents[2] / DASHBOARD_FILE, project_root() / DASHBOARD_FILE]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(
        f"the dashboard definition {DASHBOARD_FILE} is not in the project checkout ({candidates[-1]})"
    )


def load_dashboard(path: Path | None = None) -> dict[str, Any]:
    """The dashboard definition: collection, dashboard (name, description, parameters) and cards."""
    return json.loads((path or dashboard_path()).read_text(encoding="utf-8"))


def card_sql(card: Mapping[str, Any]) -> str:
    """A card's native SQL in Metabase's template syntax (stored as a list of lines, or one string)."""
    sql = card["sql"]
    return sql if isinstance(sql, str) else "\n".join(sql)


def _tag_name(match: re.Match[str]) -> str:
    name = match[1].strip()
    if not _NAME.fullmatch(name):
        raise ValueError(f"unsupported template tag {match[0]!r}: only variables {{{{name}}}} are supported")
    return name


def _split(sql: str) -> list[tuple[bool, str]]:
    """The query as (optional?, text) segments; ``[[`` and ``]]`` must pair up and must not nest."""
    segments: list[tuple[bool, str]] = []
    position = 0
    for match in _OPTIONAL.finditer(sql):
        segments.append((False, sql[position : match.start()]))
        segments.append((True, match[1]))
        position = match.end()
    segments.append((False, sql[position:]))
    for optional, text in segments:
        if "[[" in text or "]]" in text:
            raise ValueError("unbalanced or nested [[ … ]] in the query")
        if optional and not _TAG.search(text):
            raise ValueError(f"optional clause [[{text}]] has no {{{{tag}}}}")
    return segments


def template_tags(sql: str) -> list[str]:
    """The variables ``{{name}}`` of a query, in order of first use."""
    names: list[str] = []
    for _, text in _split(sql):
        for match in _TAG.finditer(text):
            if (name := _tag_name(match)) not in names:
                names.append(name)
    return names


def _placeholders(text: str) -> str:
    """``{{name}}`` → ``%(name)s``; a literal ``%`` doubled (psycopg reads ``%`` as a placeholder)."""
    parts: list[str] = []
    position = 0
    for match in _TAG.finditer(text):
        parts.append(text[position : match.start()].replace("%", "%%"))
        parts.append(f"%({_tag_name(match)})s")
        position = match.end()
    parts.append(text[position:].replace("%", "%%"))
    return "".join(parts)


def to_psycopg(sql: str, present: Collection[str]) -> str:
    """A Metabase native query as a psycopg query, for the filters named in ``present`` having values.

    ``{{name}}`` becomes ``%(name)s``; an optional clause ``[[ … ]]`` is kept (without its brackets) when every
    variable in it is in ``present``, and left out otherwise — what Metabase does with an empty filter.
    """
    kept = []
    for optional, text in _split(sql):
        if optional and not all(_tag_name(m) in present for m in _TAG.finditer(text)):
            continue
        kept.append(_placeholders(text))
    return "".join(kept)


def render(sql: str, values: Mapping[str, object]) -> tuple[str, dict[str, object]]:
    """The query and its parameters for these filter values (``None`` or ``""``: the filter is empty).

    Raises ``ValueError`` if a variable outside ``[[ … ]]`` has no value (Metabase refuses to run it too).
    """
    present = {name for name, value in values.items() if value is not None and value != ""}
    query = to_psycopg(sql, present)
    needed = [name for name in template_tags(sql) if f"%({name})s" in query]
    missing = [name for name in needed if name not in present]
    if missing:
        raise ValueError(f"no value for the required filter(s) {', '.join(missing)}")
    return query, {name: values[name] for name in needed}


DASHBOARD: dict[str, Any] = load_dashboard()

DASHBOARD_CARDS: dict[str, dict[str, Any]] = {card["key"]: card for card in DASHBOARD["cards"]}
"""The dashboard's cards by key (snake_case, stable: the benchmark's query names)."""

DASHBOARD_QUERIES: dict[str, str] = {
    key: to_psycopg(card_sql(card), FILTERS) for key, card in DASHBOARD_CARDS.items()
}
"""Each card's SQL as psycopg runs it with the values of :data:`FILTERS` (``%(name)s`` placeholders)."""

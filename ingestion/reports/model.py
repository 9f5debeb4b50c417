"""What a report is, independent of how it is rendered: a title, a scope and a list of tables with charts.

The builder (:mod:`ingestion.reports.build`) fills it from the report queries; the renderers
(:mod:`ingestion.reports.render`) turn it into Markdown, HTML (charts embedded as images) or xlsx.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

ColumnKind = Literal["text", "int", "percent", "decimal"]
"""How a column's values are formatted: ``int`` counts (``1 234``), ``percent`` (one decimal, ``12,5``; the value
is already a percentage, not a fraction), ``decimal`` (one decimal), ``text`` as is. ``None`` renders as an
empty cell (``—`` in Markdown and HTML)."""

ChartKind = Literal["bar", "barh", "line", "pie"]


@dataclass(frozen=True)
class Column:
    key: str
    """The key of the value in each row dict."""
    title: str
    """The Russian column header."""
    kind: ColumnKind = "int"


@dataclass(frozen=True)
class Chart:
    """A static chart of one table: categories from one column, one series per value column."""

    kind: ChartKind
    category: str
    """Column key of the category labels (x axis, bar labels, pie slices)."""
    values: tuple[str, ...]
    """Column keys plotted, one series each (a pie uses the first)."""
    title: str


@dataclass(frozen=True)
class Table:
    key: str
    """Stable identifier (the query's name), used for anchors, sheet names and tests."""
    title: str
    columns: tuple[Column, ...]
    rows: list[dict[str, Any]]
    note: str | None = None
    chart: Chart | None = None
    total_row: bool = False
    """True when the last row is a total (rendered in bold)."""


@dataclass(frozen=True)
class Report:
    title: str
    """E.g. «Информация о работе с обращениями граждан за 2024 год»."""
    territory: str
    """The territory's name and ОКТМО, e.g. «Томск (ОКТМО 69701000)», or «Все территории»."""
    period: str
    """E.g. «2024 год», «I квартал 2024 года», «I полугодие 2024 года», «9 месяцев 2024 года»."""
    compare_period: str
    """The same period of the comparison year, e.g. «2023 год»."""
    sources: str
    """Which sources are counted, in Russian."""
    tables: list[Table]
    summary: list[str] = field(default_factory=list)
    """Lead paragraphs in Russian (totals and their change), shown before the tables."""
    generated_at: datetime = field(default_factory=datetime.now)

    def table(self, key: str) -> Table:
        """The table with this key (KeyError naming the known keys otherwise)."""
        for table in self.tables:
            if table.key == key:
                return table
        raise KeyError(f"no table {key!r}; the report has {[t.key for t in self.tables]}")

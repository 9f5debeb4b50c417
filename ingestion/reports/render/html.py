"""The report as one self-contained HTML page: inline CSS, charts as base64 PNG images, Jinja2 with autoescape.

Each table is ``<table id="<key>">`` with a caption; numeric cells are right-aligned and carry the raw number
in ``data-value`` (empty when missing), so a reader of the DOM gets exact values; the total row is
``<tr class="total">`` (bold).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from ingestion.reports.model import Column, Report, Table
from ingestion.reports.render.charts import DISPLAY_WIDTH_PX, render_png
from ingestion.reports.render.formats import NUMERIC_KINDS, format_cell, raw_number, scope_lines

TEMPLATES = Path(__file__).with_name("templates")
TEMPLATE = "report.html.j2"


@dataclass(frozen=True)
class Cell:
    text: str
    numeric: bool
    value: str = ""
    """The raw number for ``data-value`` (numeric cells only)."""


@dataclass(frozen=True)
class Row:
    cells: list[Cell]
    total: bool


@dataclass(frozen=True)
class HtmlTable:
    key: str
    title: str
    headers: list[Cell]
    rows: list[Row]
    note: str | None
    chart_src: str | None
    """A ``data:image/png;base64,…`` URI, or ``None`` when the table has no chart."""
    chart_alt: str


@cache
def environment() -> Environment:
    """The Jinja2 environment: autoescape on for every template, undefined names are errors."""
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def html_cell(row: dict[str, Any], column: Column) -> Cell:
    """A body cell: its text, and the raw number of a numeric column."""
    if column.kind not in NUMERIC_KINDS:
        return Cell(format_cell(row, column), numeric=False)
    return Cell(format_cell(row, column), numeric=True, value=raw_number(row.get(column.key)))


def html_rows(table: Table) -> list[Row]:
    last = len(table.rows) - 1
    return [
        Row([html_cell(row, column) for column in table.columns], table.total_row and index == last)
        for index, row in enumerate(table.rows)
    ]


def html_table(table: Table) -> HtmlTable:
    """What the template shows of one table, its chart drawn."""
    png = render_png(table)
    return HtmlTable(
        key=table.key,
        title=table.title,
        headers=[Cell(column.title, column.kind in NUMERIC_KINDS) for column in table.columns],
        rows=html_rows(table),
        note=table.note,
        chart_src=data_uri(png) if png else None,
        chart_alt=table.chart.title if table.chart else "",
    )


def render_html(report: Report) -> str:
    """The whole report as one HTML document (UTF-8, ``lang="ru"``)."""
    return (
        environment()
        .get_template(TEMPLATE)
        .render(
            report=report,
            scope=scope_lines(report),
            summary=[paragraph for paragraph in report.summary if paragraph.strip()],
            tables=[html_table(table) for table in report.tables],
            chart_width=DISPLAY_WIDTH_PX,
        )
    )

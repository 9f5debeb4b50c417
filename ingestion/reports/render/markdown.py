"""The report as Markdown: title, scope, summary, then one GitHub pipe table per report table.

Charts are not drawn in Markdown. Numbers use :mod:`ingestion.reports.render.formats`; numeric columns are
right-aligned, the total row is bold and a table's note follows it in italics.
"""

from __future__ import annotations

from ingestion.reports.model import Column, Report, Table
from ingestion.reports.render.formats import NUMERIC_KINDS, format_cell, scope_lines


def inline(text: str) -> str:
    """Text on one line: runs of whitespace (newlines too) become one space."""
    return " ".join(str(text).split())


def escape_cell(text: str) -> str:
    """A pipe-table cell: on one line, ``|`` (and the backslash escaping it) escaped."""
    return inline(text).replace("\\", "\\\\").replace("|", "\\|")


def escape_emphasis(text: str) -> str:
    """Text inside ``*…*``: asterisks and underscores escaped."""
    return inline(text).replace("\\", "\\\\").replace("*", "\\*").replace("_", "\\_")


def _bold(text: str) -> str:
    return f"**{text}**" if text else text


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _align(column: Column) -> str:
    return "---:" if column.kind in NUMERIC_KINDS else "---"


def render_table(table: Table) -> str:
    """The pipe table of one report table (no heading, no note)."""
    lines = [
        _row([escape_cell(column.title) for column in table.columns]),
        _row([_align(column) for column in table.columns]),
    ]
    last = len(table.rows) - 1
    for index, row in enumerate(table.rows):
        cells = [escape_cell(format_cell(row, column)) for column in table.columns]
        if table.total_row and index == last:
            cells = [_bold(cell) for cell in cells]
        lines.append(_row(cells))
    return "\n".join(lines)


def render_section(table: Table) -> str:
    """``## title``, the table and its note in italics."""
    parts = [f"## {inline(table.title)}", render_table(table)]
    if table.note:
        parts.append(f"*{escape_emphasis(table.note)}*")
    return "\n\n".join(parts)


def render_markdown(report: Report) -> str:
    """The whole report as Markdown text ending in a newline."""
    parts = [
        f"# {inline(report.title)}",
        "\n".join(f"- {label}: {inline(value)}" for label, value in scope_lines(report)),
    ]
    parts.extend(inline(paragraph) for paragraph in report.summary if paragraph.strip())
    parts.extend(render_section(table) for table in report.tables)
    return "\n\n".join(parts) + "\n"

"""The report as an xlsx workbook (openpyxl): a «Сводка» sheet, then one sheet per table with a native chart.

Cells hold numbers with real number formats: ``#,##0`` for counts, ``0.0`` for ``percent`` and ``decimal``
columns. Percent values are stored as the percentages the report holds (``12.5`` shows as ``12,5`` in a
Russian Excel), not as fractions with a ``%`` format, so a cell equals the report's value. A missing value is
an empty cell. On a table sheet the title is in A1, the bold header row is row 3 (frozen with the rows above)
and the data start in row 4; the total row is bold and the note follows in italics.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, PieChart, Reference
from openpyxl.chart._chart import ChartBase
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.worksheet import Worksheet

from ingestion.reports.model import Column, ColumnKind, Report, Table
from ingestion.reports.render.charts import chart_rows, has_chart
from ingestion.reports.render.formats import format_cell, is_missing, scope_lines

SUMMARY_SHEET = "Сводка"
TITLE_ROW = 1
HEADER_ROW = 3
FIRST_DATA_ROW = 4
NUMBER_FORMATS: dict[ColumnKind, str] = {
    "int": "#,##0",
    "percent": "0.0",
    "decimal": "0.0",
    "text": "General",
}
MAX_SHEET_NAME = 31
FORBIDDEN_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
RESERVED_SHEET_NAMES = frozenset({"history"})
"""Excel keeps «History» for itself; names compare case-insensitively."""
MIN_WIDTH, MAX_WIDTH = 8, 60
HEADER_FILL = PatternFill("solid", fgColor="E8EEF4")
BOLD = Font(bold=True)
TITLE_FONT = Font(bold=True, size=14)


def _clean_sheet_name(title: str) -> str:
    """``title`` without the characters Excel forbids, on one line, cut to 31 characters."""
    name = " ".join(FORBIDDEN_SHEET_CHARS.sub(" ", title).split())
    return name[:MAX_SHEET_NAME].strip().strip("'").strip()


def _numbered(base: str, number: int) -> str:
    suffix = f" ({number})"
    return base[: MAX_SHEET_NAME - len(suffix)].rstrip() + suffix


def sheet_names(titles: list[str], taken: tuple[str, ...] = (SUMMARY_SHEET,)) -> list[str]:
    """Valid, unique (case-insensitively, also against ``taken``) sheet names derived from ``titles``.

    Forbidden characters ``[]:*?/\\`` become spaces, names are cut to 31 characters, a repeated name gets
    `` (2)``, `` (3)``…, and an empty one becomes «Таблица N».
    """
    used = {name.casefold() for name in taken} | RESERVED_SHEET_NAMES
    names: list[str] = []
    for index, title in enumerate(titles, start=1):
        base = _clean_sheet_name(title) or f"Таблица {index}"
        name, number = base, 1
        while name.casefold() in used:
            number += 1
            name = _numbered(base, number)
        used.add(name.casefold())
        names.append(name)
    return names


def cell_value(value: Any, column: Column) -> Any:
    """What a cell stores: numbers stay numbers, a missing value is an empty cell."""
    if is_missing(value):
        return None
    if column.kind == "text" and not isinstance(value, str | int | float):
        return str(value)
    return value


def _fit_widths(sheet: Worksheet, table: Table) -> None:
    """Each column as wide as its longest header or formatted value (within 8–60 characters)."""
    for index, column in enumerate(table.columns, start=1):
        texts = [column.title, *(format_cell(row, column) for row in table.rows)]
        width = max(len(text) for text in texts) + 2
        sheet.column_dimensions[get_column_letter(index)].width = max(MIN_WIDTH, min(MAX_WIDTH, width))


def _write_header(sheet: Worksheet, table: Table) -> None:
    for index, column in enumerate(table.columns, start=1):
        cell = sheet.cell(HEADER_ROW, index, column.title)
        cell.font = BOLD
        cell.fill = HEADER_FILL
        horizontal = "left" if column.kind == "text" else "right"
        cell.alignment = Alignment(horizontal=horizontal, vertical="top", wrap_text=True)
    sheet.freeze_panes = sheet.cell(FIRST_DATA_ROW, 1).coordinate


def _write_rows(sheet: Worksheet, table: Table) -> None:
    last = len(table.rows) - 1
    for offset, row in enumerate(table.rows):
        total = table.total_row and offset == last
        for index, column in enumerate(table.columns, start=1):
            cell = sheet.cell(FIRST_DATA_ROW + offset, index, cell_value(row.get(column.key), column))
            cell.number_format = NUMBER_FORMATS[column.kind]
            if total:
                cell.font = BOLD


def write_table_sheet(sheet: Worksheet, table: Table) -> None:
    """Title, header, rows, note and chart of one table."""
    sheet.cell(TITLE_ROW, 1, table.title).font = Font(bold=True, size=12)
    _write_header(sheet, table)
    _write_rows(sheet, table)
    if table.note:
        sheet.cell(FIRST_DATA_ROW + len(table.rows) + 1, 1, table.note).font = Font(italic=True)
    _fit_widths(sheet, table)
    chart = native_chart(sheet, table)
    if chart is not None:
        anchor = sheet.cell(HEADER_ROW, len(table.columns) + 2).coordinate
        sheet.add_chart(chart, anchor)


def _column_index(table: Table, key: str) -> int:
    return next(index for index, column in enumerate(table.columns, start=1) if column.key == key)


def _empty_chart(table: Table) -> ChartBase:
    assert table.chart is not None
    kind = table.chart.kind
    if kind == "pie":
        return PieChart()
    if kind == "line":
        return LineChart()
    chart = BarChart()
    chart.type = "bar" if kind == "barh" else "col"
    chart.grouping = "clustered"
    if kind == "barh":
        chart.x_axis.scaling.orientation = "maxMin"  # the first row on top, as in the table
    return chart


def native_chart(sheet: Worksheet, table: Table) -> ChartBase | None:
    """An openpyxl chart over the sheet's cells (the total row left out), or ``None`` without one."""
    if table.chart is None or not has_chart(table):
        return None
    last_row = FIRST_DATA_ROW + len(chart_rows(table)) - 1
    chart = _empty_chart(table)
    keys = table.chart.values[:1] if table.chart.kind == "pie" else table.chart.values
    for key in keys:
        column = _column_index(table, key)
        chart.add_data(
            Reference(sheet, min_col=column, min_row=HEADER_ROW, max_row=last_row), titles_from_data=True
        )
    category = _column_index(table, table.chart.category)
    chart.set_categories(Reference(sheet, min_col=category, min_row=FIRST_DATA_ROW, max_row=last_row))
    chart.title = table.chart.title
    chart.width = 18
    chart.height = max(9.0, 0.7 * len(chart_rows(table))) if table.chart.kind == "barh" else 9.0
    if not isinstance(chart, PieChart):
        chart.x_axis.delete = False  # openpyxl ≥ 3.1 hides axes unless told
        chart.y_axis.delete = False
        if len(keys) == 1:
            chart.legend = None
    return chart


def write_summary_sheet(sheet: Worksheet, report: Report, names: list[str]) -> None:
    """Title, scope, summary paragraphs and links to the table sheets."""
    sheet.title = SUMMARY_SHEET
    sheet.column_dimensions["A"].width = 22
    sheet.column_dimensions["B"].width = 100
    sheet.cell(1, 1, report.title).font = TITLE_FONT
    row = 3
    for label, value in scope_lines(report):
        sheet.cell(row, 1, label).font = BOLD
        sheet.cell(row, 2, value).alignment = Alignment(wrap_text=True, vertical="top")
        row += 1
    row += 1
    for paragraph in (p for p in report.summary if p.strip()):
        sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=2)
        cell = sheet.cell(row, 1, " ".join(paragraph.split()))
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.row_dimensions[row].height = 15 * (len(paragraph) // 110 + 1)
        row += 1
    if report.tables:
        sheet.cell(row + 1, 1, "Таблицы").font = BOLD
        for offset, (table, name) in enumerate(zip(report.tables, names, strict=True), start=2):
            cell = sheet.cell(row + offset, 1, table.title)
            cell.hyperlink = Hyperlink(ref=cell.coordinate, location=f"{quote_sheetname(name)}!A1")
            cell.style = "Hyperlink"


def write_xlsx(report: Report, path: Path) -> None:
    """Save the report as an xlsx workbook at ``path`` (its folder must exist)."""
    workbook = Workbook()
    names = sheet_names([table.title for table in report.tables])
    write_summary_sheet(workbook.active, report, names)
    for table, name in zip(report.tables, names, strict=True):
        write_table_sheet(workbook.create_sheet(name), table)
    workbook.properties.title = report.title
    workbook.properties.creator = "appeals-warehouse"
    workbook.properties.created = report.generated_at
    workbook.save(Path(path))

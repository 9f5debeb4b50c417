"""Builders for small export files in ``tmp_path``: CSV in any encoding and delimiter, and xlsx."""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest

Row = Sequence[object]
WriteCsv = Callable[..., Path]
WriteXlsx = Callable[..., Path]


def spreadsheet_cell(text: object) -> object:
    """What a spreadsheet holds where an operator typed ``text``: Excel turns dates into date cells and
    digit strings into numbers (losing leading zeros, as it does with ОКТМО codes)."""
    if not isinstance(text, str) or not text:
        return text or None
    if text.isascii() and text.isdigit():
        return int(text)
    for form in ("%d.%m.%Y", "%d.%m.%Y %H:%M", "%d.%m.%Y %H:%M:%S"):
        try:
            return datetime.strptime(text, form)
        except ValueError:
            pass
    return text


@pytest.fixture
def write_csv(tmp_path: Path) -> WriteCsv:
    def write(
        rows: Sequence[Row], *, name: str = "export.csv", encoding: str = "utf-8", delimiter: str = ";"
    ) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding=encoding, newline="") as file:
            csv.writer(file, delimiter=delimiter).writerows(rows)
        return path

    return write


@pytest.fixture
def write_xlsx(tmp_path: Path) -> WriteXlsx:
    def write(
        rows: Sequence[Row],
        *,
        name: str = "export.xlsx",
        first_row: int = 1,
        first_column: int = 1,
        typed: bool = True,
    ) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        workbook = openpyxl.Workbook()
        sheet = workbook.active
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                cell = spreadsheet_cell(value) if typed else (value if value != "" else None)
                if cell is not None:
                    sheet.cell(row=first_row + r, column=first_column + c, value=cell)
        workbook.create_sheet("second sheet")["A1"] = "ignored: only the first sheet is read"
        workbook.save(path)
        return path

    return write

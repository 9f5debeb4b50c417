"""Russian number formatting shared by the Markdown and HTML renderers.

Thousands are separated by a normal space (``1 234 567``, as in the reports analysts publish), the decimal
mark is a comma, ``percent`` and ``decimal`` values show one decimal (``12,5``) rounded half up, and a
missing value (``None`` or NaN) is an em dash «—». Negative numbers keep the ASCII minus (``-12,5``).
"""

from __future__ import annotations

import math
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from numbers import Integral
from typing import Any

from ingestion.reports.model import Column, ColumnKind, Report

THOUSANDS_SEPARATOR = " "
DECIMAL_MARK = ","
MISSING = "—"
NUMERIC_KINDS: frozenset[ColumnKind] = frozenset({"int", "percent", "decimal"})
_ONE = Decimal(1)
_TENTH = Decimal("0.1")


def is_missing(value: Any) -> bool:
    """True for ``None``, NaN and infinities: rendered as «—» (an empty cell in xlsx)."""
    if isinstance(value, Decimal):
        return not value.is_finite()
    return value is None or (isinstance(value, float) and not math.isfinite(value))


def to_decimal(value: Any) -> Decimal:
    """The exact decimal of a number as it reads (``0.1`` stays 0.1, not its binary float)."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, Integral):
        return Decimal(int(value))
    return Decimal(repr(float(value)))  # numpy floats too


def _group(number: Decimal, places: int) -> str:
    """``number`` rounded half up to ``places`` decimals, with Russian separators."""
    quantum = _ONE if places == 0 else _TENTH**places
    text = f"{number.quantize(quantum, rounding=ROUND_HALF_UP):,.{places}f}"
    if text.startswith("-") and not text.strip("-0.,"):
        text = text[1:]  # -0,0 reads as 0,0
    return text.replace(",", "\0").replace(".", DECIMAL_MARK).replace("\0", THOUSANDS_SEPARATOR)


def format_int(value: Any) -> str:
    """A count: ``1234567`` → ``1 234 567``."""
    return MISSING if is_missing(value) else _group(to_decimal(value), 0)


def format_decimal(value: Any, places: int = 1) -> str:
    """A decimal with ``places`` decimals: ``12.5`` → ``12,5``, ``1234.56`` → ``1 234,6``."""
    return MISSING if is_missing(value) else _group(to_decimal(value), places)


def format_percent(value: Any) -> str:
    """A percentage (already ×100) with one decimal and no sign: ``12.5`` → ``12,5``."""
    return format_decimal(value, 1)


def format_value(value: Any, kind: ColumnKind) -> str:
    """A cell's text by its column kind; ``text`` values as they are."""
    if is_missing(value):
        return MISSING
    if isinstance(value, str):  # a note such as «н/д» in a numeric column: shown as it is
        return value
    if kind == "int":
        return format_int(value)
    if kind in ("percent", "decimal"):
        return format_decimal(value, 1)
    return str(value)


def format_cell(row: dict[str, Any], column: Column) -> str:
    """The text of ``column`` in ``row`` (a missing key reads as ``None``)."""
    return format_value(row.get(column.key), column.kind)


def raw_number(value: Any) -> str:
    """The exact number for a ``data-value`` attribute (``""`` when missing); Python's float repr round-trips."""
    if is_missing(value):
        return ""
    if isinstance(value, Integral):
        return str(int(value))
    if isinstance(value, Decimal | str):
        return str(value)
    return repr(float(value))


def format_datetime(moment: datetime) -> str:
    """``22.11.2024 17:05``."""
    return moment.strftime("%d.%m.%Y %H:%M")


def scope_lines(report: Report) -> list[tuple[str, str]]:
    """(label, value) pairs shown under the title in every format."""
    return [
        ("Территория", report.territory),
        ("Период", report.period),
        ("Период сравнения", report.compare_period),
        ("Источники", report.sources),
        ("Сформирован", format_datetime(report.generated_at)),
    ]

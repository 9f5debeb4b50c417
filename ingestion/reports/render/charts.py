"""Static PNG charts of report tables, drawn with matplotlib's Agg backend.

Every chart has a fixed size and resolution, uses the bundled DejaVu Sans (it has Cyrillic) and is saved
without the ``Software`` PNG text, so the same table gives the same bytes on every render. The total row is
left out; a table whose plotted values are all missing or zero gets no chart.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Callable
from typing import Any

import matplotlib
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from ingestion.reports.model import Chart, Table
from ingestion.reports.render.formats import format_value, is_missing

WIDTH_IN = 8.0
HEIGHT_IN = 4.0
DPI = 150
"""Pixels per inch of the PNG: 1200 × 600 for the default size, shown 800 CSS pixels wide (sharp in print)."""
DISPLAY_WIDTH_PX = 800
PIE_MIN_LABEL = 5.0
"""Pie slices under this percentage get no label on the slice (the legend has every share)."""
PALETTE = ("#1f5f99", "#e0892b", "#4d9a4a", "#b8403b", "#7a5ba6", "#8c6d3f", "#c9649f", "#6b6b6b")
OTHER_LABEL = "Прочие"
PIE_MIN_SHARE = 0.03
"""Pie slices under this share of the whole are merged into «Прочие»."""
LABEL_WIDTH = 38
"""barh labels wrap at this many characters, on at most two lines."""
STYLE = {
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
}


def chart_rows(table: Table) -> list[dict[str, Any]]:
    """The rows a chart plots: all but the total row."""
    return table.rows[:-1] if table.total_row else list(table.rows)


def number(value: Any) -> float:
    """A plotted value: missing counts as zero."""
    return 0.0 if is_missing(value) else float(value)


def has_chart(table: Table) -> bool:
    """True when the table asks for a chart and has a non-zero value to plot."""
    if table.chart is None:
        return False
    if table.chart.kind == "pie":  # a pie draws positive shares of its first column only
        return any(number(row.get(table.chart.values[0])) > 0 for row in chart_rows(table))
    return any(number(row.get(key)) != 0 for row in chart_rows(table) for key in table.chart.values)


def render_png(table: Table) -> bytes | None:
    """The table's chart as PNG bytes, or ``None`` when it has none (or nothing but zeros)."""
    if not has_chart(table):
        return None
    assert table.chart is not None
    with matplotlib.rc_context(STYLE):
        figure = Figure(figsize=(WIDTH_IN, _height(table)), dpi=DPI)
        FigureCanvasAgg(figure)
        axes = figure.add_subplot()
        DRAWERS[table.chart.kind](axes, table, table.chart)
        axes.set_title(table.chart.title, loc="left")
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()


def _height(table: Table) -> float:
    """Taller for a long horizontal bar list, so its labels stay readable."""
    if table.chart is not None and table.chart.kind == "barh":
        return max(HEIGHT_IN, 1.2 + 0.45 * len(chart_rows(table)))
    return HEIGHT_IN


def _labels(table: Table, chart: Chart) -> list[str]:
    return [
        "" if is_missing(row.get(chart.category)) else str(row[chart.category]) for row in chart_rows(table)
    ]


def _titles(table: Table) -> dict[str, str]:
    return {column.key: column.title for column in table.columns}


def _kinds(table: Table) -> dict[str, Any]:
    return {column.key: column.kind for column in table.columns}


def _axis_formatter(table: Table, chart: Chart) -> FuncFormatter:
    """Russian tick labels (``1 200``, ``12,5``) by the first plotted column's kind."""
    kind = _kinds(table).get(chart.values[0], "int")
    if kind == "int":
        return FuncFormatter(lambda value, _pos: format_value(value, "int"))
    return FuncFormatter(lambda value, _pos: format_value(value, "decimal"))


def _bar_label_texts(table: Table, key: str, values: list[float]) -> list[str]:
    kind = _kinds(table).get(key, "int")
    return [format_value(value, kind) for value in values]


def wrap_label(label: str, width: int = LABEL_WIDTH, lines: int = 2) -> str:
    """A long label on at most ``lines`` lines of ``width`` characters, cut with «…»."""
    return "\n".join(textwrap.wrap(label, width=width, max_lines=lines, placeholder="…")) or label


def draw_bar(axes: Axes, table: Table, chart: Chart) -> None:
    """Grouped vertical bars: one series per value column."""
    labels = _labels(table, chart)
    rows = chart_rows(table)
    count = len(chart.values)
    width = 0.8 / count
    for index, key in enumerate(chart.values):
        values = [number(row.get(key)) for row in rows]
        positions = [slot + (index - (count - 1) / 2) * width for slot in range(len(rows))]
        bars = axes.bar(positions, values, width, label=_titles(table).get(key, key), color=_colour(index))
        if len(rows) * count <= 24:
            axes.bar_label(bars, labels=_bar_label_texts(table, key, values), fontsize=7, padding=2)
    axes.set_xticks(range(len(rows)), [wrap_label(label, 14) for label in labels])
    axes.yaxis.set_major_formatter(_axis_formatter(table, chart))
    axes.margins(y=0.12)
    if count > 1:
        axes.legend(frameon=False)


def draw_barh(axes: Axes, table: Table, chart: Chart) -> None:
    """Horizontal bars (top topics): the first row on top, long labels wrapped and cut."""
    labels = [wrap_label(label) for label in _labels(table, chart)]
    rows = chart_rows(table)
    key = chart.values[0]
    values = [number(row.get(key)) for row in rows]
    bars = axes.barh(range(len(rows)), values, 0.7, color=_colour(0))
    axes.bar_label(bars, labels=_bar_label_texts(table, key, values), fontsize=7, padding=2)
    axes.set_yticks(range(len(rows)), labels)
    axes.invert_yaxis()
    axes.xaxis.set_major_formatter(_axis_formatter(table, chart))
    axes.margins(x=0.12)


def draw_line(axes: Axes, table: Table, chart: Chart) -> None:
    """One line per value column over the categories (months, quarters); a missing value is a gap."""
    labels = _labels(table, chart)
    rows = chart_rows(table)
    for index, key in enumerate(chart.values):
        values = [float("nan") if is_missing(row.get(key)) else float(row[key]) for row in rows]
        axes.plot(
            range(len(rows)), values, marker="o", label=_titles(table).get(key, key), color=_colour(index)
        )
    axes.set_xticks(
        range(len(rows)),
        labels,
        rotation=45 if len(rows) > 6 else 0,
        ha="right" if len(rows) > 6 else "center",
    )
    axes.yaxis.set_major_formatter(_axis_formatter(table, chart))
    axes.grid(axis="y", color="#dddddd", linewidth=0.6)
    if len(chart.values) > 1:
        axes.legend(frameon=False)


def pie_slices(table: Table, chart: Chart) -> list[tuple[str, float]]:
    """(label, value) slices of the first value column: positive values only, tiny ones merged into «Прочие»."""
    key = chart.values[0]
    slices = [
        (label, number(row.get(key)))
        for label, row in zip(_labels(table, chart), chart_rows(table), strict=True)
    ]
    slices = [(label, value) for label, value in slices if value > 0]
    whole = sum(value for _label, value in slices)
    if whole <= 0:
        return []
    kept = [(label, value) for label, value in slices if value / whole >= PIE_MIN_SHARE]
    other = whole - sum(value for _label, value in kept)
    if other > 0 and len(kept) < len(slices) - 1:
        kept.append((OTHER_LABEL, other))
    else:
        kept = slices
    return kept


def draw_pie(axes: Axes, table: Table, chart: Chart) -> None:
    """Shares of the first value column; big slices labelled, the legend lists every slice with its share."""
    slices = pie_slices(table, chart)
    whole = sum(value for _label, value in slices)
    wedges, _texts, _autotexts = axes.pie(
        [value for _label, value in slices],
        colors=[_colour(index) for index in range(len(slices))],
        startangle=90,
        counterclock=False,
        autopct=lambda share: _share(share) if share >= PIE_MIN_LABEL else "",
        pctdistance=0.72,
        wedgeprops={"linewidth": 1, "edgecolor": "white"},
        textprops={"fontsize": 8, "color": "white"},
    )
    legend = [f"{wrap_label(label, 30)} — {_share(100 * value / whole)}" for label, value in slices]
    axes.legend(wedges, legend, loc="center left", bbox_to_anchor=(1, 0.5), frameon=False)
    axes.set_aspect("equal")


def _share(percent: float) -> str:
    return format_value(percent, "decimal") + " %"


def _colour(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


DRAWERS: dict[str, Callable[[Axes, Table, Chart], None]] = {
    "bar": draw_bar,
    "barh": draw_barh,
    "line": draw_line,
    "pie": draw_pie,
}

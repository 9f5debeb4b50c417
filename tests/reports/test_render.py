"""Renderers of a hand-built report: Markdown text, HTML structure and values, xlsx cells, formats and charts.

No database: :func:`sample_report` is a realistic report built by hand (the browser test uses it too).
"""

from __future__ import annotations

import dataclasses
import re
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from ingestion.reports.model import Chart, Column, Report, Table
from ingestion.reports.render import render_html, render_markdown, write_xlsx
from ingestion.reports.render.charts import pie_slices, render_png, wrap_label
from ingestion.reports.render.formats import format_int, format_percent, format_value, raw_number
from ingestion.reports.render.xlsx import FIRST_DATA_ROW, HEADER_ROW, SUMMARY_SHEET, sheet_names

NUMERIC = ("int", "percent", "decimal")

MONTHS = [
    "Январь",
    "Февраль",
    "Март",
    "Апрель",
    "Май",
    "Июнь",
    "Июль",
    "Август",
    "Сентябрь",
    "Октябрь",
    "Ноябрь",
    "Декабрь",
]


def sample_report() -> Report:
    """A report like the ones analysts publish: five tables, a chart of each kind, totals, a missing value."""
    quarters = Table(
        key="appeals_by_quarter",
        title="Количество обращений по кварталам",
        columns=(
            Column("quarter", "Квартал", "text"),
            Column("current", "2024 год"),
            Column("previous", "2023 год"),
            Column("change_pct", "Изменение, %", "percent"),
        ),
        rows=[
            {"quarter": "I квартал", "current": 2480, "previous": 2315, "change_pct": 7.1},
            {"quarter": "II квартал", "current": 2733, "previous": 2904, "change_pct": -5.9},
            {"quarter": "III квартал", "current": 2911, "previous": 2650, "change_pct": 9.8},
            {"quarter": "IV квартал", "current": 1892, "previous": 0, "change_pct": None},
            {"quarter": "Итого", "current": 10016, "previous": 7869, "change_pct": 27.3},
        ],
        note="IV квартал 2023 года: данные не поступали.",
        chart=Chart("bar", "quarter", ("current", "previous"), "Обращения по кварталам: 2024 и 2023 годы"),
        total_row=True,
    )
    topics = Table(
        key="top_topics",
        title="Топ-10 тем обращений",
        columns=(
            Column("topic", "Тема", "text"),
            Column("questions", "Вопросов"),
            Column("share", "Доля, %", "percent"),
        ),
        rows=[
            {
                "topic": "Содержание общего имущества в многоквартирных домах",
                "questions": 1793,
                "share": 17.9,
            },
            {
                "topic": "Управляющие организации, товарищества собственников жилья и иные формы управления собственностью",
                "questions": 1407,
                "share": 14.05,
            },
            {"topic": "Благоустройство территории", "questions": 902, "share": 9.0},
            {"topic": "Дороги. Дорожное хозяйство", "questions": 655, "share": 6.5},
            {"topic": "Коммунальное хозяйство", "questions": 612, "share": 6.1},
            {
                "topic": "Обеспечение граждан жилищем, пользование жилищным фондом",
                "questions": 353,
                "share": 3.5,
            },
            {"topic": "Социальное обеспечение и социальное страхование", "questions": 211, "share": 2.1},
            {"topic": "Образование. Наука", "questions": 85, "share": 0.8},
            {"topic": "Безопасность и охрана правопорядка", "questions": 100, "share": 1.0},
            {"topic": "Труд и занятость населения", "questions": 42, "share": 0.4},
        ],
        chart=Chart("barh", "topic", ("questions",), "Десять самых частых тем"),
    )
    monthly = Table(
        key="appeals_monthly",
        title="Динамика обращений по месяцам",
        columns=(
            Column("month", "Месяц", "text"),
            Column("current", "2024 год"),
            Column("previous", "2023 год"),
        ),
        rows=[
            {"month": month, "current": 780 + 37 * i + (i % 3) * 51, "previous": 700 + 29 * i}
            for i, month in enumerate(MONTHS)
        ],
        chart=Chart("line", "month", ("current", "previous"), "Обращения по месяцам"),
    )
    results = Table(
        key="results",
        title="Результаты рассмотрения вопросов",
        columns=(
            Column("result", "Результат", "text"),
            Column("questions", "Вопросов"),
            Column("share", "Доля, %", "percent"),
        ),
        rows=[
            {"result": "Разъяснено", "questions": 1535, "share": 35.5},
            {"result": "Меры приняты", "questions": 1954, "share": 45.1},
            {"result": "Поддержано", "questions": 616, "share": 14.2},
            {"result": "Не поддержано", "questions": 150, "share": 3.5},
            {"result": "Оставлено без ответа автору", "questions": 45, "share": 1.0},
            {"result": "Дан ответ автору", "questions": 28, "share": 0.6},
            {"result": "Итого", "questions": 4328, "share": 100.0},
        ],
        chart=Chart("pie", "result", ("questions",), "Доли результатов рассмотрения"),
        total_row=True,
    )
    timeliness = Table(
        key="timeliness",
        title="Сроки рассмотрения по каналам поступления",
        columns=(
            Column("channel", "Канал", "text"),
            Column("appeals", "Обращений"),
            Column("avg_days", "Средний срок, дней", "decimal"),
            Column("overdue_pct", "С нарушением срока, %", "percent"),
        ),
        rows=[
            {"channel": "Письменные обращения", "appeals": 6120, "avg_days": 17.25, "overdue_pct": 1.2},
            {"channel": "Платформа обратной связи", "appeals": 20700, "avg_days": 4.3, "overdue_pct": 0.35},
            {"channel": "Личный прием", "appeals": 1500, "avg_days": None, "overdue_pct": 0.0},
            {"channel": "Итого", "appeals": 28320, "avg_days": 7.1, "overdue_pct": 0.5},
        ],
        note="Средний срок личного приема не считается: ответ дается на приеме.",
        total_row=True,
    )
    return Report(
        title="Информация о работе с обращениями граждан за 2024 год",
        territory="Томск (ОКТМО 69701000)",
        period="2024 год",
        compare_period="2023 год",
        sources="письменные обращения, личный прием, Платформа обратной связи",
        tables=[quarters, topics, monthly, results, timeliness],
        summary=[
            "В 2024 году поступило 10 016 обращений, что на 27,3 % больше, чем в 2023 году (7 869 обращений).",
            "Чаще всего граждане обращались по вопросам содержания общего имущества в многоквартирных домах.",
        ],
        generated_at=datetime(2025, 1, 15, 9, 30),
    )


def small_table(**changes: Any) -> Table:
    table = Table(
        key="small",
        title="Обращения по формам",
        columns=(
            Column("form", "Форма", "text"),
            Column("count", "Количество"),
            Column("pct", "Доля, %", "percent"),
        ),
        rows=[
            {"form": "Письменная", "count": 1234567, "pct": 12.5},
            {"form": "Устная | личный прием", "count": 5, "pct": None},
            {"form": "Итого", "count": 1234572, "pct": 100},
        ],
        note="Без учета повторных",
        total_row=True,
    )
    return dataclasses.replace(table, **changes)


def with_tables(*tables: Table) -> Report:
    return dataclasses.replace(sample_report(), tables=list(tables))


# --- numbers -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "kind", "text"),
    [
        (1234567, "int", "1 234 567"),
        (999, "int", "999"),
        (-4200, "int", "-4 200"),
        (12.5, "percent", "12,5"),
        (12.25, "percent", "12,3"),
        (0.04, "percent", "0,0"),
        (-0.04, "decimal", "0,0"),
        (1234.56, "decimal", "1 234,6"),
        (7, "percent", "7,0"),
        (None, "int", "—"),
        (None, "percent", "—"),
        (float("nan"), "decimal", "—"),
        ("Итого", "text", "Итого"),
    ],
)
def test_format_value(value: Any, kind: str, text: str) -> None:
    assert format_value(value, kind) == text  # type: ignore[arg-type]


def test_format_helpers_and_raw_numbers() -> None:
    assert format_int(1234567) == "1 234 567"
    assert format_percent(12.5) == "12,5"
    assert raw_number(1234) == "1234"
    assert raw_number(0.1) == "0.1"
    assert raw_number(None) == ""


# --- Markdown ------------------------------------------------------------------------------------------------


def test_markdown_small_table_exact() -> None:
    text = render_markdown(with_tables(small_table()))
    expected = (
        "## Обращения по формам\n"
        "\n"
        "| Форма | Количество | Доля, % |\n"
        "| --- | ---: | ---: |\n"
        "| Письменная | 1 234 567 | 12,5 |\n"
        "| Устная \\| личный прием | 5 | — |\n"
        "| **Итого** | **1 234 572** | **100,0** |\n"
        "\n"
        "*Без учета повторных*\n"
    )
    assert text.endswith(expected)


def test_markdown_head_scope_and_summary() -> None:
    report = sample_report()
    text = render_markdown(report)
    assert text.startswith(
        "# Информация о работе с обращениями граждан за 2024 год\n\n- Территория: Томск (ОКТМО 69701000)\n"
    )
    for line in ("- Период: 2024 год", "- Период сравнения: 2023 год", "- Сформирован: 15.01.2025 09:30"):
        assert line in text.splitlines()
    assert report.summary[0] in text
    assert [line[3:] for line in text.splitlines() if line.startswith("## ")] == [
        t.title for t in report.tables
    ]
    assert "![" not in text and "<img" not in text


def test_markdown_escapes_pipes_everywhere() -> None:
    table = small_table(
        columns=(Column("form", "Форма | вид", "text"), Column("count", "Количество")),
        rows=[{"form": "a|b\nc", "count": None}],
        total_row=False,
    )
    lines = render_markdown(with_tables(table)).splitlines()
    assert "| Форма \\| вид | Количество |" in lines
    assert "| a\\|b c | — |" in lines
    assert all(line.count("|") - line.count("\\|") == 3 for line in lines if line.startswith("| "))


# --- HTML ----------------------------------------------------------------------------------------------------


class ReportParser(HTMLParser):
    """Collects what the tests read from a rendered page: tag balance, tables' cells, images, text."""

    VOID = frozenset({"meta", "img", "br", "hr", "link", "input", "col", "wbr", "source"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.tables: dict[str, list[list[dict[str, Any]]]] = {}
        self.total_rows: dict[str, int] = {}
        self.captions: dict[str, str] = {}
        self.images: list[dict[str, str | None]] = []
        self.html_attrs: dict[str, str | None] = {}
        self.meta_charset: str | None = None
        self.scripts = 0
        self._table: str | None = None
        self._cell: dict[str, Any] | None = None
        self._caption = False
        self._body = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag not in self.VOID:
            self.stack.append(tag)
        if tag == "html":
            self.html_attrs = attributes
        elif tag == "meta" and "charset" in attributes:
            self.meta_charset = attributes["charset"]
        elif tag == "script":
            self.scripts += 1
        elif tag == "table":
            self._table = attributes.get("id") or ""
            self.tables[self._table] = []
        elif tag == "caption":
            self._caption = True
        elif tag == "tbody":
            self._body = True
        elif tag == "tr" and self._table is not None and self._body:
            self.tables[self._table].append([])
            if "total" in (attributes.get("class") or "").split():
                self.total_rows[self._table] = len(self.tables[self._table]) - 1
        elif tag == "td" and self._table is not None and self._body:
            self._cell = {"attrs": attributes, "text": ""}
            self.tables[self._table][-1].append(self._cell)
        elif tag == "img":
            self.images.append(attributes)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
            return
        self.stack.pop()
        if tag == "table":
            self._table = None
        elif tag == "td":
            self._cell = None
        elif tag == "tbody":
            self._body = False
        elif tag == "caption":
            self._caption = False

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell["text"] += data
        if self._caption and self._table is not None:
            self.captions[self._table] = self.captions.get(self._table, "") + data


def parse_html(text: str) -> ReportParser:
    parser = ReportParser()
    parser.feed(text)
    parser.close()
    return parser


def table_values(parser: ReportParser, key: str) -> list[list[float | None]]:
    """Each body row's ``data-value`` numbers (``None`` for an empty one), numeric columns in order."""
    return [
        [
            float(cell["attrs"]["data-value"]) if cell["attrs"]["data-value"] else None
            for cell in row
            if "data-value" in cell["attrs"]
        ]
        for row in parser.tables[key]
    ]


def expected_values(table: Table) -> list[list[float | None]]:
    numeric = [column.key for column in table.columns if column.kind in NUMERIC]
    return [[row.get(key) for key in numeric] for row in table.rows]


@pytest.fixture(scope="module")
def report() -> Report:
    return sample_report()


@pytest.fixture(scope="module")
def html(report: Report) -> str:
    return render_html(report)


def test_html_structure(report: Report, html: str) -> None:
    parser = parse_html(html)
    assert html.startswith("<!DOCTYPE html>")
    assert parser.errors == [] and parser.stack == []
    assert parser.html_attrs.get("lang") == "ru"
    assert parser.meta_charset == "utf-8"
    assert "<link" not in html and "<script" not in html and "http://" not in html and "https://" not in html
    for text in (
        report.title,
        report.territory,
        report.period,
        report.compare_period,
        report.sources,
        "15.01.2025 09:30",
    ):
        assert text in html
    assert all(paragraph in html for paragraph in report.summary)
    assert list(parser.tables) == [table.key for table in report.tables]
    assert parser.captions == {table.key: table.title for table in report.tables}
    for table in report.tables:
        assert f'href="#{table.key}"' in html


def test_html_values_and_totals(report: Report, html: str) -> None:
    parser = parse_html(html)
    for table in report.tables:
        assert table_values(parser, table.key) == expected_values(table), table.key
        assert parser.total_rows.get(table.key) == (len(table.rows) - 1 if table.total_row else None)
    first = parser.tables["appeals_by_quarter"][0]
    assert [cell["text"] for cell in first] == ["I квартал", "2 480", "2 315", "7,1"]
    assert all("num" in cell["attrs"]["class"] for cell in first[1:])
    assert parser.tables["appeals_by_quarter"][3][3]["text"] == "—"


def test_html_one_image_per_chart(report: Report, html: str) -> None:
    images = parse_html(html).images
    charted = [table for table in report.tables if table.chart is not None]
    assert len(images) == len(charted) == 4
    for image, table in zip(images, charted, strict=True):
        assert image["src"] and image["src"].startswith("data:image/png;base64,")
        assert image["alt"] == table.chart.title  # type: ignore[union-attr]
    assert (
        html.index('id="top_topics"')
        < html.index(f'alt="{charted[1].chart.title}"')
        < html.index('id="appeals_monthly"')
    )  # type: ignore[union-attr]


def test_html_autoescape() -> None:
    title = '<script>alert("x")</script>'
    table = small_table(
        title=title, rows=[{"form": "<b>жирный</b> & co", "count": 1, "pct": 1.0}], total_row=False
    )
    html = render_html(dataclasses.replace(with_tables(table), title=title, summary=["a < b"]))
    parser = parse_html(html)
    assert parser.scripts == 0
    assert "&lt;script&gt;" in html and "<b>" not in html
    assert "&lt;b&gt;жирный&lt;/b&gt; &amp; co" in html and "a &lt; b" in html


def test_html_byte_identical(report: Report, html: str) -> None:
    assert render_html(report).encode() == html.encode()


def test_chart_skipped_without_values() -> None:
    zeros = small_table(
        rows=[{"form": "a", "count": 0, "pct": None}, {"form": "b", "count": None, "pct": 0}],
        chart=Chart("bar", "form", ("count", "pct"), "Пусто"),
        total_row=False,
    )
    assert render_png(zeros) is None
    assert "<img" not in render_html(with_tables(zeros))


def test_charts_png_deterministic(report: Report) -> None:
    for table in report.tables:
        png = render_png(table)
        if table.chart is None:
            assert png is None
            continue
        assert png is not None and png.startswith(b"\x89PNG") and png == render_png(table)
        assert b"Software" not in png and b"matplotlib" not in png


def test_pie_merges_tiny_slices(report: Report) -> None:
    table = report.table("results")
    slices = pie_slices(table, table.chart)  # type: ignore[arg-type]
    assert [label for label, _ in slices] == [
        "Разъяснено",
        "Меры приняты",
        "Поддержано",
        "Не поддержано",
        "Прочие",
    ]
    assert slices[-1][1] == 45 + 28


def test_wrap_label_cuts_long_topics() -> None:
    label = wrap_label(
        "Управляющие организации, товарищества собственников жилья и иные формы управления собственностью"
    )
    assert label.count("\n") == 1 and label.endswith("…")
    assert all(len(line) <= 38 for line in label.splitlines())


# --- xlsx ----------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def workbook_path(report: Report, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("xlsx") / "report.xlsx"
    write_xlsx(report, path)
    return path


FORMATS = {"int": "#,##0", "percent": "0.0", "decimal": "0.0"}


def test_xlsx_sheets_and_summary(report: Report, workbook_path: Path) -> None:
    workbook = load_workbook(workbook_path)
    assert workbook.sheetnames == [
        SUMMARY_SHEET,
        "Количество обращений по квартал",
        "Топ-10 тем обращений",
        "Динамика обращений по месяцам",
        "Результаты рассмотрения вопросо",
        "Сроки рассмотрения по каналам п",
    ]
    summary = workbook[SUMMARY_SHEET]
    texts = [cell.value for row in summary.iter_rows() for cell in row if cell.value is not None]
    for text in (
        report.title,
        report.territory,
        report.period,
        report.compare_period,
        report.sources,
        *report.summary,
    ):
        assert text in texts
    assert summary["A1"].font.b


def test_xlsx_table_cells(report: Report, workbook_path: Path) -> None:
    workbook = load_workbook(workbook_path)
    for table, name in zip(report.tables, workbook.sheetnames[1:], strict=True):
        sheet = workbook[name]
        assert sheet["A1"].value == table.title
        assert sheet.freeze_panes == f"A{FIRST_DATA_ROW}"
        header = [sheet.cell(HEADER_ROW, index + 1) for index in range(len(table.columns))]
        assert [cell.value for cell in header] == [column.title for column in table.columns]
        assert all(cell.font.b for cell in header)
        for offset, row in enumerate(table.rows):
            total = table.total_row and offset == len(table.rows) - 1
            for index, column in enumerate(table.columns, start=1):
                cell = sheet.cell(FIRST_DATA_ROW + offset, index)
                assert cell.value == row[column.key], (name, offset, column.key)
                assert bool(cell.font.b) == total
                if column.kind in NUMERIC and row[column.key] is not None:
                    assert isinstance(cell.value, int | float) and cell.number_format == FORMATS[column.kind]
        widths = [sheet.column_dimensions[chr(ord("A") + index)].width for index in range(len(table.columns))]
        assert all(8 <= width <= 60 for width in widths)


def test_xlsx_charts(report: Report, workbook_path: Path) -> None:
    workbook = load_workbook(workbook_path)
    # openpyxl does not read charts back: look for the chart parts inside the package instead.
    import zipfile

    with zipfile.ZipFile(workbook_path) as package:
        charts = sorted(name for name in package.namelist() if re.fullmatch(r"xl/charts/chart\d+\.xml", name))
        kinds = [
            re.search(rb"<(?:c:)?(barChart|pieChart|lineChart)>", package.read(name)).group(1)
            for name in charts
        ]  # type: ignore[union-attr]
        drawings = {
            name: package.read(name)
            for name in package.namelist()
            if re.fullmatch(r"xl/worksheets/_rels/sheet\d+\.xml\.rels", name)
        }
    assert sorted(kinds) == sorted([b"barChart", b"barChart", b"lineChart", b"pieChart"])
    with_drawing = {
        int(re.search(r"sheet(\d+)", name).group(1)) for name, rels in drawings.items() if b"drawing" in rels
    }  # type: ignore[union-attr]
    charted = {index + 2 for index, table in enumerate(report.tables) if table.chart is not None}
    assert with_drawing == charted
    assert len(workbook.sheetnames) == len(report.tables) + 1


def test_xlsx_chart_objects(report: Report, tmp_path: Path) -> None:
    from openpyxl import Workbook

    from ingestion.reports.render.xlsx import native_chart

    sheet = Workbook().active
    charts = {table.key: native_chart(sheet, table) for table in report.tables}
    assert {key: type(chart).__name__ if chart else None for key, chart in charts.items()} == {
        "appeals_by_quarter": "BarChart",
        "top_topics": "BarChart",
        "appeals_monthly": "LineChart",
        "results": "PieChart",
        "timeliness": None,
    }
    assert charts["top_topics"].type == "bar" and charts["appeals_by_quarter"].type == "col"  # type: ignore[union-attr]
    assert len(charts["appeals_by_quarter"].series) == 2 and len(charts["results"].series) == 1  # type: ignore[union-attr]


def test_xlsx_missing_value_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "small.xlsx"
    write_xlsx(with_tables(small_table()), path)
    sheet = load_workbook(path)["Обращения по формам"]
    assert sheet.cell(FIRST_DATA_ROW + 1, 3).value is None
    assert (
        sheet.cell(FIRST_DATA_ROW, 2).value == 1234567
        and sheet.cell(FIRST_DATA_ROW, 2).number_format == "#,##0"
    )
    assert (
        sheet.cell(FIRST_DATA_ROW + 4, 1).value == "Без учета повторных"
        and sheet.cell(FIRST_DATA_ROW + 4, 1).font.i
    )


def test_sheet_name_rules(tmp_path: Path) -> None:
    long_title = "Обращения граждан по тематическим разделам"  # 42 characters
    titles = [
        long_title,
        long_title,
        "Сводка",
        "Итоги: 2024/2023 [все] *?\\",
        "",
        "history",
        "'Цитата'",
        "итоги 2024 2023 все",
    ]
    names = sheet_names(titles)
    assert names == [
        "Обращения граждан по тематическ",
        "Обращения граждан по темати (2)",
        "Сводка (2)",
        "Итоги 2024 2023 все",
        "Таблица 5",
        "history (2)",
        "Цитата",
        "итоги 2024 2023 все (2)",
    ]
    assert all(len(name) <= 31 and not re.search(r"[\[\]:*?/\\]", name) for name in names)
    assert len({name.casefold() for name in names}) == len(names)
    tables = [small_table(key=f"t{index}", title=title) for index, title in enumerate(titles)]
    path = tmp_path / "names.xlsx"
    write_xlsx(with_tables(*tables), path)
    assert load_workbook(path).sheetnames == [SUMMARY_SHEET, *names]

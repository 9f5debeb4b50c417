"""Fill the report model (:mod:`ingestion.reports.model`) from the report queries.

:func:`build_report` checks what it is asked for (territory, period, sources), runs every query of
:mod:`ingestion.reports.queries` on one read-only connection — as the role of the DSN, so a municipal analyst's
row-level security applies — and turns each result into a :class:`~ingestion.reports.model.Table` (Russian
titles, column kinds, a chart where one helps) with the query's rows unchanged, plus the lead paragraphs.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import psycopg
from psycopg.rows import dict_row

from ingestion.reports.model import Chart, ChartKind, Column, Report, Table
from ingestion.reports.queries import DEFAULT_SOURCES, DEFAULT_TOP_N, report_params, run_query

OKTMO_CODE = re.compile(r"^[0-9]{8}([0-9]{3})?$")
ALL_TERRITORIES = "Все территории"
ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}

Rows = list[dict[str, Any]]
OnQuery = Callable[[str, int, float], None]
"""Called after each query: (query name, rows, milliseconds)."""


class ReportError(Exception):
    """A report that cannot be made as asked; the message says why (and what the marts hold)."""


# -- labels ----------------------------------------------------------------------------------------------------


def period_label(year: int, quarter: int | None = None) -> str:
    """«2024 год», «I квартал 2024 года», «I полугодие 2024 года», «9 месяцев 2024 года» (cumulative)."""
    if quarter is None or quarter == 4:
        return f"{year} год"
    return {1: f"I квартал {year} года", 2: f"I полугодие {year} года", 3: f"9 месяцев {year} года"}[quarter]


def plural(n: int, one: str, few: str, many: str) -> str:
    """The Russian plural form for ``n``: 1 обращение, 2 обращения, 5 обращений, 21 обращение."""
    n = abs(n)
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


def number(n: int | Decimal | float) -> str:
    """A count or a one-decimal figure the Russian way: «1 234», «7,4» (as the renderers show numbers)."""
    if isinstance(n, int):
        return f"{n:,}".replace(",", " ")
    return f"{n:,.1f}".replace(",", " ").replace(".", ",")


APPEALS = ("обращение", "обращения", "обращений")
QUESTIONS = ("вопрос", "вопроса", "вопросов")


def counted(n: int, forms: tuple[str, str, str]) -> str:
    """«1 350 обращений»."""
    return f"{number(n)} {plural(n, *forms)}"


@dataclass(frozen=True)
class Scope:
    """What one report is about: its territory, periods and sources, in Russian."""

    territory: str
    period: str
    compare_period: str
    sources: str
    quarters: int
    """Quarters of the period (the quarter columns shown)."""
    top_n: int


# -- the tables --------------------------------------------------------------------------------------------------


def _quarters(scope: Scope) -> list[Column]:
    return [Column(f"q{q}", f"{ROMAN[q]} кв.") for q in range(1, scope.quarters + 1)]


def _years(scope: Scope, *, share: bool = True) -> list[Column]:
    columns = [Column("year_total", scope.period)]
    if share:
        columns.append(Column("share_percent", "Доля, %", "percent"))
    return [
        *columns,
        Column("compare_total", scope.compare_period),
        Column("change", "Изменение"),
        Column("change_percent", "Изменение, %", "percent"),
    ]


def _year_vs_compare(category: str, title: str, kind: ChartKind = "bar") -> Callable[[Scope], Chart]:
    """The period against the compare period; ``barh`` where there are many long labels."""
    return lambda scope: Chart(kind, category, ("year_total", "compare_total"), title)


@dataclass(frozen=True)
class TableSpec:
    """How one query's rows become a table of the report."""

    query: str
    title: str
    """May name ``{top_n}``."""
    columns: Callable[[Scope], list[Column]]
    chart: Callable[[Scope], Chart] | None = None
    note: str | None = None

    def table(self, rows: Rows, scope: Scope) -> Table:
        note = self.note
        if not rows:
            note = f"{note} Нет данных за период." if note else "Нет данных за период."
        last = rows[-1] if rows else {}
        return Table(
            key=self.query,
            title=self.title.format(top_n=scope.top_n),
            columns=tuple(self.columns(scope)),
            rows=rows,
            note=note,
            chart=self.chart(scope) if self.chart and rows else None,
            total_row=any(value == "Итого" for value in last.values()),
        )


TABLES: tuple[TableSpec, ...] = (
    TableSpec(
        "appeals_by_channel_and_quarter",
        "Поступление обращений по видам доставки",
        lambda s: [
            Column("channel", "Вид доставки", "text"),
            Column("channel_group", "Группа", "text"),
            *_quarters(s),
            *_years(s, share=False),
        ],
        _year_vs_compare("channel", "Обращения по видам доставки", "barh"),
    ),
    TableSpec(
        "appeals_by_origin_and_quarter",
        "Обращения по источникам поступления",
        lambda s: [Column("origin", "Откуда поступило", "text"), *_quarters(s), *_years(s)],
        _year_vs_compare("origin", "Обращения по источникам поступления"),
    ),
    TableSpec(
        "appeals_by_type",
        "Виды обращений",
        lambda s: [Column("appeal_type", "Вид обращения", "text"), *_years(s)],
        _year_vs_compare("appeal_type", "Виды обращений"),
    ),
    TableSpec(
        "questions_by_form_and_quarter",
        "Вопросы по форме обращения",
        lambda s: [Column("form", "Форма обращения", "text"), *_quarters(s), *_years(s)],
    ),
    TableSpec(
        "questions_by_section_and_theme",
        "Тематика вопросов по разделам и тематикам классификатора",
        lambda s: [Column("section", "Раздел", "text"), Column("theme", "Тематика", "text"), *_years(s)],
        note="Строка без тематики — итог раздела; за ней следуют его тематики. Доли — от всех вопросов периода.",
    ),
    TableSpec(
        "top_topics",
        "ТОП-{top_n} вопросов",
        lambda s: [
            Column("topic_rank", "Место"),
            Column("topic", "Вопрос", "text"),
            Column("section", "Раздел", "text"),
            Column("questions", "Вопросов"),
            Column("share_percent", "Доля от общего числа вопросов, %", "percent"),
        ],
        lambda s: Chart("barh", "topic", ("questions",), f"ТОП-{s.top_n} вопросов"),
        note="Уточнения учтены в своем вопросе; при равенстве на последнем месте показаны все.",
    ),
    TableSpec(
        "question_results",
        "Результаты рассмотрения вопросов",
        lambda s: [
            Column("line", "Результат", "text"),
            Column("questions", "Вопросов"),
            Column("share_percent", "Доля, %", "percent"),
        ],
        lambda s: Chart("barh", "line", ("questions",), "Результаты рассмотрения вопросов"),
        note="«В т.ч. меры приняты» — часть строки «Поддержано».",
    ),
    TableSpec(
        "questions_reviewed",
        "Вопросы на контроле, рассмотренные комиссионно, с выездом на место, с участием автора",
        lambda s: [Column("line", "Показатель", "text"), *_years(s)],
        note="Вопрос учитывается в каждой строке, признак которой у него есть; доли — от всех вопросов.",
    ),
    TableSpec(
        "appeal_satisfaction",
        "Удовлетворенность заявителей результатами рассмотрения обращений",
        lambda s: [
            Column("satisfaction", "Оценка заявителя", "text"),
            Column("year_total", s.period),
            Column("share_percent", "Доля, %", "percent"),
            Column("share_of_known_percent", "Доля от известных оценок, %", "percent"),
            Column("compare_total", s.compare_period),
            Column("change", "Изменение"),
            Column("change_percent", "Изменение, %", "percent"),
        ],
        lambda s: Chart("pie", "satisfaction", ("year_total",), "Удовлетворенность заявителей"),
        note="Учитывается по обращению; «Не известно» — заявитель не опрошен или ответ еще не дан.",
    ),
    TableSpec(
        "personal_reception",
        "Личный прием граждан",
        lambda s: [
            Column("received_by", "Кто вел прием", "text"),
            Column("section", "Раздел классификатора", "text"),
            Column("appeals", "Обращений"),
            Column("questions", "Вопросов"),
        ],
        note="Обращения реестра, поступившие на личном и выездном приеме.",
    ),
    TableSpec(
        "pos_messages_vs_official",
        "Платформа обратной связи (ПОС): сообщения и обращения по 59-ФЗ",
        lambda s: [
            Column("line", "Квартал", "text"),
            Column("messages", "Сообщения"),
            Column("official_appeals", "Обращения по 59-ФЗ"),
            Column("total", "Всего"),
            Column("official_share_percent", "Доля обращений по 59-ФЗ, %", "percent"),
            Column("solved", "Решено"),
            Column("explained", "Разъяснено"),
            Column("rejected", "Отклонено"),
            Column("in_progress", "На рассмотрении"),
            Column("overdue", "Просрочено"),
            Column("average_rating", "Средняя оценка", "decimal"),
        ],
        note="Только записи ПОС, какие бы источники ни были выбраны для остальных таблиц.",
    ),
    TableSpec(
        "incidents_by_network_and_status",
        "Инциденты в социальных сетях",
        lambda s: [
            Column("social_network", "Социальная сеть", "text"),
            Column("result", "Результат", "text"),
            Column("incidents", "Инцидентов"),
            Column("median_response_hours", "Медиана времени ответа, ч", "decimal"),
        ],
        note="Инцидент Менеджмент, без спама; только инциденты, какие бы источники ни были выбраны.",
    ),
)
"""The report's tables, in the order of the published reports."""


# -- checks and look-ups -----------------------------------------------------------------------------------------


def _territory(conn: psycopg.Connection, code: str | None) -> str:
    """«город Томск (ОКТМО 69701000)», or ReportError naming the code and the closest known codes."""
    if code is None:
        return ALL_TERRITORIES
    if not OKTMO_CODE.match(code):
        raise ReportError(
            f"territory {code!r}: expected an ОКТМО code of 8 digits (region, municipality) or 11 (settlement)"
        )
    found = conn.execute(
        "select name from marts.dim_territory where oktmo = %s order by is_current desc, valid_from desc",
        [code],
    ).fetchone()
    if found is None:
        raise ReportError(f"territory {code} is not in marts.dim_territory{_closest(conn, code)}")
    return f"{found['name']} (ОКТМО {code})"


def _closest(conn: psycopg.Connection, code: str) -> str:
    """«; closest: …» — codes that share the longest prefix with ``code`` (municipalities first), if any."""
    for length in (5, 2):
        rows = conn.execute(
            """
            select oktmo, name from marts.dim_territory
            where oktmo like %s and is_current
            order by case level when 'region' then 0 when 'municipality' then 1 else 2 end, oktmo
            limit 5
            """,
            [code[:length] + "%"],
        ).fetchall()
        if rows:
            return "; closest: " + ", ".join(f"{r['oktmo']} {r['name']}" for r in rows)
    return ""


def _sources(conn: psycopg.Connection, sources: Sequence[str]) -> str:
    """The Russian labels of the sources, or ReportError naming the unknown codes."""
    if not sources:
        raise ReportError("no sources: name at least one of register, pos, incident")
    labels = {
        r["source_code"]: r["label_ru"]
        for r in conn.execute("select source_code, label_ru from marts.dim_source order by sort_order")
    }
    unknown = [s for s in sources if s not in labels]
    if unknown:
        raise ReportError(f"unknown source(s) {', '.join(unknown)}; the marts know {', '.join(labels)}")
    return ", ".join(labels[s] for s in sources)


def _check_has_data(conn: psycopg.Connection, params: dict[str, Any], territory: str, period: str) -> None:
    """ReportError unless the report period holds appeals of the sources for the territory."""
    found = conn.execute(
        """
        select
            count(*) filter (
                where month_start >= make_date(%(year)s, 1, 1)
                    and month_start < cast(
                        make_date(%(year)s, 1, 1) + make_interval(months => %(through_month)s) as date
                    )
            ) as in_period,
            cast(min(extract(year from month_start)) as integer) as first_year,
            cast(max(extract(year from month_start)) as integer) as last_year
        from marts.agg_appeals_monthly
        where source_code = any(%(sources)s)
            and (
                cast(%(territory)s as text) is null
                or territory_key in (select access.territory_keys(%(territory)s))
            )
            and appeals > 0
        """,
        params,
    ).fetchone()
    if found["in_period"]:
        return
    if found["first_year"] is None:
        held = conn.execute(
            """
            select
                cast(min(extract(year from month_start)) as integer) as first_year,
                cast(max(extract(year from month_start)) as integer) as last_year
            from marts.agg_appeals_monthly
            """
        ).fetchone()
        years = _years_text(held["first_year"], held["last_year"])
        raise ReportError(
            f"no appeals for {territory} in {period}; the marts hold none of these sources for it"
            + (f" (years {years} for the territories this role sees)" if years else "")
        )
    years = _years_text(found["first_year"], found["last_year"])
    raise ReportError(f"no appeals for {territory} in {period}; the marts hold years {years}")


def _years_text(first: int | None, last: int | None) -> str:
    if first is None:
        return ""
    return str(first) if first == last else f"{first}–{last}"


# -- the lead paragraphs -----------------------------------------------------------------------------------------


def _change(current: int, previous: int, forms: tuple[str, str, str], compare_period: str) -> str:
    """«, что на 7 обращений меньше, чем за 2023 год (1 357), или на 0,5 %» (empty when there is nothing)."""
    if previous == 0:
        return f"; за {compare_period} их не было" if current else ""
    if current == previous:
        return f", столько же, сколько за {compare_period}"
    difference = current - previous
    direction = "больше" if difference > 0 else "меньше"
    return (
        f", что на {counted(abs(difference), forms)} {direction}, чем за {compare_period}"
        f" ({number(previous)}), или на {number(_percent(abs(difference), previous))} %"
    )


def _percent(part: int, whole: int) -> Decimal:
    """As the queries round: one decimal, halves away from zero."""
    return (Decimal(100 * part) / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _line(rows: Rows, key: str, code: str) -> dict[str, Any] | None:
    return next((r for r in rows if r.get(key) == code), None)


def summary(results: dict[str, Rows], scope: Scope) -> list[str]:
    """Two to four lead paragraphs in the style of the published reports."""
    channels = results["appeals_by_channel_and_quarter"]
    appeals = sum(r["year_total"] for r in channels)
    appeals_before = sum(r["compare_total"] for r in channels)
    lead = f"За {scope.period} поступило {counted(appeals, APPEALS)}"
    lead += _change(appeals, appeals_before, APPEALS, scope.compare_period) + "."
    if channels and channels[0]["year_total"]:
        top = channels[0]
        lead += (
            f" Больше всего обращений поступило по каналу «{top['channel']}» — {number(top['year_total'])}"
            f" ({number(_percent(top['year_total'], appeals))} %)."
        )
    regional = _line(results["appeals_by_origin_and_quarter"], "origin_code", "regional_admin")
    if regional and regional["year_total"]:
        lead += f" В том числе из администрации субъекта — {counted(regional['year_total'], APPEALS)}"
        lead += (
            _change(regional["year_total"], regional["compare_total"], APPEALS, scope.compare_period) + "."
        )
    paragraphs = [lead]

    total = _line(results["questions_reviewed"], "line_code", "total")
    if total:
        questions = f"В обращениях поставлено {counted(total['year_total'], QUESTIONS)}"
        questions += _change(total["year_total"], total["compare_total"], QUESTIONS, scope.compare_period)
        paragraphs.append(questions + ".")

    topics = results["top_topics"]
    if topics:
        top = topics[0]
        paragraphs.append(
            f"Чаще всего граждане обращались по вопросу «{top['topic']}» (раздел «{top['section']}»):"
            f" {counted(top['questions'], QUESTIONS)}, {number(top['share_percent'])} % от общего числа"
            " вопросов."
        )

    results_rows = results["question_results"]
    supported = _line(results_rows, "line_code", "supported")
    measures = _line(results_rows, "line_code", "supported_measures_taken")
    explained = _line(results_rows, "line_code", "explained")
    if supported and measures and explained and any(r["questions"] for r in results_rows):
        paragraphs.append(
            f"По результатам рассмотрения поддержано {counted(supported['questions'], QUESTIONS)}"
            f" ({_share(supported)}), в т.ч. меры приняты по {number(measures['questions'])}"
            f" ({_share(measures)}); разъяснено {number(explained['questions'])} ({_share(explained)})."
        )
    return paragraphs


def _share(row: dict[str, Any]) -> str:
    share = row.get("share_percent")
    return "—" if share is None else f"{number(share)} %"


# -- the report --------------------------------------------------------------------------------------------------


def build_report(
    dsn: str,
    *,
    territory: str | None,
    year: int,
    compare_year: int | None = None,
    quarter: int | None = None,
    sources: Sequence[str] = DEFAULT_SOURCES,
    top_n: int = DEFAULT_TOP_N,
    on_query: OnQuery | None = None,
) -> Report:
    """The report of ``territory`` (an ОКТМО code, with every territory under it; None: all) for January to
    the end of ``quarter`` (None: the whole year) of ``year``, compared with the same months of ``compare_year``
    (default: the year before), counting ``sources``. Raises :class:`ReportError` when it cannot be made."""
    if quarter is not None and quarter not in (1, 2, 3, 4):
        raise ReportError(f"quarter must be 1, 2, 3 or 4, got {quarter}")
    if compare_year is not None and compare_year == year:
        raise ReportError(f"the comparison year must differ from the report year ({year})")
    if top_n < 1:
        raise ReportError(f"top_n must be at least 1, got {top_n}")
    params = report_params(
        year, compare_year=compare_year, quarter=quarter, sources=sources, territory=territory, top_n=top_n
    )
    period = period_label(year, quarter)
    compare_period = period_label(params["compare_year"], quarter)
    results: dict[str, Rows] = {}
    try:
        with psycopg.connect(dsn, row_factory=dict_row) as conn:
            conn.read_only = True  # one snapshot for every table, and nothing written
            conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            label = _territory(conn, territory)
            source_labels = _sources(conn, list(sources))
            _check_has_data(conn, params, label, period)
            for spec in TABLES:
                started = time.perf_counter()
                results[spec.query] = run_query(conn, spec.query, params)
                if on_query:
                    on_query(spec.query, len(results[spec.query]), (time.perf_counter() - started) * 1000)
    except psycopg.errors.UndefinedTable as error:
        raise ReportError(f"the marts are not published yet (appeals build): {error}".strip()) from error
    except psycopg.errors.InvalidSchemaName as error:
        raise ReportError(
            f"the warehouse lacks a schema the reports need (appeals warehouse up): {error}"
        ) from error
    except psycopg.errors.InsufficientPrivilege as error:
        raise ReportError(f"this role may not read the marts: {error}".strip()) from error
    scope = Scope(
        territory=label,
        period=period,
        compare_period=compare_period,
        sources=source_labels,
        quarters=(params["through_month"] + 2) // 3,
        top_n=top_n,
    )
    return Report(
        title=f"Информация о работе с обращениями граждан за {period}",
        territory=label,
        period=period,
        compare_period=compare_period,
        sources=source_labels,
        tables=[spec.table(results[spec.query], scope) for spec in TABLES],
        summary=summary(results, scope),
    )

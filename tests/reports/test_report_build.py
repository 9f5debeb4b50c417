"""The report builder: it checks what it is asked, carries every query's rows unchanged into its tables, names
the territory and the periods in Russian, writes the lead paragraphs, and runs as the role it connects with
(a municipal analyst sees only its territories)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from decimal import Decimal

import psycopg
import pytest
from psycopg import sql

from ingestion.reports.build import (
    TABLES,
    ReportError,
    Scope,
    build_report,
    period_label,
    plural,
    summary,
)
from ingestion.reports.model import Report
from ingestion.reports.queries import load_queries, report_params, run_query
from ingestion.warehouse.connection import with_user
from tests.dbt.conftest import Built

UKHTA, TOMSK, TOMSK_REGION = "87725000", "69701000", "69000000"
slow = pytest.mark.slow


# -- labels and the lead paragraphs (no database) ----------------------------------------------------------------


def test_period_labels_are_cumulative() -> None:
    assert [period_label(2024, q) for q in (None, 1, 2, 3, 4)] == [
        "2024 год",
        "I квартал 2024 года",
        "I полугодие 2024 года",
        "9 месяцев 2024 года",
        "2024 год",
    ]


@pytest.mark.parametrize(
    ("n", "form"),
    [
        (1, "обращение"),
        (2, "обращения"),
        (5, "обращений"),
        (11, "обращений"),
        (21, "обращение"),
        (112, "обращений"),
    ],
)
def test_russian_plurals(n: int, form: str) -> None:
    assert plural(n, "обращение", "обращения", "обращений") == form


def test_every_query_is_a_table_of_the_report() -> None:
    assert sorted(spec.query for spec in TABLES) == sorted(load_queries())


def scope(**changes: object) -> Scope:
    return Scope(
        **{
            "territory": "город Томск (ОКТМО 69701000)",
            "period": "I полугодие 2024 года",
            "compare_period": "I полугодие 2023 года",
            "sources": "Реестр обращений (59-ФЗ)",
            "quarters": 2,
            "top_n": 10,
            **changes,
        }
    )


def results(appeals: tuple[int, int], questions: tuple[int, int]) -> dict[str, list[dict]]:
    """The rows the lead paragraphs read, with these (year, comparison) totals."""
    return {
        "appeals_by_channel_and_quarter": [
            {"channel": "Интернет-приемная", "year_total": appeals[0] - 10, "compare_total": appeals[1] - 5},
            {"channel": "Почта России", "year_total": 10, "compare_total": 5},
        ],
        "appeals_by_origin_and_quarter": [
            {"origin_code": "regional_admin", "year_total": 372, "compare_total": 590},
        ],
        "questions_reviewed": [
            {"line_code": "total", "year_total": questions[0], "compare_total": questions[1]},
        ],
        "top_topics": [
            {
                "topic": "Комплексное благоустройство",
                "section": "Экономика",
                "questions": 117,
                "share_percent": Decimal("7.4"),
            }
        ],
        "question_results": [
            {"line_code": "supported", "questions": 260, "share_percent": Decimal("16.5")},
            {"line_code": "supported_measures_taken", "questions": 132, "share_percent": Decimal("8.4")},
            {"line_code": "explained", "questions": 887, "share_percent": Decimal("56.4")},
        ],
    }


def test_lead_paragraphs_in_the_style_of_the_seeds() -> None:
    lead = summary(results((3723, 3730), (4328, 4285)), scope())
    assert 2 <= len(lead) <= 4
    assert lead[0].startswith(
        "За I полугодие 2024 года поступило 3 723 обращения, что на 7 обращений меньше,"
    )
    assert "чем за I полугодие 2023 года (3 730), или на 0,2 %." in lead[0]
    assert "по каналу «Интернет-приемная» — 3 713" in lead[0]
    assert "из администрации субъекта — 372 обращения, что на 218 обращений меньше" in lead[0]
    assert lead[1] == (
        "В обращениях поставлено 4 328 вопросов, что на 43 вопроса больше, чем за I полугодие 2023 года"
        " (4 285), или на 1,0 %."
    )
    assert "«Комплексное благоустройство» (раздел «Экономика»): 117 вопросов, 7,4 %" in lead[2]
    assert lead[3] == (
        "По результатам рассмотрения поддержано 260 вопросов (16,5 %), в т.ч. меры приняты по 132"
        " (8,4 %); разъяснено 887 (56,4 %)."
    )


def test_lead_paragraphs_without_a_comparison() -> None:
    lead = summary(results((21, 0), (21, 21)), scope())
    assert lead[0].startswith(
        "За I полугодие 2024 года поступило 21 обращение; за I полугодие 2023 года их не было."
    )
    assert lead[1] == "В обращениях поставлено 21 вопрос, столько же, сколько за I полугодие 2023 года."


# -- on the generated year ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tomsk(built_year: Built) -> Report:
    return build_report(built_year.warehouse.dsn, territory=TOMSK, year=2024)


def query_rows(dsn: str, **options: object) -> dict[str, list[dict]]:
    params = report_params(2024, **options)
    with psycopg.connect(dsn) as conn:
        return {name: run_query(conn, name, params) for name in load_queries()}


@slow
def test_tables_carry_the_query_rows_unchanged(built_year: Built, tomsk: Report) -> None:
    rows = query_rows(built_year.warehouse.dsn, territory=TOMSK)
    assert [t.key for t in tomsk.tables] == [spec.query for spec in TABLES]
    for table in tomsk.tables:
        assert table.rows == rows[table.key], table.key
        assert table.rows, table.key
        keys = set(table.rows[0])
        assert {c.key for c in table.columns} <= keys, table.key
        assert all(c.title for c in table.columns), table.key
        if table.chart:
            assert {table.chart.category, *table.chart.values} <= keys, table.key
            assert not table.total_row, table.key  # a chart never plots an «Итого» line
        kinds = {c.key: c.kind for c in table.columns}
        assert all(kinds[k] == "percent" for k in kinds if k.endswith("_percent")), table.key
    totals = {t.key for t in tomsk.tables if t.total_row}
    assert totals == {"questions_by_form_and_quarter", "pos_messages_vs_official"}
    assert tomsk.table("top_topics").title == "ТОП-10 вопросов"
    assert tomsk.table("top_topics").chart.kind == "barh"
    assert tomsk.table("appeal_satisfaction").chart.kind == "pie"
    assert tomsk.table("appeals_by_channel_and_quarter").chart.values == ("year_total", "compare_total")


@slow
def test_title_territory_periods_and_sources(tomsk: Report, built_year: Built) -> None:
    assert tomsk.title == "Информация о работе с обращениями граждан за 2024 год"
    assert tomsk.territory == "город Томск (ОКТМО 69701000)"
    assert (tomsk.period, tomsk.compare_period) == ("2024 год", "2023 год")
    assert tomsk.sources == "Реестр обращений (59-ФЗ)"
    channels = tomsk.table("appeals_by_channel_and_quarter")
    assert [c.key for c in channels.columns][2:6] == ["q1", "q2", "q3", "q4"]
    assert [c.title for c in channels.columns][6:8] == ["2024 год", "2023 год"]
    appeals = sum(r["year_total"] for r in channels.rows)
    assert tomsk.summary[0].startswith(f"За 2024 год поступило {appeals} обращени")
    assert 3 <= len(tomsk.summary) <= 4

    region = build_report(
        built_year.warehouse.dsn, territory=TOMSK_REGION, year=2024, sources=["register", "pos"]
    )
    assert region.territory == "Томская область (ОКТМО 69000000)"
    assert region.sources == "Реестр обращений (59-ФЗ), Платформа обратной связи (ПОС)"
    every = build_report(built_year.warehouse.dsn, territory=None, year=2024)
    assert every.territory == "Все территории"


@slow
def test_a_half_year_report(built_year: Built) -> None:
    half = build_report(built_year.warehouse.dsn, territory=UKHTA, year=2024, quarter=2, top_n=5)
    assert half.title == "Информация о работе с обращениями граждан за I полугодие 2024 года"
    assert (half.period, half.compare_period) == ("I полугодие 2024 года", "I полугодие 2023 года")
    rows = query_rows(built_year.warehouse.dsn, territory=UKHTA, quarter=2, top_n=5)
    assert all(t.rows == rows[t.key] for t in half.tables)
    channels = half.table("appeals_by_channel_and_quarter")
    assert [c.title for c in channels.columns if c.key.startswith("q")] == ["I кв.", "II кв."]
    assert half.table("top_topics").title == "ТОП-5 вопросов"
    assert half.table("pos_messages_vs_official").rows[-1]["line"] == "Итого"


@slow
@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"territory": "6970100"}, "expected an ОКТМО code of 8 digits"),
        ({"territory": "69701999"}, "territory 69701999 is not in marts.dim_territory; closest: 69701000"),
        (
            {"territory": TOMSK, "year": 2030},
            "no appeals for город Томск (ОКТМО 69701000) in 2030 год; the marts hold years 2024",
        ),
        ({"territory": None, "quarter": 5}, "quarter must be 1, 2, 3 or 4"),
        ({"territory": None, "compare_year": 2024}, "must differ"),
        ({"territory": None, "sources": ["register", "mail"]}, "unknown source(s) mail"),
        ({"territory": TOMSK, "sources": ["incident"], "quarter": 1, "year": 2025}, "no appeals for"),
    ],
)
def test_what_cannot_be_reported_is_said(built_year: Built, options: dict, message: str) -> None:
    with pytest.raises(ReportError, match=message.replace("(", r"\(").replace(")", r"\)")):
        build_report(built_year.warehouse.dsn, **{"year": 2024, **options})


@pytest.fixture
def municipal_role(built_year: Built) -> Iterator[str]:
    """A municipal analyst (a login role of ``municipal_analyst``) granted Томск only."""
    from ingestion import access

    role = f"mo_report_{uuid.uuid4().hex[:8]}"
    access.grant(built_year.warehouse.dsn, role, [TOMSK])
    yield role
    with psycopg.connect(built_year.warehouse.dsn, autocommit=True) as conn:
        conn.execute("delete from access.territory_grants where role_name = %s", [role])
        conn.execute(sql.SQL("drop role if exists {}").format(sql.Identifier(role)))


@slow
def test_a_report_runs_as_the_role_it_connects_with(
    built_year: Built, tomsk: Report, municipal_role: str
) -> None:
    """An analyst sees everything; a municipal analyst's report of every territory is its municipality's, and
    another municipality has no appeals for it."""
    dsn = built_year.warehouse.dsn
    as_analyst = build_report(with_user(dsn, "analyst"), territory=TOMSK, year=2024)
    assert [t.rows for t in as_analyst.tables] == [t.rows for t in tomsk.tables]

    mine = build_report(with_user(dsn, municipal_role), territory=None, year=2024)
    assert mine.territory == "Все территории"
    assert [t.rows for t in mine.tables] == [t.rows for t in tomsk.tables]
    with pytest.raises(ReportError, match="no appeals for Ухта"):
        build_report(with_user(dsn, municipal_role), territory=UKHTA, year=2024)

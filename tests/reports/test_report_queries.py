"""The report queries in ``ingestion/reports/queries/`` reproduce, on generated data, what the truth says the
published tables of the seed reports would hold (appeals by channel, by origin and quarter, results with «в т.ч.
меры приняты», top topics, ПОС messages vs 59-ФЗ appeals, incidents by status, personal reception, questions by
form and quarter, appeal types, satisfaction, classifier sections and themes, questions reviewed by commission /
on site / with the applicant) — for the whole year, for January to June (cumulative periods), against a
comparison year, for a municipality, its region, a settlement under it, and every territory."""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pandas as pd
import psycopg
import pytest
from psycopg import sql

from ingestion.generate.truth import TRUTH_DIR, read_table
from ingestion.reports.queries import load_queries, report_params, run_query
from ingestion.settings import load_settings
from tests.dbt.conftest import Built

pytestmark = pytest.mark.slow

UKHTA, TOMSK = "87725000", "69701000"
YEAR_OVER_YEAR = (
    "appeals_by_channel_and_quarter",
    "appeals_by_origin_and_quarter",
    "questions_by_form_and_quarter",
    "appeals_by_type",
    "appeal_satisfaction",
    "questions_by_section_and_theme",
    "questions_reviewed",
)
SINGLE_YEAR = (
    "question_results",
    "top_topics",
    "pos_messages_vs_official",
    "incidents_by_network_and_status",
    "personal_reception",
)
KEYS = {
    "appeals_by_channel_and_quarter": ("channel_code",),
    "appeals_by_origin_and_quarter": ("origin_code",),
    "questions_by_form_and_quarter": ("form_code",),
    "appeals_by_type": ("appeal_type_code",),
    "appeal_satisfaction": ("satisfaction_code",),
    "questions_by_section_and_theme": ("level", "section_code", "theme_code"),
    "questions_reviewed": ("line_code",),
}
FORMS = ["written", "electronic", "oral"]
APPEAL_TYPES = ["statement", "proposal", "complaint", "request", "gratitude", "other"]
SATISFACTION = ["satisfied", "partly_satisfied", "not_satisfied", "unknown"]
ORIGINS = ["direct", "regional_admin", "presidential", "other_body"]


# -- the truth ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Truth:
    """The generator's appeals (spam excluded) and their questions as data frames; a question carries its
    appeal's source, ОКТМО, month, quarter, form and on-control flag, and its classifier section and theme."""

    appeals: pd.DataFrame
    questions: pd.DataFrame

    def where(
        self,
        *,
        sources: tuple[str, ...] | None = ("register",),
        through_month: int = 12,
        oktmo: str | None = None,
        months: set[int] | None = None,
    ) -> Truth:
        """The part a report of these parameters counts (``sources=None``: every source)."""

        def keep(frame: pd.DataFrame) -> pd.DataFrame:
            mask = frame["month"] <= through_month
            if sources is not None:
                mask &= frame["source_code"].isin(sources)
            if oktmo is not None:
                mask &= frame["oktmo"] == oktmo
            if months is not None:
                mask &= frame["month"].isin(months)
            return frame[mask]

        return Truth(keep(self.appeals), keep(self.questions))


@pytest.fixture(scope="module")
def truth(built_year: Built) -> Truth:
    appeals = pd.DataFrame(read_table(built_year.landing / TRUTH_DIR / "appeals.csv"))
    appeals = appeals[appeals["is_spam"] != "true"].copy()
    assert set(appeals["received_date"].str[:4]) == {"2024"}
    appeals["month"] = appeals["received_date"].str[5:7].astype(int)
    appeals["quarter"] = (appeals["month"] - 1) // 3 + 1
    questions = pd.DataFrame(read_table(built_year.landing / TRUTH_DIR / "questions.csv")).merge(
        appeals[["appeal_id", "source_code", "oktmo", "month", "quarter", "form", "on_control"]],
        on="appeal_id",
        validate="many_to_one",
    )
    classifier = pd.read_csv(
        load_settings().reference_dir / "classifier.csv", dtype=str, keep_default_na=False
    ).set_index("code")
    unclassified = questions["topic_code"] == "unclassified"  # ПОС categories and rubrics left unmapped
    for code, name in (("section_code", "section"), ("theme_code", "theme")):
        questions[code] = questions["topic_code"].map(classifier[code]).mask(unclassified, "unclassified")
        questions[name] = questions[code].map(classifier["name"]).mask(unclassified, "Не классифицировано")
    register = questions[questions["source_code"] == "register"]
    assert register[["section", "theme"]].notna().all().all()
    return Truth(appeals, questions)


@pytest.fixture(scope="module")
def register(truth: Truth) -> Truth:
    """What the default report counts: the register's appeals and questions of 2024."""
    return truth.where()


def percent(part: int, whole: int) -> Decimal | None:
    """``round(100.0 * part / nullif(whole, 0), 1)``: one decimal, halves away from zero, null on 0."""
    if whole == 0:
        return None
    return (Decimal(100 * part) / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def counts(series: pd.Series, codes: list[str]) -> dict[str, int]:
    """Value counts of a column over a fixed list of codes (zero for the missing)."""
    return {code: int(n) for code, n in series.value_counts().reindex(codes, fill_value=0).items()}


def nonzero(mapping: dict) -> dict:
    return {key: value for key, value in mapping.items() if value}


def expected_totals(name: str, part: Truth) -> dict[tuple, int]:
    """What a year-over-year query's period column should hold for this part of the truth, by its key."""
    appeals, questions = part.appeals, part.questions
    if name == "appeals_by_channel_and_quarter":
        found = appeals["channel_code"].value_counts()
    elif name == "appeals_by_origin_and_quarter":
        found = appeals["origin_code"].value_counts()
    elif name == "appeals_by_type":
        found = appeals["appeal_type"].value_counts()
    elif name == "appeal_satisfaction":
        found = appeals["satisfaction"].replace("", "unknown").value_counts()
    elif name == "questions_by_form_and_quarter":
        found = {**questions["form"].value_counts().to_dict(), "total": len(questions)}
    elif name == "questions_reviewed":
        found = {
            "total": len(questions),
            "on_control": int((questions["on_control"] == "true").sum()),
            "by_commission": int((questions["by_commission"] == "true").sum()),
            "on_site": int((questions["on_site"] == "true").sum()),
            "with_applicant": int((questions["with_applicant"] == "true").sum()),
        }
    elif name == "questions_by_section_and_theme":
        sections = questions.groupby("section_code").size()
        themes = questions.groupby(["section_code", "theme_code"]).size()
        return nonzero(
            {(1, s, None): int(n) for s, n in sections.items()}
            | {(2, s, t): int(n) for (s, t), n in themes.items()}
        )
    else:
        raise KeyError(name)
    return nonzero({(key,): int(n) for key, n in dict(found).items()})


def actual(name: str, rows: list[dict], column: str = "year_total") -> dict[tuple, int]:
    """A year-over-year query's column by its key (zero lines left out)."""
    return nonzero({tuple(r[k] for k in KEYS[name]): r[column] for r in rows})


def expected_single(
    name: str, part: Truth, *, top_n: int = 10, sources: tuple[str, ...] = ("register",)
) -> Any:
    """What a single-year query should hold for this part of the truth (every source of it: the ПОС,
    incident and personal-reception queries pick their own; results and top topics count ``sources``)."""
    appeals, questions = part.appeals, part.questions
    register = questions[questions["source_code"].isin(sources)]
    if name == "question_results":
        found = Counter(register["result_code"])
        found["supported_measures_taken"] = int(
            ((register["result_code"] == "supported") & (register["measures_taken"] == "true")).sum()
        )
        return +found
    if name == "top_topics":
        by_question = Counter(code[:19] for code in register["topic_code"])
        if not by_question:
            return {}
        cutoff = sorted(by_question.values(), reverse=True)[:top_n][-1]  # ties at the N-th place all shown
        return {code: n for code, n in by_question.items() if n >= cutoff}
    if name == "pos_messages_vs_official":
        pos = appeals[appeals["source_code"] == "pos"]
        return {
            int(q): (
                int((group["is_official_appeal"] == "false").sum()),
                int((group["is_official_appeal"] == "true").sum()),
                int((group["final_result_code"] == "supported").sum()),
                int((group["final_result_code"] == "not_supported").sum()),
                int((group["final_result_code"] == "in_progress").sum()),
            )
            for q, group in pos.groupby("quarter")
        }
    if name == "incidents_by_network_and_status":
        return Counter(appeals.loc[appeals["source_code"] == "incident", "final_result_code"])
    if name == "personal_reception":
        personal = set(
            appeals.loc[
                (appeals["source_code"] == "register")
                & appeals["channel_code"].isin(["personal_reception", "field_reception"]),
                "appeal_id",
            ]
        )
        mine = questions[questions["appeal_id"].isin(personal)]
        keys = zip(mine["received_by"].replace("", "unknown"), mine["section"], strict=True)
        grouped: dict[tuple[str, str], tuple[set, int]] = {}
        for key, appeal_id in zip(keys, mine["appeal_id"], strict=True):
            ids, n = grouped.get(key, (set(), 0))
            grouped[key] = (ids | {appeal_id}, n + 1)
        return {key: (len(ids), n) for key, (ids, n) in grouped.items()}
    raise KeyError(name)


def actual_single(name: str, rows: list[dict]) -> Any:
    if name == "question_results":
        return +Counter({r["line_code"]: r["questions"] for r in rows})
    if name == "top_topics":
        return {r["topic_code"]: r["questions"] for r in rows}
    if name == "pos_messages_vs_official":
        return {
            r["quarter"]: (r["messages"], r["official_appeals"], r["solved"], r["rejected"], r["in_progress"])
            for r in rows
            if r["quarter"] is not None and r["total"]
        }
    if name == "incidents_by_network_and_status":
        found: Counter = Counter()
        for r in rows:
            found[r["result_code"]] += r["incidents"]
        return found
    if name == "personal_reception":
        return {(r["received_by_code"], r["section"]): (r["appeals"], r["questions"]) for r in rows}
    raise KeyError(name)


def assert_matches(reports: dict[str, list[dict]], part: Truth, every_source: Truth, what: str) -> None:
    """Every query's numbers are this part of the truth: ``part`` for the queries that count the report's
    sources, ``every_source`` (the same cut, all sources) for those that pick their own."""
    for name in YEAR_OVER_YEAR:
        assert actual(name, reports[name]) == expected_totals(name, part), f"{what}: {name}"
    for name in SINGLE_YEAR:
        assert actual_single(name, reports[name]) == expected_single(name, every_source), f"{what}: {name}"


# -- running the queries -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def conn(built_year: Built) -> Iterator[psycopg.Connection]:
    with psycopg.connect(built_year.warehouse.dsn, autocommit=True) as connection:
        yield connection


def run_all(connection: psycopg.Connection, year: int = 2024, **options: Any) -> dict[str, list[dict]]:
    """Every report query with the parameters of ``report_params(year, **options)``."""
    params = report_params(year, **options)
    return {name: run_query(connection, name, params) for name in load_queries()}


@pytest.fixture(scope="module")
def reports(conn: psycopg.Connection) -> dict[str, list[dict]]:
    """Every query for 2024 with the default parameters (register, every territory, the whole year)."""
    return run_all(conn)


@pytest.fixture(scope="module")
def next_year_reports(conn: psycopg.Connection) -> dict[str, list[dict]]:
    """Every query for 2025 compared with 2024: the generated 2024 is the comparison year."""
    return run_all(conn, 2025, compare_year=2024)


# -- the whole year ----------------------------------------------------------------------------------------------


def test_every_query_runs(reports: dict) -> None:
    assert set(reports) == {*YEAR_OVER_YEAR, *SINGLE_YEAR}
    assert all(reports[name] for name in reports), [name for name in reports if not reports[name]]


def test_the_whole_year_is_the_truth(reports: dict, truth: Truth, register: Truth) -> None:
    assert_matches(reports, register, truth.where(sources=None), "2024")


def test_appeals_by_channel_and_quarter(reports: dict, register: Truth) -> None:
    appeals = register.appeals
    expected = Counter(zip(appeals["channel_code"], appeals["quarter"], strict=True))
    rows = reports["appeals_by_channel_and_quarter"]
    found = Counter({(r["channel_code"], q): r[f"q{q}"] for r in rows for q in (1, 2, 3, 4) if r[f"q{q}"]})
    assert found == expected
    assert all(r["year_total"] == r["q1"] + r["q2"] + r["q3"] + r["q4"] for r in rows)
    assert all(r["compare_total"] == 0 and r["change_percent"] is None for r in rows)  # one year generated
    assert [r["year_total"] for r in rows] == sorted((r["year_total"] for r in rows), reverse=True)
    assert all(r["channel"] and r["channel_group"] for r in rows)


def test_appeals_by_origin_and_quarter(reports: dict, register: Truth) -> None:
    appeals = register.appeals
    assert set(appeals["origin_code"]) <= set(ORIGINS)
    rows = reports["appeals_by_origin_and_quarter"]
    assert [r["origin_code"] for r in rows] == ORIGINS
    assert [r["origin"] for r in rows] == [
        "Непосредственно от заявителя",
        "Администрация субъекта",
        "Приемная Президента",
        "Другие органы",
    ]
    expected = Counter(zip(appeals["origin_code"], appeals["quarter"], strict=True))
    found = Counter({(r["origin_code"], q): r[f"q{q}"] for r in rows for q in (1, 2, 3, 4) if r[f"q{q}"]})
    assert found == expected
    assert {r["origin_code"]: r["year_total"] for r in rows} == counts(appeals["origin_code"], ORIGINS)
    assert {r["origin_code"]: r["share_percent"] for r in rows} == {
        code: percent(n, len(appeals)) for code, n in counts(appeals["origin_code"], ORIGINS).items()
    }
    assert all(r["compare_total"] == 0 and r["change"] == r["year_total"] for r in rows)


def test_question_results_with_measures_taken(reports: dict, register: Truth) -> None:
    rows = reports["question_results"]
    assert rows[0]["line_code"] == "supported" and rows[1]["line"] == "в т.ч. меры приняты"
    assert rows[1]["share_percent"] == percent(rows[1]["questions"], len(register.questions))
    shares = sum(r["share_percent"] for r in rows if r["line_code"] != "supported_measures_taken")
    assert abs(shares - 100) <= Decimal("0.5")


def test_top_topics_with_shares(reports: dict, register: Truth, conn: psycopg.Connection) -> None:
    rows = reports["top_topics"]
    top = rows[0]
    assert top["topic_rank"] == 1
    assert top["share_percent"] == percent(top["questions"], len(register.questions))
    assert all(r["topic"] and r["section"] for r in rows)
    three = run_all(conn, top_n=3)["top_topics"]
    assert actual_single("top_topics", three) == expected_single("top_topics", register, top_n=3)
    assert 3 <= len(three) < len(rows)


def test_pos_messages_vs_official_appeals(reports: dict, truth: Truth) -> None:
    rows = reports["pos_messages_vs_official"]
    assert [r["quarter"] for r in rows] == [1, 2, 3, 4, None]
    assert [r["line"] for r in rows] == ["I квартал", "II квартал", "III квартал", "IV квартал", "Итого"]
    total = rows[-1]
    pos = truth.appeals[truth.appeals["source_code"] == "pos"]
    assert total["total"] == len(pos) == sum(r["total"] for r in rows[:-1])
    for column in (
        "messages",
        "official_appeals",
        "solved",
        "explained",
        "rejected",
        "in_progress",
        "overdue",
    ):
        assert total[column] == sum(r[column] for r in rows[:-1]), column
    assert total["official_share_percent"] == percent(total["official_appeals"], total["total"])


def test_incidents_by_network_and_status(reports: dict) -> None:
    rows = reports["incidents_by_network_and_status"]
    assert {r["social_network"] for r in rows} >= {"ВКонтакте", "Telegram", "Одноклассники"}


def test_personal_reception_by_receiver_and_section(reports: dict) -> None:
    rows = reports["personal_reception"]
    classifier = load_settings().reference_dir / "classifier.csv"
    with classifier.open(encoding="utf-8") as handle:
        sections = {row["name"] for row in csv.DictReader(handle) if row["level"] == "1"}
    assert {r["section"] for r in rows} <= sections
    assert all(r["appeals"] <= r["questions"] for r in rows)


def test_questions_by_form_and_quarter(reports: dict, register: Truth) -> None:
    questions = register.questions
    expected = (
        pd.crosstab(questions["form"], questions["quarter"])
        .reindex(index=FORMS, columns=[1, 2, 3, 4], fill_value=0)
        .rename(columns=lambda q: f"q{q}")
    )
    rows = reports["questions_by_form_and_quarter"]
    assert [r["form_code"] for r in rows] == [*FORMS, "total"]
    assert [r["form"] for r in rows] == ["Письменная", "Электронная", "Устная", "Итого"]
    lines = {r["form_code"]: r for r in rows}
    for form in FORMS:
        assert {q: lines[form][q] for q in expected.columns} == expected.loc[form].to_dict(), form
        assert lines[form]["year_total"] == int(expected.loc[form].sum())
        assert lines[form]["share_percent"] == percent(int(expected.loc[form].sum()), len(questions))
    total = lines["total"]
    assert {q: total[q] for q in expected.columns} == expected.sum().to_dict()
    assert total["year_total"] == len(questions) and total["share_percent"] == 100
    assert all(r["compare_total"] == 0 and r["change_percent"] is None for r in rows)


def test_appeals_by_type(reports: dict, register: Truth) -> None:
    appeals = register.appeals
    expected = counts(appeals["appeal_type"], APPEAL_TYPES)
    rows = reports["appeals_by_type"]
    assert [r["appeal_type_code"] for r in rows] == APPEAL_TYPES
    assert {r["appeal_type_code"]: r["year_total"] for r in rows} == expected
    assert {r["appeal_type_code"]: r["share_percent"] for r in rows} == {
        code: percent(n, len(appeals)) for code, n in expected.items()
    }
    assert {r["appeal_type_code"]: r["appeal_type"] for r in rows}["complaint"] == "Жалоба"


def test_satisfaction_per_appeal(reports: dict, register: Truth) -> None:
    """Satisfaction is an appeal's (the truth has it in appeals.csv, not per question); empty → unknown."""
    appeals = register.appeals
    expected = counts(appeals["satisfaction"].replace("", "unknown"), SATISFACTION)
    known = len(appeals) - expected["unknown"]
    rows = reports["appeal_satisfaction"]
    assert [r["satisfaction_code"] for r in rows] == SATISFACTION
    assert [r["satisfaction"] for r in rows] == [
        "Удовлетворен",
        "Частично удовлетворен",
        "Не удовлетворен",
        "Не известно",
    ]
    assert {r["satisfaction_code"]: r["year_total"] for r in rows} == expected
    assert {r["satisfaction_code"]: r["share_percent"] for r in rows} == {
        code: percent(n, len(appeals)) for code, n in expected.items()
    }
    assert {r["satisfaction_code"]: r["share_of_known_percent"] for r in rows} == {
        code: None if code == "unknown" else percent(n, known) for code, n in expected.items()
    }


def test_questions_by_section_and_theme(reports: dict, register: Truth) -> None:
    questions = register.questions
    sections = questions.groupby(["section_code", "section"]).size()
    themes = questions.groupby(["section_code", "theme_code", "theme"]).size()
    rows = reports["questions_by_section_and_theme"]
    section_rows = [r for r in rows if r["level"] == 1]
    theme_rows = [r for r in rows if r["level"] == 2]
    assert {(r["section_code"], r["line"]): r["year_total"] for r in section_rows} == sections.to_dict()
    assert {(r["section_code"], r["theme_code"], r["line"]): r["year_total"] for r in theme_rows} == (
        themes.to_dict()
    )
    assert all(r["share_percent"] == percent(r["year_total"], len(questions)) for r in rows)
    # each section line, most questions first, is followed by its themes, most questions first
    ordered = sections.reset_index(name="n").sort_values(["n", "section_code"], ascending=[False, True])
    assert [r["section_code"] for r in section_rows] == ordered["section_code"].tolist()
    for section in section_rows:
        position = rows.index(section)
        following = rows[position + 1 : position + 1 + len(themes[section["section_code"]])]
        assert {r["section_code"] for r in following} == {section["section_code"]}
        assert [r["year_total"] for r in following] == sorted(
            (r["year_total"] for r in following), reverse=True
        )
        assert sum(r["year_total"] for r in following) == section["year_total"]


def test_questions_reviewed_by_commission_on_site_with_applicant(reports: dict, register: Truth) -> None:
    questions = register.questions
    rows = reports["questions_reviewed"]
    expected = expected_totals("questions_reviewed", register)
    assert [r["line_code"] for r in rows] == [
        "total",
        "on_control",
        "by_commission",
        "on_site",
        "with_applicant",
    ]
    assert {(r["line_code"],): r["year_total"] for r in rows} == expected
    assert {r["line_code"]: r["share_percent"] for r in rows} == {
        code: percent(n, len(questions)) for (code,), n in expected.items()
    }
    assert all(r["line"] for r in rows)


def test_year_over_year(reports: dict, next_year_reports: dict, register: Truth) -> None:
    """For 2025 compared with 2024, each line's comparison total is its 2024 total (the truth), the change is
    minus that, −100 %, and every quarter of 2025 is 0."""
    for name in YEAR_OVER_YEAR:
        rows = next_year_reports[name]
        assert actual(name, rows, "compare_total") == actual(name, reports[name]), name
        assert actual(name, rows, "compare_total") == expected_totals(name, register), name
        for r in rows:
            assert r["year_total"] == 0 and r["change"] == -r["compare_total"], name
            assert r["change_percent"] == (-100 if r["compare_total"] else None), name
            assert all(r[q] == 0 for q in ("q1", "q2", "q3", "q4") if q in r), name


def test_the_sources_parameter(conn: psycopg.Connection, truth: Truth) -> None:
    both = run_all(conn, sources=("register", "pos"))
    part = truth.where(sources=("register", "pos"))
    for name in YEAR_OVER_YEAR:
        assert actual(name, both[name]) == expected_totals(name, part), name
    every_source = truth.where(sources=None)
    for name in ("question_results", "top_topics"):
        assert actual_single(name, both[name]) == expected_single(
            name, every_source, sources=("register", "pos")
        ), name


# -- cumulative periods ------------------------------------------------------------------------------------------


def test_january_to_june_of_both_years(conn: psycopg.Connection, truth: Truth) -> None:
    """``through_month=6`` (the seeds' «за первое полугодие»): the report year and the comparison year are both
    cut at June; quarters after it are 0."""
    half = report_params(2024, quarter=2)
    assert half["through_month"] == 6
    first_half = run_all(conn, quarter=2)
    part, every_source = truth.where(through_month=6), truth.where(sources=None, through_month=6)
    assert_matches(first_half, part, every_source, "January–June 2024")
    for name in (
        "appeals_by_channel_and_quarter",
        "appeals_by_origin_and_quarter",
        "questions_by_form_and_quarter",
    ):
        assert all(r["q3"] == 0 and r["q4"] == 0 for r in first_half[name]), name
    assert [r["quarter"] for r in first_half["pos_messages_vs_official"]] == [1, 2, None]
    # the whole year has more: the cut is real
    assert expected_totals("appeals_by_type", part) != expected_totals("appeals_by_type", truth.where())

    compared = run_all(conn, 2025, compare_year=2024, quarter=2)
    for name in YEAR_OVER_YEAR:
        assert actual(name, compared[name], "compare_total") == expected_totals(name, part), name
        assert not actual(name, compared[name]), name


def test_a_quarter_that_is_not_a_whole_half(conn: psycopg.Connection, truth: Truth) -> None:
    """Any month works (the CLI passes 3, 6, 9 or 12): January to May."""
    params = {**report_params(2024), "through_month": 5}
    rows = {name: run_query(conn, name, params) for name in YEAR_OVER_YEAR}
    for name in YEAR_OVER_YEAR:
        assert actual(name, rows[name]) == expected_totals(name, truth.where(through_month=5)), name


# -- territories -------------------------------------------------------------------------------------------------


def region_of(connection: psycopg.Connection, oktmo: str) -> str:
    return connection.execute(
        "select region_oktmo from marts.dim_territory where oktmo = %s", [oktmo]
    ).fetchone()[0]


def test_a_municipality_and_its_region(conn: psycopg.Connection, truth: Truth) -> None:
    """Томск is the only municipality of its region with data: the region's report is Томск's."""
    tomsk = run_all(conn, territory=TOMSK)
    assert_matches(tomsk, truth.where(oktmo=TOMSK), truth.where(sources=None, oktmo=TOMSK), "Томск")
    region = region_of(conn, TOMSK)
    assert region == "69000000"
    assert run_all(conn, territory=region) == tomsk
    ukhta = run_all(conn, territory=UKHTA)
    assert_matches(ukhta, truth.where(oktmo=UKHTA), truth.where(sources=None, oktmo=UKHTA), "Ухта")


def test_every_territory_is_the_sum_of_the_municipalities(reports: dict, conn: psycopg.Connection) -> None:
    """``territory=None``: every row, i.e. Томск and Ухта together (all the generated data)."""
    tomsk, ukhta = run_all(conn, territory=TOMSK), run_all(conn, territory=UKHTA)
    for name in YEAR_OVER_YEAR:
        both = Counter(actual(name, tomsk[name])) + Counter(actual(name, ukhta[name]))
        assert actual(name, reports[name]) == dict(both), name


@pytest.fixture
def settlement(built_year: Built) -> Iterator[tuple[psycopg.Connection, str]]:
    """A connection in a transaction (rolled back afterwards) where Томск has a settlement, and Томск's March
    appeals — facts and aggregates — belong to it; the settlement's ОКТМО."""
    code = "69701900"
    with psycopg.connect(built_year.warehouse.dsn) as connection:
        assert not connection.execute("select 1 from marts.dim_territory where oktmo = %s", [code]).fetchone()
        connection.execute(
            """
            insert into marts.dim_territory (
                territory_key, oktmo, name, level, level_label_ru, region_oktmo, region_name,
                municipality_oktmo, municipality_name, valid_from, valid_to, is_current
            )
            select
                'test-settlement', %s, 'Тестовое поселение', 'settlement', 'Поселение', region_oktmo,
                region_name, oktmo, name, valid_from, valid_to, is_current
            from marts.dim_territory
            where oktmo = %s
            """,
            [code, TOMSK],
        )
        move = sql.SQL(
            "update marts.{table} set territory_key = 'test-settlement'"
            " where territory_key = (select territory_key from marts.dim_territory where oktmo = %(tomsk)s)"
            " and {day} >= '2024-03-01' and {day} < '2024-04-01'"
        )
        for table, day in [
            ("fct_appeals", "received_date"),
            ("fct_appeal_questions", "received_date"),
            ("agg_appeals_monthly", "month_start"),
            ("agg_questions_monthly", "month_start"),
            ("agg_appeal_profile_monthly", "month_start"),
            ("agg_question_topics_monthly", "month_start"),
            ("agg_personal_reception_monthly", "month_start"),
            ("agg_appeal_outcomes_monthly", "month_start"),
            ("agg_incident_response_monthly", "month_start"),
        ]:
            statement = move.format(table=sql.Identifier(table), day=sql.Identifier(day))
            assert connection.execute(statement, {"tomsk": TOMSK}).rowcount > 0, table
        try:
            yield connection, code
        finally:
            connection.rollback()


def test_a_settlement_under_the_municipality(settlement: tuple, truth: Truth) -> None:
    """A settlement code gives its own rows; the municipality and the region still roll it up."""
    connection, code = settlement
    march = run_all(connection, territory=code)
    assert_matches(
        march,
        truth.where(oktmo=TOMSK, months={3}),
        truth.where(sources=None, oktmo=TOMSK, months={3}),
        "the settlement",
    )
    (facts,) = connection.execute(
        "select count(*) from marts.fct_appeals where territory_key = 'test-settlement' and source_code = 'register'"
    ).fetchone()
    assert sum(r["year_total"] for r in march["appeals_by_channel_and_quarter"]) == facts
    tomsk = run_all(connection, territory=TOMSK)
    assert_matches(tomsk, truth.where(oktmo=TOMSK), truth.where(sources=None, oktmo=TOMSK), "Томск")
    assert run_all(connection, territory=region_of(connection, TOMSK)) == tomsk

"""The report queries in ``dbt_project/analyses/`` reproduce, on generated data, what the truth says the
published tables of the seed reports would hold (appeals by channel and quarter, results with «в т.ч. меры
приняты», top topics, ПОС messages vs 59-ФЗ appeals, incidents by status, personal reception, questions by
form and quarter, appeal types, satisfaction, classifier sections and themes, questions reviewed by commission /
on site / with the applicant), and the exposures name the marts those queries read."""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd
import pytest

from ingestion.generate.truth import TRUTH_DIR, read_table
from ingestion.settings import load_settings
from tests.dbt.conftest import Built

pytestmark = pytest.mark.slow

# The default report year compiles to a sub-query (macros/reports.sql); `--vars '{report_year: 2025}'` compiles
# it to `2025`. Substituting it in the compiled SQL checks the previous-year columns (the data is 2024 only)
# without a second dbt parse.
DEFAULT_REPORT_YEAR = re.compile(
    r"\(select cast\(extract\(year from max\(received_date\)\) as integer\) from [^()]+\)"
)
YEAR_OVER_YEAR = (
    "appeals_by_channel_and_quarter",
    "questions_by_form_and_quarter",
    "appeals_by_type",
    "appeal_satisfaction",
    "questions_by_section_and_theme",
    "questions_reviewed",
)


@pytest.fixture(scope="module")
def compiled(built_year: Built) -> dict[str, str]:
    """Every analysis compiled by dbt (default vars): name → SQL."""
    result = built_year.warehouse.dbt("compile", "--select", "resource_type:analysis")
    return {
        node_result.node.name: node_result.node.compiled_code
        for node_result in result.raw.results
        if node_result.node.resource_type == "analysis"
    }


@pytest.fixture(scope="module")
def reports(built_year: Built, compiled: dict[str, str]) -> dict[str, list[dict]]:
    """Every analysis run against the built warehouse: name → rows (as dicts)."""
    return {name: built_year.warehouse.records(code) for name, code in compiled.items()}


@pytest.fixture(scope="module")
def next_year_reports(built_year: Built, compiled: dict[str, str]) -> dict[str, list[dict]]:
    """The year-over-year analyses for report year 2025, so the generated 2024 is the previous year."""
    found = {}
    for name in YEAR_OVER_YEAR:
        code, replaced = DEFAULT_REPORT_YEAR.subn("2025", compiled[name])
        assert replaced, f"{name}: the default report year expression was not found"
        found[name] = built_year.warehouse.records(code)
    return found


@pytest.fixture(scope="module")
def truth(built_year: Built) -> dict[str, list[dict[str, str]]]:
    appeals = [
        a for a in read_table(built_year.landing / TRUTH_DIR / "appeals.csv") if a["is_spam"] != "true"
    ]
    ids = {a["appeal_id"] for a in appeals}
    questions = [
        q for q in read_table(built_year.landing / TRUTH_DIR / "questions.csv") if q["appeal_id"] in ids
    ]
    return {"appeals": appeals, "questions": questions}


@pytest.fixture(scope="module")
def register(truth: dict) -> dict[str, pd.DataFrame]:
    """The truth's register appeals and their questions (the default `report_sources`) as data frames; a
    question carries its appeal's quarter, form and on-control flag and its classifier section and theme."""
    appeals = pd.DataFrame(truth["appeals"])
    appeals = appeals[appeals["source_code"] == "register"].copy()
    assert set(appeals["received_date"].str[:4]) == {"2024"}
    appeals["quarter"] = (appeals["received_date"].str[5:7].astype(int) - 1) // 3 + 1
    questions = pd.DataFrame(truth["questions"]).merge(
        appeals[["appeal_id", "quarter", "form", "on_control"]], on="appeal_id", validate="many_to_one"
    )
    classifier = pd.read_csv(
        load_settings().reference_dir / "classifier.csv", dtype=str, keep_default_na=False
    ).set_index("code")
    questions["section_code"] = questions["topic_code"].map(classifier["section_code"])
    questions["theme_code"] = questions["topic_code"].map(classifier["theme_code"])
    questions["section"] = questions["section_code"].map(classifier["name"])
    questions["theme"] = questions["theme_code"].map(classifier["name"])
    assert questions[["section", "theme"]].notna().all().all()
    return {"appeals": appeals, "questions": questions}


def percent(part: int, whole: int) -> Decimal | None:
    """The `percent()` macro: one decimal, halves away from zero (PostgreSQL's numeric round), null on 0."""
    if whole == 0:
        return None
    return (Decimal(100 * part) / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def counts(series: pd.Series, codes: list[str]) -> dict[str, int]:
    """Value counts of a column over a fixed list of codes (zero for the missing)."""
    return {code: int(n) for code, n in series.value_counts().reindex(codes, fill_value=0).items()}


def quarter(day: str) -> int:
    return (date.fromisoformat(day).month - 1) // 3 + 1


def test_every_analysis_runs(reports: dict) -> None:
    assert set(reports) == {
        "appeals_by_channel_and_quarter",
        "question_results",
        "top_topics",
        "pos_messages_vs_official",
        "incidents_by_network_and_status",
        "personal_reception",
        "questions_by_form_and_quarter",
        "appeals_by_type",
        "appeal_satisfaction",
        "questions_by_section_and_theme",
        "questions_reviewed",
    }


def test_appeals_by_channel_and_quarter(reports: dict, truth: dict) -> None:
    expected = Counter(
        (a["channel_code"], quarter(a["received_date"]))
        for a in truth["appeals"]
        if a["source_code"] == "register"
    )
    rows = reports["appeals_by_channel_and_quarter"]
    actual = Counter({(r["channel_code"], q): r[f"q{q}"] for r in rows for q in (1, 2, 3, 4) if r[f"q{q}"]})
    assert actual == expected
    assert all(r["year_total"] == r["q1"] + r["q2"] + r["q3"] + r["q4"] for r in rows)
    assert all(
        r["previous_year_total"] == 0 and r["change_percent"] is None for r in rows
    )  # one year generated
    assert [r["year_total"] for r in rows] == sorted((r["year_total"] for r in rows), reverse=True)


def test_question_results_with_measures_taken(reports: dict, truth: dict) -> None:
    register = [q for q in truth["questions"] if q["appeal_id"].startswith("register:")]
    expected = Counter(q["result_code"] for q in register)
    expected["supported_measures_taken"] = sum(
        1 for q in register if q["result_code"] == "supported" and q["measures_taken"] == "true"
    )
    rows = reports["question_results"]
    assert {r["line_code"]: r["questions"] for r in rows if r["questions"]} == +expected
    assert rows[0]["line_code"] == "supported" and rows[1]["line"] == "в т.ч. меры приняты"
    shares = sum(r["share_percent"] for r in rows if r["line_code"] != "supported_measures_taken")
    assert abs(shares - 100) <= Decimal("0.5")


def test_top_topics_with_shares(reports: dict, truth: dict) -> None:
    register = [q for q in truth["questions"] if q["appeal_id"].startswith("register:")]
    counts = Counter(q["topic_code"][:19] for q in register)
    ordered = sorted(counts.values(), reverse=True)
    cutoff = ordered[9]  # ties at the 10th place are all shown
    expected = {code: n for code, n in counts.items() if n >= cutoff}
    rows = reports["top_topics"]
    assert {r["topic_code"]: r["questions"] for r in rows} == expected
    top = rows[0]
    assert top["topic_rank"] == 1 and top["share_percent"] == round(
        Decimal(100 * top["questions"]) / len(register), 1
    )
    assert all(r["topic"] and r["section"] for r in rows)


def test_pos_messages_vs_official_appeals(reports: dict, truth: dict) -> None:
    pos = [a for a in truth["appeals"] if a["source_code"] == "pos"]
    rows = {r["quarter"]: r for r in reports["pos_messages_vs_official"]}
    for q in (1, 2, 3, 4):
        mine = [a for a in pos if quarter(a["received_date"]) == q]
        assert rows[q]["official_appeals"] == sum(a["is_official_appeal"] == "true" for a in mine)
        assert rows[q]["messages"] == sum(a["is_official_appeal"] == "false" for a in mine)
        assert rows[q]["solved"] == sum(a["final_result_code"] == "supported" for a in mine)
        assert rows[q]["rejected"] == sum(a["final_result_code"] == "not_supported" for a in mine)
        assert rows[q]["in_progress"] == sum(a["final_result_code"] == "in_progress" for a in mine)


def test_incidents_by_network_and_status(reports: dict, truth: dict) -> None:
    incidents = [a for a in truth["appeals"] if a["source_code"] == "incident"]
    rows = reports["incidents_by_network_and_status"]
    by_result = Counter()
    for r in rows:
        by_result[r["result_code"]] += r["incidents"]
    assert by_result == Counter(a["final_result_code"] for a in incidents)
    assert {r["social_network"] for r in rows} >= {"ВКонтакте", "Telegram", "Одноклассники"}


def test_personal_reception_by_receiver_and_section(reports: dict, truth: dict) -> None:
    classifier = load_settings().reference_dir / "classifier.csv"
    with classifier.open(encoding="utf-8") as handle:
        entries = {row["code"]: row for row in csv.DictReader(handle)}
    personal = {
        a["appeal_id"]
        for a in truth["appeals"]
        if a["source_code"] == "register" and a["channel_code"] in ("personal_reception", "field_reception")
    }
    expected_questions = Counter()
    expected_appeals: dict[tuple[str, str], set] = {}
    for q in truth["questions"]:
        if q["appeal_id"] in personal:
            section = entries[entries[q["topic_code"]]["section_code"]]["name"]
            key = (q["received_by"] or "unknown", section)
            expected_questions[key] += 1
            expected_appeals.setdefault(key, set()).add(q["appeal_id"])
    rows = reports["personal_reception"]
    assert {(r["received_by_code"], r["section"]): r["questions"] for r in rows} == dict(expected_questions)
    assert {(r["received_by_code"], r["section"]): r["appeals"] for r in rows} == {
        key: len(ids) for key, ids in expected_appeals.items()
    }


FORMS = ["written", "electronic", "oral"]
APPEAL_TYPES = ["statement", "proposal", "complaint", "request", "gratitude", "other"]
SATISFACTION = ["satisfied", "partly_satisfied", "not_satisfied", "unknown"]


def test_questions_by_form_and_quarter(reports: dict, register: dict) -> None:
    questions = register["questions"]
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
    assert all(r["previous_year_total"] == 0 and r["change_percent"] is None for r in rows)


def test_appeals_by_type(reports: dict, register: dict) -> None:
    appeals = register["appeals"]
    expected = counts(appeals["appeal_type"], APPEAL_TYPES)
    rows = reports["appeals_by_type"]
    assert [r["appeal_type_code"] for r in rows] == APPEAL_TYPES
    assert {r["appeal_type_code"]: r["year_total"] for r in rows} == expected
    assert {r["appeal_type_code"]: r["share_percent"] for r in rows} == {
        code: percent(n, len(appeals)) for code, n in expected.items()
    }
    assert {r["appeal_type_code"]: r["appeal_type"] for r in rows}["complaint"] == "Жалоба"


def test_satisfaction_per_appeal(reports: dict, register: dict) -> None:
    """Satisfaction is an appeal's (the truth has it in appeals.csv, not per question); empty → unknown."""
    appeals = register["appeals"]
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


def test_questions_by_section_and_theme(reports: dict, register: dict) -> None:
    questions = register["questions"]
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


def test_questions_reviewed_by_commission_on_site_with_applicant(reports: dict, register: dict) -> None:
    questions = register["questions"]
    expected = {
        "total": len(questions),
        "on_control": int((questions["on_control"] == "true").sum()),
        "by_commission": int((questions["by_commission"] == "true").sum()),
        "on_site": int((questions["on_site"] == "true").sum()),
        "with_applicant": int((questions["with_applicant"] == "true").sum()),
    }
    rows = reports["questions_reviewed"]
    assert [r["line_code"] for r in rows] == list(expected)
    assert {r["line_code"]: r["year_total"] for r in rows} == expected
    assert {r["line_code"]: r["share_percent"] for r in rows} == {
        code: percent(n, len(questions)) for code, n in expected.items()
    }
    assert all(r["line"] for r in rows)


KEYS = {
    "appeals_by_channel_and_quarter": ("channel_code",),
    "questions_by_form_and_quarter": ("form_code",),
    "appeals_by_type": ("appeal_type_code",),
    "appeal_satisfaction": ("satisfaction_code",),
    "questions_by_section_and_theme": ("level", "section_code", "theme_code"),
    "questions_reviewed": ("line_code",),
}


def test_year_over_year(reports: dict, next_year_reports: dict, register: dict) -> None:
    """For 2025 the generated 2024 is the previous year: each line's previous-year total is its 2024 total
    (checked against the truth above, and here directly for channels), the change is minus that, −100 %."""
    assert set(KEYS) == set(YEAR_OVER_YEAR)
    for name, key in KEYS.items():
        this_year = {tuple(r[k] for k in key): r["year_total"] for r in reports[name]}
        rows = next_year_reports[name]
        assert {tuple(r[k] for k in key): r["previous_year_total"] for r in rows} == this_year, name
        for r in rows:
            assert r["year_total"] == 0 and r["change"] == -r["previous_year_total"], name
            assert r["change_percent"] == (-100 if r["previous_year_total"] else None), name
            assert all(r[q] == 0 for q in ("q1", "q2", "q3", "q4") if q in r), name
    channels = next_year_reports["appeals_by_channel_and_quarter"]
    expected = register["appeals"]["channel_code"].value_counts()
    assert {r["channel_code"]: r["previous_year_total"] for r in channels} == expected.to_dict()


@pytest.fixture(scope="module")
def manifest(built_year: Built, compiled: dict) -> dict:
    """The manifest the analyses' compile wrote (exposures and the analyses' dependencies)."""
    with (built_year.warehouse.dbt_dir / "target" / "manifest.json").open(encoding="utf-8") as handle:
        return json.load(handle)


def test_exposures_name_the_marts_their_reports_read(manifest: dict, compiled: dict) -> None:
    exposures = {e["name"]: e for e in manifest["exposures"].values()}
    assert set(exposures) == {"annual_report_tables", "quarterly_report", "appeals_monthly_dashboard"}
    assert {e["owner"]["name"] for e in exposures.values()} == {"Committee analysts"}
    assert exposures["appeals_monthly_dashboard"]["type"] == "dashboard"
    assert (
        "model.appeals.agg_appeals_monthly" in exposures["appeals_monthly_dashboard"]["depends_on"]["nodes"]
    )
    analyses = {n["name"]: n for n in manifest["nodes"].values() if n["resource_type"] == "analysis"}
    covered = set()
    for exposure in exposures.values():
        for name in exposure["config"]["meta"].get("analyses", []):
            assert set(analyses[name]["depends_on"]["nodes"]) <= set(exposure["depends_on"]["nodes"]), name
            covered.add(name)
        assert all(node.startswith("model.appeals.") for node in exposure["depends_on"]["nodes"])
    assert covered == set(compiled) == set(analyses)

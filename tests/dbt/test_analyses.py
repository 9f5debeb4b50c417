"""The report queries in ``dbt_project/analyses/`` reproduce, on generated data, what the truth says the
published tables of the seed reports would hold (appeals by channel and quarter, results with «в т.ч. меры
приняты», top topics, ПОС messages vs 59-ФЗ appeals, incidents by status, personal reception)."""

from __future__ import annotations

import csv
from collections import Counter
from datetime import date
from decimal import Decimal

import pytest

from ingestion.generate.truth import TRUTH_DIR, read_table
from ingestion.settings import load_settings
from tests.dbt.conftest import Built

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def reports(built_year: Built) -> dict[str, list[dict]]:
    """Every analysis compiled by dbt and run against the built warehouse: name → rows (as dicts)."""
    result = built_year.warehouse.dbt("compile", "--select", "resource_type:analysis")
    found = {}
    for node_result in result.raw.results:
        node = node_result.node
        if node.resource_type == "analysis":
            found[node.name] = built_year.warehouse.records(node.compiled_code)
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

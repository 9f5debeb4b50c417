"""The ground truth is consistent with itself, with the files, and with the contract's canonical codes."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from generate_helpers import Run, make_run, read_export

from ingestion.generate import vocab
from ingestion.generate.reference import load_classifier

CHANNELS = set(vocab.CHANNELS) | {"social_media"}
ORIGINS = {"direct", "regional_admin", "presidential", "other_body"}
APPEAL_TYPES = {"statement", "proposal", "complaint", "request", "gratitude", "other"}
FORMS = {"written", "electronic", "oral"}
RESULTS = {
    "explained",
    "supported",
    "not_supported",
    "answered",
    "left_without_answer",
    "transferred",
    "in_progress",
    "extended",
}
RESULT_BY_LABEL = {label: code for code, label in vocab.RESULTS.items()}
POS_RESULT = {decision: code for decision, (_, code) in vocab.POS_DECISIONS.items()}
INCIDENT_RESULT = {"Ответ дан": "answered", "Закрыт": "answered", "Отклонен": "not_supported"}


def _key(feed: str, path: str, row: pd.Series) -> str:
    if feed == "register":
        return f"register:{path.split('/')[1]}:2024:{row['№ РК']}"
    if feed == "pos":
        return f"pos:{row['Номер']}"
    return f"incident:{row['ID инцидента']}"


def _rows_by_key(run: Run, exports: dict[str, pd.DataFrame]) -> dict[str, list[tuple[str, pd.Series]]]:
    """appeal_id → [(file, row)] over the loadable rows of every original file."""
    found: dict[str, list[tuple[str, pd.Series]]] = defaultdict(list)
    for entry in run.exports():
        frame = run.loadable(entry, exports[entry["path"]])
        for _, row in frame.iterrows():
            found[_key(entry["feed"], entry["path"], row)].append((entry["path"], row))
    return found


@pytest.mark.parametrize("run_name", ["clean_run", "dirty_run"])
def test_question_count_matches_questions(run_name: str, request: pytest.FixtureRequest) -> None:
    run: Run = request.getfixturevalue(run_name)
    numbers: dict[str, list[int]] = defaultdict(list)
    for question in run.questions:
        numbers[question["appeal_id"]].append(int(question["question_no"]))
    assert set(numbers) == {a["appeal_id"] for a in run.appeals}
    for appeal in run.appeals:
        assert sorted(numbers[appeal["appeal_id"]]) == list(range(1, int(appeal["question_count"]) + 1))
    counts = Counter(a["source_code"] for a in run.appeals)
    assert dict(counts) == {k: v for k, v in run.summary.appeals.items() if v}
    assert len({a["appeal_id"] for a in run.appeals}) == len(run.appeals)


def test_broken_rows_are_counted_and_kept_out_of_the_truth(dirty_run: Run) -> None:
    originals = dirty_run.exports()
    assert sum(int(f["broken_rows"]) for f in originals) == len(dirty_run.quarantine) > 0
    per_file = Counter(q["path"] for q in dirty_run.quarantine)
    for entry in originals:
        assert per_file.get(entry["path"], 0) == int(entry["broken_rows"])
    for feed, count in dirty_run.summary.broken_rows.items():
        assert count == sum(1 for q in dirty_run.quarantine if q["feed"] == feed)
    appeal_ids = {a["appeal_id"] for a in dirty_run.appeals}
    assert appeal_ids.isdisjoint(q["appeal_id"] for q in dirty_run.quarantine)
    for entry in originals:
        header_row = int(entry["header_row"])
        for q in (q for q in dirty_run.quarantine if q["path"] == entry["path"]):
            assert header_row < int(q["row_number"]) <= header_row + int(entry["rows_written"])


def test_truth_and_files_hold_the_same_appeals(
    dirty_run: Run, dirty_exports: dict[str, pd.DataFrame]
) -> None:
    found = _rows_by_key(dirty_run, dirty_exports)
    truth = {a["appeal_id"]: a for a in dirty_run.appeals}
    assert set(found) == set(truth)
    for appeal_id, appeal in truth.items():
        files = {path for path, _ in found[appeal_id]}
        assert appeal["last_file"] in files
        assert appeal["last_file"] == max(files, key=lambda p: p.rsplit("_", 1)[1])
        assert int(appeal["versions"]) == len(files)


def _state(feed: str, rows: list[pd.Series]) -> list[str]:
    """The result codes an export row shows (per question for registers)."""
    if feed == "register":
        return [RESULT_BY_LABEL[r["Результат"].removeprefix(vocab.RESULT_PREFIX)] for r in rows]
    row = rows[0]
    if feed == "pos":
        return [POS_RESULT[row["Тип решения"]] if row["Стадия"] == "Завершено" else "in_progress"]
    return [INCIDENT_RESULT.get(row["Статус"], "in_progress")]


def test_reexported_records_take_their_newest_version(
    dirty_run: Run, dirty_exports: dict[str, pd.DataFrame]
) -> None:
    found = _rows_by_key(dirty_run, dirty_exports)
    questions: dict[str, list[str]] = defaultdict(list)
    for question in sorted(dirty_run.questions, key=lambda q: int(q["question_no"])):
        questions[question["appeal_id"]].append(question["result_code"])
    reexported = [a for a in dirty_run.appeals if int(a["versions"]) > 1]
    assert reexported, "the fixture must contain re-exported records"
    changed = 0
    for appeal in reexported:
        feed = appeal["source_code"]
        by_file: dict[str, list[pd.Series]] = defaultdict(list)
        for path, row in found[appeal["appeal_id"]]:
            by_file[path].append(row)
        newest = _state(feed, by_file[appeal["last_file"]])
        assert newest == questions[appeal["appeal_id"]]
        assert newest[0] == appeal["final_result_code"]
        older = [_state(feed, rows) for path, rows in by_file.items() if path != appeal["last_file"]]
        changed += any(state != newest for state in older)
    assert changed > 0


def test_final_state_fields_agree(dirty_run: Run) -> None:
    questions = defaultdict(list)
    for question in dirty_run.questions:
        questions[question["appeal_id"]].append(question)
    for appeal in dirty_run.appeals:
        open_ = appeal["final_result_code"] in ("in_progress", "extended")
        if appeal["source_code"] != "incident" or appeal["final_result_code"] == "answered":
            assert (appeal["answered_at"] == "") == open_, appeal["appeal_id"]
        if appeal["answered_at"]:
            assert appeal["answered_at"] >= appeal["registered_at"][:10]
        if appeal["source_code"] == "register":
            assert appeal["received_date"] <= appeal["registered_at"][:10]
            for question in questions[appeal["appeal_id"]]:
                if question["measures_taken"] == "true":
                    assert question["result_code"] == "supported"


def test_truth_uses_canonical_codes(dirty_run: Run) -> None:
    classifier = load_classifier()
    for appeal in dirty_run.appeals:
        assert appeal["source_code"] in ("pos", "incident", "register")
        assert appeal["channel_code"] in CHANNELS
        assert appeal["origin_code"] in ORIGINS
        assert appeal["appeal_type"] in APPEAL_TYPES
        assert appeal["form"] in FORMS
        assert appeal["final_result_code"] in RESULTS
        assert appeal["satisfaction"] in ("", "satisfied", "partly_satisfied", "not_satisfied")
        assert appeal["rating"] in ("", "1", "2", "3", "4", "5")
        assert appeal["oktmo"] == "" or (len(appeal["oktmo"]) == 8 and appeal["oktmo"].endswith("000"))
        assert appeal["oktmo"] == "" or appeal["oktmo"] in ("87725000", "32619000")
        assert (appeal["oktmo"] == "") == (appeal["unmapped"] in ("organization", "municipality"))
    for question in dirty_run.questions:
        assert question["result_code"] in RESULTS
        code = question["topic_code"]
        assert code == "unclassified" or classifier[code].level >= 4
    channels = {
        a["source_code"]: a["channel_code"] for a in dirty_run.appeals if a["source_code"] != "register"
    }
    assert channels == {"pos": "pos", "incident": "social_media"}


@pytest.fixture(scope="module")
def year_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    return make_run(
        tmp_path_factory.mktemp("year"),
        territories=["87725000", "32619000"],
        date_from=date(2024, 1, 1),
        date_to=date(2024, 12, 31),
        rows=5000,
        dirty_rate=0.0,
        seed=1,
        split="all",
        formats="csv",
    )


def test_distributions_follow_the_published_reports(year_run: Run) -> None:
    appeals = pd.DataFrame(year_run.appeals)
    questions = pd.DataFrame(year_run.questions)
    assert year_run.summary.appeals == {"register": 2250, "pos": 2000, "incident": 750}
    register = appeals[appeals.source_code == "register"]
    pos = appeals[appeals.source_code == "pos"]
    incidents = appeals[appeals.source_code == "incident"]
    assert 1.05 < register.question_count.astype(int).mean() < 1.3
    assert 0.06 < (pos.is_official_appeal == "true").mean() < 0.14
    assert 0.04 < (incidents.is_spam == "true").mean() < 0.11
    assert 0.6 < (register.origin_code == "direct").mean() < 0.85
    assert register.channel_code.value_counts().index[0] in ("by_hand", "internet_reception")
    final = register[~register.final_result_code.isin(["in_progress", "extended"])]
    assert final.final_result_code.value_counts().index[0] == "explained"
    supported = questions[
        (questions.result_code == "supported") & questions.appeal_id.str.startswith("register")
    ]
    assert 0.3 < (supported.measures_taken == "true").mean() < 0.8
    # topics concentrate on housing & utilities, the economy (roads, improvement) and social questions
    sections = (
        questions[questions.appeal_id.str.startswith("register")]
        .topic_code.str[:4]
        .value_counts(normalize=True)
    )
    assert sections.index[:2].tolist() in (["0003", "0005"], ["0005", "0003"])
    assert sections[["0003", "0005", "0002"]].sum() > 0.85
    # heating season: utilities questions peak in October–November, dip in June–July
    merged = questions.merge(appeals[["appeal_id", "registered_at"]], on="appeal_id")
    merged["month"] = merged.registered_at.str[5:7]
    utilities = merged[merged.topic_code.str.startswith("0005.0005.0056")].month.value_counts()
    assert utilities[["10", "11"]].sum() > 1.2 * utilities[["06", "07"]].sum()
    # registrations happen on working days
    weekdays = pd.to_datetime(register.registered_at).dt.day_of_week
    assert (weekdays >= 5).mean() < 0.03
    networks = pd.concat(read_export(year_run.root, f)["Соцсеть"] for f in year_run.exports("incident"))
    assert networks.value_counts().index[0] == "ВКонтакте"
    assert {"Одноклассники", "Telegram"} <= set(networks)


def test_truth_files_are_utf8_csv(year_run: Run) -> None:
    for name in ("appeals.csv", "questions.csv", "files.csv", "quarantine.csv", "topic_crosswalk.csv"):
        raw = (Path(year_run.root) / "_truth" / name).read_bytes()
        assert not raw.startswith(b"\xef\xbb\xbf")
        raw.decode("utf-8")

"""Incremental facts: a sequence of incremental builds equals one full refresh; re-exports update, not duplicate."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from ingestion.generate.truth import TRUTH_DIR, read_table
from tests.dbt.conftest import generate_landing
from tests.dbt.helpers import mart_contents, mart_tables, truth_appeals
from tests.support.exports import INCIDENT_HEADERS, REGISTER_HEADERS, register_row, write_csv

pytestmark = pytest.mark.slow


def copy_files(source: Path, target: Path, paths: list[str]) -> None:
    for relative in paths:
        (target / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source / relative, target / relative)


def test_incremental_builds_month_by_month_equal_a_full_refresh(warehouse_factory, tmp_path: Path) -> None:
    landing = generate_landing(tmp_path / "generated", date(2024, 3, 31), rows=600, seed=11)
    files = read_table(landing / TRUTH_DIR / "files.csv")
    periods = sorted({f["period"] for f in files if f["period"]})
    assert len(periods) == 3

    # one month at a time, with a build after each
    monthly = warehouse_factory()
    staged = tmp_path / "staged"
    copy_files(landing, staged, ["reference/organizations.csv"])
    for period in periods:
        copy_files(landing, staged, [f["path"] for f in files if f["period"] == period])
        monthly.ingest(staged)
        monthly.build()
    incremental_appeals = monthly.query("select count(*) from marts.fct_appeals")

    # everything at once, full refresh
    at_once = warehouse_factory()
    at_once.ingest(landing)
    at_once.dbt("build", "--full-refresh")

    tables = mart_tables(monthly)
    assert {"fct_appeals", "fct_appeal_questions", "dim_territory", "agg_appeals_monthly"} <= set(tables)
    assert tables == mart_tables(at_once)
    for table in tables:
        assert mart_contents(monthly, table) == mart_contents(at_once, table), table
    assert incremental_appeals == [(len(truth_appeals(landing)),)]


INCIDENT = {
    "ID инцидента": "",
    "Дата публикации": "10.01.2024 09:15",
    "Соцсеть": "ВКонтакте",
    "Автор": "Иван Петров",
    "Текст": "Нет отопления",
    "Направление": "ЖКХ",
    "Муниципальное образование": 'МО ГО "Ухта"',
    "ОКТМО": "",
    "Статус": "Новый",
    "Спам": "Нет",
}


def incident_row(number: str, **overrides: str) -> list[str]:
    values = {**INCIDENT, "ID инцидента": number, **overrides}
    return [values[h] for h in INCIDENT_HEADERS]


def test_reexports_update_appeals_and_replace_questions(warehouse_factory, tmp_path: Path) -> None:
    warehouse = warehouse_factory()
    landing = tmp_path / "landing"
    register = landing / "register" / "87725000"

    # January: appeal 1 with three open questions, appeal 2; two incidents
    write_csv(
        register / "register_2024-01.csv",
        REGISTER_HEADERS,
        [
            register_row(1, result="Находится на рассмотрении"),
            register_row(1, result="Находится на рассмотрении", **{"Код вопроса": "0003.0009.0099.0742"}),
            register_row(1, result="Находится на рассмотрении", **{"Код вопроса": "0002.0007.0072.0288"}),
            register_row(2, result="Разъяснено", **{"Дата ответа": "01.02.2024"}),
        ],
    )
    write_csv(
        landing / "incident" / "incident_2024-01.csv",
        INCIDENT_HEADERS,
        [incident_row("900001"), incident_row("900002", **{"Статус": "В работе"})],
    )
    warehouse.ingest(landing)
    warehouse.build()
    before = dict(warehouse.query("select appeal_id, final_result_code from marts.fct_appeals"))
    assert before == {
        "register:87725000:2024:1": "in_progress",
        "register:87725000:2024:2": "explained",
        "incident:900001": "in_progress",
        "incident:900002": "in_progress",
    }
    assert warehouse.query(
        "select question_count from marts.fct_appeals where appeal_id = 'register:87725000:2024:1'"
    ) == [(3,)]

    # February re-exports: appeal 1 answered with two questions; incident 1 answered; incident 2 is spam
    write_csv(
        register / "register_2024-02.csv",
        REGISTER_HEADERS,
        [
            register_row(
                1, result="Рассмотрено. Поддержано", **{"Меры приняты": "Да", "Дата ответа": "12.02.2024"}
            ),
            register_row(
                1, result="Разъяснено", **{"Код вопроса": "0003.0009.0099.0742", "Дата ответа": "12.02.2024"}
            ),
        ],
    )
    write_csv(
        landing / "incident" / "incident_2024-02.csv",
        INCIDENT_HEADERS,
        [
            incident_row("900001", **{"Статус": "Ответ дан"}),
            incident_row("900002", **{"Спам": "Да", "Статус": "Отклонен"}),
        ],
    )
    warehouse.ingest(landing)
    warehouse.build()

    after = dict(warehouse.query("select appeal_id, final_result_code from marts.fct_appeals"))
    assert after == {
        "register:87725000:2024:1": "supported",
        "register:87725000:2024:2": "explained",
        "incident:900001": "answered",
    }
    questions = warehouse.query(
        "select appeal_id, question_no, topic_code, result_code, measures_taken"
        " from marts.fct_appeal_questions order by 1, 2"
    )
    assert questions == [
        ("incident:900001", 1, "0005.0005.0056.1169", "answered", None),
        ("register:87725000:2024:1", 1, "0005.0005.0056.1169", "supported", True),
        ("register:87725000:2024:1", 2, "0003.0009.0099.0742", "explained", None),
        ("register:87725000:2024:2", 1, "0005.0005.0056.1169", "explained", None),
    ]
    assert warehouse.query(
        "select question_count, answered_at is not null from marts.fct_appeals"
        " where appeal_id = 'register:87725000:2024:1'"
    ) == [(2, True)]

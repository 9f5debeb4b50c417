"""Loading export files into raw: every feed and format, bad input, idempotency, versions."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from ingestion.load import LoadResult
from tests.support import exports
from tests.support.exports import REGISTER_HEADERS, register_row, write_csv, write_xlsx

Ingest = Callable[[Path], list[LoadResult]]


def by_file(results: list[LoadResult]) -> dict[str, LoadResult]:
    return {r.file: r for r in results}


def query(dsn: str, sql: str, params: list | None = None) -> list[tuple]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(sql, params or []).fetchall()


@pytest.mark.parametrize(
    ("fmt", "encoding", "delimiter"),
    [
        ("csv", "utf-8", ";"),
        ("csv", "utf-8-sig", ","),
        ("csv", "cp1251", ";"),
        ("csv", "cp1251", "\t"),
        ("xlsx", None, None),
    ],
)
def test_register_loads_in_every_format(
    ingest: Ingest, landing: Path, migrated_db: str, fmt: str, encoding: str | None, delimiter: str | None
) -> None:
    exports.organizations(landing)
    rows = [register_row(1), register_row(1, **{"Код вопроса": "0003.0009.0097.0000"}), register_row(2)]
    target = landing / "register" / "87725000" / f"register_2024-01.{fmt}"
    title = ["Реестр обращений граждан за январь 2024 г."]
    if fmt == "csv":
        write_csv(target, REGISTER_HEADERS, rows, encoding=encoding, delimiter=delimiter, title_lines=title)
    else:
        write_xlsx(target, REGISTER_HEADERS, rows, title_lines=title)

    result = by_file(ingest(landing))[f"register/87725000/register_2024-01.{fmt}"]
    assert (result.status, result.rows_read, result.rows_loaded, result.rows_quarantined) == (
        "loaded",
        3,
        3,
        0,
    )
    loaded = query(
        migrated_db,
        "select body_oktmo, reg_number, (registered_at at time zone 'Europe/Moscow')::date::text, appeal_type,"
        " form, channel_code, origin_code, topic_code, result_code, source_row_number"
        " from raw.register_rows order by source_row_number",
    )
    assert loaded[0] == (
        "87725000",
        "1",
        "2024-01-15",
        "statement",
        "written",
        "post",
        "direct",
        "0005.0005.0056.1169",
        "explained",
        3,
    )
    assert [r[1] for r in loaded] == ["1", "1", "2"]


def test_pos_and_incident_load_with_canonical_values(ingest: Ingest, landing: Path, migrated_db: str) -> None:
    exports.organizations(landing)
    write_xlsx(
        landing / "pos" / "pos_2024-01.xlsx",
        exports.POS_HEADERS,
        [
            [
                "100",
                "ЖКХ",
                'Администрация МО ГО "Ухта"',
                "15.01.2024 10:30",
                "Завершено",
                "Отправлен ответ заявителю",
                "Обычное сообщение",
                "Решено",
                "5",
                "Сидоров С.С.",
            ],
            [
                "101",
                "Дороги",
                'Администрация МО ГО "Ухта"',
                "16.01.2024",
                "В работе",
                "",
                "59-ФЗ",
                "",
                "-",
                "",
            ],
        ],
    )
    write_csv(
        landing / "incident" / "incidents_2024-01.csv",
        exports.INCIDENT_HEADERS,
        [
            [
                "inc-1",
                "2024-01-15T08:00:00+07:00",
                "ВКонтакте",
                "id12345 Пётр",
                "Когда починят дорогу?",
                "Дороги",
                "г. Ухта",
                "87725000",
                "Ответ дан",
                "Нет",
            ]
        ],
        encoding="cp1251",
    )
    results = by_file(ingest(landing))
    assert results["pos/pos_2024-01.xlsx"].rows_loaded == 2
    assert results["incident/incidents_2024-01.csv"].rows_loaded == 1
    pos = query(
        migrated_db, "select message_id, rating, executor_name, fz_marker from raw.pos_rows order by 1"
    )
    assert pos == [("100", 5, "Сидоров С.С.", "Обычное сообщение"), ("101", None, None, "59-ФЗ")]
    incident = query(
        migrated_db,
        "select incident_id, published_at = '2024-01-15 01:00:00+00', is_spam, applicant_key"
        " from raw.incident_rows",
    )
    assert incident[0][:3] == ("inc-1", True, False)
    assert len(incident[0][3]) == 64 and "Пётр" not in incident[0][3]
    zones = dict(
        query(migrated_db, "select feed, timezone from audit.load_batches where feed <> 'organizations'")
    )
    assert zones == {"pos": "Europe/Moscow", "incident": "Europe/Moscow"}


def test_missing_required_column_rejects_the_file_naming_headers(
    ingest: Ingest, landing: Path, migrated_db: str
) -> None:
    exports.organizations(landing)
    headers = [h for h in REGISTER_HEADERS if h != "Код вопроса"]
    rows = [[v for h, v in zip(REGISTER_HEADERS, register_row(1), strict=True) if h != "Код вопроса"]]
    write_csv(landing / "register" / "87725000" / "bad.csv", headers, rows)
    result = by_file(ingest(landing))["register/87725000/bad.csv"]
    assert result.status == "rejected"
    assert (
        "bad.csv" in result.message and "Код вопроса" in result.message and "Вид доставки" in result.message
    )
    assert query(migrated_db, "select count(*) from raw.register_rows") == [(0,)]
    assert query(
        migrated_db, "select status, error is not null from audit.load_batches where feed = 'register'"
    ) == [("rejected", True)]


def test_bad_date_quarantines_only_that_row(ingest: Ingest, landing: Path, migrated_db: str) -> None:
    exports.organizations(landing)
    write_csv(
        landing / "register" / "87725000" / "r.csv",
        REGISTER_HEADERS,
        [register_row(1), register_row(2, date="31.02.2024"), register_row(3)],
    )
    result = by_file(ingest(landing))["register/87725000/r.csv"]
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (3, 2, 1)
    quarantined = query(
        migrated_db, "select row_number, column_name, reason, original->>'№ РК' from audit.quarantine"
    )
    assert quarantined == [(3, "Дата рег.", quarantined[0][2], "2")]
    assert "31.02.2024" in quarantined[0][2]


def test_unknown_classifier_code_and_unknown_values_are_kept_verbatim(
    ingest: Ingest, landing: Path, migrated_db: str
) -> None:
    exports.organizations(landing)
    row = register_row(1, **{"Код вопроса": "0099.0099.0099.0099", "Вид доставки": "Голубиная почта"})
    write_csv(landing / "register" / "87725000" / "r.csv", REGISTER_HEADERS, [row])
    assert by_file(ingest(landing))["register/87725000/r.csv"].rows_loaded == 1
    assert query(migrated_db, "select topic_code, channel_code from raw.register_rows") == [
        ("0099.0099.0099.0099", "Голубиная почта")
    ]


@pytest.mark.parametrize("case", ["empty", "truncated_xlsx"])
def test_unreadable_files_are_rejected(ingest: Ingest, landing: Path, tmp_path: Path, case: str) -> None:
    exports.organizations(landing)
    folder = landing / "register" / "87725000"
    if case == "empty":
        folder.mkdir(parents=True)
        (folder / "empty.csv").write_bytes(b"")
        name = "empty.csv"
    else:
        whole = write_xlsx(tmp_path / "whole.xlsx", REGISTER_HEADERS, [register_row(i) for i in range(50)])
        folder.mkdir(parents=True)
        (folder / "cut.xlsx").write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
        name = "cut.xlsx"
    result = by_file(ingest(landing))[f"register/87725000/{name}"]
    assert result.status == "rejected" and name in result.message


def test_extra_columns_land_in_extras(ingest: Ingest, landing: Path, migrated_db: str) -> None:
    exports.organizations(landing)
    write_csv(
        landing / "register" / "87725000" / "r.csv",
        [*REGISTER_HEADERS, "Примечание оператора"],
        [[*register_row(1), "срочно"]],
    )
    ingest(landing)
    assert query(migrated_db, "select extras from raw.register_rows") == [
        ({"Примечание оператора": "срочно"},)
    ]


def test_same_file_twice_is_skipped(ingest: Ingest, landing: Path, migrated_db: str) -> None:
    exports.organizations(landing)
    first = write_csv(landing / "register" / "87725000" / "a.csv", REGISTER_HEADERS, [register_row(1)])
    ingest(landing)
    (first.parent / "a-copy.csv").write_bytes(first.read_bytes())
    results = by_file(ingest(landing))
    assert results["register/87725000/a.csv"].status == "skipped"
    assert results["register/87725000/a-copy.csv"].status == "skipped"
    assert "already loaded as batch" in results["register/87725000/a-copy.csv"].message
    assert query(migrated_db, "select count(*) from raw.register_rows") == [(1,)]


def test_reexport_with_changed_status_adds_a_version_and_newest_wins(
    ingest: Ingest, landing: Path, migrated_db: str
) -> None:
    exports.organizations(landing)
    folder = landing / "register" / "87725000"
    write_csv(
        folder / "register_2024-01.csv",
        REGISTER_HEADERS,
        [register_row(1, result="Находится на рассмотрении"), register_row(2)],
    )
    ingest(landing)
    write_csv(
        folder / "register_2024-02.csv",
        REGISTER_HEADERS,
        [register_row(1, result="Поддержано", **{"Меры приняты": "Да", "Дата ответа": "01.02.2024"})],
    )
    ingest(landing)
    history = query(
        migrated_db,
        "select result_code from raw.register_rows where reg_number = '1' order by batch_id",
    )
    assert history == [("in_progress",), ("supported",)]
    newest = query(
        migrated_db,
        "select distinct on (body_oktmo, reg_number) reg_number, result_code, measures_taken"
        " from raw.register_rows order by body_oktmo, reg_number, batch_id desc",
    )
    assert newest == [("1", "supported", True), ("2", "explained", None)]


def test_register_folder_by_body_name_and_unknown_body(
    ingest: Ingest, landing: Path, migrated_db: str
) -> None:
    exports.organizations(landing)
    write_csv(
        landing / "register" / "Администрация города Томска" / "r.csv", REGISTER_HEADERS, [register_row(1)]
    )
    write_csv(landing / "register" / "Неизвестная контора" / "r.csv", REGISTER_HEADERS, [register_row(1)])
    write_csv(landing / "register" / "loose.csv", REGISTER_HEADERS, [register_row(1)])
    results = by_file(ingest(landing))
    assert results["register/Администрация города Томска/r.csv"].status == "loaded"
    assert results["register/Неизвестная контора/r.csv"].status == "rejected"
    assert "neither an ОКТМО" in results["register/Неизвестная контора/r.csv"].message
    assert results["register/loose.csv"].status == "rejected"
    assert query(migrated_db, "select body_oktmo from raw.register_rows") == [("69701000",)]
    # 15.01.2024 in Tomsk is 2024-01-14 17:00 UTC: local times are read in the body's zone
    assert query(migrated_db, "select registered_at = '2024-01-14 17:00:00+00' from raw.register_rows") == [
        (True,)
    ]
    assert query(
        migrated_db, "select timezone from audit.load_batches where status = 'loaded' and feed = 'register'"
    ) == [("Asia/Tomsk",)]


def test_personal_values_stay_in_raw(ingest: Ingest, landing: Path, migrated_db: str) -> None:
    """Names and addresses are in raw (restricted); outside raw and audit no table holds them."""
    exports.organizations(landing)
    write_csv(landing / "register" / "87725000" / "r.csv", REGISTER_HEADERS, [register_row(7)])
    ingest(landing)
    secrets = ["Тестов7 Т.Т. - Ухта", "ул. Пушкина, д. 7"]
    with psycopg.connect(migrated_db) as conn:
        assert conn.execute("select correspondent, address from raw.register_rows").fetchall() == [
            tuple(secrets)
        ]
        columns = conn.execute(
            "select table_schema, table_name, column_name from information_schema.columns"
            " where table_schema not in ('raw', 'audit', 'pg_catalog', 'information_schema')"
            " and data_type in ('text', 'character varying', 'jsonb')"
        ).fetchall()
        for schema, table, column in columns:
            hits = conn.execute(
                psycopg.sql.SQL("select count(*) from {}.{} where {}::text like any(%s)").format(
                    psycopg.sql.Identifier(schema),
                    psycopg.sql.Identifier(table),
                    psycopg.sql.Identifier(column),
                ),
                [[f"%{s}%" for s in secrets]],
            ).fetchone()[0]
            assert hits == 0, f"{schema}.{table}.{column} holds personal data"

"""open_export / Export.rows: every feed in every format, encoding and delimiter; how files go wrong."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from ingestion.feeds import FEEDS
from ingestion.feeds.base import FeedSpec
from ingestion.parse.errors import ExportError, MissingColumnsError
from ingestion.parse.reader import ENCODING_SAMPLE_BYTES, Export, ParsedRow, detect_encoding, open_export
from ingestion.parse.values import normalise_header

WriteCsv = Callable[..., Path]  # fixtures from conftest.py
WriteXlsx = Callable[..., Path]

# --- sample exports: headers as the upstream systems write them, rows, and the typed values expected --------

POS_HEADERS = [
    "Номер",
    "Номер ЕПГУ",
    "Источник",
    "Верхнеуровневый ЛКО",
    "Категория",
    "Подкатегория",
    "Факт",
    "Организация, в которую поступило сообщение",
    "Организация, в которой находится сообщение",
    "Дата поступления",
    "Дата планируемого завершения работ",
    "Дата фактического завершения работ",
    "Стадия",
    "Статус",
    "Просрочено",
    "Фаст-трек",
    "ФЗ",
    "Заявитель выбрал подачу по 59-ФЗ",
    "Тип решения",
    "Направлено по email в ФОИВ, не подключенный к ПОС",
    "Оценка ответа заявителем",
    "Повторное рассмотрение",
    "ФИО координатора",
    "ФИО исполнителя",
    "ФИО руководителя",
]
POS_ROWS = [
    [
        "1234567",
        "9876543210",
        "WIDGET",
        "Республика Коми",
        "Дороги",
        "Ямы на дорогах",
        "Яма на проезжей части",
        "Администрация МО ГО «Ухта»",
        "Администрация МО ГО «Ухта»",
        "05.03.2024 10:15",
        "2024-03-15",
        "45361.5",
        "Завершено",
        "Отправлен ответ заявителю",
        "Нет",
        "да",
        "Обращение по 59-ФЗ",
        "Да",
        "Решено",
        "нет",
        "5",
        "0",
        "Петров П.П.",
        "Сидорова А.А.",
        "Иванов И.И.",
    ],
    [
        "1234568",
        "",
        "MOBILE",
        "Томская область",
        "ЖКХ",
        "",
        "",
        "Администрация Томской области",
        "",
        "2024-03-06T08:00:00+07:00",
        "",
        "",
        "В работе",
        "",
        "",
        "",
        "Обычное сообщение",
        "",
        "",
        "",
        "-",
        "",
        "",
        "",
        "",
    ],
]
POS_EXPECTED: list[dict[str, Any]] = [
    {
        "message_id": "1234567",
        "epgu_id": "9876543210",
        "tech_source": "WIDGET",
        "region_account": "Республика Коми",
        "category": "Дороги",
        "subcategory": "Ямы на дорогах",
        "fact": "Яма на проезжей части",
        "receiving_org": "Администрация МО ГО «Ухта»",
        "handling_org": "Администрация МО ГО «Ухта»",
        "received_at": datetime(2024, 3, 5, 10, 15),
        "due_at": datetime(2024, 3, 15),
        "closed_at": datetime(2024, 3, 10, 12, 0),
        "stage": "Завершено",
        "status": "Отправлен ответ заявителю",
        "is_overdue": False,
        "is_fast_track": True,
        "fz_marker": "Обращение по 59-ФЗ",
        "applicant_chose_59fz": True,
        "decision_type": "Решено",
        "emailed_to_foiv": False,
        "rating": 5,
        "is_repeat_review": False,
        "coordinator_name": "Петров П.П.",
        "executor_name": "Сидорова А.А.",
        "manager_name": "Иванов И.И.",
    },
    {
        "message_id": "1234568",
        "tech_source": "MOBILE",
        "region_account": "Томская область",
        "category": "ЖКХ",
        "receiving_org": "Администрация Томской области",
        "received_at": datetime(2024, 3, 6, 8, 0, tzinfo=timezone(timedelta(hours=7))),
        "stage": "В работе",
        "fz_marker": "Обычное сообщение",
    },
]

INCIDENT_HEADERS = [
    "ID инцидента",
    "Дата публикации",
    "Дата регистрации",
    "Соцсеть",
    "Ссылка",
    "Автор",
    "Текст",
    "Направление",
    "Подтема",
    "Муниципальное образование",
    "ОКТМО",
    "Статус",
    "Исполнитель",
    "Дата ответа",
    "Тип сообщения",
    "Спам",
    "Охват",
]
INCIDENT_ROWS = [
    [
        "INC-1001",
        "01.02.2024 09:30:15",
        "01.02.2024 10:00",
        "ВКонтакте",
        "https://vk.com/wall-1_2",
        "Иван Иванов",
        'Когда починят дорогу; на ул. Ленина, яма\t"глубокая"',
        "Дороги",
        "Ремонт дорог",
        'МО ГО "Ухта"',
        "87725000",
        "Ответ дан",
        "Администрация МО ГО «Ухта»",
        "01.02.2024 15:00",
        "Жалоба",
        "Нет",
        "1 234",
    ],
    [
        "INC-1002",
        "2024-02-02 08:00",
        "",
        "Telegram",
        "",
        "",
        "",
        "ЖКХ",
        "",
        "г. Ухта",
        "",
        "Новый",
        "",
        "",
        "Благодарность",
        "1",
        "15",
    ],
]
INCIDENT_EXPECTED: list[dict[str, Any]] = [
    {
        "incident_id": "INC-1001",
        "published_at": datetime(2024, 2, 1, 9, 30, 15),
        "registered_at": datetime(2024, 2, 1, 10, 0),
        "social_network": "ВКонтакте",
        "post_url": "https://vk.com/wall-1_2",
        "author": "Иван Иванов",
        "post_text": 'Когда починят дорогу; на ул. Ленина, яма\t"глубокая"',
        "rubric": "Дороги",
        "subrubric": "Ремонт дорог",
        "municipality_name": 'МО ГО "Ухта"',
        "oktmo": "87725000",
        "status": "Ответ дан",
        "executor": "Администрация МО ГО «Ухта»",
        "answered_at": datetime(2024, 2, 1, 15, 0),
        "message_type": "complaint",
        "is_spam": False,
        "reach": 1234,
    },
    {
        "incident_id": "INC-1002",
        "published_at": datetime(2024, 2, 2, 8, 0),
        "social_network": "Telegram",
        "rubric": "ЖКХ",
        "municipality_name": "г. Ухта",
        "status": "Новый",
        "message_type": "gratitude",
        "is_spam": True,
        "reach": 15,
    },
]

REGISTER_HEADERS = [
    "№ РК",
    "Дата рег.",
    "Дата поступления",
    "Вид обращения",
    "Форма",
    "Вид доставки",
    "Поступило из",
    "Коллективное",
    "Повторное",
    "Корреспондент",
    "Адрес",
    "ОКТМО",
    "Код вопроса",
    "Вопрос",
    "Результат",
    "Меры приняты",
    "Срок",
    "Продлено до",
    "Дата ответа",
    "На контроле",
    "Комиссионно",
    "С выездом на место",
    "С участием автора",
    "Удовлетворенность",
    "Исполнитель",
    "Принял",
    "Организация",
]
REGISTER_ROWS = [
    [
        "15-ОГ",
        "10.01.2024",
        "09.01.2024",
        "Заявление",
        "Письменная",
        "Почта России",
        "Непосредственно от заявителя",
        "Нет",
        "Нет",
        "Иванов И.И. - Ухта",
        "г. Ухта, ул. Ленина, д. 1",
        "87725000",
        "0005.0005.0056.1169",
        "Ремонт и содержание дорог",
        "Рассмотрено. Разъяснено",
        "Нет",
        "09.02.2024",
        "",
        "05.02.2024",
        "Да",
        "Нет",
        "Да",
        "Нет",
        "Удовлетворен",
        "Управление ЖКХ",
        "",
        "Администрация МО ГО «Ухта»",
    ],
    [
        "15-ОГ",
        "10.01.2024",
        "",
        "Жалоба",
        "Электронная",
        "Интернет-приёмная",
        "АКО",
        "да",
        "",
        "Иванов И.И. - Ухта",
        "",
        "03709000",
        "0003.0009.0099.0633",
        "",
        "Поддержано",
        "Да",
        "09.02.2024",
        "20.02.2024",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "Заместитель главы",
        "",
    ],
    [
        "16",
        "11.01.2024 14:30",
        "",
        "Предложение",
        "Устная",
        "Личный прием",
        "Приемная Президента",
        "",
        "1",
        "Петрова А.А.",
        "",
        "69701000001",
        "0001.0002.0003.0000",
        "",
        "Находится на рассмотрении",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "Частично удовлетворен",
        "",
        "Глава",
        "",
    ],
]
REGISTER_EXPECTED: list[dict[str, Any]] = [
    {
        "reg_number": "15-ОГ",
        "registered_at": datetime(2024, 1, 10),
        "received_at": datetime(2024, 1, 9),
        "appeal_type": "statement",
        "form": "written",
        "channel_code": "post",
        "origin_code": "direct",
        "is_collective": False,
        "is_repeat": False,
        "correspondent": "Иванов И.И. - Ухта",
        "address": "г. Ухта, ул. Ленина, д. 1",
        "oktmo": "87725000",
        "topic_code": "0005.0005.0056.1169",
        "question_text": "Ремонт и содержание дорог",
        "result_code": "explained",
        "measures_taken": False,
        "due_at": datetime(2024, 2, 9),
        "answered_at": datetime(2024, 2, 5),
        "on_control": True,
        "by_commission": False,
        "on_site": True,
        "with_applicant": False,
        "satisfaction": "satisfied",
        "executor": "Управление ЖКХ",
        "organization": "Администрация МО ГО «Ухта»",
    },
    {
        "reg_number": "15-ОГ",
        "registered_at": datetime(2024, 1, 10),
        "appeal_type": "complaint",
        "form": "electronic",
        "channel_code": "internet_reception",
        "origin_code": "regional_admin",
        "is_collective": True,
        "correspondent": "Иванов И.И. - Ухта",
        "oktmo": "03709000",
        "topic_code": "0003.0009.0099.0633",
        "result_code": "supported",
        "measures_taken": True,
        "due_at": datetime(2024, 2, 9),
        "extended_due_at": datetime(2024, 2, 20),
        "received_by": "deputy_head",
    },
    {
        "reg_number": "16",
        "registered_at": datetime(2024, 1, 11, 14, 30),
        "appeal_type": "proposal",
        "form": "oral",
        "channel_code": "personal_reception",
        "origin_code": "presidential",
        "is_repeat": True,
        "correspondent": "Петрова А.А.",
        "oktmo": "69701000001",
        "topic_code": "0001.0002.0003.0000",
        "result_code": "in_progress",
        "satisfaction": "partly_satisfied",
        "received_by": "head",
    },
]

ORGANIZATIONS_HEADERS = ["Организация", "ОКТМО", "Уровень"]
ORGANIZATIONS_ROWS = [
    ["Администрация МО ГО «Ухта»", "87725000", "муниципалитет"],
    ["Администрация Томской области", "69000000", "Регион"],
    ["Администрация МО г. Горячий Ключ", "03709000", "муниципалитет"],
    ["Управление Роспотребнадзора по Республике Коми", "87000000", "ведомство"],
    ["Администрация сельского поселения Кузедеево", "32619416", "поселение"],
]
ORGANIZATIONS_EXPECTED: list[dict[str, Any]] = [
    {"name": "Администрация МО ГО «Ухта»", "oktmo": "87725000", "level": "municipality"},
    {"name": "Администрация Томской области", "oktmo": "69000000", "level": "region"},
    {"name": "Администрация МО г. Горячий Ключ", "oktmo": "03709000", "level": "municipality"},
    {"name": "Управление Роспотребнадзора по Республике Коми", "oktmo": "87000000", "level": "agency"},
    {"name": "Администрация сельского поселения Кузедеево", "oktmo": "32619416", "level": "settlement"},
]

SAMPLES: dict[str, tuple[list[str], list[list[str]], list[dict[str, Any]]]] = {
    "pos": (POS_HEADERS, POS_ROWS, POS_EXPECTED),
    "incident": (INCIDENT_HEADERS, INCIDENT_ROWS, INCIDENT_EXPECTED),
    "register": (REGISTER_HEADERS, REGISTER_ROWS, REGISTER_EXPECTED),
    "organizations": (ORGANIZATIONS_HEADERS, ORGANIZATIONS_ROWS, ORGANIZATIONS_EXPECTED),
}

CSV_VARIANTS = [
    pytest.param(encoding, delimiter, id=f"{encoding}-{name}")
    for encoding in ("utf-8", "utf-8-sig", "cp1251")
    for delimiter, name in ((";", "semicolon"), (",", "comma"), ("\t", "tab"))
]


def as_dict(spec: FeedSpec, row: ParsedRow) -> dict[str, Any]:
    assert row.error is None, row.error
    assert row.values is not None
    assert len(row.values) == len(spec.columns)
    return dict(zip(spec.column_names, row.values, strict=True))


def expected_dict(spec: FeedSpec, expected: dict[str, Any]) -> dict[str, Any]:
    assert set(expected) <= set(spec.column_names)
    return {name: expected.get(name) for name in spec.column_names}


def parse_all(export: Export) -> list[ParsedRow]:
    return list(export.rows())


# --- every feed × format × encoding ------------------------------------------------------------------------


def test_samples_cover_every_feed_and_every_column() -> None:
    assert set(SAMPLES) == set(FEEDS)
    for feed, (_, _, expected) in SAMPLES.items():
        filled = {name for row in expected for name, value in row.items() if value is not None}
        assert filled == set(FEEDS[feed].column_names), feed


@pytest.mark.parametrize("feed", sorted(SAMPLES))
@pytest.mark.parametrize(("encoding", "delimiter"), CSV_VARIANTS)
def test_csv_parses_to_typed_values(write_csv: WriteCsv, feed: str, encoding: str, delimiter: str) -> None:
    headers, rows, expected = SAMPLES[feed]
    spec = FEEDS[feed]
    path = write_csv([headers, *rows], encoding=encoding, delimiter=delimiter)

    export = open_export(path, spec)

    assert export.encoding == encoding
    assert export.delimiter == delimiter
    assert export.header_row == 1
    assert export.extra_headers == ()
    assert export.columns == {spec.header_lookup[normalise_header(h)]: i for i, h in enumerate(headers)}
    parsed = parse_all(export)
    assert [r.row_number for r in parsed] == list(range(2, len(rows) + 2))
    assert [as_dict(spec, r) for r in parsed] == [expected_dict(spec, e) for e in expected]
    assert all(r.extras == {} for r in parsed)


@pytest.mark.parametrize("feed", sorted(SAMPLES))
@pytest.mark.parametrize("typed", [True, False], ids=["typed-cells", "text-cells"])
def test_xlsx_parses_to_typed_values(write_xlsx: WriteXlsx, feed: str, typed: bool) -> None:
    headers, rows, expected = SAMPLES[feed]
    spec = FEEDS[feed]
    path = write_xlsx([headers, *rows], typed=typed)

    export = open_export(path, spec)

    assert (export.encoding, export.delimiter, export.header_row) == ("xlsx", None, 1)
    parsed = parse_all(export)
    assert [r.row_number for r in parsed] == list(range(2, len(rows) + 2))
    assert [as_dict(spec, r) for r in parsed] == [expected_dict(spec, e) for e in expected]


def test_xlsx_typed_cells_are_really_typed(write_xlsx: WriteXlsx) -> None:
    """Guard for the test above: the spreadsheet really holds numbers and dates, not text."""
    from python_calamine import CalamineWorkbook

    path = write_xlsx([REGISTER_HEADERS, *REGISTER_ROWS])
    cells = list(CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).iter_rows())
    assert isinstance(cells[1][1], date)  # Дата рег.: a date cell (calamine gives midnight as a date)
    assert cells[3][1] == datetime(2024, 1, 11, 14, 30)
    assert cells[2][11] == 3709000  # ОКТМО lost its leading zero, as in Excel
    assert cells[3][0] == 16  # № РК typed as a number


def test_columns_are_found_by_name_in_any_order(write_csv: WriteCsv) -> None:
    headers, rows, expected = SAMPLES["register"]
    order = list(reversed(range(len(headers))))
    path = write_csv([[headers[i] for i in order], *([row[i] for i in order] for row in rows)])

    export = open_export(path, FEEDS["register"])

    assert export.columns["reg_number"] == len(headers) - 1
    spec = FEEDS["register"]
    assert [as_dict(spec, r) for r in export.rows()] == [expected_dict(spec, e) for e in expected]


def test_absent_optional_columns_give_none(write_csv: WriteCsv) -> None:
    spec = FEEDS["register"]
    required = [c.header for c in spec.required_columns]
    row = [
        "7",
        "01.02.2024",
        "Запрос",
        "Письменная",
        "Почта России",
        "АПК",
        "87725000",
        "0001.0000.0000.0000",
        "Разъяснено",
    ]
    export = open_export(write_csv([required, row]), spec)

    assert set(export.columns) == {c.name for c in spec.required_columns}
    [parsed] = parse_all(export)
    values = as_dict(spec, parsed)
    assert values["reg_number"] == "7"
    assert values["origin_code"] == "regional_admin"
    assert values["topic_code"] == "0001.0000.0000.0000"
    assert values["satisfaction"] is None and values["organization"] is None


# --- finding the header -------------------------------------------------------------------------------------


def test_header_below_title_lines_and_empty_rows_csv(write_csv: WriteCsv) -> None:
    headers, rows, expected = SAMPLES["register"]
    lines = [
        ["Реестр обращений граждан за январь 2024 г."],
        ["Администрация МО ГО «Ухта»"],
        [],
        [""],
        headers,
    ]
    path = write_csv([*lines, rows[0], [], rows[1], ["", "", ""], rows[2]], encoding="cp1251")

    export = open_export(path, FEEDS["register"])

    assert export.header_row == 5
    parsed = parse_all(export)
    assert [r.row_number for r in parsed] == [6, 8, 10]  # blank rows are skipped, not counted
    assert [as_dict(FEEDS["register"], r) for r in parsed] == [
        expected_dict(FEEDS["register"], e) for e in expected
    ]


def test_header_below_title_lines_and_empty_rows_xlsx(write_xlsx: WriteXlsx) -> None:
    headers, rows, expected = SAMPLES["incident"]
    path = write_xlsx(
        [["Выгрузка инцидентов"], ["за февраль 2024"], [], headers, rows[0], [], rows[1]],
        first_row=3,  # two empty rows above the title, as spreadsheets often have
        first_column=2,  # and an empty column A
    )

    export = open_export(path, FEEDS["incident"])

    assert export.header_row == 6
    assert export.columns["incident_id"] == 1  # column B
    parsed = parse_all(export)
    assert [r.row_number for r in parsed] == [7, 9]
    assert [as_dict(FEEDS["incident"], r) for r in parsed] == [
        expected_dict(FEEDS["incident"], e) for e in expected
    ]


def test_header_variants_match(write_csv: WriteCsv) -> None:
    spec = FEEDS["register"]
    headers = [
        "  номер рк ",  # case, surrounding spaces
        "ДАТА\u00a0РЕГИСТРАЦИИ",  # upper case, NBSP
        "Вид обращения:",
        "Форма",
        "Вид\u00a0доставки",
        "Поступило  из",
        "Октмо",
        "Код вопроса*",
        "Результат",
        "Удовлетворённость",  # ё
        "С выездом на место",
    ]
    row = [
        "8",
        "02.02.2024",
        "Иное",
        "Электронная",
        "МЭДО",
        "Другие органы",
        "87725000",
        "0002.0000.0000.0000",
        "Дан ответ автору",
    ]
    export = open_export(write_csv([headers, [*row, "Не удовлетворён", "нет"]]), spec)

    assert set(export.columns) == {c.name for c in spec.required_columns} | {"satisfaction", "on_site"}
    [parsed] = parse_all(export)
    values = as_dict(spec, parsed)
    assert values["appeal_type"] == "other"
    assert values["channel_code"] == "medo"
    assert values["origin_code"] == "other_body"
    assert values["result_code"] == "answered"
    assert values["satisfaction"] == "not_satisfied"
    assert values["on_site"] is False


@pytest.mark.parametrize("spelling", ["N РК", "Рег. №", "Номер РК", "Регистрационный номер"])
def test_registration_number_spellings(write_csv: WriteCsv, spelling: str) -> None:
    spec = FEEDS["register"]
    headers = [spelling if c.name == "reg_number" else c.header for c in spec.required_columns]
    row = [
        "9",
        "02.02.2024",
        "Жалоба",
        "Письменная",
        "Нарочно",
        "АКО",
        "87725000",
        "0002.0000.0000.0000",
        "Поддержано",
    ]
    export = open_export(write_csv([headers, row]), spec)
    [parsed] = parse_all(export)
    assert as_dict(spec, parsed)["reg_number"] == "9"


def test_extra_columns_land_in_extras(write_csv: WriteCsv, write_xlsx: WriteXlsx) -> None:
    spec = FEEDS["organizations"]
    table = [
        ["Примечание", "Организация", "ОКТМО", "Сайт", "Уровень", "", "Примечание"],
        ["новое", "Администрация МО ГО «Ухта»", "87725000", "", "муниципалитет", "", "x"],
        ["", "Администрация Томской области", "69000000", "tomsk.gov.ru", "регион", "?", ""],
    ]
    for path in (write_csv(table), write_xlsx(table)):
        export = open_export(path, spec)

        assert export.extra_headers == ("Примечание", "Сайт", "Примечание (2)")
        parsed = parse_all(export)
        assert [as_dict(spec, r)["name"] for r in parsed] == [row[1] for row in table[1:]]
        assert parsed[0].extras == {"Примечание": "новое", "Примечание (2)": "x"}
        unnamed = "column 6" if export.delimiter else "column F"
        assert parsed[1].extras == {"Сайт": "tomsk.gov.ru", unnamed: "?"}


def test_spreadsheet_values_right_of_the_header_are_kept(write_xlsx: WriteXlsx) -> None:
    spec = FEEDS["organizations"]
    path = write_xlsx([ORGANIZATIONS_HEADERS, [*ORGANIZATIONS_ROWS[0], "", "заметка на полях"]])
    [parsed] = parse_all(open_export(path, spec))
    assert parsed.error is None
    assert parsed.extras == {"column E": "заметка на полях"}


def test_missing_required_column_names_file_missing_and_found(write_csv: WriteCsv) -> None:
    spec = FEEDS["register"]
    headers = [h for h in REGISTER_HEADERS if h not in ("Код вопроса", "Результат")]
    path = write_csv([["Реестр обращений"], headers, ["1"] * len(headers)], name="body/ukhta_2024.csv")

    with pytest.raises(MissingColumnsError) as caught:
        open_export(path, spec)

    error = caught.value
    assert error.path == path
    assert error.missing == ("Код вопроса", "Результат")
    assert error.found == tuple(headers)
    message = str(error)
    assert str(path) in message
    assert "'Код вопроса'" in message and "'Результат'" in message
    assert "row 2" in message
    assert "'№ РК'" in message and "'Дата рег.'" in message


def test_missing_columns_in_xlsx(write_xlsx: WriteXlsx) -> None:
    path = write_xlsx([["Соцсеть", "Текст"], ["ВКонтакте", "пост"]])
    with pytest.raises(MissingColumnsError) as caught:
        open_export(path, FEEDS["incident"])
    assert caught.value.found == ("Соцсеть", "Текст")
    assert "ID инцидента" in caught.value.missing and "Соцсеть" not in caught.value.missing
    assert path.name in str(caught.value)


def test_header_beyond_the_first_30_rows_is_not_found(write_csv: WriteCsv) -> None:
    path = write_csv([*[[f"строка {i}"] for i in range(30)], ORGANIZATIONS_HEADERS, ORGANIZATIONS_ROWS[0]])
    with pytest.raises(MissingColumnsError, match="first 30"):
        open_export(path, FEEDS["organizations"])


# --- whole-file failures ------------------------------------------------------------------------------------


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(ExportError, match=r"empty\.csv is empty") as caught:
        open_export(path, FEEDS["pos"])
    assert caught.value.path == path
    assert not isinstance(caught.value, MissingColumnsError)


def test_file_of_blank_lines_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "blank.csv"
    path.write_bytes(b"\xef\xbb\xbf\r\n;;;\r\n  \r\n")
    with pytest.raises(ExportError, match="is empty"):
        open_export(path, FEEDS["pos"])


def test_empty_workbook(tmp_path: Path) -> None:
    import openpyxl

    path = tmp_path / "empty.xlsx"
    openpyxl.Workbook().save(path)
    with pytest.raises(ExportError, match="is empty"):
        open_export(path, FEEDS["pos"])


def test_truncated_xlsx(write_xlsx: WriteXlsx) -> None:
    path = write_xlsx([POS_HEADERS, *POS_ROWS])
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])

    with pytest.raises(ExportError) as caught:
        open_export(path, FEEDS["pos"])

    assert caught.value.path == path
    assert str(path) in str(caught.value)
    assert "truncated or corrupt" in str(caught.value)


def test_xlsx_suffix_on_a_text_file(tmp_path: Path) -> None:
    path = tmp_path / "export.xlsx"
    path.write_text("Номер;Категория\n", encoding="utf-8")
    with pytest.raises(ExportError, match="not a spreadsheet"):
        open_export(path, FEEDS["pos"])


def test_workbook_with_a_csv_name_is_read_as_a_workbook(write_xlsx: WriteXlsx) -> None:
    path = write_xlsx([ORGANIZATIONS_HEADERS, *ORGANIZATIONS_ROWS], name="organizations.csv")
    export = open_export(path, FEEDS["organizations"])
    assert export.encoding == "xlsx"
    assert len(parse_all(export)) == len(ORGANIZATIONS_ROWS)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="cannot read"):
        open_export(tmp_path / "nope.csv", FEEDS["pos"])


# --- row errors ---------------------------------------------------------------------------------------------


def test_bad_date_fails_only_its_row(write_csv: WriteCsv) -> None:
    spec = FEEDS["register"]
    rows = [list(r) for r in REGISTER_ROWS]
    rows[1][1] = "31.02.2024"
    export = open_export(write_csv([REGISTER_HEADERS, *rows]), spec)

    parsed = parse_all(export)

    assert [r.error is None for r in parsed] == [True, False, True]
    bad = parsed[1]
    assert bad.row_number == 3
    assert bad.values is None
    assert bad.error is not None
    assert bad.error.column == "Дата рег."
    assert "'31.02.2024'" in bad.error.reason and "is not a date" in bad.error.reason
    assert "dd.mm.yyyy" in bad.error.reason
    assert bad.error.original == dict(zip(REGISTER_HEADERS, rows[1], strict=True))
    assert as_dict(spec, parsed[2]) == expected_dict(spec, REGISTER_EXPECTED[2])


def test_row_error_names_the_header_as_written(write_csv: WriteCsv) -> None:
    headers = ["ОРГАНИЗАЦИЯ", "Код  ОКТМО", "уровень"]
    export = open_export(write_csv([headers, ["Администрация", "8772500", "регион"]]), FEEDS["organizations"])
    [parsed] = parse_all(export)
    assert parsed.error is not None
    assert parsed.error.column == "Код ОКТМО"
    assert parsed.error.reason == "'8772500' is not an ОКТМО code (expected 8 or 11 digits)"


def test_unknown_code_value_is_kept_verbatim(write_csv: WriteCsv) -> None:
    spec = FEEDS["register"]
    rows = [list(r) for r in REGISTER_ROWS[:1]]
    rows[0][5] = "Голубиная  почта"
    rows[0][14] = " Рассмотрено. Отложено "
    export = open_export(write_csv([REGISTER_HEADERS, *rows]), spec)
    [parsed] = parse_all(export)
    values = as_dict(spec, parsed)
    assert values["channel_code"] == "Голубиная  почта"
    assert values["result_code"] == "Рассмотрено. Отложено"
    assert values["form"] == "written"


@pytest.mark.parametrize(
    "code", ["5.5.56.1169", "0005.0005.0056.1169.0001.0001", "0005,0005", "Дороги", "0005."]
)
def test_malformed_topic_code_is_a_row_error(write_csv: WriteCsv, code: str) -> None:
    rows = [list(REGISTER_ROWS[0])]
    rows[0][12] = code
    [parsed] = parse_all(open_export(write_csv([REGISTER_HEADERS, *rows]), FEEDS["register"]))
    assert parsed.error is not None
    assert parsed.error.column == "Код вопроса"
    assert f"'{code}' is not a classifier code" in parsed.error.reason


def test_well_formed_unknown_topic_code_is_kept(write_csv: WriteCsv) -> None:
    rows = [list(REGISTER_ROWS[0])]
    rows[0][12] = " 9999.9999.9999.9999.9999 "
    [parsed] = parse_all(open_export(write_csv([REGISTER_HEADERS, *rows]), FEEDS["register"]))
    assert as_dict(FEEDS["register"], parsed)["topic_code"] == "9999.9999.9999.9999.9999"


def test_required_value_empty(write_csv: WriteCsv) -> None:
    rows = [list(REGISTER_ROWS[0])]
    rows[0][3] = "  "
    [parsed] = parse_all(open_export(write_csv([REGISTER_HEADERS, *rows]), FEEDS["register"]))
    assert parsed.error is not None
    assert (parsed.error.column, parsed.error.reason) == ("Вид обращения", "required value is empty")


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        ("Оценка ответа заявителем", "7", "'7' is not a rating (expected 1 to 5, or '-')"),
        ("Оценка ответа заявителем", "хорошо", "'хорошо' is not a rating"),
        ("Просрочено", "может быть", "'может быть' is not a yes/no value"),
        ("Дата планируемого завершения работ", "завтра", "'завтра' is not a date"),
    ],
)
def test_value_errors_name_column_and_value(
    write_csv: WriteCsv, column: str, value: str, reason: str
) -> None:
    rows = [list(POS_ROWS[0])]
    rows[0][POS_HEADERS.index(column)] = value
    [parsed] = parse_all(open_export(write_csv([POS_HEADERS, *rows]), FEEDS["pos"]))
    assert parsed.error is not None
    assert parsed.error.column == column
    assert parsed.error.reason.startswith(reason)


def test_broken_csv_rows(tmp_path: Path) -> None:
    path = tmp_path / "organizations.csv"
    path.write_text(
        "Организация;ОКТМО;Уровень\n"
        "Администрация МО ГО «Ухта»;87725000;муниципалитет\n"
        "Администрация Томской области;69000000\n"  # a cell short
        "Администрация; г. Томск;69701000;муниципалитет\n"  # an unquoted delimiter
        "Администрация МО г. Горячий Ключ;03709000;муниципалитет;;\n",  # trailing empty cells are fine
        encoding="utf-8",
    )
    parsed = parse_all(open_export(path, FEEDS["organizations"]))

    assert [r.row_number for r in parsed] == [2, 3, 4, 5]
    assert [r.error is None for r in parsed] == [True, False, False, True]
    short, long = parsed[1].error, parsed[2].error
    assert short is not None and long is not None
    assert short.column == long.column == "*"
    assert "2 cells" in short.reason and "header has 3" in short.reason
    assert "4 cells" in long.reason
    assert short.original == {"Организация": "Администрация Томской области", "ОКТМО": "69000000"}
    assert long.original == {
        "Организация": "Администрация",
        "ОКТМО": " г. Томск",
        "Уровень": "69701000",
        "column 4": "муниципалитет",
    }


def test_unbalanced_quote_is_reported_with_the_lines_it_swallowed(tmp_path: Path) -> None:
    path = tmp_path / "organizations.csv"
    path.write_text(
        "Организация;ОКТМО;Уровень\n"
        '"Администрация Ухта;87725000\n'  # the quote opens and is never closed
        "Администрация Томской области;69000000;регион\n"
        "Администрация города Томска;69701000;муниципалитет\n",
        encoding="utf-8",
    )
    [parsed] = parse_all(open_export(path, FEEDS["organizations"]))
    assert parsed.row_number == 2
    assert parsed.error is not None and parsed.error.column == "*"
    assert "spans lines 2–4" in parsed.error.reason and "unbalanced quote" in parsed.error.reason
    assert "Администрация города Томска" in parsed.error.original["Организация"]


def test_multiline_values_keep_line_numbers(write_csv: WriteCsv) -> None:
    spec = FEEDS["incident"]
    rows = [list(r) for r in INCIDENT_ROWS]
    rows[0][6] = "первая строка\nвторая строка\nтретья"
    export = open_export(write_csv([INCIDENT_HEADERS, *rows]), spec)
    parsed = parse_all(export)
    assert [r.row_number for r in parsed] == [2, 5]  # the first record spans lines 2–4
    assert as_dict(spec, parsed[0])["post_text"] == "первая строка\nвторая строка\nтретья"


def test_rows_can_be_read_twice(write_csv: WriteCsv) -> None:
    export = open_export(write_csv([ORGANIZATIONS_HEADERS, *ORGANIZATIONS_ROWS]), FEEDS["organizations"])
    first = [r.values for r in export.rows()]
    assert first == [r.values for r in export.rows()]
    assert len(first) == len(ORGANIZATIONS_ROWS)


# --- encodings ----------------------------------------------------------------------------------------------


def test_cp1251_is_never_mistaken_for_utf8(write_csv: WriteCsv) -> None:
    """A cp1251 byte pair can be valid UTF-8 («Рё» is U+0438 «и»): the whole sample decides, not a pair."""
    headers = ["Организация", "ОКТМО", "Уровень"]
    rows = [["Рё", "87725000", "регион"]]
    path = write_csv([headers, *rows], encoding="cp1251")
    export = open_export(path, FEEDS["organizations"])
    assert export.encoding == "cp1251"
    [parsed] = parse_all(export)
    assert parsed.values == ("Рё", "87725000", "region")


def test_encoding_decided_past_a_long_ascii_prefix(tmp_path: Path) -> None:
    ascii_prefix = ("x" * 99 + "\n") * (2 * ENCODING_SAMPLE_BYTES // 100)
    for encoding in ("cp1251", "utf-8"):
        path = tmp_path / f"{encoding}.csv"
        path.write_bytes(ascii_prefix.encode() + "Организация;ОКТМО\n".encode(encoding))
        assert detect_encoding(path) == encoding


def test_utf16_unicode_text_export(tmp_path: Path) -> None:
    """Excel's "Save as Unicode text": UTF-16 with a byte order mark, tab-delimited."""
    path = tmp_path / "organizations.txt"
    lines = ["\t".join(ORGANIZATIONS_HEADERS), *("\t".join(row) for row in ORGANIZATIONS_ROWS)]
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-16")
    export = open_export(path, FEEDS["organizations"])
    assert (export.encoding, export.delimiter) == ("utf-16", "\t")
    assert [as_dict(FEEDS["organizations"], r) for r in export.rows()] == ORGANIZATIONS_EXPECTED


def test_encoding_of_pure_ascii_and_bom(tmp_path: Path) -> None:
    path = tmp_path / "ascii.csv"
    path.write_bytes(b"a;b\n1;2\n")
    assert detect_encoding(path) == "utf-8"
    path.write_bytes("\ufeffа;б\n".encode())
    assert detect_encoding(path) == "utf-8-sig"


def test_utf8_file_with_a_stray_cp1251_line_fails_as_a_whole(tmp_path: Path) -> None:
    path = tmp_path / "mixed.csv"
    good = ";".join(ORGANIZATIONS_HEADERS) + "\n" + ";".join(ORGANIZATIONS_ROWS[0]) + "\n"
    filler = ";".join(ORGANIZATIONS_ROWS[1]) + "\n"
    path.write_bytes((good + filler * 2000).encode() + ";".join(ORGANIZATIONS_ROWS[2]).encode("cp1251"))
    export = open_export(path, FEEDS["organizations"])
    assert export.encoding == "utf-8"
    with pytest.raises(ExportError, match="not valid utf-8"):
        parse_all(export)


def test_open_export_logs_what_it_detected(write_csv: WriteCsv, caplog: pytest.LogCaptureFixture) -> None:
    path = write_csv([ORGANIZATIONS_HEADERS, *ORGANIZATIONS_ROWS], encoding="cp1251", delimiter="\t")
    with caplog.at_level(logging.DEBUG, logger="ingestion.parse.reader"):
        open_export(path, FEEDS["organizations"])
    assert "cp1251" in caplog.text and "header in row 1" in caplog.text

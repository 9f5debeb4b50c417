"""Feed contracts as data: target columns, required and personal columns, and the code value maps."""

from __future__ import annotations

import pytest

from ingestion.feeds import FEEDS, KINDS, Column, FeedSpec
from ingestion.parse.values import normalise_key, parse_code

COLUMNS: dict[str, list[str]] = {
    "pos": [
        "message_id", "epgu_id", "tech_source", "region_account", "category", "subcategory", "fact",
        "receiving_org", "handling_org", "received_at", "due_at", "closed_at", "stage", "status",
        "is_overdue", "is_fast_track", "fz_marker", "applicant_chose_59fz", "decision_type",
        "emailed_to_foiv", "rating", "is_repeat_review", "coordinator_name", "executor_name", "manager_name",
    ],
    "incident": [
        "incident_id", "published_at", "registered_at", "social_network", "post_url", "author", "post_text",
        "rubric", "subrubric", "municipality_name", "oktmo", "status", "executor", "answered_at",
        "message_type", "is_spam", "reach",
    ],
    "register": [
        "reg_number", "registered_at", "received_at", "appeal_type", "form", "channel_code", "origin_code",
        "is_collective", "is_repeat", "correspondent", "address", "oktmo", "topic_code", "question_text",
        "result_code", "measures_taken", "due_at", "extended_due_at", "answered_at", "on_control",
        "by_commission", "on_site", "with_applicant", "satisfaction", "executor", "received_by",
        "organization",
    ],
    "organizations": ["name", "oktmo", "level"],
}  # fmt: skip
REQUIRED: dict[str, set[str]] = {
    "pos": {"message_id", "category", "receiving_org", "received_at", "stage"},
    "incident": {"incident_id", "published_at", "social_network", "rubric", "municipality_name", "status"},
    "register": {
        "reg_number", "registered_at", "appeal_type", "form", "channel_code", "origin_code", "oktmo",
        "topic_code", "result_code",
    },
    "organizations": {"name", "oktmo", "level"},
}  # fmt: skip
PERSONAL: dict[str, set[str]] = {
    "pos": {"coordinator_name", "executor_name", "manager_name"},
    "incident": {"post_url", "author", "post_text"},
    "register": {"correspondent", "address"},
    "organizations": set(),
}
TABLES = {
    "pos": "pos_rows",
    "incident": "incident_rows",
    "register": "register_rows",
    "organizations": "organizations_rows",
}

# Every spelling the source contract (sources.md) lists, and the canonical code (marts.md) it must become.
CONTRACT_SPELLINGS: dict[tuple[str, str], dict[str, str]] = {
    ("register", "appeal_type"): {
        "Заявление": "statement", "Предложение": "proposal", "Жалоба": "complaint", "Запрос": "request",
        "Иное": "other",
    },
    ("register", "form"): {"Письменная": "written", "Электронная": "electronic", "Устная": "oral"},
    ("register", "channel_code"): {
        "Почта России": "post", "Нарочно": "by_hand", "Интернет-приемная": "internet_reception",
        "Электронная почта": "email", "ГИС ЖКХ": "gis_zhkh", "ПОС": "pos", "МЭДО": "medo",
        "Личный прием": "personal_reception", "Выездной прием": "field_reception", "Телефон": "phone",
        "Горячая линия": "hotline", "Прямая линия": "direct_line", "Многоканальный телефон": "regional_phone",
        "Факс": "fax", "Иное": "other",
    },
    ("register", "origin_code"): {
        "Непосредственно от заявителя": "direct", "Администрация субъекта": "regional_admin",
        "АКО": "regional_admin", "АПК": "regional_admin", "Администрация края": "regional_admin",
        "Администрация области": "regional_admin", "Приемная Президента": "presidential",
        "Другие органы": "other_body",
    },
    ("register", "result_code"): {
        "Разъяснено": "explained", "Поддержано": "supported", "Не поддержано": "not_supported",
        "Дан ответ автору": "answered", "Оставлено без ответа автору": "left_without_answer",
        "Направлено по компетенции": "transferred", "Находится на рассмотрении": "in_progress",
        "Рассмотрение продлено": "extended",
    },
    ("register", "satisfaction"): {
        "Удовлетворен": "satisfied", "Частично удовлетворен": "partly_satisfied",
        "Не удовлетворен": "not_satisfied",
    },
    ("register", "received_by"): {
        "Глава": "head", "Заместитель главы": "deputy_head", "Специалист": "specialist",
    },
    ("incident", "message_type"): {
        "Жалоба": "complaint", "Вопрос": "request", "Предложение": "proposal", "Благодарность": "gratitude",
    },
    ("organizations", "level"): {
        "регион": "region", "муниципалитет": "municipality", "поселение": "settlement", "ведомство": "agency",
    },
}  # fmt: skip
VOCABULARIES: dict[str, set[str]] = {
    "appeal_type": {"statement", "proposal", "complaint", "request", "gratitude", "other"},
    "message_type": {"statement", "proposal", "complaint", "request", "gratitude", "other"},
    "form": {"written", "electronic", "oral"},
    "channel_code": {
        "post", "by_hand", "internet_reception", "email", "gis_zhkh", "pos", "medo", "personal_reception",
        "field_reception", "phone", "hotline", "direct_line", "regional_phone", "fax", "social_media",
        "other",
    },
    "origin_code": {"direct", "regional_admin", "presidential", "other_body"},
    "result_code": {
        "explained", "supported", "not_supported", "answered", "left_without_answer", "transferred",
        "in_progress", "extended",
    },
    "satisfaction": {"satisfied", "partly_satisfied", "not_satisfied"},
    "received_by": {"head", "deputy_head", "specialist"},
    "level": {"region", "municipality", "settlement", "agency"},
}  # fmt: skip


@pytest.mark.parametrize("feed", sorted(COLUMNS))
def test_feed_columns_required_and_personal(feed: str) -> None:
    spec = FEEDS[feed]
    assert spec.name == feed
    assert spec.table == TABLES[feed]
    assert list(spec.column_names) == COLUMNS[feed]
    assert {c.name for c in spec.required_columns} == REQUIRED[feed]
    assert set(spec.personal_columns) == PERSONAL[feed]
    assert all(c.kind in KINDS for c in spec.columns)


def test_keys_and_applicant_columns() -> None:
    assert {name: spec.natural_key for name, spec in FEEDS.items()} == {
        "pos": ("message_id",),
        "incident": ("incident_id",),
        "register": ("reg_number",),
        "organizations": ("name",),
    }
    assert {name: spec.applicant_columns for name, spec in FEEDS.items()} == {
        "pos": (),
        "incident": ("author",),
        "register": ("correspondent",),
        "organizations": (),
    }


def test_kinds_of_typed_columns() -> None:
    kinds = {(feed, c.name): c.kind for feed, spec in FEEDS.items() for c in spec.columns}
    assert kinds["pos", "rating"] == "rating"
    assert kinds["pos", "received_at"] == kinds["register", "extended_due_at"] == "timestamp"
    assert kinds["register", "topic_code"] == "topic_code"
    assert (
        kinds["register", "oktmo"] == kinds["incident", "oktmo"] == kinds["organizations", "oktmo"] == "oktmo"
    )
    assert kinds["incident", "reach"] == "int"
    assert kinds["register", "on_site"] == kinds["pos", "is_overdue"] == "bool"
    coded = {key for key, kind in kinds.items() if kind == "code"}
    assert coded == set(CONTRACT_SPELLINGS)


@pytest.mark.parametrize(("feed", "column"), sorted(CONTRACT_SPELLINGS))
def test_contract_spellings_map_to_canonical_codes(feed: str, column: str) -> None:
    values = FEEDS[feed].column(column).values
    assert values is not None
    for spelling, code in CONTRACT_SPELLINGS[feed, column].items():
        assert parse_code(spelling, values) == code, spelling
        assert parse_code(f" {spelling.upper()}. ", values) == code, spelling
    assert FEEDS[feed].column(column).codes <= VOCABULARIES[column]


@pytest.mark.parametrize("spelling", sorted(CONTRACT_SPELLINGS["register", "result_code"]))
def test_results_with_the_reviewed_prefix(spelling: str) -> None:
    values = FEEDS["register"].column("result_code").values
    assert values is not None
    expected = CONTRACT_SPELLINGS["register", "result_code"][spelling]
    assert parse_code(f"Рассмотрено. {spelling}", values) == expected
    assert parse_code(f"Рассмотрено.  {spelling.lower()}", values) == expected


def test_code_maps_are_normalised_and_accept_the_codes_themselves() -> None:
    for spec in FEEDS.values():
        for column in spec.columns:
            if column.values is None:
                continue
            assert all(normalise_key(key) == key for key in column.values), column.name
            assert all(column.values[code] == code for code in column.codes), column.name


def test_contract_headers_are_canonical() -> None:
    """The first spelling of each column is the one sources.md uses (it appears in messages)."""
    headers = {(feed, c.name): c.header for feed, spec in FEEDS.items() for c in spec.columns}
    assert headers["register", "reg_number"] == "№ РК"
    assert headers["register", "registered_at"] == "Дата рег."
    assert headers["pos", "receiving_org"] == "Организация, в которую поступило сообщение"
    assert headers["incident", "incident_id"] == "ID инцидента"
    assert headers["organizations", "level"] == "Уровень"


def test_column_rejects_bad_declarations() -> None:
    with pytest.raises(ValueError, match="unknown kind"):
        Column("x", ("Икс",), "float")
    with pytest.raises(ValueError, match="'values' is required"):
        Column("x", ("Икс",), "code")
    with pytest.raises(ValueError, match="'values' is required"):
        Column("x", ("Икс",), "text", values={"а": "a"})
    with pytest.raises(ValueError, match="maps to both"):
        Column("x", ("Икс",), "code", values={"Да": "yes", "ДА.": "no"})
    with pytest.raises(ValueError, match="header"):
        Column("x", (), "text")


def test_feed_spec_rejects_bad_declarations() -> None:
    a = Column("a", ("Номер",), "text", required=True)
    with pytest.raises(ValueError, match="claimed by"):
        FeedSpec("f", "f_rows", (a, Column("b", ("НОМЕР ",), "text")), natural_key=("a",))
    with pytest.raises(ValueError, match="duplicate column names"):
        FeedSpec("f", "f_rows", (a, a), natural_key=("a",))
    with pytest.raises(ValueError, match="unknown columns"):
        FeedSpec("f", "f_rows", (a,), natural_key=("z",))
    with pytest.raises(ValueError, match="must be required"):
        FeedSpec("f", "f_rows", (a, Column("b", ("Б",), "text")), natural_key=("b",))

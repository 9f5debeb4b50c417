"""Value parsers: examples from real exports, and Hypothesis properties (round trips, only ValueError)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from ingestion.feeds import FEEDS
from ingestion.parse.values import (
    from_excel_serial,
    normalise_header,
    normalise_key,
    parse_bool,
    parse_code,
    parse_int,
    parse_oktmo,
    parse_rating,
    parse_smallint,
    parse_text,
    parse_timestamp,
    parse_topic_code,
    to_excel_serial,
)

DATE_REASON = "is not a date (expected dd.mm.yyyy[ hh:mm[:ss]], ISO 8601 or an Excel serial)"

# --- timestamps: examples -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("05.01.2024", datetime(2024, 1, 5)),
        ("5.1.2024", datetime(2024, 1, 5)),
        (" 05.01.2024 ", datetime(2024, 1, 5)),
        ("05.01.2024 9:05", datetime(2024, 1, 5, 9, 5)),
        ("05.01.2024 10:15:30", datetime(2024, 1, 5, 10, 15, 30)),
        ("05.01.2024, 10:15", datetime(2024, 1, 5, 10, 15)),
        ("2024-01-05", datetime(2024, 1, 5)),
        ("2024-01-05T10:15", datetime(2024, 1, 5, 10, 15)),
        ("2024-01-05 10:15:30.250", datetime(2024, 1, 5, 10, 15, 30, 250_000)),
        ("2024-01-05T10:15:30+03:00", datetime(2024, 1, 5, 10, 15, 30, tzinfo=timezone(timedelta(hours=3)))),
        ("2024-01-05T07:15:30Z", datetime(2024, 1, 5, 7, 15, 30, tzinfo=UTC)),
        ("20240105", datetime(2024, 1, 5)),
        ("45292", datetime(2024, 1, 1)),
        ("45292.5", datetime(2024, 1, 1, 12)),
        ("45292,75", datetime(2024, 1, 1, 18)),
        (45292, datetime(2024, 1, 1)),
        (45292.25, datetime(2024, 1, 1, 6)),
        (datetime(2024, 1, 5, 10, 15), datetime(2024, 1, 5, 10, 15)),
        (date(2024, 1, 5), datetime(2024, 1, 5)),
        ("", None),
        ("   ", None),
        ("-", None),
        (None, None),
    ],
)
def test_parse_timestamp_examples(text: object, expected: datetime | None) -> None:
    result = parse_timestamp(text)  # type: ignore[arg-type]
    assert result == expected
    if expected is not None:
        assert (result.tzinfo is None) == (expected.tzinfo is None)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "text",
    [
        "31.02.2024",
        "32.01.2024",
        "05.13.2024",
        "05.01.24",
        "05.01.2024 25:00",
        "05.01.2024 10",
        "завтра",
        "1e3",
    ],
)
def test_parse_timestamp_rejects_with_the_expected_forms(text: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_timestamp(text)
    assert str(caught.value) == f"'{text}' {DATE_REASON}"


@pytest.mark.parametrize("value", ["0", "80001", "100000", 0, -1.5, 80_001, float("nan"), float("inf")])
def test_excel_serial_out_of_range(value: object) -> None:
    with pytest.raises(ValueError, match="is not a date"):
        parse_timestamp(value)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [True, time(10, 0), timedelta(days=1), b"05.01.2024"])
def test_parse_timestamp_rejects_other_cell_types(value: object) -> None:
    with pytest.raises(ValueError, match="is not a date"):
        parse_timestamp(value)  # type: ignore[arg-type]


def test_excel_serials_around_the_1900_leap_bug() -> None:
    assert from_excel_serial(1) == datetime(1900, 1, 1)
    assert from_excel_serial(59) == datetime(1900, 2, 28)
    assert from_excel_serial(61) == datetime(1900, 3, 1)
    assert from_excel_serial(80_000) == datetime(2119, 1, 11)
    with pytest.raises(ValueError, match="1900-02-29"):
        from_excel_serial(60)


def test_long_values_are_shortened_in_messages() -> None:
    with pytest.raises(ValueError) as caught:
        parse_timestamp("x" * 500)
    assert len(str(caught.value)) < 200
    assert "…" in str(caught.value)


# --- timestamps: round trips --------------------------------------------------------------------------------

naive_seconds = st.datetimes(
    min_value=datetime(1000, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59)
).map(lambda d: d.replace(microsecond=0))
offsets = st.integers(min_value=-14 * 60, max_value=14 * 60).map(lambda m: timezone(timedelta(minutes=m)))


def dotted_date(d: datetime) -> str:
    return f"{d.day:02d}.{d.month:02d}.{d.year:04d}"


@given(naive_seconds)
def test_dotted_forms_round_trip(d: datetime) -> None:
    midnight = d.replace(hour=0, minute=0, second=0)
    assert parse_timestamp(dotted_date(d)) == midnight
    assert parse_timestamp(f"{d.day}.{d.month}.{d.year:04d}") == midnight
    assert parse_timestamp(f"{dotted_date(d)} {d:%H:%M}") == d.replace(second=0)
    assert parse_timestamp(f"{dotted_date(d)} {d:%H:%M:%S}") == d


@given(st.datetimes(min_value=datetime(1000, 1, 1)))
def test_iso_naive_forms_round_trip(d: datetime) -> None:
    forms = [
        (d.isoformat(), d),
        (d.isoformat(sep=" "), d),
        (d.isoformat(timespec="seconds"), d.replace(microsecond=0)),
        (d.isoformat(timespec="minutes"), d.replace(second=0, microsecond=0)),
    ]
    for text, expected in forms:
        parsed = parse_timestamp(text)
        assert parsed == expected
        assert parsed is not None and parsed.tzinfo is None
    assert parse_timestamp(d.date().isoformat()) == datetime(d.year, d.month, d.day)


@given(st.datetimes(min_value=datetime(1000, 1, 2)), offsets)
def test_iso_aware_forms_round_trip(d: datetime, offset: timezone) -> None:
    aware = d.replace(tzinfo=offset)
    parsed = parse_timestamp(aware.isoformat())
    assert parsed == aware
    assert parsed is not None and parsed.utcoffset() == offset.utcoffset(None)
    utc = d.replace(tzinfo=UTC)
    assert parse_timestamp(utc.isoformat().replace("+00:00", "Z")) == utc


@given(st.datetimes(min_value=datetime(1900, 3, 1), max_value=datetime(2119, 1, 11, 23, 59, 59)))
def test_excel_serial_forms_round_trip(d: datetime) -> None:
    d = d.replace(microsecond=d.microsecond // 1000 * 1000)  # Excel keeps milliseconds
    serial = to_excel_serial(d)
    assert parse_timestamp(serial) == d
    assert parse_timestamp(repr(serial)) == d
    assert parse_timestamp(repr(serial).replace(".", ",")) == d


@given(st.datetimes() | st.dates())
def test_spreadsheet_date_cells_pass_through(value: datetime | date) -> None:
    parsed = parse_timestamp(value)
    assert parsed == (value if isinstance(value, datetime) else datetime(value.year, value.month, value.day))


# --- yes/no -------------------------------------------------------------------------------------------------

BOOL_SPELLINGS = {
    "Да": True,
    "Нет": False,
    "1": True,
    "0": False,
    "true": True,
    "false": False,
    "yes": True,
    "no": False,
    "Истина": True,
    "Ложь": False,
    "": None,
    "-": None,
}
cases = st.sampled_from([str.lower, str.upper, str.capitalize, str.title, lambda s: s])
padding = st.sampled_from(["", " ", "  ", "\u00a0", "\t"])


@given(st.sampled_from(sorted(BOOL_SPELLINGS)), cases, padding, padding)
def test_parse_bool_accepts_every_spelling(
    spelling: str, case: Callable[[str], str], left: str, right: str
) -> None:
    assert parse_bool(left + case(spelling) + right) is BOOL_SPELLINGS[spelling]


@given(st.text())
@example("Да, частично")
@example("2")
def test_parse_bool_rejects_other_text(text: str) -> None:
    if text.strip().lower() in {s.lower() for s in BOOL_SPELLINGS} | {"1.0", "0.0"}:
        return
    with pytest.raises(ValueError) as caught:
        parse_bool(text)
    assert "is not a yes/no value (expected Да/Нет" in str(caught.value)


def test_parse_bool_spreadsheet_cells() -> None:
    assert parse_bool(True) is True and parse_bool(False) is False
    assert parse_bool(1) is True and parse_bool(0.0) is False
    assert parse_bool(None) is None
    with pytest.raises(ValueError):
        parse_bool(2)


# --- numbers ------------------------------------------------------------------------------------------------


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_parse_int_round_trip(n: int) -> None:
    grouped = f"{n:,}"
    for text in (
        str(n),
        f" {n} ",
        grouped.replace(",", " "),
        grouped.replace(",", "\u00a0"),
        f"{n}.0",
        f"{n},0",
    ):
        assert parse_int(text) == n, text
    assert parse_int(n) == n
    if abs(n) < 2**53:
        assert parse_int(float(n)) == n


@pytest.mark.parametrize("text", ["1.5", "abc", "12 штук", "1e400", str(2**63)])
def test_parse_int_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="whole number"):
        parse_int(text)


def test_parse_int_empty_and_smallint_range() -> None:
    assert parse_int("") is None and parse_int(" - ") is None and parse_int(None) is None
    assert parse_smallint("32767") == 32767
    with pytest.raises(ValueError, match="out of range"):
        parse_smallint("32768")
    with pytest.raises(ValueError):
        parse_int(True)


@pytest.mark.parametrize(
    ("value", "expected"), [("1", 1), ("5", 5), (" 3 ", 3), (4.0, 4), ("-", None), ("", None)]
)
def test_parse_rating(value: object, expected: int | None) -> None:
    assert parse_rating(value) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize("value", ["0", "6", "4.5", "отлично", 7])
def test_parse_rating_rejects(value: object) -> None:
    with pytest.raises(ValueError, match=r"is not a rating \(expected 1 to 5, or '-'\)"):
        parse_rating(value)  # type: ignore[arg-type]


# --- ОКТМО and classifier codes -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("87725000", "87725000"),
        (" 87 725 000 ", "87725000"),
        ("87-725-000", "87725000"),
        ("'03709000", "03709000"),
        ("69701000001", "69701000001"),
        ("87725000.0", "87725000"),
        (3709000, "03709000"),  # a spreadsheet number lost the leading zero
        (3709000.0, "03709000"),
        (9701000001, "09701000001"),
        (69701000001, "69701000001"),
        ("", None),
        ("-", None),
    ],
)
def test_parse_oktmo(value: object, expected: str | None) -> None:
    assert parse_oktmo(value) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "value", ["3709000", "877250001", "8772500a", "г. Ухта", "877250000000", 123, -87725000, 1.5]
)
def test_parse_oktmo_rejects(value: object) -> None:
    with pytest.raises(ValueError, match=r"is not an ОКТМО code \(expected 8 or 11 digits\)"):
        parse_oktmo(value)  # type: ignore[arg-type]


@given(st.lists(st.integers(min_value=0, max_value=9999), min_size=4, max_size=5), padding, padding)
def test_topic_code_shape_accepted(segments: list[int], left: str, right: str) -> None:
    code = ".".join(f"{s:04d}" for s in segments)
    assert parse_topic_code(left + code + right) == code


@pytest.mark.parametrize(
    "value",
    [
        "5.5.56.1169",
        "0005.0005.0056.1169.0001.0001",
        "0005..0056",
        "00050005",
        "0005 .0005",
        "0005.0056",
        "0005.0005.0056",
    ],
)
def test_topic_code_malformed(value: str) -> None:
    with pytest.raises(ValueError, match="is not a classifier code"):
        parse_topic_code(value)


def test_codes_normalise_and_keep_unknown_text() -> None:
    channels = FEEDS["register"].column("channel_code").values
    assert channels is not None
    assert parse_code("  ПОЧТА\u00a0России. ", channels) == "post"
    assert parse_code("Интернет-приёмная", channels) == "internet_reception"
    assert parse_code("Голубиная почта", channels) == "Голубиная почта"
    assert parse_code(" - ", channels) is None
    assert parse_code("", channels) is None


def test_parse_text() -> None:
    assert parse_text("  Ухта \u00a0") == "Ухта"
    assert parse_text("   ") is None
    assert parse_text(1234567.0) == "1234567"
    assert parse_text(1.5) == "1.5"
    assert parse_text(datetime(2024, 1, 5, 10, 0)) == "2024-01-05 10:00:00"


@given(st.text())
def test_normalise_key_is_idempotent(text: str) -> None:
    key = normalise_key(text)
    assert normalise_key(key) == key
    assert "\u00a0" not in key and not key.endswith(".") and key == key.strip()


@given(st.text(alphabet="абвгдеёжзийклмнопрстуфхцчшщъыьэюяabcxyz0123456789 .,-\u00a0\t\n"))
def test_normalise_key_is_case_and_yo_blind(text: str) -> None:
    key = normalise_key(text)
    assert normalise_key(text.upper()) == key
    assert normalise_key(text.replace("е", "ё")) == key
    assert "ё" not in key and "  " not in key


def test_normalise_examples() -> None:
    assert normalise_key(" Рассмотрено.  Разъяснено. ") == "рассмотрено. разъяснено"
    assert normalise_key("Удовлетворён") == "удовлетворен"
    assert normalise_header("Дата\u00a0рег.") == "дата рег"
    assert normalise_header("Код вопроса*") == "код вопроса"
    assert normalise_header(" ОКТМО: ") == "октмо"


# --- arbitrary input: nothing but ValueError ----------------------------------------------------------------

_CODES = FEEDS["register"].column("result_code").values or {}
PARSERS: dict[str, Callable[[object], object]] = {
    "timestamp": parse_timestamp,  # type: ignore[dict-item]
    "bool": parse_bool,  # type: ignore[dict-item]
    "int": parse_int,  # type: ignore[dict-item]
    "smallint": parse_smallint,  # type: ignore[dict-item]
    "rating": parse_rating,  # type: ignore[dict-item]
    "oktmo": parse_oktmo,  # type: ignore[dict-item]
    "topic_code": parse_topic_code,  # type: ignore[dict-item]
    "text": parse_text,
    "code": lambda value: parse_code(value, _CODES),
}
date_like_text = st.text(alphabet="0123456789.:-+TZ ,\u00a0eE_")
spreadsheet_cells = st.one_of(
    st.floats(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.booleans(),
    st.datetimes(),
    st.dates(),
    st.times(),
    st.none(),
)


@pytest.mark.parametrize("kind", sorted(PARSERS))
@given(value=st.one_of(st.text(), date_like_text, spreadsheet_cells))
def test_parsers_raise_nothing_but_value_error(kind: str, value: object) -> None:
    try:
        result = PARSERS[kind](value)
    except ValueError as exc:
        assert str(exc)  # a reason, never an empty message
    else:
        assert result is None or isinstance(result, str | int | bool | datetime)

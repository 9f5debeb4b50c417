"""Pure value parsers for export cells.

Every parser takes what a reader hands over — a ``str`` from a CSV file, or a typed cell from a
spreadsheet (``int``, ``float``, ``bool``, ``datetime``, ``date``…) — and returns a Python value, or
``None`` for an empty cell. Invalid input raises ``ValueError`` whose message is a short English reason
quoting the value and naming the accepted forms; the reader puts that message into the quarantine.

They run once per cell, millions of times per load, so the common path is plain ``str`` methods and
dictionary look-ups, and timestamp parsing is memoised (dates repeat a lot within an export). Types are
tested with ``value.__class__ is str`` rather than ``isinstance``: it is faster, and readers hand over
exact built-in types; type checkers do not narrow on it, hence the ``type: ignore`` comments.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from functools import lru_cache

DATE_FORMS = "dd.mm.yyyy[ hh:mm[:ss]], ISO 8601 or an Excel serial"
BOOL_FORMS = "Да/Нет, 1/0, true/false, yes/no; empty or '-' for unknown"
INT_FORMS = "a whole number"
OKTMO_FORMS = "8 or 11 digits"
TOPIC_CODE_FORMS = "4 or 5 dotted 4-digit segments, e.g. 0005.0005.0056.1169"
RATING_FORMS = "1 to 5, or '-'"

EXCEL_SERIAL_MIN = 1
EXCEL_SERIAL_MAX = 80_000
"""Accepted Excel serial day numbers (1900 date system): 1900-01-01 … 2119-01-11."""

_MS_PER_DAY = 86_400_000
# Excel's 1900 date system counts a fictitious 1900-02-29 (serial 60): from serial 61 (1900-03-01) on,
# day numbers count from 1899-12-30.
_EXCEL_EPOCH = datetime(1899, 12, 30)
_EXCEL_EPOCH_BEFORE_LEAP_BUG = datetime(1899, 12, 31)  # serials 1…59: 1900-01-01 … 1900-02-28

_INT_MIN = -(2**63)
_INT_MAX = 2**63 - 1
_SMALLINT_MIN = -32_768
_SMALLINT_MAX = 32_767

_EMPTY_MARKERS = frozenset({"", "-"})
_THOUSANDS_SEPARATORS = (" ", "\xa0", "\u202f", "\u2009", "'")


def quote(value: object, limit: int = 60) -> str:
    """Quote a value for an error message, shortening long text."""
    text = value if isinstance(value, str) else cell_text(value)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return f"'{text}'"


def cell_text(value: object) -> str:
    """Render a cell as the text a person would read (for text columns, extras and quarantine).

    Whole floats lose their ``.0`` (spreadsheets store ids and codes as floats), dates become ISO text.
    """
    cls = value.__class__
    if cls is str:
        return value  # type: ignore[return-value]
    if value is None:
        return ""
    if cls is float:
        if value.is_integer() and abs(value) < 1e16:  # type: ignore[attr-defined]
            return str(int(value))  # type: ignore[call-overload]
        return repr(value)
    if cls is bool:
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


def normalise_key(text: str) -> str:
    """Normalise a code value for look-up: lower case, ``ё``→``е``, whitespace (NBSP too) collapsed,
    trailing dots stripped. ``"  Почта  России. "`` → ``"почта россии"``."""
    return " ".join(text.lower().replace("ё", "е").split()).rstrip(". ")


def normalise_header(text: str) -> str:
    """Normalise a column header for matching: as :func:`normalise_key`, and a trailing ``:`` or ``*``
    (template markers such as ``Номер*``) is ignored too."""
    return normalise_key(text).rstrip(":* ")


# --- timestamps ---------------------------------------------------------------------------------


def _not_a_date(text: object) -> ValueError:
    return ValueError(f"{quote(text)} is not a date (expected {DATE_FORMS})")


def from_excel_serial(serial: float) -> datetime:
    """Convert an Excel serial day number (1900 date system, fraction = time of day) to a naive datetime.

    The time of day is rounded to the millisecond. Serial 60 (the fictitious 1900-02-29) is rejected.
    """
    if not EXCEL_SERIAL_MIN <= serial < EXCEL_SERIAL_MAX + 1:  # also rejects NaN
        raise ValueError(
            f"{quote(serial)} is not a date: Excel serial out of range "
            f"{EXCEL_SERIAL_MIN}..{EXCEL_SERIAL_MAX} (expected {DATE_FORMS})"
        )
    days, ms = divmod(round(serial * _MS_PER_DAY), _MS_PER_DAY)
    if days < 60:
        return _EXCEL_EPOCH_BEFORE_LEAP_BUG + timedelta(days=days, milliseconds=ms)
    if days == 60:
        raise ValueError(f"{quote(serial)} is not a date: Excel serial 60 is the non-existent 1900-02-29")
    return _EXCEL_EPOCH + timedelta(days=days, milliseconds=ms)


def to_excel_serial(value: datetime | date) -> float:
    """Inverse of :func:`from_excel_serial` (naive datetimes and dates from 1900-03-01 on)."""
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    delta = value - _EXCEL_EPOCH
    return delta.days + (delta.seconds + delta.microseconds / 1e6) / 86_400


def _is_ascii_digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def _parse_dotted(text: str, date_part: str, time_part: str) -> datetime:
    """``dd.mm.yyyy`` with an optional ``hh:mm`` or ``hh:mm:ss`` after a space."""
    day, month, year = date_part.split(".")
    if not (
        0 < len(day) <= 2
        and 0 < len(month) <= 2
        and len(year) == 4
        and _is_ascii_digits(day)
        and _is_ascii_digits(month)
        and _is_ascii_digits(year)
    ):
        raise _not_a_date(text)
    hour = minute = second = 0
    if time_part:
        pieces = time_part.split(":")
        if not 2 <= len(pieces) <= 3 or not all(0 < len(p) <= 2 and _is_ascii_digits(p) for p in pieces):
            raise _not_a_date(text)
        hour, minute = int(pieces[0]), int(pieces[1])
        if len(pieces) == 3:
            second = int(pieces[2])
    try:
        return datetime(int(year), int(month), int(day), hour, minute, second)
    except ValueError:
        raise _not_a_date(text) from None


def _parse_timestamp_text(text: str) -> datetime | None:
    stripped = text.strip()
    if stripped in _EMPTY_MARKERS:
        return None
    date_part, _, time_part = stripped.partition(" ")
    date_part = date_part.rstrip(",")  # "05.01.2024, 10:00"
    if date_part.count(".") == 2:
        return _parse_dotted(text, date_part, time_part.strip())
    if not time_part:
        number = stripped.replace(",", ".", 1)
        if _is_ascii_digits(number.replace(".", "", 1)):
            serial = float(number)
            if EXCEL_SERIAL_MIN <= serial < EXCEL_SERIAL_MAX + 1 or "." in number:
                return from_excel_serial(serial)
            # a long digit string may still be an ISO 8601 basic date (20240105)
    try:
        return datetime.fromisoformat(stripped)
    except ValueError:
        raise _not_a_date(text) from None


@lru_cache(maxsize=1 << 16, typed=True)
def parse_timestamp(value: str | datetime | date | float | None) -> datetime | None:
    """Parse a timestamp cell.

    Accepts ``dd.mm.yyyy``, ``dd.mm.yyyy hh:mm``, ``dd.mm.yyyy hh:mm:ss``, ISO 8601 dates and datetimes
    (``T`` or space, optional fraction, optional offset or ``Z``), Excel serial numbers (as text such as
    ``45292`` / ``45292,5``, or as numbers), and ``datetime``/``date`` objects from spreadsheet cells.
    Returns an aware datetime only when the input carries an offset; naive (local time of the territory)
    otherwise. Empty text and ``-`` give ``None``.
    """
    cls = value.__class__
    if cls is str:
        return _parse_timestamp_text(value)  # type: ignore[arg-type]
    if value is None:
        return None
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if cls is int or cls is float:
        return from_excel_serial(value)  # type: ignore[arg-type]
    raise _not_a_date(value)


# --- booleans -----------------------------------------------------------------------------------

_BOOL_WORDS: dict[str, bool | None] = {
    "да": True,
    "нет": False,
    "1": True,
    "0": False,
    "1.0": True,
    "0.0": False,
    "true": True,
    "false": False,
    "yes": True,
    "no": False,
    "истина": True,  # Russian Excel spells booleans ИСТИНА/ЛОЖЬ
    "ложь": False,
    "": None,
    "-": None,
}
# Exact spellings seen most often, so the common case is a single look-up.
_BOOL_FAST: dict[str, bool | None] = {
    **_BOOL_WORDS,
    **{word.capitalize(): flag for word, flag in _BOOL_WORDS.items()},
    **{word.upper(): flag for word, flag in _BOOL_WORDS.items()},
}


def parse_bool(value: str | bool | float | None) -> bool | None:
    """Parse a yes/no cell: ``Да``/``Нет`` (any case), ``1``/``0``, ``true``/``false``, ``yes``/``no``.

    Empty and ``-`` mean unknown (``None``); anything else raises ``ValueError``.
    """
    if value.__class__ is str:
        flag = _BOOL_FAST.get(value, _BOOL_FAST)  # type: ignore[arg-type]
        if flag is not _BOOL_FAST:
            return flag  # type: ignore[return-value]
        flag = _BOOL_WORDS.get(value.strip().lower(), _BOOL_WORDS)  # type: ignore[union-attr,arg-type]
        if flag is not _BOOL_WORDS:
            return flag  # type: ignore[return-value]
    elif value is None:
        return None
    elif value.__class__ is bool:
        return value  # type: ignore[return-value]
    elif value.__class__ in (int, float) and value in (0, 1):
        return bool(value)
    raise ValueError(f"{quote(value)} is not a yes/no value (expected {BOOL_FORMS})")


# --- numbers ------------------------------------------------------------------------------------


def _not_an_int(value: object) -> ValueError:
    return ValueError(f"{quote(value)} is not a whole number (expected {INT_FORMS})")


def _int_in_range(number: int, value: object) -> int:
    if _INT_MIN <= number <= _INT_MAX:
        return number
    raise ValueError(f"{quote(value)} is out of range for a whole number")


def _parse_int_text(value: str) -> int | None:
    try:
        return _int_in_range(int(value), value)
    except ValueError:
        pass
    text = value.strip()
    if text in _EMPTY_MARKERS:
        return None
    for separator in _THOUSANDS_SEPARATORS:
        text = text.replace(separator, "")
    try:
        return _int_in_range(int(text), value)
    except ValueError:
        pass
    number = text.replace(",", ".", 1)
    if _is_ascii_digits(number.lstrip("+-").replace(".", "", 1)):
        as_float = float(number)
        if as_float.is_integer():
            return _int_in_range(int(as_float), value)
    raise _not_an_int(value)


def parse_int(value: str | int | float | None) -> int | None:
    """Parse a whole number: ``1234``, ``1 234`` (space/NBSP as thousands separator), ``1234.0``.

    Empty text and ``-`` give ``None``.
    """
    cls = value.__class__
    if cls is str:
        return _parse_int_text(value)  # type: ignore[arg-type]
    if value is None:
        return None
    if cls is int:
        return _int_in_range(value, value)  # type: ignore[arg-type]
    if cls is float and value.is_integer():  # type: ignore[union-attr]
        return _int_in_range(int(value), value)  # type: ignore[arg-type]
    raise _not_an_int(value)


def parse_smallint(value: str | int | float | None) -> int | None:
    """As :func:`parse_int`, limited to the PostgreSQL ``smallint`` range."""
    number = parse_int(value)
    if number is not None and not _SMALLINT_MIN <= number <= _SMALLINT_MAX:
        raise ValueError(f"{quote(value)} is out of range {_SMALLINT_MIN}..{_SMALLINT_MAX}")
    return number


def parse_rating(value: str | int | float | None) -> int | None:
    """Parse a 1–5 rating; ``-`` and empty mean no rating (``None``), anything else is an error."""
    try:
        number = parse_int(value)
    except ValueError:
        raise ValueError(f"{quote(value)} is not a rating (expected {RATING_FORMS})") from None
    if number is not None and not 1 <= number <= 5:
        raise ValueError(f"{quote(value)} is not a rating (expected {RATING_FORMS})")
    return number


# --- text and codes -----------------------------------------------------------------------------


def parse_text(value: object) -> str | None:
    """Strip a text cell; empty text gives ``None``. Non-text cells are rendered by :func:`cell_text`."""
    text = (value if value.__class__ is str else cell_text(value)).strip()  # type: ignore[union-attr]
    return text or None


def parse_code(value: object, codes: Mapping[str, str]) -> str | None:
    """Map a value onto a canonical code through ``codes`` (keys normalised by :func:`normalise_key`).

    An unknown value is *not* an error: its text is returned unchanged (stripped) for the quality gate
    to report. Empty and ``-`` give ``None``.
    """
    text = parse_text(value)
    if text is None or text == "-":
        return None
    return codes.get(normalise_key(text), text)


def parse_oktmo(value: str | int | float | None) -> str | None:
    """Parse an ОКТМО code: digits only (spaces and dashes between groups are dropped), 8 or 11 of them.

    A number from a spreadsheet cell has lost its leading zero (``3709000`` for ``03709000``): numbers
    of 7 or 10 digits are zero-padded back. Text is never padded.
    """
    cls = value.__class__
    if cls is str:
        text = value.strip()  # type: ignore[union-attr]
        if text in _EMPTY_MARKERS:
            return None
        digits = text.lstrip("'").replace(" ", "").replace("\xa0", "").replace("-", "")
        if digits.endswith(".0"):
            digits = digits[:-2]
        if _is_ascii_digits(digits) and len(digits) in (8, 11):
            return digits
    elif value is None:
        return None
    elif (cls is int or (cls is float and value.is_integer())) and value >= 0:  # type: ignore[union-attr,operator]
        digits = str(int(value))  # type: ignore[arg-type]
        if len(digits) in (7, 10):
            digits = "0" + digits
        if len(digits) in (8, 11):
            return digits
    raise ValueError(f"{quote(value)} is not an ОКТМО code (expected {OKTMO_FORMS})")


def parse_topic_code(value: str | None) -> str | None:
    """Check the shape of a thematic classifier code: 4 or 5 dotted 4-digit segments (``0005.0005.0056.1169``).

    The source contract names these two forms (levels 1–3 are zero-padded to 4 segments in the classifier).
    Only the shape is checked here; whether the code exists is for the quality gate.
    """
    if value.__class__ is str:
        text = value.strip()  # type: ignore[union-attr]
        if text in _EMPTY_MARKERS:
            return None
        segments = text.split(".")
        if 4 <= len(segments) <= 5 and all(len(s) == 4 and _is_ascii_digits(s) for s in segments):
            return text
    elif value is None:
        return None
    raise ValueError(f"{quote(value)} is not a classifier code (expected {TOPIC_CODE_FORMS})")

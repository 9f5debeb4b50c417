"""Per-column converters, built once per export from the feed contract and applied to every row.

A converter takes one cell and returns the typed value, ``None`` for an empty cell (text converters for
CSV may return ``""`` instead, see :func:`build_converter`), or raises ``ValueError`` with the reason
for the quarantine.

Most columns repeat a handful of values (codes, yes/no, ОКТМО, classifier codes, dates), so converters
for text cells are a memo dictionary's ``__getitem__``: a repeated value costs one C-level look-up and no
Python frame; only a new value reaches the parser (through ``__missing__``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from ingestion.feeds.base import Column
from ingestion.parse.values import (
    cell_text,
    normalise_key,
    parse_bool,
    parse_int,
    parse_oktmo,
    parse_rating,
    parse_smallint,
    parse_text,
    parse_timestamp,
    parse_topic_code,
)

Converter = Callable[[object], object]

REQUIRED_EMPTY = "required value is empty"
MEMO_LIMIT = 1 << 16
"""Distinct values remembered per column; beyond that, new values are parsed every time."""


class _Memo(dict[object, object]):
    """A dictionary that parses and remembers the values it is asked for."""

    __slots__ = ("parse",)

    def __init__(self, parse: Converter) -> None:
        super().__init__()
        self.parse = parse

    def __missing__(self, key: object) -> object:
        value = self.parse(key)  # a ValueError propagates and is not remembered
        if len(self) < MEMO_LIMIT:
            self[key] = value
        return value


def _required(convert: Converter) -> Converter:
    def required(value: object) -> object:
        result = convert(value)
        if result is None or result == "":
            raise ValueError(REQUIRED_EMPTY)
        return result

    return required


def _required_text(value: str) -> str:
    text = value.strip()
    if text:
        return text
    raise ValueError(REQUIRED_EMPTY)


def _code(codes: Mapping[str, str]) -> Converter:
    get = codes.get

    def convert(value: object) -> str | None:
        text = (value if value.__class__ is str else cell_text(value)).strip()  # type: ignore[union-attr]
        if not text or text == "-":
            return None
        return get(normalise_key(text), text)  # unknown spellings are kept verbatim for the quality gate

    return convert


_PARSERS: dict[str, Converter] = {
    "timestamp": parse_timestamp,  # type: ignore[dict-item]
    "bool": parse_bool,  # type: ignore[dict-item]
    "int": parse_int,  # type: ignore[dict-item]
    "smallint": parse_smallint,  # type: ignore[dict-item]
    "rating": parse_rating,  # type: ignore[dict-item]
    "oktmo": parse_oktmo,  # type: ignore[dict-item]
    "topic_code": parse_topic_code,  # type: ignore[dict-item]
}
_MEMOISED = frozenset({"timestamp", "bool", "rating", "oktmo", "topic_code", "code"})


def _parser(column: Column) -> Converter:
    if column.kind == "text":
        return parse_text
    if column.kind == "code":
        assert column.values is not None  # guaranteed by Column
        return _code(column.values)
    try:
        return _PARSERS[column.kind]
    except KeyError:  # pragma: no cover — Column rejects unknown kinds
        raise ValueError(f"column {column.name!r}: no converter for kind {column.kind!r}") from None


def build_converter(column: Column, *, text_cells: bool = False) -> Converter:
    """The converter for one column of a feed contract.

    With ``text_cells=True`` (CSV: every cell is a ``str``) the converter is specialised for text, and an
    optional text column's converter is plain ``str.strip``: it returns ``""`` for an empty cell, which
    the caller must turn into ``None`` (the reader's row converter does it inline). Otherwise
    (spreadsheet cells of any type) the converter accepts every cell type and returns ``None`` for empty
    cells.
    """
    parse = _parser(column)
    if column.required:
        parse = _required(parse)
    if column.kind == "text":
        if text_cells:
            return _required_text if column.required else str.strip  # type: ignore[return-value]
        return parse
    if column.kind not in _MEMOISED:
        return parse
    memo = _Memo(parse)
    if text_cells:
        return memo.__getitem__
    lookup = memo.__getitem__

    def convert(value: object) -> object:
        # Only text is memoised for spreadsheets: 1, 1.0 and True are one dictionary key.
        return lookup(value) if value.__class__ is str else parse(value)

    return convert

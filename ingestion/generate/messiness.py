"""Messiness: how a real export deviates from the clean contract, decided per file, per cell and per row.

File-level kinds (each file gets a kind with probability ``dirty_rate``; when ``dirty_rate > 0`` every kind
that can apply occurs in at least one file): ``encoding`` (cp1251 / utf-8-sig), ``delimiter`` (``,`` / tab),
``title_lines``, ``empty_leading_rows`` (xlsx), ``header_variants`` (case, ё, NBSP, surrounding spaces),
``extra_columns``, ``iso_dates``, ``yesno_spelling`` (``1``/``0``, ``да``/``нет``, ``true``/``false``),
``column_order``, ``duplicate_file`` (same bytes under another name).

Cell-level kinds (each eligible cell with probability ``dirty_rate``, at least once overall): ``serial_dates``
(Excel serial numbers; in xlsx also typed date cells), ``result_prefix`` (``Рассмотрено. Разъяснено``),
``origin_abbrev`` (``АКО``/``АПК`` for the regional administration).

Broken rows (``dirty_rate`` of the rows, every kind at least once per feed where a file allows it):
``bad_date``, ``bad_topic_code``, ``missing_cell`` (csv), ``bad_rating`` (ПОС). Broken rows belong to records
that exist only as that row, so the truth simply expects them in quarantine.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from ingestion.generate import vocab
from ingestion.generate.contract import COLUMNS, Feed, Kind

FILE_KINDS: tuple[str, ...] = (
    "encoding",
    "delimiter",
    "title_lines",
    "empty_leading_rows",
    "header_variants",
    "extra_columns",
    "iso_dates",
    "yesno_spelling",
    "column_order",
    "duplicate_file",
)
CELL_KINDS: tuple[str, ...] = ("serial_dates", "result_prefix", "origin_abbrev")
BROKEN_KINDS: dict[Feed, tuple[str, ...]] = {
    "register": ("bad_date", "bad_topic_code", "missing_cell"),
    "pos": ("bad_date", "bad_rating", "missing_cell"),
    "incident": ("bad_date", "missing_cell"),
}
BROKEN_DATE_COLUMN: dict[Feed, str] = {
    "register": "Дата рег.",
    "pos": "Дата поступления",
    "incident": "Дата публикации",
}
EXTRA_COLUMNS: tuple[str, ...] = ("Примечание", "Дата выгрузки", "Служебное поле", "Код ЛКО", "Отметка")
YES_NO_VARIANTS: tuple[tuple[str, str], ...] = (("1", "0"), ("да", "нет"), ("true", "false"))
EXCEL_EPOCH = datetime(1899, 12, 30)
_YO = {"Удовлетворенность": "Удовлетворённость", "подключенный": "подключённый"}


@dataclass(frozen=True)
class ExcelDate:
    """A typed date cell for xlsx: serial number plus a date or date-time number format."""

    serial: float
    with_time: bool


Cell = str | int | float | ExcelDate | None


def applicable(kind: str, fmt: str, feed: Feed) -> bool:
    """Whether a messiness kind can occur in a file of this format and feed."""
    if kind in ("encoding", "delimiter", "missing_cell"):
        return fmt == "csv"
    if kind == "empty_leading_rows":
        return fmt == "xlsx"
    if kind in ("result_prefix", "origin_abbrev", "bad_topic_code"):
        return feed == "register"
    if kind == "bad_rating":
        return feed == "pos"
    return True


@dataclass
class FileStyle:
    """How one file is written."""

    feed: Feed
    fmt: str  # csv | xlsx
    encoding: str = "utf-8"
    delimiter: str = ";"
    title_lines: tuple[str, ...] = ()
    empty_rows: int = 0
    header_names: dict[str, str] = field(default_factory=dict)  # contract header → as written
    extra_columns: tuple[str, ...] = ()
    order: list[str] = field(default_factory=list)  # contract + extra headers in written order
    iso_dates: bool = False
    yes_no: tuple[str, str] = ("Да", "Нет")
    cell_rate: float = 0.0
    forced: set[str] = field(default_factory=set)  # cell kinds to apply at the first eligible cell
    duplicate: bool = False
    kinds: list[str] = field(default_factory=list)

    @property
    def header_row(self) -> int:
        """1-based row (line) number of the header."""
        return self.empty_rows + len(self.title_lines) + 1


def header_variant(header: str, rng: random.Random) -> str:
    """A spelling of ``header`` that differs from it but that header matching must still accept."""
    variant = _header_variant(header, rng)
    return variant if variant != header else f" {header} "


def _header_variant(header: str, rng: random.Random) -> str:
    options = ["upper", "lower", "surrounding"]
    if " " in header:
        options.append("nbsp")
    if any(word in header for word in _YO):
        options.append("yo")
    choice = rng.choice(options)
    if choice == "upper":
        return header.upper()
    if choice == "lower":
        return header.lower()
    if choice == "nbsp":
        return header.replace(" ", "\xa0", 1)
    if choice == "yo":
        for plain, yo in _YO.items():
            header = header.replace(plain, yo)
        return header
    return rng.choice((f" {header}", f"{header} ", f"  {header} "))


def plan_styles(
    specs: Sequence[tuple[Feed, str]],
    dirty_rate: float,
    rng: random.Random,
    cell_candidates: dict[str, list[int]] | None = None,
) -> list[FileStyle]:
    """Styles for files given as ``(feed, format)``; deterministic for a given ``rng`` state.

    ``cell_candidates`` narrows, per cell kind, the files where the kind can be forced (e.g. only files that
    hold a row from the regional administration can show ``АКО``).
    """
    styles = [FileStyle(feed=feed, fmt=fmt, cell_rate=dirty_rate) for feed, fmt in specs]
    if dirty_rate <= 0 or not styles:
        for style in styles:
            style.header_names = {h: h for h, _ in COLUMNS[style.feed]}
            style.order = list(style.header_names)
        return styles
    chosen: dict[str, list[int]] = {kind: [] for kind in FILE_KINDS}
    for index, style in enumerate(styles):
        for kind in FILE_KINDS:
            if applicable(kind, style.fmt, style.feed) and rng.random() < dirty_rate:
                chosen[kind].append(index)
    for kind in FILE_KINDS:
        candidates = [i for i, s in enumerate(styles) if applicable(kind, s.fmt, s.feed)]
        if not chosen[kind] and candidates:
            chosen[kind].append(rng.choice(candidates))
    for kind in CELL_KINDS:
        candidates = [i for i, s in enumerate(styles) if applicable(kind, s.fmt, s.feed)]
        if cell_candidates and kind in cell_candidates:
            candidates = [i for i in candidates if i in set(cell_candidates[kind])]
        if candidates:
            styles[rng.choice(candidates)].forced.add(kind)
    for index, style in enumerate(styles):
        kinds = [kind for kind in FILE_KINDS if index in chosen[kind]]
        _apply_kinds(style, kinds, rng)
    return styles


def _apply_kinds(style: FileStyle, kinds: list[str], rng: random.Random) -> None:
    style.kinds = list(kinds)
    headers = [h for h, _ in COLUMNS[style.feed]]
    style.header_names = {h: h for h in headers}
    if "encoding" in kinds:
        style.encoding = "cp1251" if rng.random() < 0.7 else "utf-8-sig"
    if "delimiter" in kinds:
        style.delimiter = rng.choice((",", "\t"))
    if "title_lines" in kinds:
        style.title_lines = ("",) * rng.randint(1, 2)  # text filled in by the caller (needs the period)
    if "empty_leading_rows" in kinds:
        style.empty_rows = rng.randint(1, 3)
    if "header_variants" in kinds:
        changed = [h for h in headers if rng.random() < 0.35] or [rng.choice(headers)]
        for header in changed:
            style.header_names[header] = header_variant(header, rng)
    if "extra_columns" in kinds:
        style.extra_columns = tuple(rng.sample(EXTRA_COLUMNS, rng.randint(1, 2)))
    style.order = headers + list(style.extra_columns)
    if "column_order" in kinds:
        rng.shuffle(style.order)
    elif style.extra_columns:
        for extra in style.extra_columns:
            style.order.remove(extra)
            style.order.insert(rng.randint(1, len(style.order)), extra)
    if "iso_dates" in kinds:
        style.iso_dates = True
    if "yesno_spelling" in kinds:
        style.yes_no = rng.choice(YES_NO_VARIANTS)
    if "duplicate_file" in kinds:
        style.duplicate = True


def break_row(row: dict[str, Any], kind: str, feed: Feed, rng: random.Random) -> None:
    """Corrupt a logical row in place so it cannot be loaded (``missing_cell`` is done by the formatter)."""
    if kind == "bad_date":
        year = rng.randint(2021, 2026)
        row[BROKEN_DATE_COLUMN[feed]] = rng.choice(
            (f"31.02.{year}", "32.13.2024", "00.00.0000", "не указана")
        )
    elif kind == "bad_topic_code":
        row["Код вопроса"] = rng.choice(("12.34", "0005.0056", "5.5.56"))
    elif kind == "bad_rating":
        row["Оценка ответа заявителем"] = rng.choice((9, 9, 10))


class Formatter:
    """Turns typed logical rows into the cells of one file, applying the file's style and cell messiness."""

    def __init__(self, style: FileStyle, rng: random.Random, export_at: datetime) -> None:
        self.style, self.rng, self.export_at = style, rng, export_at
        self.kinds: dict[str, Kind] = dict(COLUMNS[style.feed])
        self.seconds = style.feed == "incident"
        self.applied: set[str] = set()

    def header(self) -> list[str]:
        return [self.style.header_names.get(h, h) for h in self.style.order]

    def _roll(self, kind: str) -> bool:
        if kind in self.style.forced and kind not in self.applied:
            self.applied.add(kind)
            return True
        if self.style.cell_rate > 0 and self.rng.random() < self.style.cell_rate:
            self.applied.add(kind)
            return True
        return False

    def _date(self, value: date | datetime | str) -> Cell:
        if isinstance(value, str):
            return value
        with_time = isinstance(value, datetime)
        if self._roll("serial_dates"):
            moment = value if isinstance(value, datetime) else datetime(value.year, value.month, value.day)
            serial = (moment - EXCEL_EPOCH).total_seconds() / 86400
            if not with_time:
                serial = float(round(serial))
            if self.style.fmt == "xlsx":
                return ExcelDate(serial, with_time) if self.rng.random() < 0.5 else serial
            return str(int(serial)) if not with_time else f"{serial:.8f}"
        if self.style.iso_dates:
            if isinstance(value, datetime):
                return value.isoformat(timespec="seconds")
            return value.isoformat()
        if isinstance(value, datetime):
            return value.strftime("%d.%m.%Y %H:%M:%S" if self.seconds else "%d.%m.%Y %H:%M")
        return value.strftime("%d.%m.%Y")

    def _extra(self, column: str) -> str:
        rng = self.rng
        if column == "Примечание":
            return rng.choice(("", "", "", "см. вложение", "повторно", "на контроле у главы"))
        if column == "Дата выгрузки":
            return self.export_at.strftime("%d.%m.%Y")
        if column == "Служебное поле":
            return str(rng.randint(1, 99_999))
        if column == "Код ЛКО":
            return f"ЛКО-{rng.randint(100, 999)}"
        return rng.choice(("", "", "x"))

    def cell(self, header: str, value: Any) -> Cell:
        kind = self.kinds.get(header)
        if kind is None:
            return self._extra(header)
        if value is None:
            return None
        if kind in ("date", "datetime"):
            return self._date(value)
        if kind == "bool":
            return self.style.yes_no[0] if value else self.style.yes_no[1]
        if kind == "int":
            if isinstance(value, str):
                return value
            return int(value) if self.style.fmt == "xlsx" else str(int(value))
        text = str(value)
        if self.style.feed == "register":
            if header == "Результат" and self._roll("result_prefix"):
                return vocab.RESULT_PREFIX + text
            if (
                header == "Поступило из"
                and text == vocab.ORIGINS["regional_admin"]
                and self._roll("origin_abbrev")
            ):
                return self.rng.choice(vocab.ORIGIN_REGIONAL_VARIANTS)
        return text

    def cells(self, row: dict[str, Any], *, drop_cell: bool = False) -> list[Cell]:
        cells = [self.cell(header, row.get(header)) for header in self.style.order]
        if drop_cell:
            del cells[self.rng.randrange(1, len(cells))]
        return cells

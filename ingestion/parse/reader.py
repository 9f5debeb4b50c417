"""Open an export file and stream its rows as typed values, following a feed contract.

``open_export(path, spec)`` works out what the operator dropped in the landing folder — a spreadsheet
(``.xlsx``; the first sheet) or a CSV file (UTF-8 with or without BOM, or Windows-1251; ``;``, ``,`` or tab)
— and finds the header row: the first of the first 30 rows that carries every required header of the feed.
Columns are found by header name, so their order does not matter and unknown columns are kept as extras.

``Export.rows()`` then streams :class:`ParsedRow` objects: typed values in the order of ``spec.columns``,
or a :class:`RowError` naming the column, the reason and the whole original row for the quarantine.
A CSV file is never read into memory as a whole. A problem with the file as a whole raises
:class:`~ingestion.parse.errors.ExportError`.
"""

from __future__ import annotations

import codecs
import csv
import logging
import re
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from python_calamine import CalamineError, CalamineSheet, CalamineWorkbook

from ingestion.feeds.base import FeedSpec
from ingestion.parse.convert import Converter, build_converter
from ingestion.parse.errors import ExportError, MissingColumnsError
from ingestion.parse.values import cell_text, normalise_header

log = logging.getLogger(__name__)

HEADER_SCAN_ROWS = 30
"""The header row must be within this many rows from the top of the file."""
ENCODING_SAMPLE_BYTES = 64 * 1024
DELIMITERS = (";", ",", "\t")
"""Candidate CSV delimiters, in order of preference when several would do."""
SPREADSHEET_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xlsb", ".xls", ".ods"})

_ZIP_MAGIC = b"PK\x03\x04"
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls
_NON_ASCII = re.compile(rb"[\x80-\xff]")
_ENCODING_SCAN_CHUNK = 1 << 20

# Post texts can be long; the csv module's default limit (128 KiB per field) is too tight for them.
csv.field_size_limit(max(csv.field_size_limit(), 16 * 1024 * 1024))

Cell = Any  # str from CSV; str, int, float, bool, date, datetime, time or timedelta from a spreadsheet
Record = tuple[int, Sequence[Cell]]  # (1-based row number as a person sees it, cells)


@dataclass(slots=True)
class RowError:
    """Why a row could not be parsed; it goes to the quarantine with its original values."""

    column: str  # the header as found in the file, or "*" when the row as a whole is broken
    reason: str
    original: dict[str, str]  # header -> text, the whole row


@dataclass(slots=True)
class ParsedRow:
    row_number: int  # 1-based row number as a person sees it (line in CSV, row in the sheet)
    values: tuple[Any, ...] | None  # typed values in spec.columns order; None if the row failed
    extras: dict[str, str]  # extra header -> original text (non-empty only)
    error: RowError | None


def _absent(_value: Cell) -> None:
    return None


def _is_blank_cell(value: Cell) -> bool:
    return value is None or (value.__class__ is str and not value.strip())


def _is_blank(cells: Iterable[Cell]) -> bool:
    return all(_is_blank_cell(c) for c in cells)


def _column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


@dataclass(frozen=True, slots=True)
class _HeaderCandidate:
    """A row of the header region, matched against the feed's header spellings."""

    record_index: int  # 0-based position among the records of the file
    row_number: int
    cells: tuple[Cell, ...]
    columns: dict[str, int]  # column name -> position in the row (first occurrence wins)
    missing: tuple[str, ...]  # canonical headers of required columns not in the row

    @property
    def score(self) -> tuple[int, int, int]:
        return (-len(self.missing), len(self.columns), sum(not _is_blank_cell(c) for c in self.cells))


def _candidate(spec: FeedSpec, record_index: int, row_number: int, cells: Sequence[Cell]) -> _HeaderCandidate:
    lookup = spec.header_lookup
    columns: dict[str, int] = {}
    for position, cell in enumerate(cells):
        name = lookup.get(normalise_header(cell_text(cell)))
        if name is not None and name not in columns:
            columns[name] = position
    missing = tuple(c.header for c in spec.required_columns if c.name not in columns)
    return _HeaderCandidate(record_index, row_number, tuple(cells), columns, missing)


@dataclass(frozen=True, slots=True)
class _Scan:
    """The outcome of looking for the header row in the first rows of a file."""

    header: _HeaderCandidate | None  # the first row with every required header
    best: _HeaderCandidate | None  # the closest row, for the error message, when there is none
    saw_data: bool  # a non-blank row was seen (if not, and the file ended, the file is empty)
    exhausted: bool  # the file ended within the scanned rows


def _scan(spec: FeedSpec, records: Iterator[Record]) -> _Scan:
    best: _HeaderCandidate | None = None
    saw_data = False
    for record_index, (row_number, cells) in enumerate(records):
        if record_index >= HEADER_SCAN_ROWS:
            return _Scan(None, best, saw_data, exhausted=False)
        if _is_blank(cells):
            continue
        saw_data = True
        candidate = _candidate(spec, record_index, row_number, cells)
        if not candidate.missing:
            return _Scan(candidate, candidate, saw_data, exhausted=False)
        if best is None or candidate.score > best.score:
            best = candidate
    return _Scan(None, best, saw_data, exhausted=True)


def _missing_columns(path: Path, spec: FeedSpec, best: _HeaderCandidate | None) -> MissingColumnsError:
    if best is None:
        missing = tuple(c.header for c in spec.required_columns)
        found: tuple[str, ...] = ()
        where = f"the first {HEADER_SCAN_ROWS} rows are empty"
    else:
        missing = best.missing
        found = tuple(h for h in (" ".join(cell_text(c).split()) for c in best.cells) if h)
        where = f"headers found in row {best.row_number}: " + ", ".join(f"'{h}'" for h in found)
    message = (
        f"{path}: no row among the first {HEADER_SCAN_ROWS} has all the required headers of the "
        f"'{spec.name}' feed; missing: {', '.join(repr(h) for h in missing)}; {where}"
    )
    return MissingColumnsError(message, path=path, missing=missing, found=found)


# --- layout: how a file's columns map onto the contract --------------------------------------------------


class _Layout:
    """Everything needed to turn the cells of one row into a :class:`ParsedRow`, built once per export."""

    def __init__(self, spec: FeedSpec, header: _HeaderCandidate, *, spreadsheet: bool, column_offset: int):
        self.spreadsheet = spreadsheet
        self.column_offset = column_offset
        texts = [" ".join(cell_text(c).split()) for c in header.cells]
        self.width = max((i + 1 for i, t in enumerate(texts) if t), default=0)
        self.labels: list[str] = []
        seen: set[str] = set()
        for position, text in enumerate(texts[: self.width]):
            label = text or self.unnamed_label(position)
            suffix = 2
            while label in seen:
                label, suffix = f"{text or self.unnamed_label(position)} ({suffix})", suffix + 1
            seen.add(label)
            self.labels.append(label)
        self.columns = header.columns
        self.plan: tuple[tuple[int, Converter], ...] = tuple(
            (header.columns[c.name], build_converter(c, text_cells=not spreadsheet))
            if c.name in header.columns
            else (0, _absent)
            for c in spec.columns
        )
        self.plan_headers = tuple(
            self.labels[header.columns[c.name]] if c.name in header.columns else c.header
            for c in spec.columns
        )
        used = set(header.columns.values())
        self.extra_plan: tuple[tuple[int, str], ...] = tuple(
            (i, self.labels[i]) for i in range(self.width) if i not in used
        )
        self.extra_headers = tuple(self.labels[i] for i in range(self.width) if i not in used and texts[i])
        self.needs_blank_check = not spec.required_columns
        # CSV converters of optional text columns are bare str.strip: "" becomes None in the row converter
        empty_to_none = {
            n for n, c in enumerate(spec.columns) if c.kind == "text" and not c.required and not spreadsheet
        }
        self.convert_row = _compile_row_converter(self.plan, empty_to_none)

    def unnamed_label(self, position: int) -> str:
        if self.spreadsheet:
            return f"column {_column_letter(position + self.column_offset)}"
        return f"column {position + 1}"

    def label(self, position: int) -> str:
        return self.labels[position] if position < self.width else self.unnamed_label(position)

    def original(self, cells: Sequence[Cell]) -> dict[str, str]:
        return {self.label(i): cell_text(c) for i, c in enumerate(cells)}

    def error(self, cells: Sequence[Cell], column: str, reason: str) -> RowError:
        return RowError(column, reason, self.original(cells))

    def first_error(self, cells: Sequence[Cell]) -> RowError:
        """Re-run the converters one by one to find the column that failed (slow path, failed rows only)."""
        for (position, convert), header in zip(self.plan, self.plan_headers, strict=True):
            try:
                convert(cells[position])
            except ValueError as exc:
                return self.error(cells, header, str(exc))
        raise AssertionError("first_error called for a row that converts")  # pragma: no cover

    def extras(self, cells: Sequence[Cell]) -> dict[str, str]:
        if self.spreadsheet:
            return {label: text for i, label in self.extra_plan if (text := cell_text(cells[i]).strip())}
        return {label: text for i, label in self.extra_plan if (text := cells[i].strip())}

    def parse(
        self,
        rows: Iterator[Sequence[Cell]],
        next_row_number: int,
        csv_reader: Any = None,
        line_offset: int = 0,
    ) -> Iterator[ParsedRow]:
        """The hot loop: convert every row with the compiled row converter.

        ``rows`` yields the cells of the rows below the header; ``next_row_number`` is the row number of
        the first of them. For CSV, ``csv_reader`` gives the line where the next record starts (a quoted
        value may span lines), counted from ``line_offset`` (non-zero when the reader starts mid-file);
        for spreadsheets every row is one row.
        """
        convert_row, width = self.convert_row, self.width
        extras_of, has_extras, blank_check = self.extras, bool(self.extra_plan), self.needs_blank_check
        next_line = line_offset + 1
        for cells in rows:
            row_number = next_row_number
            next_row_number = row_number + 1 if csv_reader is None else csv_reader.line_num + next_line
            surplus: list[int] | tuple[()] = ()
            if len(cells) != width:
                if len(cells) < width and _is_blank(cells):
                    continue
                surplus = [i for i in range(width, len(cells)) if not _is_blank_cell(cells[i])]
                error = self.width_error(cells, surplus, row_number, next_row_number - 1)
                if error is not None:
                    yield ParsedRow(row_number, None, {}, error)
                    continue
            try:
                converted = convert_row(cells)
            except ValueError:
                if _is_blank(cells):
                    continue
                yield ParsedRow(
                    row_number, None, extras_of(cells) if has_extras else {}, self.first_error(cells)
                )
                continue
            extras = extras_of(cells) if has_extras else {}
            if surplus:  # spreadsheet cells to the right of the header: keep them, labelled by column letter
                extras.update((self.unnamed_label(i), cell_text(cells[i]).strip()) for i in surplus)
            if blank_check and _is_blank(cells):
                continue
            yield ParsedRow(row_number, converted, extras, None)

    def width_error(
        self, cells: Sequence[Cell], surplus: Sequence[int], first_line: int, last_line: int
    ) -> RowError | None:
        """A row whose cell count does not fit the header. Too short is an error; too long is an error in
        CSV (the row is broken), while in a spreadsheet the cells right of the header become extras."""
        if len(cells) < self.width:
            reason = f"the row has {len(cells)} cells but the header has {self.width}"
            if last_line > first_line:
                reason += f" (the record spans lines {first_line}–{last_line}: an unbalanced quote?)"
            return self.error(cells, "*", reason)
        if surplus and not self.spreadsheet:
            reason = (
                f"the row has {len(cells)} cells but the header has {self.width} "
                "(values beyond the last header: a delimiter inside an unquoted value?)"
            )
            return self.error(cells, "*", reason)
        return None


def _compile_row_converter(
    plan: Sequence[tuple[int, Converter]], empty_to_none: Collection[int] = ()
) -> Callable[[Sequence[Cell]], tuple[Any, ...]]:
    """Build ``lambda cells: (c0(cells[i0]), c1(cells[i1]) or None, …)`` as straight-line code.

    A loop over the plan costs about as much as the converters themselves (most are one dictionary
    look-up); unrolling it makes rows convert about 1.5× faster. Entries in ``empty_to_none`` (text
    columns whose converter is ``str.strip``) get ``or None``, so empty text becomes ``None`` without a
    function call. The generated source holds only integer indices and generated names, never file text.
    """
    namespace: dict[str, Any] = {f"_c{n}": convert for n, (_, convert) in enumerate(plan)}
    calls = "".join(
        f"_c{n}(cells[{index}]) or None, " if n in empty_to_none else f"_c{n}(cells[{index}]), "
        for n, (index, _) in enumerate(plan)
    )
    exec(f"def convert_row(cells):\n    return ({calls})\n", namespace)
    return namespace["convert_row"]


# --- the export ----------------------------------------------------------------------------------------


@dataclass
class Export:
    """An opened export: what was detected about the file, and a way to stream its rows."""

    path: Path
    spec: FeedSpec = field(repr=False)
    encoding: str  # "utf-8-sig", "utf-8", "cp1251"; "xlsx" (or "xls", "ods"…) for spreadsheets
    delimiter: str | None  # None for spreadsheets
    header_row: int  # 1-based row (CSV line) of the header
    columns: dict[str, int]  # target column -> 0-based source column index (absent optional ones left out)
    extra_headers: tuple[str, ...]  # source headers not in the contract, in file order
    headers: tuple[str, ...]  # all source headers, in file order, as used in errors and extras
    _rows: Callable[[], Iterator[ParsedRow]] = field(repr=False)
    _csv_body: Callable[[], CsvBody | None] | None = field(default=None, repr=False)

    def rows(self) -> Iterator[ParsedRow]:
        """Stream the rows below the header. Fully empty rows are skipped. May be called again to re-read."""
        return self._rows()

    def csv_body(self) -> CsvBody | None:
        """For a CSV file whose rows can be parsed in pieces (not UTF-16), where they start and how to
        parse a piece of them; ``None`` for spreadsheets, UTF-16 files and files with no line below the
        header."""
        return self._csv_body() if self._csv_body else None


@dataclass(frozen=True)
class CsvBody:
    """The rows part of a CSV export, for parsing it in pieces (``ingestion.parallel_parse``).

    A piece is a run of whole records cut at a line break. Parsed with :meth:`parse_run`, it gives exactly
    the rows ``Export.rows()`` gives for those lines — same row numbers, same errors — provided the piece
    really starts at a record boundary; :meth:`parse_run` tells when its end was not one (the last record
    ran into the end of the piece, as a quoted value spanning the cut does).
    """

    path: Path
    encoding: str  # the codec of the bytes below the header ("utf-8" for a "utf-8-sig" file)
    delimiter: str
    start: int  # byte offset of the first line below the header
    first_line: int  # its line number
    _layout: _Layout = field(repr=False)

    def parse_run(self, text: Iterable[str], first_line: int) -> tuple[Iterator[ParsedRow], RunEnd]:
        """The rows of ``text`` (the lines of a piece, as a text file with ``newline=""`` yields them),
        whose first line is line ``first_line`` of the file, and a :class:`RunEnd` that tells, once the rows
        are exhausted, how many lines were read and whether the last record ran into the end of ``text``.
        The rows raise ``csv.Error`` for broken CSV and ``UnicodeDecodeError`` for bytes that do not
        decode."""
        reader = _Records(text, self.delimiter)
        return self._layout.parse(iter(reader), first_line, reader, line_offset=first_line - 1), reader


class RunEnd(Protocol):
    line_num: int  # lines read
    open_record: int  # 0, or the line (counted from 1 in the run) of a record still open when the lines ended


def open_export(path: Path | str, spec: FeedSpec) -> Export:
    """Open an export file of the feed ``spec``: detect its format, encoding, delimiter and header row.

    Raises ``ExportError`` if the file is empty, corrupt or unreadable, and ``MissingColumnsError`` if no row
    among the first 30 carries all the required headers.
    """
    path = Path(path)
    try:
        size = path.stat().st_size
        with path.open("rb") as file:
            magic = file.read(8)
    except OSError as exc:
        raise ExportError(f"{path}: cannot read the file ({exc.strerror or exc})", path=path) from exc
    if size == 0:
        raise ExportError(f"{path} is empty", path=path)
    suffix = path.suffix.lower()
    if magic.startswith(_ZIP_MAGIC) or magic.startswith(_OLE2_MAGIC):
        kind = (
            suffix.lstrip(".") if suffix in SPREADSHEET_SUFFIXES else "xlsx" if magic[:2] == b"PK" else "xls"
        )
        return _open_spreadsheet(path, spec, kind)
    if suffix in SPREADSHEET_SUFFIXES:
        raise ExportError(
            f"{path} is not a spreadsheet (no xlsx/xls signature); re-export it as .xlsx or .csv", path=path
        )
    return _open_csv(path, spec)


# --- spreadsheets ----------------------------------------------------------------------------------------


def _spreadsheet_records(path: Path, sheet: CalamineSheet) -> Iterator[Record]:
    # python-calamine yields rows from the sheet's first row (leading empty rows included), so the
    # enumeration is the row number a person sees; columns start at the first used column.
    try:
        for index, cells in enumerate(sheet.iter_rows()):
            yield index + 1, cells
    except CalamineError as exc:
        raise ExportError(
            f"{path}: cannot read the worksheet ({exc}); the file may be corrupt", path=path
        ) from exc


def _spreadsheet_rows(
    path: Path, sheet: CalamineSheet, header: _HeaderCandidate, layout: _Layout
) -> Iterator[ParsedRow]:
    try:
        rows = sheet.iter_rows()
        for _ in range(header.record_index + 1):
            next(rows, None)
        yield from layout.parse(rows, header.record_index + 2)
    except CalamineError as exc:
        raise ExportError(
            f"{path}: cannot read the worksheet ({exc}); the file may be corrupt", path=path
        ) from exc


def _open_spreadsheet(path: Path, spec: FeedSpec, kind: str) -> Export:
    try:
        workbook = CalamineWorkbook.from_path(str(path))
        sheet = workbook.get_sheet_by_index(0)
    except Exception as exc:  # ZipError, XmlError… — the file is cut short or is not a workbook
        raise ExportError(
            f"{path}: cannot open the workbook ({exc}); the file may be truncated or corrupt", path=path
        ) from exc
    if sheet.start is None:
        raise ExportError(f"{path} is empty (its first sheet '{sheet.name}' has no cells)", path=path)
    column_offset = sheet.start[1]

    scan = _scan(spec, _spreadsheet_records(path, sheet))
    if scan.header is None:
        if not scan.saw_data and scan.exhausted:
            raise ExportError(f"{path} is empty (its first sheet '{sheet.name}' has no values)", path=path)
        raise _missing_columns(path, spec, scan.best)
    header = scan.header
    layout = _Layout(spec, header, spreadsheet=True, column_offset=column_offset)
    return _export(
        path, spec, kind, None, header, layout, lambda: _spreadsheet_rows(path, sheet, header, layout)
    )


# --- CSV -------------------------------------------------------------------------------------------------


def _decodes_as_utf8(sample: bytes) -> bool:
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)  # a cut last character is fine
    except UnicodeDecodeError:
        return False
    return True


def detect_encoding(path: Path) -> str:
    """``utf-8-sig`` (BOM), ``utf-8`` or ``cp1251``, decided from the first 64 KiB that hold non-ASCII bytes
    (and ``utf-16`` for a file with a UTF-16 byte order mark, as Excel's "Unicode text" export writes).

    Russian text in Windows-1251 is practically never valid UTF-8 (lower-case letters are 3-byte lead bytes
    without continuation bytes), so a sample that decodes as UTF-8 is UTF-8. A file whose first 64 KiB are
    pure ASCII is scanned on to its first non-ASCII byte, so the decision never rests on ASCII alone.
    """
    with path.open("rb") as file:
        sample = file.read(ENCODING_SAMPLE_BYTES)
        if sample.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"  # Excel's "Unicode text" export (tab-delimited)
        while (found := _NON_ASCII.search(sample)) is None:
            sample = file.read(_ENCODING_SCAN_CHUNK)
            if not sample:
                return "utf-8"  # pure ASCII: every candidate decodes it the same way
        window = sample[found.start() : found.start() + ENCODING_SAMPLE_BYTES]
        if len(window) < ENCODING_SAMPLE_BYTES:
            window += file.read(ENCODING_SAMPLE_BYTES - len(window))
    return "utf-8" if _decodes_as_utf8(window) else "cp1251"


class _Records:
    """The records ``csv.reader(lines, delimiter=…)`` yields, and its ``line_num``, in less time.

    A line without a ``"`` holds a whole record, and the csv module (default dialect: no escape
    character, no initial-space skipping) splits it exactly like ``str.split`` once the line break is cut
    off — an empty line being the empty record. Only lines with a quote (where a quoted value may start,
    and run on over line breaks) and lines longer than the field size limit (so that the csv module
    raises as it would) go through the csv module, which then reads the rest of that record. ``lines`` are
    those of a text file opened with ``newline=""`` (a CR or LF only at the end of a line). Iterate over
    it once; ``line_num`` is the number of lines read so far, as ``csv.reader`` counts them.
    """

    __slots__ = ("_records", "line_num", "open_record")

    def __init__(self, lines: Iterable[str], delimiter: str) -> None:
        self.line_num = 0
        self.open_record = 0  # the line of a record the end of the lines cut short (quoted value left open)
        self._records = self._read(iter(lines), delimiter)

    def __iter__(self) -> Iterator[list[str]]:
        return self._records

    def _read(self, lines: Iterator[str], delimiter: str) -> Iterator[list[str]]:
        pending: list[str] = []
        ran_out = False

        def feed() -> Iterator[str]:
            nonlocal ran_out
            while True:
                if pending:
                    yield pending.pop()
                elif (line := next(lines, None)) is not None:
                    yield line
                else:
                    ran_out = True
                    return

        quoted = csv.reader(feed(), delimiter=delimiter)
        limit = csv.field_size_limit()
        plain = 0  # lines read here; the csv module counts the others
        try:
            for line in lines:
                if '"' in line or len(line) > limit:
                    pending.append(line)
                    before = quoted.line_num
                    cells = next(quoted)
                    if ran_out:  # the csv module asked for more lines than there were, within this record
                        self.open_record = plain + before + 1
                else:
                    plain += 1
                    text = line.rstrip("\r\n")
                    cells = text.split(delimiter) if text else []
                self.line_num = plain + quoted.line_num
                yield cells
        finally:  # also when reading fails: the line of the error is where the reading stopped
            self.line_num = plain + quoted.line_num


def _csv_records(path: Path, encoding: str, delimiter: str) -> Iterator[Record]:
    """Records with the line each starts on (header scan; the rows themselves go through _csv_rows)."""
    line = 1
    try:
        with path.open(encoding=encoding, newline="") as file:
            reader = csv.reader(file, delimiter=delimiter)
            for cells in reader:
                yield line, cells
                line = reader.line_num + 1
    except UnicodeDecodeError as exc:
        raise _undecodable(path, encoding, line, exc) from exc
    except csv.Error as exc:
        raise ExportError(f"{path}: line {line}: broken CSV ({exc})", path=path) from exc


def _csv_rows(
    path: Path, encoding: str, delimiter: str, header: _HeaderCandidate, layout: _Layout
) -> Iterator[ParsedRow]:
    reader: Any = None
    try:
        with path.open(encoding=encoding, newline="") as file:
            reader = _Records(file, delimiter)
            records = iter(reader)
            for _ in range(header.record_index + 1):
                next(records, None)
            yield from layout.parse(records, reader.line_num + 1, reader)
    except UnicodeDecodeError as exc:
        raise _undecodable(path, encoding, reader.line_num + 1 if reader else 1, exc) from exc
    except csv.Error as exc:
        line = reader.line_num if reader else 1
        raise ExportError(f"{path}: line {line}: broken CSV ({exc})", path=path) from exc


def _undecodable(path: Path, encoding: str, line: int, exc: UnicodeDecodeError) -> ExportError:
    return ExportError(
        f"{path}: near line {line}, bytes that are not valid {encoding} ({exc.reason}); "
        "the encoding was detected from the start of the file: does the file mix encodings?",
        path=path,
    )


def _open_csv(path: Path, spec: FeedSpec) -> Export:
    encoding = detect_encoding(path)
    scans = {d: _scan(spec, _csv_records(path, encoding, d)) for d in DELIMITERS}
    found = [(d, s.header) for d, s in scans.items() if s.header is not None]
    if not found:
        if any(not s.saw_data and s.exhausted for s in scans.values()):  # nothing but delimiters and blanks
            raise ExportError(f"{path} is empty (no values, only blank lines)", path=path)
        best = max((s.best for s in scans.values() if s.best), key=lambda c: c.score, default=None)
        raise _missing_columns(path, spec, best)
    # Only the right delimiter normally yields the required headers; if several do, prefer the earliest
    # header row, then the one that matches most columns, then the order of DELIMITERS.
    delimiter, header = min(
        found, key=lambda item: (item[1].record_index, -len(item[1].columns), DELIMITERS.index(item[0]))
    )
    layout = _Layout(spec, header, spreadsheet=False, column_offset=0)
    export = _export(
        path,
        spec,
        encoding,
        delimiter,
        header,
        layout,
        lambda: _csv_rows(path, encoding, delimiter, header, layout),
    )
    if encoding != "utf-16":
        export._csv_body = lambda: _csv_body(path, encoding, delimiter, header, layout)
    return export


_LINE_BREAK = re.compile(rb"\r\n|\r|\n")


def _csv_body(
    path: Path, encoding: str, delimiter: str, header: _HeaderCandidate, layout: _Layout
) -> CsvBody | None:
    """Where the lines below the header start: the header's last line is found as ``_csv_rows`` finds it
    (a text file with ``newline=""`` breaks lines at CR LF, CR and LF), then that many line breaks are
    counted in the bytes."""
    try:
        with path.open(encoding=encoding, newline="") as file:
            reader = csv.reader(file, delimiter=delimiter)
            for _ in range(header.record_index + 1):
                next(reader, None)
            header_lines = reader.line_num
    except (UnicodeDecodeError, csv.Error):
        return None  # the header region itself is broken: the sequential path reports it
    offset, found = 0, 0
    with path.open("rb") as file:
        data = b""
        while found < header_lines:
            more = file.read(1 << 16)
            if not more:
                return None  # no line below the header
            data += more
            for match in _LINE_BREAK.finditer(data, offset):
                if match.group() == b"\r" and match.end() == len(data):
                    break  # a CR at the end of what was read may be the first half of CR LF
                offset, found = match.end(), found + 1
                if found == header_lines:
                    break
    if offset >= path.stat().st_size:
        return None
    return CsvBody(
        path,
        "utf-8" if encoding == "utf-8-sig" else encoding,
        delimiter,
        offset,
        header_lines + 1,
        layout,
    )


def _export(
    path: Path,
    spec: FeedSpec,
    encoding: str,
    delimiter: str | None,
    header: _HeaderCandidate,
    layout: _Layout,
    rows: Callable[[], Iterator[ParsedRow]],
) -> Export:
    export = Export(
        path=path,
        spec=spec,
        encoding=encoding,
        delimiter=delimiter,
        header_row=header.row_number,
        columns={name: index + layout.column_offset for name, index in header.columns.items()},
        extra_headers=layout.extra_headers,
        headers=tuple(layout.labels),
        _rows=rows,
    )
    absent = [c.header for c in spec.columns if c.name not in header.columns]
    log.debug(
        "%s: %s feed, %s%s, header in row %d, %d of %d columns (absent: %s), %d extra",
        path,
        spec.name,
        encoding,
        f", delimiter {delimiter!r}" if delimiter else "",
        header.row_number,
        len(header.columns),
        len(spec.columns),
        ", ".join(absent) or "none",
        len(layout.extra_headers),
    )
    return export

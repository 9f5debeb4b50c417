"""Parsing a CSV export in pieces (ingestion.parallel_parse) gives exactly the rows of Export.rows()."""

from __future__ import annotations

import csv
import io
import itertools
import random
from collections.abc import Sequence
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingestion.feeds import FEEDS
from ingestion.parallel_parse import Fallback, Piece, parse_piece, pieces
from ingestion.parse.reader import Export, ParsedRow, _Records, open_export
from tests.support.exports import REGISTER_HEADERS, register_row

REGISTER = FEEDS["register"]
HEADERS = [*REGISTER_HEADERS, "Примечание"]


def sample_rows(count: int, seed: int = 1) -> list[list[str]]:
    """Register rows of every kind the loader meets: good, bad dates, short rows, blank rows, quoted values
    spanning lines (with doubled quotes), extras."""
    rng = random.Random(seed)
    rows: list[list[str]] = []
    for n in range(1, count + 1):
        row = register_row(n, date="32.13.2024" if n % 7 == 0 else f"{1 + n % 28:02d}.01.2024")
        row = [str(v) for v in row] + ["" if n % 3 else f"заметка {n}"]
        if n % 5 == 0:
            row[REGISTER_HEADERS.index("Адрес")] = 'ул. Ленина,\nд. 5, "корп. 2";\r\nкв. 1'
        if n % 6 == 0:
            row[REGISTER_HEADERS.index("Корреспондент")] = 'ООО "Ромашка"\rЁлкин Ё.Ё.'
        if n % 11 == 0:
            row = row[:5]  # too few cells
        if n % 17 == 0:
            row = [*row[:4], "многострочный\nобрывок"]  # too few cells, spanning lines
        if n % 13 == 0:
            rows.append([""] * len(HEADERS))  # a blank row
        if n % 19 == 0:
            rows.append([])  # an empty line
        rows.append(row if rng.random() > 0.02 else [*row, "лишнее"])  # rarely, one cell too many
    return rows


def write(
    path: Path,
    rows: Sequence[Sequence[str]],
    *,
    encoding: str = "utf-8",
    terminators: Sequence[str] = ("\r\n",),
    titles: Sequence[str] = (),
    seed: int = 2,
) -> Path:
    rng = random.Random(seed)
    out = io.StringIO()
    for title in titles:
        out.write(title + rng.choice(terminators))
    for row in [HEADERS, *rows]:
        line = io.StringIO()
        csv.writer(line, delimiter=";", lineterminator=rng.choice(terminators)).writerow(row)
        out.write(line.getvalue())
    path.write_bytes(out.getvalue().encode(encoding))
    return path


def in_pieces(export: Export, size: int) -> tuple[list[ParsedRow], list[Piece]]:
    body = export.csv_body()
    assert body is not None
    cut = list(pieces(body, size))
    rows = [row for piece in cut for row in parse_piece(body, piece)]
    return rows, cut


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1251"])
@pytest.mark.parametrize(
    "terminators", [("\r\n",), ("\n",), ("\r",), ("\r\n", "\n", "\r")], ids=["crlf", "lf", "cr", "mixed"]
)
@pytest.mark.parametrize("size", [1, 97, 1000, 1 << 20])
def test_pieces_give_the_rows_of_the_whole_file(
    tmp_path: Path, encoding: str, terminators: tuple[str, ...], size: int
) -> None:
    path = write(
        tmp_path / "register.csv",
        sample_rows(120),
        encoding=encoding,
        terminators=terminators,
        titles=["Реестр обращений", ""],
    )
    export = open_export(path, REGISTER)
    expected = list(export.rows())
    assert any(r.error for r in expected) and any(r.extras for r in expected)
    rows, cut = in_pieces(export, size)
    assert rows == expected
    assert cut[0].start == export.csv_body().start and cut[-1].last and cut[-1].end == path.stat().st_size
    assert all(
        a.end == b.start and a.first_line + a.lines == b.first_line for a, b in itertools.pairwise(cut)
    )
    if size == 1 and "\n" in "".join(terminators):  # cuts are made at line feeds only
        assert len(cut) > 50


def test_a_file_without_a_final_line_break(tmp_path: Path) -> None:
    path = write(tmp_path / "register.csv", sample_rows(30))
    path.write_bytes(path.read_bytes().rstrip(b"\r\n"))
    export = open_export(path, REGISTER)
    assert in_pieces(export, 50)[0] == list(export.rows())


def test_a_lone_quote_in_an_unquoted_value_only_moves_the_cuts(tmp_path: Path) -> None:
    """csv reads ``5"`` as literal text: the quote count turns odd until the next lone quote, and no cut is
    made in between; the rows are still those of the whole file."""
    rows = sample_rows(40)
    rows[3][REGISTER_HEADERS.index("Адрес")] = 'д. 5, труба 3/4 дюйма (3/4")'
    rows[30][REGISTER_HEADERS.index("Адрес")] = 'д. 7, 12" экран'
    path = tmp_path / "register.csv"
    path.write_bytes(
        "\r\n".join(
            ";".join(r)
            for r in [HEADERS, *[[c.replace("\n", " ").replace("\r", " ") for c in r] for r in rows]]
        ).encode()
    )
    export = open_export(path, REGISTER)
    got, cut = in_pieces(export, 1)
    assert got == list(export.rows())
    assert len(cut) < 40  # no cuts while the count is odd


def test_a_cut_inside_a_quoted_value_is_detected(tmp_path: Path) -> None:
    """A lone quote, then a quoted value spanning lines: the quote count is even inside the quoted value,
    so a cut lands there; the piece before it reports it, and the caller parses sequentially."""
    rows = [[str(v) for v in register_row(n)] + [""] for n in range(1, 10)]
    rows[0][REGISTER_HEADERS.index("Адрес")] = 'д. 5" корп. 2'
    rows[1][REGISTER_HEADERS.index("Адрес")] = '"ул. Ленина,\r\nд. 5"'
    path = tmp_path / "register.csv"
    path.write_bytes("\r\n".join(";".join(r) for r in [HEADERS, *rows]).encode())
    export = open_export(path, REGISTER)
    whole = list(export.rows())
    address = REGISTER.column_names.index("address")
    assert [r.values[address] for r in whole[:2]] == ['д. 5" корп. 2', "ул. Ленина,\r\nд. 5"]
    with pytest.raises(Fallback, match="runs over a cut"):
        in_pieces(export, 1)


def test_bytes_that_do_not_decode_fall_back(tmp_path: Path) -> None:
    path = write(tmp_path / "register.csv", sample_rows(600))  # UTF-8 beyond the 64 KiB sample
    path.write_bytes(path.read_bytes() + "16;15.01.2024;кракозябры\r\n".encode("cp1251"))
    export = open_export(path, REGISTER)
    assert export.encoding == "utf-8"
    with pytest.raises(Fallback, match="UnicodeDecodeError"):
        in_pieces(export, 100)


def test_no_csv_body_for_spreadsheets_utf16_and_header_only_files(tmp_path: Path) -> None:
    from tests.support.exports import write_xlsx

    xlsx = write_xlsx(tmp_path / "register.xlsx", HEADERS, sample_rows(3))
    assert open_export(xlsx, REGISTER).csv_body() is None
    utf16 = tmp_path / "utf16.csv"
    utf16.write_bytes(
        write(tmp_path / "x.csv", sample_rows(3)).read_text().replace(";", "\t").encode("utf-16")
    )
    assert open_export(utf16, REGISTER).csv_body() is None
    header_only = write(tmp_path / "header.csv", [])
    assert open_export(header_only, REGISTER).csv_body() is None


_cell = st.text(alphabet=['"', ";", "\n", "\r", " ", "а", "1", "."], max_size=6)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    well_formed=st.lists(st.lists(_cell, min_size=1, max_size=16), max_size=12),
    raw=st.text(alphabet=['"', ";", "\n", "\r", "а", "1"], max_size=60),
    terminator=st.sampled_from(["\r\n", "\n", "\r"]),
    size=st.integers(1, 40),
)
def test_any_text_in_pieces_is_the_whole_file_or_a_fallback(
    tmp_path: Path, well_formed: list[list[str]], raw: str, terminator: str, size: int
) -> None:
    """Well-formed CSV (as csv.writer writes it) always parses in pieces to the same rows; arbitrary text
    either does too, or the pieces say they cannot be parsed alone — never different rows."""
    path = tmp_path / "random.csv"
    out = io.StringIO()
    csv.writer(out, delimiter=";", lineterminator=terminator).writerows([HEADERS, *well_formed])
    path.write_bytes(out.getvalue().encode())
    export = open_export(path, REGISTER)
    if export.csv_body() is not None:
        assert in_pieces(export, size)[0] == list(export.rows())

    path.write_bytes(out.getvalue().encode() + raw.encode())
    export = open_export(path, REGISTER)
    if export.csv_body() is not None:
        try:
            got = in_pieces(export, size)[0]
        except Fallback:
            return
        assert got == list(export.rows())


@settings(max_examples=500, deadline=None)
@given(
    text=st.text(alphabet=['"', ";", ",", "\n", "\r", " ", "\x00", "а", "1"], max_size=80),
    delimiter=st.sampled_from([";", ",", "\t"]),
)
def test_records_are_those_of_the_csv_module(text: str, delimiter: str) -> None:
    """The reader behind Export.rows() splits quote-free lines itself: same records, same line numbers."""
    expected = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    for cells in reader:
        expected.append((cells, reader.line_num))
    ours = _Records(io.StringIO(text, newline=""), delimiter)
    assert [(cells, ours.line_num) for cells in ours] == expected
    assert ours.line_num == reader.line_num


def test_records_raise_as_the_csv_module_does_on_a_huge_field() -> None:
    text = "a;b\r\nshort;line\r\n" + "x" * 20 + ";y\r\nafter\r\n"
    limit = csv.field_size_limit(10)
    try:
        ours = _Records(io.StringIO(text, newline=""), ";")
        got = []
        with pytest.raises(csv.Error, match="field larger than field limit"):
            for cells in ours:
                got.append(cells)
    finally:
        csv.field_size_limit(limit)
    assert got == [["a", "b"], ["short", "line"]] and ours.line_num == 3

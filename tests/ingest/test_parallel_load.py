"""A large CSV file parsed by worker processes loads exactly as when it is parsed in the loader's process.

The parallel path is forced on small files with ``APPEALS_PARALLEL_PARSE_MIN_BYTES=1`` and small pieces;
each test loads the same landing folder both ways and compares the raw rows, the quarantine and the audit
row, column by column.
"""

from __future__ import annotations

import csv
import io
import logging
import multiprocessing
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest

from ingestion import load, parallel_parse
from ingestion.load import LoadResult
from tests.support import exports
from tests.support.exports import INCIDENT_HEADERS, REGISTER_HEADERS, register_row

Ingest = Callable[[Path], list[LoadResult]]
HEADERS = [*REGISTER_HEADERS, "Организация", "Примечание"]
ADDRESS = HEADERS.index("Адрес")
CORRESPONDENT = HEADERS.index("Корреспондент")
ORGANIZATION = HEADERS.index("Организация")


class Paths:
    """Switches between the two paths and records the pieces the parallel one cut."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.monkeypatch = monkeypatch
        self.pieces: list[parallel_parse.Piece] = []
        cut = parallel_parse.pieces

        def recording(body: object, size: int | None = None) -> Iterator[parallel_parse.Piece]:
            for piece in cut(body, size):  # type: ignore[arg-type]
                self.pieces.append(piece)
                yield piece

        monkeypatch.setattr(parallel_parse, "pieces", recording)
        monkeypatch.setattr(parallel_parse, "PIECE_BYTES", 600)
        monkeypatch.setenv("APPEALS_PARSE_WORKERS", "2")
        self.sequential()

    def sequential(self) -> None:
        self.monkeypatch.setenv("APPEALS_PARALLEL_PARSE_MIN_BYTES", str(1 << 40))

    def parallel(self) -> None:
        self.monkeypatch.setenv("APPEALS_PARALLEL_PARSE_MIN_BYTES", "1")
        self.pieces.clear()


@pytest.fixture
def paths(monkeypatch: pytest.MonkeyPatch) -> Paths:
    return Paths(monkeypatch)


def query(dsn: str, sql: str) -> list[tuple]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(sql).fetchall()


def snapshot(dsn: str) -> dict[str, list[tuple]]:
    """Everything the loader wrote for the non-organisation files, without the batch ids."""
    return {
        "batches": query(
            dsn,
            "select feed, file_path, status, error, header_row, encoding, delimiter, timezone, details::text,"
            " rows_read, rows_loaded, rows_quarantined from audit.load_batches where feed <> 'organizations'"
            " order by file_path",
        ),
        "raw": [
            *query(dsn, "select (to_jsonb(r) - 'batch_id')::text from raw.register_rows r order by 1"),
            *query(dsn, "select (to_jsonb(r) - 'batch_id')::text from raw.incident_rows r order by 1"),
        ],
        "quarantine": query(
            dsn,
            "select b.file_path, q.row_number, q.column_name, q.reason, q.original::text"
            " from audit.quarantine q join audit.load_batches b using (batch_id) order by 1, 2",
        ),
    }


def forget(dsn: str) -> None:
    """Drop what was loaded (rows and quarantine go with their batch), so the same files load again."""
    with psycopg.connect(dsn) as conn:
        conn.execute("delete from audit.load_batches where feed <> 'organizations'")


def both_ways(ingest: Ingest, landing: Path, dsn: str, paths: Paths) -> tuple[dict, dict, list[LoadResult]]:
    paths.sequential()
    ingest(landing)
    sequential = snapshot(dsn)
    forget(dsn)
    paths.parallel()
    results = ingest(landing)
    return sequential, snapshot(dsn), results


def register_rows(count: int) -> list[list[str]]:
    rows: list[list[str]] = []
    for n in range(1, count + 1):
        row = [str(v) for v in register_row(n, date="31.02.2024" if n % 9 == 0 else "15.01.2024")]
        row += ['Администрация МО ГО "Ухта"' if n % 2 else "", f"заметка {n}" if n % 4 == 0 else ""]
        if n % 5 == 0:
            row[ADDRESS] = 'ул. Ленина,\r\nд. 5, "корп. 2";\nкв. 1'  # quoted, spans lines, doubled quotes
        if n % 7 == 0:
            row[CORRESPONDENT] = f"Ёлкин{n % 3}  ё.Ё."  # the same people, spelt differently
        if n % 23 == 0:
            row[ORGANIZATION] = "Администрация Марса"  # not in reference/organizations.csv
        if n % 17 == 0:
            row = [*row[:4], "обрывок\nстроки"]  # too few cells, spanning lines
        if n % 29 == 0:
            rows.append([""] * len(HEADERS))
        rows.append(row)
    return rows


def write(path: Path, headers: list[str], rows: list[list[str]], encoding: str, terminator: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    out = io.StringIO()
    out.write("Реестр обращений граждан" + terminator)
    csv.writer(out, delimiter=";", lineterminator=terminator).writerows([headers, *rows])
    path.write_bytes(out.getvalue().encode(encoding))
    return path


@pytest.mark.parametrize(
    ("encoding", "terminator"), [("cp1251", "\r\n"), ("utf-8", "\n"), ("utf-8-sig", "\r\n")]
)
def test_parallel_parse_loads_exactly_what_sequential_parse_loads(
    ingest: Ingest,
    landing: Path,
    migrated_db: str,
    paths: Paths,
    caplog: pytest.LogCaptureFixture,
    encoding: str,
    terminator: str,
) -> None:
    exports.organizations(landing)
    write(landing / "register" / "87725000" / "r.csv", HEADERS, register_rows(300), encoding, terminator)
    incidents = [
        [f"inc-{n}", "15.01.2024 10:00" if n % 8 else "вчера", "ВКонтакте", f"id{n % 5} Пётр", "Когда\nпочинят?",
         "Дороги", "г. Томск", "69701000", "Ответ дан", "Нет"]
        for n in range(1, 120)
    ]  # fmt: skip
    write(landing / "incident" / "i.csv", INCIDENT_HEADERS, incidents, encoding, terminator)

    with caplog.at_level(logging.INFO, logger="ingestion.load"):
        sequential, parallel, results = both_ways(ingest, landing, migrated_db, paths)
    assert "sequentially" not in caplog.text
    assert len(paths.pieces) > 20  # really cut, and parsed in pieces
    assert parallel == sequential
    register = next(r for r in results if r.feed == "register")
    assert register.status == "loaded" and register.rows_loaded > 200 and register.rows_quarantined > 40
    assert len(sequential["quarantine"]) == sum(r.rows_quarantined for r in results)
    assert {b[7] for b in sequential["batches"]} == {"Europe/Moscow", "Asia/Tomsk"}
    keys = query(
        migrated_db,
        "select count(distinct applicant_key) from raw.register_rows where correspondent like 'Ёлкин%'",
    )
    assert keys == [(3,)]


def test_a_file_that_cannot_be_cut_safely_falls_back_to_the_same_result(
    ingest: Ingest, landing: Path, migrated_db: str, paths: Paths, caplog: pytest.LogCaptureFixture
) -> None:
    """A lone quote in an unquoted value, then a quoted value spanning lines: the quote count is even inside
    the quoted value, a cut lands there, the worker notices, and the file is parsed sequentially."""
    exports.organizations(landing)
    rows = register_rows(200)
    lone_quote, quoted_lines = ([str(v) for v in register_row(n)] + ["", ""] for n in (1001, 1002))
    lone_quote[ADDRESS], quoted_lines[ADDRESS] = 'д. 5" корп. 2', '"ул. Ленина,\r\nд. 5"'
    out = io.StringIO()
    csv.writer(out, delimiter=";", lineterminator="\r\n").writerows([HEADERS, *rows[:50]])
    out.write(";".join(lone_quote) + "\r\n" + ";".join(quoted_lines) + "\r\n")
    csv.writer(out, delimiter=";", lineterminator="\r\n").writerows(rows[50:])
    (landing / "register" / "87725000").mkdir(parents=True)
    (landing / "register" / "87725000" / "r.csv").write_bytes(out.getvalue().encode("cp1251"))
    paths.monkeypatch.setattr(parallel_parse, "PIECE_BYTES", 1)
    with caplog.at_level(logging.INFO, logger="ingestion.load"):
        sequential, parallel, results = both_ways(ingest, landing, migrated_db, paths)
    assert "runs over a cut" in caplog.text
    assert parallel == sequential
    assert [r.status for r in results] == ["skipped", "loaded"]  # organisations, then the register


def test_too_many_bad_rows_reject_the_file_the_same_way(
    ingest: Ingest, landing: Path, migrated_db: str, paths: Paths
) -> None:
    exports.organizations(landing)
    write(landing / "register" / "87725000" / "r.csv", HEADERS, register_rows(300), "cp1251", "\r\n")
    paths.monkeypatch.setattr(load, "MAX_QUARANTINED_ROWS", 30)
    sequential, parallel, _ = both_ways(ingest, landing, migrated_db, paths)
    assert parallel == sequential
    assert sequential["batches"][0][2] == "rejected" and "more than 30 rows" in sequential["batches"][0][3]


def test_undecodable_bytes_deep_in_the_file_fail_it_the_same_way(
    ingest: Ingest, landing: Path, migrated_db: str, paths: Paths
) -> None:
    exports.organizations(landing)
    path = write(landing / "register" / "87725000" / "r.csv", HEADERS, register_rows(600), "utf-8", "\n")
    path.write_bytes(path.read_bytes() + ";".join(register_row(9999)).encode("cp1251") + b"\n")
    sequential, parallel, _ = both_ways(ingest, landing, migrated_db, paths)
    assert parallel == sequential
    assert sequential["batches"][0][2] == "failed" and "not valid utf-8" in sequential["batches"][0][3]


@pytest.mark.parametrize("how", ["dies", "raises"])
def test_a_failing_worker_fails_the_file_and_keeps_nothing(
    ingest: Ingest, landing: Path, migrated_db: str, paths: Paths, how: str
) -> None:
    exports.organizations(landing)
    write(landing / "register" / "87725000" / "r.csv", HEADERS, register_rows(300), "cp1251", "\r\n")
    record = load._RowWriter.record
    main = os.getpid()

    def failing(self: load._RowWriter, row: object) -> tuple | None:
        assert os.getpid() != main, "rows are parsed in the workers"
        if row.row_number > 250:  # type: ignore[attr-defined]  # well after the first pieces went to COPY
            if how == "dies":
                os._exit(3)
            raise RuntimeError("boom")
        return record(self, row)  # type: ignore[arg-type]

    paths.parallel()
    with paths.monkeypatch.context() as patch:
        patch.setattr(load._RowWriter, "record", failing)
        [_, result] = ingest(landing)
    assert result.status == "failed" and (result.rows_read, result.rows_loaded) == (0, 0)
    assert ("died (exit code 3)" if how == "dies" else "RuntimeError: boom") in result.message
    assert query(migrated_db, "select count(*) from raw.register_rows") == [(0,)]
    assert query(migrated_db, "select count(*) from audit.quarantine") == [(0,)]
    assert query(migrated_db, "select status from audit.load_batches where feed = 'register'") == [
        ("failed",)
    ]
    assert not [p for p in multiprocessing.active_children() if p.name == "parallel-parse"]

    [_, again] = ingest(landing)  # the next run tries again, and loads it
    assert again.status == "loaded" and again.rows_read == 300


def test_no_worker_processes_to_be_had_means_parsing_in_the_loader(
    ingest: Ingest, landing: Path, migrated_db: str, paths: Paths, caplog: pytest.LogCaptureFixture
) -> None:
    exports.organizations(landing)
    write(landing / "register" / "87725000" / "r.csv", HEADERS, register_rows(100), "cp1251", "\r\n")

    def refuse(self: object) -> None:
        raise OSError(11, "Resource temporarily unavailable")

    paths.monkeypatch.setattr(multiprocessing.get_context("fork").Process, "start", refuse)
    with caplog.at_level(logging.INFO, logger="ingestion.load"):
        sequential, parallel, results = both_ways(ingest, landing, migrated_db, paths)
    assert "cannot start parse workers" in caplog.text
    assert parallel == sequential and results[1].status == "loaded"

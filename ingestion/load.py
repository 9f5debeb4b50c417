"""Load one export file into ``raw.<feed>_rows`` with ``COPY``: the whole file, or nothing.

Per file, in one transaction: an ``audit.load_batches`` row, the parsed rows streamed through binary
``COPY`` (Python parses the next rows while the server stores the previous ones: the two sides run on
different cores), the unparseable rows in ``audit.quarantine``, and the counts — rows read = loaded + quarantined. A file whose
content (sha256) was loaded before is skipped. A file that cannot be read as its feed (missing required
headers, corrupt, empty) is rejected whole with a reason, and nothing of it is loaded.

A large CSV file is parsed by worker processes, piece by piece (``ingestion.parallel_parse``); their
binary rows go into the same single ``COPY``, in file order, so the outcome is the same as parsing it
here, row for row.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
from psycopg import pq, sql

# The function ``Copy.write_row`` formats binary rows with (C, from psycopg_binary). It lives in a private
# module: the parse workers call it with the same transformer, so the bytes are those ``write_row`` sends
# (tests/ingest/test_parallel_load.py compares both paths byte for byte).
from psycopg._copy_base import format_row_binary
from psycopg.adapt import Transformer
from psycopg.types.json import Jsonb

from ingestion import parallel_parse
from ingestion.feeds import FEEDS, FeedSpec
from ingestion.landing import LandingFile
from ingestion.parse.errors import ExportError
from ingestion.parse.reader import CsvBody, ParsedRow, open_export
from ingestion.pseudonymise import Pseudonymiser
from ingestion.territory import Organizations, default_timezone, timezone_of

log = logging.getLogger(__name__)

MAX_QUARANTINED_ROWS = 100_000
"""Past this many unparseable rows a file is rejected whole: it is almost surely the wrong feed or broken."""
ZONE_PEEK_ROWS = 200
LIVE_STATUSES = ("loading", "loaded", "validated", "published")
_COPY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + bytes(8)  # binary COPY header: signature, flags 0, no extension
_COPY_TRAILER = b"\xff\xff"
_PG_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
INT8_OID = 20


class FileRejected(Exception):
    """The file as a whole cannot be loaded; the message says why, for the operator."""


@dataclass
class LoadResult:
    file: str
    feed: str
    status: str  # loaded | skipped | rejected | failed
    batch_id: int | None = None
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    seconds: float = 0.0
    message: str = ""


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def load_file(
    conn: psycopg.Connection, file: LandingFile, pseudonymiser: Pseudonymiser, organizations: Organizations
) -> LoadResult:
    """Load ``file`` (see the module docstring). ``conn`` must be in autocommit mode."""
    started = time.monotonic()
    result = LoadResult(file=file.relative, feed=file.feed, status="loaded")
    sha = file_sha256(file.path)
    earlier = conn.execute(
        "select batch_id, file_path, status, error from audit.load_batches"
        " where file_sha256 = %s and body is not distinct from %s and status <> 'failed'"
        " order by batch_id desc limit 1",
        [sha, file.body],
    ).fetchone()
    if earlier:
        batch_id, path, status, error = earlier
        result.status, result.batch_id = "skipped", batch_id
        result.message = (
            f"same content as {path}, rejected earlier (batch {batch_id}): {error}"
            if status == "rejected"
            else f"same content as {path}, already loaded as batch {batch_id}"
        )
        return _timed(result, started)
    try:
        with conn.transaction():
            _load(conn, file, sha, pseudonymiser, organizations, result)
    except FileRejected as problem:
        result.status, result.message = "rejected", str(problem)
        result.rows_read = result.rows_loaded = result.rows_quarantined = 0
        result.batch_id = _record_outcome(conn, file, sha, "rejected", str(problem))
    except Exception as error:
        result.status, result.message = "failed", f"{type(error).__name__}: {error}"
        result.rows_read = result.rows_loaded = result.rows_quarantined = 0
        result.batch_id = _record_outcome(conn, file, sha, "failed", result.message)
        log.exception("loading %s failed", file.relative)
    return _timed(result, started)


def _timed(result: LoadResult, started: float) -> LoadResult:
    result.seconds = time.monotonic() - started
    return result


def _record_outcome(conn: psycopg.Connection, file: LandingFile, sha: str, status: str, error: str) -> int:
    row = conn.execute(
        "insert into audit.load_batches (feed, file_path, file_sha256, file_bytes, body, status, error,"
        " finished_at) values (%s, %s, %s, %s, %s, %s, %s, now()) returning batch_id",
        [file.feed, file.relative, sha, file.path.stat().st_size, file.body, status, error],
    ).fetchone()
    return row[0]


def _load(
    conn: psycopg.Connection,
    file: LandingFile,
    sha: str,
    pseudonymiser: Pseudonymiser,
    organizations: Organizations,
    result: LoadResult,
) -> None:
    if file.problem:
        raise FileRejected(file.problem)
    spec = FEEDS[file.feed]
    try:
        export = open_export(file.path, spec)
    except ExportError as error:
        raise FileRejected(str(error)) from error

    body = None
    if file.feed == "register":
        body = organizations.oktmo(file.body)
        if body is None:
            raise FileRejected(
                f"{file.relative}: the folder register/{file.body}/ is neither an ОКТМО code nor an organisation"
                f" of reference/organizations.csv ({len(organizations)} known)"
            )
    rows = export.rows()
    peeked = list(itertools.islice(rows, ZONE_PEEK_ROWS))
    zone = _file_timezone(spec, body, peeked, organizations)
    batch_id = conn.execute(
        "insert into audit.load_batches (feed, file_path, file_sha256, file_bytes, body, header_row, encoding,"
        " delimiter, timezone, details) values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) returning batch_id",
        [
            file.feed,
            file.relative,
            sha,
            file.path.stat().st_size,
            file.body,
            export.header_row,
            export.encoding,
            export.delimiter,
            zone,
            json.dumps({"extra_headers": list(export.extra_headers)}, ensure_ascii=False),
        ],
    ).fetchone()[0]
    result.batch_id = batch_id
    conn.execute("select set_config('TimeZone', %s, true)", [zone])

    writer = _RowWriter(spec, batch_id, sha, body, pseudonymiser, organizations, ZoneInfo(zone))
    copy_sql = sql.SQL("copy raw.{} ({}) from stdin (format binary)").format(
        sql.Identifier(spec.table), sql.SQL(", ").join(map(sql.Identifier, writer.target_columns))
    )
    column_types = dict(
        conn.execute(
            "select attname, atttypid from pg_attribute where attrelid = %s::regclass and attnum > 0",
            [f"raw.{spec.table}"],
        ).fetchall()
    )
    types = writer.copy_types(column_types)
    # a large CSV file is parsed by worker processes; a small one or a spreadsheet here
    csv_body = export.csv_body() if file.path.stat().st_size >= parallel_parse.min_bytes() else None
    workers = parallel_parse.plan(csv_body)
    with conn.cursor() as cur:
        outcome = None
        if csv_body is not None and workers:
            try:
                with conn.transaction():  # a savepoint: a file that cannot be cut safely is parsed here
                    outcome = _copy_in_parallel(cur, copy_sql, types, csv_body, writer, workers, file)
            except parallel_parse.Fallback as reason:
                log.info("%s: parsing it sequentially (%s)", file.relative, reason)
        if outcome is None:
            outcome = _copy_sequentially(cur, copy_sql, types, itertools.chain(peeked, rows), writer, file)
        rows.close()
        result.rows_read, result.rows_loaded, quarantine = outcome
        if quarantine:
            with cur.copy(
                "copy audit.quarantine (batch_id, row_number, column_name, reason, original) from stdin"
            ) as copy:
                for entry in quarantine:
                    copy.write_row(entry)
    result.rows_quarantined = len(quarantine)
    conn.execute(
        "update audit.load_batches set status = 'loaded', rows_read = %s, rows_loaded = %s,"
        " rows_quarantined = %s, finished_at = now() where batch_id = %s",
        [result.rows_read, result.rows_loaded, result.rows_quarantined, batch_id],
    )
    if result.rows_quarantined:
        result.message = f"{result.rows_quarantined} row(s) quarantined, first: row {quarantine[0][1]}"


def _too_many_quarantined(file: LandingFile, quarantine: list[tuple]) -> FileRejected:
    first = quarantine[0]
    return FileRejected(
        f"{file.relative}: more than {MAX_QUARANTINED_ROWS} rows cannot be parsed;"
        f" is this a {file.feed} export? First problem: row {first[1]}, column {first[2]!r}: {first[3]}"
    )


def _copy_sequentially(
    cur: psycopg.Cursor,
    copy_sql: sql.Composable,
    types: list[int],
    rows: Iterator[ParsedRow],
    writer: _RowWriter,
    file: LandingFile,
) -> tuple[int, int, list[tuple]]:
    """Parse the rows here and stream them through binary COPY; returns rows read, loaded, quarantine."""
    quarantine: list[tuple] = []
    batch_id = writer.batch_id
    read = loaded = 0
    to_record = writer.record
    with cur.copy(copy_sql) as copy:
        copy.set_types(types)
        write_row = copy.write_row
        for row in rows:  # the hot loop: keep it lean
            read += 1
            record = to_record(row)
            if record is not None:
                write_row(record)
                loaded += 1
                continue
            quarantine.append((batch_id, row.row_number, *writer.problem))
            if len(quarantine) > MAX_QUARANTINED_ROWS:
                raise _too_many_quarantined(file, quarantine)
    return read, loaded, quarantine


def _copy_in_parallel(
    cur: psycopg.Cursor,
    copy_sql: sql.Composable,
    types: list[int],
    body: CsvBody,
    writer: _RowWriter,
    workers: int,
    file: LandingFile,
) -> tuple[int, int, list[tuple]]:
    """As :func:`_copy_sequentially`, with the rows parsed, pseudonymised and formatted as binary COPY
    rows in worker processes (see ``ingestion.parallel_parse``); here their bytes go into the COPY in file
    order. Raises ``parallel_parse.Fallback`` when the file cannot be cut safely."""
    transformer = Transformer(cur)
    transformer.set_dumper_types(types, pq.Format.BINARY)
    batch_id, to_record, block_bytes = writer.batch_id, writer.record, parallel_parse.BLOCK_BYTES
    new_block, parse_piece = parallel_parse.new_block, parallel_parse.parse_piece

    def work(piece: parallel_parse.Piece, emit: Callable[[bytearray], None]) -> tuple[int, int, list]:
        """In a worker: one piece's rows as binary COPY rows (emitted in blocks), and its counts."""
        read = loaded = 0
        quarantine: list[tuple] = []
        block = new_block()
        for row in parse_piece(body, piece):  # the hot loop of a worker
            read += 1
            record = to_record(row)
            if record is not None:
                format_row_binary(record, transformer, block)
                loaded += 1
                if len(block) >= block_bytes:
                    emit(block)
                    block = new_block()
                continue
            quarantine.append((batch_id, row.row_number, *writer.problem))
            if len(quarantine) > MAX_QUARANTINED_ROWS:
                break  # the file will be rejected: no need to read on
        if len(block) > 1:
            emit(block)
        return read, loaded, quarantine

    read = loaded = 0
    quarantine: list[tuple] = []
    with parallel_parse.Workers(work, workers) as pool, cur.copy(copy_sql) as copy:
        copy.write(_COPY_SIGNATURE)
        for item in pool.results(parallel_parse.pieces(body)):
            if isinstance(item, memoryview):
                copy.write(item)
                continue
            _, (piece_read, piece_loaded, piece_quarantine) = item
            read, loaded = read + piece_read, loaded + piece_loaded
            quarantine.extend(piece_quarantine)
            if len(quarantine) > MAX_QUARANTINED_ROWS:
                raise _too_many_quarantined(file, quarantine)
        copy.write(_COPY_TRAILER)
    return read, loaded, quarantine


def _file_timezone(spec: FeedSpec, body: str | None, rows: list[ParsedRow], orgs: Organizations) -> str:
    """The zone of the file's territory (see ``ingestion.territory``)."""
    if body:
        return timezone_of(body) or default_timezone()
    names = spec.column_names
    for row in rows:
        if row.values is None:
            continue
        if "oktmo" in names and (zone := timezone_of(row.values[names.index("oktmo")])):
            return zone
        if "receiving_org" in names and (
            zone := timezone_of(orgs.oktmo(row.values[names.index("receiving_org")]))
        ):
            return zone
    return default_timezone()


class _RowWriter:
    """Turns a parsed row into the tuple COPY writes, or into a quarantine entry.

    This runs once per source row, so it is written for speed: rows go to COPY in binary format with the
    column types declared up front (no text formatting on our side, no text parsing on the server's),
    local times get the file's zone attached through a cache (exports repeat the same dates) and go as
    the int8 that ``timestamptz`` is in binary COPY (formatting an aware datetime costs five times more),
    applicant keys are remembered for the identities seen (repeat applicants are common), and the tuple is
    built by straight-line code compiled once per file.
    """

    CACHE_LIMIT = 100_000
    """Entries of each cache (local times, applicant keys); past it the cache starts again."""

    def __init__(
        self,
        spec: FeedSpec,
        batch_id: int,
        sha: str,
        body: str | None,
        pseudonymiser: Pseudonymiser,
        organizations: Organizations,
        zone: ZoneInfo,
    ) -> None:
        self.spec = spec
        self.batch_id, self.sha, self.body, self.zone = batch_id, sha, body, zone
        names = spec.column_names
        self.applicant_idx = [names.index(c) for c in spec.applicant_columns]
        self.timestamp_idx = [i for i, c in enumerate(spec.columns) if c.kind == "timestamp"]
        self.organization_idx = names.index("organization") if spec.name == "register" else None
        self.organization_header = (
            spec.column("organization").header if self.organization_idx is not None else ""
        )
        self.pseudonymiser = pseudonymiser
        self.organizations = organizations
        self.with_key = spec.name != "organizations"
        self._micros: dict[datetime, int] = {}
        self._keys: dict[tuple, str | None] = {}
        self.problem: tuple[str, str, str] = ("", "", "")
        lineage = ["batch_id", "source_row_number", "file_sha256"] + (["body_oktmo"] if body else [])
        tail = ["applicant_key", "extras"] if self.with_key else ["extras"]
        self.target_columns = [*lineage, *names, *tail]
        self._build = self._compile(len(names))

    def _compile(self, width: int) -> Callable[[tuple, int, dict, str | None], tuple]:
        """``lambda v, row_number, extras, body: (batch_id, row_number, sha[, body], v[0], …, key, extras)``
        as straight-line code; the generated source holds only indices and generated names."""
        namespace: dict[str, object] = {
            "_batch": self.batch_id,
            "_sha": self.sha,
            "_micros": self._micros.get,
            "_in_zone": self._in_zone,
            "_key": self._keys.get,
            "_new_key": self._applicant_key,
            "_Jsonb": Jsonb,
        }
        parts = ["_batch", "row_number", "_sha"] + (["body"] if self.body else [])
        for i in range(width):
            if i in self.timestamp_idx:
                parts.append(f"((_micros(v[{i}]) or _in_zone(v[{i}])) if v[{i}] is not None else None)")
            else:
                parts.append(f"v[{i}]")
        if self.with_key:
            key = "(" + "".join(f"v[{i}], " for i in self.applicant_idx) + ")"
            parts.append(f"(_key({key}) or _new_key({key}))")
        parts.append("(_Jsonb(extras) if extras else None)")
        source = "def build(v, row_number, extras, body):\n    return (" + ", ".join(parts) + ",)\n"
        exec(source, namespace)
        return namespace["build"]  # type: ignore[return-value]

    def copy_types(self, column_types: dict[str, int]) -> list[int]:
        """The types to declare to COPY for ``target_columns``, given the table's (name → type oid).

        Times go as ``int8``: the binary COPY format of ``timestamptz`` is an int8 of microseconds since
        2000-01-01 UTC, so the bytes are the same, and formatting an int costs a fraction of formatting
        an aware datetime (see :meth:`_in_zone`)."""
        timestamps = {self.spec.columns[i].name for i in self.timestamp_idx}
        return [INT8_OID if c in timestamps else column_types[c] for c in self.target_columns]

    def _in_zone(self, value: datetime) -> int:
        """A local time of the export (offsets given are kept) in the file's zone, as microseconds since
        2000-01-01 UTC — what ``timestamptz`` is in binary COPY; remembered (exports repeat the same
        times)."""
        micros = self._micros.get(value)
        if micros is None:
            if len(self._micros) > self.CACHE_LIMIT:
                self._micros.clear()
            local = value if value.tzinfo else value.replace(tzinfo=self.zone)
            micros = self._micros[value] = (local - _PG_EPOCH) // _MICROSECOND
        return micros

    def _applicant_key(self, parts: tuple) -> str | None:
        key = self._keys.get(parts)
        if key is None:
            if len(self._keys) > self.CACHE_LIMIT:
                self._keys.clear()
            key = self._keys[parts] = self.pseudonymiser.applicant_key(parts) if any(parts) else None
        return key

    def record(self, row: ParsedRow) -> tuple | None:
        """The COPY tuple of a good row; None for a row to quarantine (``self.problem`` says why)."""
        values = row.values
        if values is None:
            error = row.error
            assert error is not None
            self.problem = (error.column, error.reason, json.dumps(error.original, ensure_ascii=False))
            return None
        body = self.body
        if self.organization_idx is not None and (name := values[self.organization_idx]):
            body = self.organizations.oktmo(name)
            if body is None:
                original = json.dumps({self.organization_header: name}, ensure_ascii=False)
                reason = f"organisation {name!r} is not in reference/organizations.csv"
                self.problem = (self.organization_header, reason, original)
                return None
        return self._build(values, row.row_number, row.extras, body)


def iter_results(results: list[LoadResult]) -> Iterator[str]:
    """One human line per file, for progress output and summaries."""
    for r in results:
        yield (
            f"{r.status:<9} {r.file}  read {r.rows_read}  loaded {r.rows_loaded}  quarantined {r.rows_quarantined}"
            f"  {r.seconds:.2f} s" + (f"  — {r.message}" if r.message else "")
        )

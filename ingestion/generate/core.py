"""``generate()``: a landing folder of realistic exports plus the ground truth of what they contain."""

from __future__ import annotations

import hashlib
import logging
import random
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, cast

from ingestion.generate import messiness, vocab
from ingestion.generate.contract import FEEDS, ORGANIZATIONS_HEADER, Feed
from ingestion.generate.messiness import BROKEN_KINDS, Cell, FileStyle, Formatter, applicable, break_row
from ingestion.generate.model import Incident, PosMessage, Record, restore_territory
from ingestion.generate.reference import Municipality, build_directory, resolve_territories
from ingestion.generate.sampling import (
    TERRITORY_UNMAPPED,
    IncidentSampler,
    PosSampler,
    RegisterSampler,
    World,
    can_make_unresolvable,
    make_unresolvable,
    stochastic_round,
)
from ingestion.generate.truth import (
    APPEAL_COLUMNS,
    CROSSWALK_COLUMNS,
    FILE_COLUMNS,
    QUARANTINE_COLUMNS,
    QUESTION_COLUMNS,
    TRUTH_DIR,
    encode_delimiter,
    write_table,
)
from ingestion.generate.writers import csv_bytes, xlsx_bytes

log = logging.getLogger(__name__)

FEED_SHARES: dict[Feed, float] = {"register": 0.45, "pos": 0.40, "incident": 0.15}
# A later file repeats records of earlier periods whose state changed since they were last exported
# (registered → answered), up to this share of its own rows.
REEXPORT_SHARE = 0.05
# Exports are taken some time after the period ends (registers for the monthly report, ПОС and incidents for
# weekly reviews), but never after the morning following ``date_to``: the data set is "as of" that morning, so
# the latest periods show open records, as real recent exports do.
EXPORT_LAG: dict[Feed, timedelta] = {
    "register": timedelta(days=30),
    "pos": timedelta(days=14),
    "incident": timedelta(days=3),
}
# ПОС messages and incidents whose territory resolves to nothing are stragglers the quality gate tolerates up to
# 1 % of a file's loaded rows: each file gets at most this share (per mille) of its clean rows, rounded down.
UNRESOLVED_PER_MILLE = 8
XLSX_SHARE: dict[Feed, float] = {"register": 0.5, "pos": 0.7, "incident": 0.5}
SPLITS = ("day", "week", "month", "all")
FORMATS = ("csv", "xlsx", "mixed")
EXPORT_TIME = time(6, 0)
SHEET_NAMES: dict[Feed, tuple[str, ...]] = {
    "register": ("Реестр", "Лист1", "Sheet1"),
    "pos": ("Сообщения", "Лист1", "Выгрузка"),
    "incident": ("Инциденты", "Лист1", "Report"),
}


@dataclass(frozen=True)
class GenerationSummary:
    """What :func:`generate` wrote."""

    out_dir: Path
    appeals: dict[str, int]  # logical appeals in the truth, per feed (spam incidents included)
    questions: dict[str, int]
    rows_written: dict[str, int]  # data rows per feed: re-exports and broken rows in, duplicate files out
    broken_rows: dict[str, int]
    files: tuple[str, ...]  # data files relative to out_dir (duplicates included)

    @property
    def files_written(self) -> int:
        return len(self.files)


@dataclass(frozen=True)
class Period:
    label: str
    start: date
    end: date


def export_time(period: Period, feed: Feed, date_to: date) -> datetime:
    """When the file of ``period`` is exported: ``EXPORT_LAG`` after its end, at the latest the day after
    ``date_to`` (at :data:`EXPORT_TIME`)."""
    day = min(period.end + EXPORT_LAG[feed], date_to + timedelta(days=1))
    return datetime.combine(max(day, period.end + timedelta(days=1)), EXPORT_TIME)


def periods(date_from: date, date_to: date, split: str) -> list[Period]:
    """The export periods covering ``[date_from, date_to]``, clipped to it."""
    if split == "all":
        return [Period(f"{date_from.isoformat()}_{date_to.isoformat()}", date_from, date_to)]
    result = []
    start = date_from
    while start <= date_to:
        if split == "day":
            end, label = start, start.isoformat()
        elif split == "week":
            end = start + timedelta(days=6 - start.weekday())
            year, week, _ = start.isocalendar()
            label = f"{year}-W{week:02d}"
        elif split == "month":
            next_month = date(start.year + start.month // 12, start.month % 12 + 1, 1)
            end, label = next_month - timedelta(days=1), f"{start.year}-{start.month:02d}"
        else:
            raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
        end = min(end, date_to)
        result.append(Period(label, start, end))
        start = end + timedelta(days=1)
    return result


@dataclass
class Stream:
    """The records one exporting system writes into one folder."""

    feed: Feed
    folder: str  # relative to out_dir
    records: list[Record]
    municipality: Municipality | None = None


@dataclass
class PlannedFile:
    stream: Stream
    period: Period
    entries: list[Record]
    export_at: datetime
    fmt: str = "csv"
    style: FileStyle = field(default_factory=lambda: FileStyle(feed="pos", fmt="csv"))
    broken_kinds: dict[str, str] = field(default_factory=dict)  # appeal_id → broken kind

    @property
    def feed(self) -> Feed:
        return self.stream.feed

    @property
    def relpath(self) -> str:
        return f"{self.stream.folder}/{self.feed}_{self.period.label}.{self.fmt}"


def _rng(seed: int, *parts: object) -> random.Random:
    """An independent, reproducible stream per concern (string seeds hash with SHA-512, not ``hash()``)."""
    return random.Random(":".join(str(p) for p in (seed, *parts)))


def _validate(split: str, formats: str, dirty_rate: float, rows: int, date_from: date, date_to: date) -> None:
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    if formats not in FORMATS:
        raise ValueError(f"formats must be one of {FORMATS}, got {formats!r}")
    if not 0.0 <= dirty_rate <= 1.0:
        raise ValueError(f"dirty_rate must be within [0, 1], got {dirty_rate!r}")
    if rows < 0:
        raise ValueError(f"rows must be >= 0, got {rows!r}")
    if date_from > date_to:
        raise ValueError(f"date_from {date_from} is after date_to {date_to}")


def _feed_counts(rows: int) -> dict[Feed, int]:
    register = round(rows * FEED_SHARES["register"])
    pos = round(rows * FEED_SHARES["pos"])
    return {"register": register, "pos": pos, "incident": max(0, rows - register - pos)}


def _broken_count(feed: Feed, count: int, dirty_rate: float, rng: random.Random) -> int:
    if dirty_rate <= 0 or count == 0:
        return 0
    return max(len(BROKEN_KINDS[feed]), stochastic_round(count * dirty_rate, rng))


def _plan_stream(stream: Stream, all_periods: list[Period], rng: random.Random) -> list[PlannedFile]:
    """Assign records to period files, adding re-exports of earlier records whose state has changed."""
    starts = [p.start for p in all_periods]
    buckets: list[list[Record]] = [[] for _ in all_periods]
    for record in stream.records:
        buckets[bisect_right(starts, record.period_day) - 1].append(record)
    last_export: dict[str, datetime] = {}
    pending: list[Record] = []
    planned = []
    for period, base in zip(all_periods, buckets, strict=True):
        t = export_time(period, stream.feed, all_periods[-1].end)
        changed = [r for r in pending if r.signature(t) != r.signature(last_export[r.appeal_id])]
        repeats = rng.sample(changed, min(len(changed), stochastic_round(REEXPORT_SHARE * len(base), rng)))
        entries = sorted(base + repeats, key=lambda r: (r.period_day, r.appeal_id))
        if not entries:
            continue
        for record in entries:
            last_export[record.appeal_id] = t
        pending = [
            r for r in (*pending, *(r for r in base if not r.broken)) if last_export[r.appeal_id] < r.final_at
        ]
        planned.append(PlannedFile(stream, period, entries, t))
    return planned


def unresolved_allowed(clean_rows: int) -> int:
    """How many rows with an unresolvable territory a ПОС or incident file of ``clean_rows`` may have."""
    return clean_rows * UNRESOLVED_PER_MILLE // 1000


def _bound_unresolved(files: list[PlannedFile], world: World, rng: random.Random) -> None:
    """Keep every ПОС and incident file within :func:`unresolved_allowed`; then, with messiness on, make sure
    each kind occurs at least once where some file allows it.

    Files are visited in order; a file over its bound gets the resolvable territory of a random few of its
    unresolvable records back (which only lowers the counts of the other files those records appear in).
    Records are drawn without regard to files (:mod:`sampling`), so the other data do not change.
    """
    for feed, kind in TERRITORY_UNMAPPED.items():
        planned = [cast(list[PosMessage | Incident], f.entries) for f in files if f.feed == feed]
        allowed = [unresolved_allowed(sum(1 for r in entries if not r.broken)) for entries in planned]
        for entries, limit in zip(planned, allowed, strict=True):
            unresolved = [r for r in entries if r.unmapped == kind]
            for record in rng.sample(unresolved, max(0, len(unresolved) - limit)):
                restore_territory(record)
        if world.dirty_rate <= 0 or any(r.unmapped == kind for entries in planned for r in entries):
            continue
        # none left: one record all of whose files allow one (none of them has any now)
        tight = {r.appeal_id for entries, n in zip(planned, allowed, strict=True) if n == 0 for r in entries}
        candidates = {
            r.appeal_id: r
            for entries in planned
            for r in entries
            if r.appeal_id not in tight and can_make_unresolvable(r)
        }
        if candidates:
            make_unresolvable(rng.choice(list(candidates.values())), world, rng)


def _title_lines(planned: PlannedFile, count: int) -> tuple[str, ...]:
    period, feed = planned.period, planned.feed
    span = f"{period.start:%d.%m.%Y} - {period.end:%d.%m.%Y}"
    if feed == "register":
        name = planned.stream.municipality.name if planned.stream.municipality else ""
        lines = (f"Реестр обращений граждан ({name})", f"за период {span}")
    elif feed == "pos":
        lines = (
            "Выгрузка сообщений Платформы обратной связи",
            f"Сформировано: {planned.export_at:%d.%m.%Y %H:%M}",
        )
    else:
        lines = ("Инцидент Менеджмент. Реестр инцидентов", f"Период: {span}")
    return lines[:count]


def _assign_broken_kinds(files: list[PlannedFile], rng: random.Random) -> None:
    """Give every broken record a kind its file allows; every kind at least once per feed where possible."""
    for feed in FEEDS:
        slots = [(f, r) for f in files if f.feed == feed for r in f.entries if r.broken]
        rng.shuffle(slots)
        unassigned = list(slots)
        for kind in BROKEN_KINDS[feed]:
            for slot in unassigned:
                if applicable(kind, slot[0].fmt, feed):
                    slot[0].broken_kinds[slot[1].appeal_id] = kind
                    unassigned.remove(slot)
                    break
        for planned, record in unassigned:
            kinds = [k for k in BROKEN_KINDS[feed] if applicable(k, planned.fmt, feed)]
            planned.broken_kinds[record.appeal_id] = rng.choice(kinds)


def _render(planned: PlannedFile, seed: int) -> tuple[bytes, int, list[dict[str, Any]]]:
    """File bytes, data row count, and quarantine entries for one planned file."""
    style, t = planned.style, planned.export_at
    rng = _rng(seed, "cells", planned.relpath)
    formatter = Formatter(style, rng, t)
    table: list[list[Cell]] = [[] for _ in range(style.empty_rows)]
    table += [[line] for line in style.title_lines]
    table.append(list(formatter.header()))
    quarantine = []
    data_rows = 0
    for record in planned.entries:
        kind = planned.broken_kinds.get(record.appeal_id) if record.broken else None
        for row in record.rows(t):
            if kind is not None:
                break_row(row, kind, planned.feed, rng)
            table.append(formatter.cells(row, drop_cell=kind == "missing_cell"))
            data_rows += 1
            if kind is not None:
                quarantine.append(
                    {
                        "path": planned.relpath,
                        "feed": planned.feed,
                        "row_number": len(table),
                        "kind": kind,
                        "appeal_id": record.appeal_id,
                    }
                )
    if style.fmt == "xlsx":
        sheet = rng.choice(SHEET_NAMES[planned.feed])
        data = xlsx_bytes(table, sheet_name=sheet, created=t)
    else:
        data = csv_bytes(table, encoding=style.encoding, delimiter=style.delimiter)
    return data, data_rows, quarantine


def _duplicate_name(relpath: str, rng: random.Random) -> str:
    stem, ext = relpath.rsplit(".", 1)
    return f"{stem}{rng.choice(('_copy', '_повторно', '_2'))}.{ext}"


def _write_organizations(path: Path, municipalities: list[Municipality]) -> None:
    rows = sorted(build_directory(municipalities), key=lambda o: (o.oktmo, o.level != "регион", o.name))
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [";".join(ORGANIZATIONS_HEADER)] + [f"{o.name};{o.oktmo};{o.level}" for o in rows]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-8"))


def generate(
    out_dir: Path,
    territories: Sequence[str],
    date_from: date,
    date_to: date,
    *,
    rows: int = 5000,
    dirty_rate: float = 0.02,
    seed: int = 0,
    split: str = "month",
    formats: str = "mixed",
) -> GenerationSummary:
    """Write a landing folder of synthetic ПОС, incident and register exports plus ``_truth/``.

    ``rows`` is the approximate number of logical appeals across the three feeds (register 45 %, ПОС 40 %,
    incidents 15 %). Same arguments and seed give byte-identical files. See the package docstring for details.
    """
    _validate(split, formats, dirty_rate, rows, date_from, date_to)
    out_dir = Path(out_dir)
    municipalities = resolve_territories(territories)
    directory = build_directory(municipalities)
    world = World(municipalities, directory, date_from, date_to, dirty_rate)
    counts = _feed_counts(rows)
    count_rng = _rng(seed, "counts")
    broken = {feed: _broken_count(feed, counts[feed], dirty_rate, count_rng) for feed in FEEDS}

    register = RegisterSampler(world, _rng(seed, "register")).sample(counts["register"], broken["register"])
    pos = PosSampler(world, _rng(seed, "pos")).sample(counts["pos"], broken["pos"])
    incidents = IncidentSampler(world, _rng(seed, "incident")).sample(counts["incident"], broken["incident"])

    streams = [
        Stream("register", f"register/{m.oktmo}", [r for r in register if r.body == m.oktmo], m)
        for m in municipalities
    ]
    streams += [Stream("pos", "pos", list(pos)), Stream("incident", "incident", list(incidents))]
    all_periods = periods(date_from, date_to, split)
    files = [
        planned
        for stream in streams
        for planned in _plan_stream(stream, all_periods, _rng(seed, "reexport", stream.folder))
    ]
    _bound_unresolved(files, world, _rng(seed, "unresolved"))

    format_rng = _rng(seed, "format")
    for planned in files:
        if formats == "mixed":
            planned.fmt = "xlsx" if format_rng.random() < XLSX_SHARE[planned.feed] else "csv"
        else:
            planned.fmt = formats
    regional = [
        i
        for i, f in enumerate(files)
        if f.feed == "register" and any(getattr(r, "origin", "") == "regional_admin" for r in f.entries)
    ]
    styles = messiness.plan_styles(
        [(f.feed, f.fmt) for f in files], dirty_rate, _rng(seed, "styles"), {"origin_abbrev": regional}
    )
    for planned, style in zip(files, styles, strict=True):
        if style.title_lines:
            style.title_lines = _title_lines(planned, len(style.title_lines))
        planned.style = style
    _assign_broken_kinds(files, _rng(seed, "broken"))

    file_rows: list[dict[str, Any]] = []
    quarantine: list[dict[str, Any]] = []
    last: dict[str, tuple[datetime, str, int]] = {}  # appeal_id → (export time, file, versions)
    written: list[str] = []
    rows_written = dict.fromkeys(FEEDS, 0)
    broken_rows = dict.fromkeys(FEEDS, 0)
    dup_rng = _rng(seed, "duplicates")
    for planned in files:
        data, data_rows, bad = _render(planned, seed)
        target = out_dir / planned.relpath
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        written.append(planned.relpath)
        quarantine += bad
        rows_written[planned.feed] += data_rows
        broken_rows[planned.feed] += len(bad)
        style = planned.style
        entry = {
            "path": planned.relpath,
            "feed": planned.feed,
            "body": planned.stream.municipality.oktmo if planned.stream.municipality else "",
            "period": planned.period.label,
            "format": planned.fmt,
            "encoding": style.encoding if planned.fmt == "csv" else "",
            "delimiter": encode_delimiter(style.delimiter) if planned.fmt == "csv" else "",
            "title_lines": len(style.title_lines),
            "header_row": style.header_row,
            "rows_written": data_rows,
            "broken_rows": len(bad),
            "is_duplicate_of": "",
            "messiness": ";".join(style.kinds),
            "sha256": hashlib.sha256(data).hexdigest(),
        }
        file_rows.append(entry)
        if style.duplicate:
            copy = _duplicate_name(planned.relpath, dup_rng)
            (out_dir / copy).write_bytes(data)
            written.append(copy)
            file_rows.append({**entry, "path": copy, "is_duplicate_of": planned.relpath})
        t = planned.export_at
        for record in planned.entries:
            if not record.broken:
                versions = last[record.appeal_id][2] + 1 if record.appeal_id in last else 1
                last[record.appeal_id] = (t, planned.relpath, versions)

    _write_organizations(out_dir / "reference" / "organizations.csv", municipalities)

    appeals: list[dict[str, Any]] = []
    questions: list[dict[str, Any]] = []
    appeal_counts = dict.fromkeys(FEEDS, 0)
    question_counts = dict.fromkeys(FEEDS, 0)
    for record in (*register, *pos, *incidents):
        if record.broken or record.appeal_id not in last:
            continue
        t, path, versions = last[record.appeal_id]
        appeal, record_questions = record.truth(t)
        appeal.update(unmapped=record.unmapped, last_file=path, versions=versions)
        appeals.append(appeal)
        questions += record_questions
        appeal_counts[record.source] += 1
        question_counts[record.source] += len(record_questions)
    appeals.sort(key=lambda a: a["appeal_id"])
    questions.sort(key=lambda q: (q["appeal_id"], q["question_no"]))
    truth_dir = out_dir / TRUTH_DIR
    write_table(truth_dir / "appeals.csv", APPEAL_COLUMNS, appeals)
    write_table(truth_dir / "questions.csv", QUESTION_COLUMNS, questions)
    write_table(truth_dir / "files.csv", FILE_COLUMNS, file_rows)
    write_table(truth_dir / "quarantine.csv", QUARANTINE_COLUMNS, quarantine)
    write_table(
        truth_dir / "topic_crosswalk.csv",
        CROSSWALK_COLUMNS,
        ({"source_code": s, "category": c, "topic_code": t} for s, c, t in vocab.topic_crosswalk()),
    )
    log.info("generated %d files, %d appeals into %s", len(written), len(appeals), out_dir)
    return GenerationSummary(
        out_dir=out_dir,
        appeals=appeal_counts,
        questions=question_counts,
        rows_written=rows_written,
        broken_rows=broken_rows,
        files=tuple(written),
    )

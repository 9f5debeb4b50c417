"""A realistic warehouse of N appeals, written fast: history in monthly exports, then one file set per night.

``generate()`` (``ingestion.generate``) is the project's reference generator: every record has a life cycle,
files are re-exported and messy, and a ground truth is kept. It holds every record in memory and writes
about 4 000 appeals a second, so 10 million appeals would take most of an hour and tens of GB. This module
keeps its distributions but not its cost, the way ``write_register_csv`` does for one register file:

* **Templates.** The generator's own samplers (``RegisterSampler`` per registering body, ``PosSampler`` and
  ``IncidentSampler`` over every territory) draw a pool of records; each is rendered by the generator's
  ``Formatter`` in a clean CSV style twice — as exported the morning after it arrived (open) and in its final
  state — into byte templates in which only the record's id and its dates are left open.
* **Streaming.** Every output record picks a template and gets a day and the next id; its dates are the
  template's, shifted to that day. Which template a record of a given day uses is a seeded function of
  (feed, body, day), so any day can be rendered again identically (the nights re-export earlier records).
* **Layout.** 30 registering bodies (every municipality the generator resolves for the Komi Republic,
  Krasnodar Krai and Tomsk Oblast), the ПОС and the incident feed of the same territories; history at
  national volume (about 22 000 appeals on a working day: register 45 %, ПОС 40 %, incidents 15 %, as
  ``generate()`` splits them; weekday and holiday profile of ``vocab``) ending on ``HISTORY_END``, as many
  whole months back as N needs; one file per feed (and body) per month, exported three days after the month
  ends. Each night (``NIGHTS``) brings one day's files: the day's new records (mostly still open) plus
  re-exports of 5 % as many records of the previous 30 days (their newer state), as a real export does.

Rows are clean (no broken rows, no messy files): the benchmark measures the cost of data that passes.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

from ingestion.generate import vocab
from ingestion.generate.contract import COLUMNS, ORGANIZATIONS_HEADER, Feed
from ingestion.generate.core import FEED_SHARES
from ingestion.generate.messiness import Formatter, plan_styles
from ingestion.generate.reference import Municipality, build_directory, resolve_territories
from ingestion.generate.sampling import IncidentSampler, PosSampler, RegisterSampler, World

REGIONS = ("87000000", "03000000", "69000000")  # Коми, Краснодарский край, Томская область: 30 bodies
DAY_APPEALS = 22_000
"""Appeals of one working day at national volume, all feeds."""
WORKING_DAYS_PER_MONTH = 21
HISTORY_END = date(2025, 12, 28)
NIGHTS = (date(2025, 12, 29), date(2025, 12, 30))
"""The nights after the history: the first builds the second copy of the marts, the next is a steady one."""
EXPORT_LAG_DAYS = 3
REEXPORT_SHARE = 0.05
REEXPORT_WINDOW_DAYS = 30
TEMPLATES = 4096  # per feed (ПОС, incidents); registers: REGISTER_TEMPLATES per body
REGISTER_TEMPLATES = 512
ENCODING: dict[Feed, str] = {"register": "cp1251", "pos": "utf-8", "incident": "utf-8"}
ID_COLUMN: dict[Feed, str] = {"register": "№ РК", "pos": "Номер", "incident": "ID инцидента"}
FIRST_ID: dict[Feed, int] = {"pos": 150_000_000, "incident": 40_000_000}
_ID, _ID2 = 1 << 20, (1 << 20) + 1  # slot markers: the record's id, and the ПОС ЕПГУ number
_MARK = "\x01{}\x02"


@dataclass
class _Rows:
    """One rendering of a template: per export row, a ``%``-format and the slots to fill it with."""

    rows: list[tuple[bytes, tuple[int, ...]]]


@dataclass
class _Template:
    final_after: int
    """Whole days from the record's day until it shows its final state."""
    open: _Rows
    final: _Rows


@dataclass
class Stream:
    """The records one exporting system writes: a feed, and a registering body for registers."""

    feed: Feed
    body: str | None
    templates: list[_Template]
    per_day: dict[date, int]
    number_format: str = "{n}"
    first_number: dict[date, int] = field(default_factory=dict)
    """The id (or № РК counter) of the first record of each day."""

    @property
    def key(self) -> str:
        return f"{self.feed}:{self.body or ''}"


@dataclass
class Layout:
    """What the warehouse holds: the streams, the history's months, the nights."""

    appeals: int
    day_appeals: int
    seed: int
    municipalities: list[Municipality]
    streams: list[Stream]
    months: list[tuple[date, date]]
    nights: tuple[date, ...]

    @property
    def history_start(self) -> date:
        return self.months[0][0]

    def history_appeals(self) -> int:
        return sum(n for s in self.streams for d, n in s.per_day.items() if d <= HISTORY_END)

    def night_appeals(self, night: date) -> int:
        return sum(s.per_day.get(night, 0) for s in self.streams)


# -- templates ---------------------------------------------------------------------------------------------


def _anchor(record: object, feed: Feed) -> date:
    if feed == "register":
        return record.registered  # type: ignore[attr-defined]
    if feed == "pos":
        return record.received.date()  # type: ignore[attr-defined]
    return record.registered.date()  # type: ignore[attr-defined]


def _render(
    rows: list[dict], feed: Feed, anchor: date, formatter: Formatter, has_epgu: bool
) -> list[tuple[bytes, tuple[int, ...]]]:
    import csv
    import io
    import re

    kinds = dict(COLUMNS[feed])
    order = formatter.style.order
    rendered = []
    for row in rows:
        cells = formatter.cells(row)
        slots: list[int] = []
        for index, header in enumerate(order):
            value = row.get(header)
            if header == ID_COLUMN[feed]:
                slots.append(_ID)
                cells[index] = _MARK.format(len(slots) - 1)
            elif feed == "pos" and header == "Номер ЕПГУ" and has_epgu:
                slots.append(_ID2)
                cells[index] = _MARK.format(len(slots) - 1)
            elif kinds.get(header) in ("date", "datetime") and value is not None:
                day = value.date() if isinstance(value, datetime) else value
                text = str(cells[index])
                slots.append((day - anchor).days)
                cells[index] = _MARK.format(len(slots) - 1) + text[10:]  # the time of day stays literal
        buffer = io.StringIO()
        csv.writer(buffer, delimiter=";", lineterminator="\r\n").writerow(
            ["" if c is None else c for c in cells]
        )
        pieces = re.split("\x01\\d+\x02", buffer.getvalue())
        fmt = b"%s".join(p.replace("%", "%%").encode(ENCODING[feed]) for p in pieces)
        rendered.append((fmt, tuple(slots)))
    return rendered


def _template(record: object, feed: Feed, formatter: Formatter, *, epgu: bool = False) -> _Template:
    """``epgu``: a ПОС message that also has a Gosuslugi number (``PosSampler.sample`` gives 85 % one)."""
    anchor = _anchor(record, feed)
    final_at: datetime = record.final_at  # type: ignore[attr-defined]
    final_after = max(0, math.ceil((final_at - datetime.combine(anchor, time())).total_seconds() / 86400))
    opened = datetime.combine(anchor + timedelta(days=1), time(6, 0))
    has_epgu = feed == "pos" and epgu
    if feed == "pos":
        record.number = "0"  # type: ignore[attr-defined]
    elif feed == "incident":
        record.incident_id = "0"  # type: ignore[attr-defined]
    return _Template(
        final_after=final_after,
        open=_Rows(_render(record.rows(opened), feed, anchor, formatter, has_epgu)),  # type: ignore[attr-defined]
        final=_Rows(_render(record.rows(datetime(2100, 1, 1)), feed, anchor, formatter, has_epgu)),  # type: ignore[attr-defined]
    )


def _formatter(feed: Feed, seed: int) -> Formatter:
    [style] = plan_styles([(feed, "csv")], 0.0, random.Random(f"{seed}:bench-style:{feed}"))
    return Formatter(style, random.Random(f"{seed}:bench-cells:{feed}"), datetime(2100, 1, 1))


# -- the schedule ------------------------------------------------------------------------------------------


def _day_weight(feed: Feed, day: date) -> float:
    weight = vocab.WEEKDAY_WEIGHTS[feed][day.weekday()]
    if (day.month, day.day) in vocab.HOLIDAYS:
        weight *= vocab.HOLIDAY_FACTOR[feed]
    return weight


def _allocate(total: int, weights: dict, rng: random.Random) -> dict:
    """``total`` split in proportion to ``weights``: floors, then the largest remainders (ties at random)."""
    whole = sum(weights.values())
    if total <= 0 or whole <= 0:
        return dict.fromkeys(weights, 0)
    shares = {k: total * w / whole for k, w in weights.items()}
    counts = {k: int(s) for k, s in shares.items()}
    rest = total - sum(counts.values())
    for key in sorted(shares, key=lambda k: (counts[k] - shares[k], rng.random()))[:rest]:
        counts[key] += 1
    return counts


def _months(appeals: int, day_appeals: int) -> list[tuple[date, date]]:
    count = max(1, math.ceil(appeals / (day_appeals * WORKING_DAYS_PER_MONTH)))
    months = []
    first = HISTORY_END.replace(day=1)
    for _ in range(count):
        following = (first + timedelta(days=32)).replace(day=1)
        months.append((first, min(following - timedelta(days=1), HISTORY_END)))
        first = (first - timedelta(days=1)).replace(day=1)
    return months[::-1]


def plan(
    appeals: int,
    *,
    day_appeals: int = DAY_APPEALS,
    seed: int = 0,
    nights: tuple[date, ...] = NIGHTS,
    bodies: int | None = None,
    say: Callable[[str], None] = lambda _: None,
) -> Layout:
    """The layout of a warehouse of ``appeals`` appeals of history plus ``nights`` of ``day_appeals`` each.

    ``bodies`` keeps only that many registering bodies (territories), taken from the regions in turn: fewer
    files and batches (the smoke test), the same appeals.
    """
    if appeals < 1 or day_appeals < 1:
        raise ValueError("appeals and day_appeals must be positive")
    by_region = [resolve_territories([region]) for region in REGIONS]
    municipalities = [m for group in zip(*by_region, strict=False) for m in group]
    municipalities += [m for group in by_region for m in group if m not in municipalities]
    if bodies is not None:
        if bodies < 1:
            raise ValueError("bodies must be positive")
        municipalities = municipalities[:bodies]
    months = _months(appeals, day_appeals)
    start = months[0][0]
    days = [start + timedelta(days=i) for i in range((HISTORY_END - start).days + 1)]
    rng = random.Random(f"{seed}:bench-plan")
    feed_total = {
        "register": round(appeals * FEED_SHARES["register"]),
        "pos": round(appeals * FEED_SHARES["pos"]),
    }
    feed_total["incident"] = appeals - feed_total["register"] - feed_total["pos"]
    night_total = {feed: round(day_appeals * FEED_SHARES[feed]) for feed in ("register", "pos")}
    night_total["incident"] = day_appeals - night_total["register"] - night_total["pos"]
    body_weight = {
        m.oktmo: {"urban_okrug": 3.0, "municipal_okrug": 1.8, "municipal_district": 1.5}.get(m.kind, 1.0)
        * rng.uniform(0.6, 1.6)
        for m in municipalities
    }
    say(f"drawing record templates with the generator's samplers ({len(municipalities)} bodies)")
    streams: list[Stream] = []
    register_bodies = _allocate(feed_total["register"], body_weight, rng)
    register_nights = _allocate(night_total["register"], body_weight, rng)
    directory = build_directory(municipalities)
    formatter = _formatter("register", seed)
    for municipality in municipalities:
        world = World([municipality], build_directory([municipality]), start, HISTORY_END, 0.0)
        sampler = RegisterSampler(world, random.Random(f"{seed}:bench-register:{municipality.oktmo}"))
        templates = [_template(sampler.one(), "register", formatter) for _ in range(REGISTER_TEMPLATES)]
        per_day = _allocate(
            register_bodies[municipality.oktmo], {d: _day_weight("register", d) for d in days}, rng
        )
        per_day.update(dict.fromkeys(nights, register_nights[municipality.oktmo]))
        streams.append(
            Stream(
                "register",
                municipality.oktmo,
                templates,
                per_day,
                number_format=sampler.number_format[municipality.oktmo],
            )
        )
    world = World(municipalities, directory, start, HISTORY_END, 0.0)
    for feed, sampler_class in (("pos", PosSampler), ("incident", IncidentSampler)):
        sampler = sampler_class(world, random.Random(f"{seed}:bench-{feed}"))
        formatter = _formatter(feed, seed)
        templates = [
            _template(sampler.one(), feed, formatter, epgu=rng.random() < 0.85) for _ in range(TEMPLATES)
        ]
        per_day = _allocate(feed_total[feed], {d: _day_weight(feed, d) for d in days}, rng)
        per_day.update(dict.fromkeys(nights, night_total[feed]))
        streams.append(Stream(feed, None, templates, per_day))
    for stream in streams:  # ids: ПОС and incidents count on across days; registers restart each year
        number = FIRST_ID.get(stream.feed, 1)
        year = None
        for day in sorted(stream.per_day):
            if stream.feed == "register" and day.year != year:
                number, year = 1, day.year
            stream.first_number[day] = number
            number += stream.per_day[day]
    return Layout(appeals, day_appeals, seed, municipalities, streams, months, tuple(nights))


# -- writing -----------------------------------------------------------------------------------------------


class _Days:
    """``dd.mm.yyyy`` bytes of every day the files can name, by offset from a base day."""

    def __init__(self, first: date, last: date) -> None:
        self.base = first - timedelta(days=400)
        count = (last - self.base).days + 800
        self.text = [
            (self.base + timedelta(days=i)).strftime("%d.%m.%Y").encode("ascii") for i in range(count)
        ]

    def index(self, day: date) -> int:
        return (day - self.base).days


def _choices(layout: Layout, stream: Stream, day: date) -> list[int]:
    rng = random.Random(f"{layout.seed}:bench-day:{stream.key}:{day.isoformat()}")
    count = len(stream.templates)
    return [rng.randrange(count) for _ in range(stream.per_day.get(day, 0))]


def _records(
    layout: Layout, stream: Stream, day: date, picked: list[int] | None = None
) -> Iterator[tuple[int, int]]:
    """(template, number) of the records of ``day`` (all, or the ``picked`` positions)."""
    choices = _choices(layout, stream, day)
    first = stream.first_number[day]
    for position in picked if picked is not None else range(len(choices)):
        yield choices[position], first + position


def _header(feed: Feed) -> bytes:
    return (";".join(name for name, _ in COLUMNS[feed]) + "\r\n").encode(ENCODING[feed])


def _write_records(
    handle,
    layout: Layout,
    stream: Stream,
    days: _Days,
    export_day: date,
    items: Iterator[tuple[date, int, int]],
) -> int:
    """Write (day, template, number) records as exported on the morning of ``export_day``; returns rows."""
    text = days.text
    written = 0
    parts: list[bytes] = []
    number_format = stream.number_format
    encoding = ENCODING[stream.feed]
    for day, template_index, number in items:
        template = stream.templates[template_index]
        state = template.final if (export_day - day).days > template.final_after else template.open
        anchor = days.index(day)
        if stream.feed == "register":
            ident = number_format.format(n=number).encode(encoding)
        else:
            ident = b"%d" % number
        epgu = b"%d" % (3_000_000_000 + number)
        for fmt, slots in state.rows:
            parts.append(
                fmt % tuple(ident if s == _ID else epgu if s == _ID2 else text[anchor + s] for s in slots)
            )
            written += 1
        if len(parts) >= 20_000:
            handle.write(b"".join(parts))
            parts.clear()
    handle.write(b"".join(parts))
    return written


def _path(root: Path, stream: Stream, label: str) -> Path:
    if stream.feed == "register":
        return root / "register" / str(stream.body) / f"register_{label}.csv"
    return root / stream.feed / f"{stream.feed}_{label}.csv"


def write_organizations(layout: Layout, landing: Path) -> Path:
    """``reference/organizations.csv``: the directory of every body of the layout (as ``generate`` writes it)."""
    rows = sorted(
        build_directory(layout.municipalities), key=lambda o: (o.oktmo, o.level != "регион", o.name)
    )
    path = landing / "reference" / "organizations.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [";".join(ORGANIZATIONS_HEADER)] + [f"{o.name};{o.oktmo};{o.level}" for o in rows]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-8"))
    return path


def write_history(
    layout: Layout, landing: Path, *, say: Callable[[str], None] = lambda _: None
) -> dict[str, int]:
    """The history's monthly exports and the organisations directory into ``landing``; rows per feed."""
    days = _Days(layout.history_start, max(layout.nights))
    write_organizations(layout, landing)
    rows = dict.fromkeys(("register", "pos", "incident"), 0)
    files = 0
    for number, (first, last) in enumerate(layout.months, start=1):
        export_day = min(last + timedelta(days=EXPORT_LAG_DAYS), HISTORY_END + timedelta(days=1))
        span = [first + timedelta(days=i) for i in range((last - first).days + 1)]
        for stream in layout.streams:
            path = _path(landing, stream, first.strftime("%Y-%m"))
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("wb") as handle:
                handle.write(_header(stream.feed))
                items = ((d, t, n) for d in span for t, n in _records(layout, stream, d))
                rows[stream.feed] += _write_records(handle, layout, stream, days, export_day, items)
            files += 1
        say(
            f"history: month {number}/{len(layout.months)} ({first:%Y-%m}) written, {sum(rows.values()):,} rows"
        )
    return rows


def write_night(layout: Layout, night: date, landing: Path) -> dict[str, int]:
    """One night's exports into ``landing``: the day's records and re-exports of earlier ones; rows per feed."""
    days = _Days(layout.history_start, max(layout.nights))
    export_day = night + timedelta(days=1)
    rows = dict.fromkeys(("register", "pos", "incident"), 0)
    for stream in layout.streams:
        rng = random.Random(f"{layout.seed}:bench-reexport:{stream.key}:{night.isoformat()}")
        earlier = [
            (night - timedelta(days=back), position)
            for back in range(1, REEXPORT_WINDOW_DAYS + 1)
            for position in range(stream.per_day.get(night - timedelta(days=back), 0))
        ]
        repeats = sorted(
            rng.sample(earlier, min(len(earlier), round(REEXPORT_SHARE * stream.per_day[night])))
        )
        items: list[tuple[date, int, int]] = []
        by_day: dict[date, list[int]] = {}
        for day, position in repeats:
            by_day.setdefault(day, []).append(position)
        for day, positions in sorted(by_day.items()):
            items += [(day, t, n) for t, n in _records(layout, stream, day, positions)]
        items += [(night, t, n) for t, n in _records(layout, stream, night)]
        path = _path(landing, stream, night.isoformat())
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:
            handle.write(_header(stream.feed))
            rows[stream.feed] += _write_records(handle, layout, stream, days, export_day, iter(items))
    return rows

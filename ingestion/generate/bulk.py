"""A fast, constant-memory writer of one big clean register CSV, for ingestion benchmarks.

Appeals are drawn once into a pool of templates by the regular sampler (so values follow the same
distributions), pre-rendered as encoded CSV fragments, and then streamed: each output appeal picks a
template, a registration day that advances monotonically through the working days of the year, and the next
№ РК. Only the dates and numbers are formatted per row, as bytes.
"""

from __future__ import annotations

import csv
import io
import random
from datetime import date, datetime, timedelta
from pathlib import Path

from ingestion.generate import vocab
from ingestion.generate.contract import headers
from ingestion.generate.reference import build_directory, resolve_territories
from ingestion.generate.sampling import RegisterSampler, World

TEMPLATE_BITS = 12  # 4 096 appeal templates
CHUNK_ROWS = 20_000
BENCH_YEAR = 2024


def _fragment(values: list[object], delimiter: str) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="").writerow(
        ["" if v is None else v for v in values]
    )
    return buffer.getvalue()


def _render_value(value: object) -> object:
    if isinstance(value, bool):
        return "Да" if value else "Нет"
    return value


def write_register_csv(
    path: Path,
    rows: int,
    *,
    seed: int = 0,
    encoding: str = "cp1251",
    territory: str = "87725000",
) -> None:
    """Write ``rows`` data rows (one per question) of a clean 26-column register export to ``path``.

    Semicolon-delimited, CRLF, dates ``dd.mm.yyyy``, registrations on the working days of 2024 in order,
    № РК unique within the year. Memory stays flat whatever ``rows`` is.
    """
    if rows < 0:
        raise ValueError(f"rows must be >= 0, got {rows!r}")
    municipality = resolve_territories([territory])[0]
    world = World(
        [municipality], build_directory([municipality]), date(BENCH_YEAR, 1, 1), date(BENCH_YEAR, 12, 31), 0.0
    )
    sampler = RegisterSampler(world, random.Random(f"{seed}:bulk:{territory}"))
    number_format = sampler.number_format[municipality.oktmo]
    far_future = datetime(BENCH_YEAR + 2, 1, 1)
    delimiter = ";"
    columns = headers("register")

    templates: list[tuple[int, int, int | None, list[tuple[bytes, bytes]]]] = []
    for _ in range(1 << TEMPLATE_BITS):
        appeal = sampler.one()
        registered = appeal.registered
        questions = []
        for row in appeal.rows(far_future):
            values = [_render_value(row[header]) for header in columns]
            middle = _fragment(values[3:16], delimiter).encode(encoding)
            tail = (_fragment(values[19:], delimiter) + "\r\n").encode(encoding)
            questions.append((middle, tail))
        extended = (appeal.extended_to - registered).days if appeal.extended_to else None
        answered = (appeal.answered - registered).days
        templates.append(((registered - appeal.received).days, answered, extended, questions))

    base = date(BENCH_YEAR - 1, 12, 1)
    day_bytes = [(base + timedelta(days=i)).strftime("%d.%m.%Y").encode("ascii") for i in range(520)]
    workdays = [
        (day - base).days
        for day in (date(BENCH_YEAR, 1, 1) + timedelta(days=i) for i in range(366))
        if day.year == BENCH_YEAR and day.weekday() < 5 and (day.month, day.day) not in vocab.HOLIDAYS
    ]
    prefix = number_format.split("{n", 1)[0].encode(encoding)
    suffix = number_format.split("}", 1)[1].encode(encoding)
    padded = ":05d" in number_format
    rng = random.Random(f"{seed}:bulk-stream")
    getrandbits = rng.getrandbits
    n_workdays = len(workdays)
    written = 0
    number = 0
    with Path(path).open("wb") as handle:
        handle.write((delimiter.join(columns) + "\r\n").encode(encoding))
        parts: list[bytes] = []
        while written < rows:
            received_back, answered_after, extended_after, questions = templates[getrandbits(TEMPLATE_BITS)]
            number += 1
            reg = workdays[written * n_workdays // rows]
            head = b"%s%s%s;%s;%s;" % (
                prefix,
                b"%05d" % number if padded else b"%d" % number,
                suffix,
                day_bytes[reg],
                day_bytes[reg - received_back],
            )
            dates = b";%s;%s;%s;" % (
                day_bytes[reg + 30],
                day_bytes[reg + extended_after] if extended_after is not None else b"",
                day_bytes[reg + answered_after],
            )
            for middle, tail in questions:
                parts += (head, middle, dates, tail)
                written += 1
                if written == rows:
                    break
            if len(parts) >= 4 * CHUNK_ROWS:
                handle.write(b"".join(parts))
                parts.clear()
        handle.write(b"".join(parts))

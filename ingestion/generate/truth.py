"""Ground truth: what ingestion should end up with, written to ``<out_dir>/_truth/`` (UTF-8 CSV, comma).

Files:

* ``appeals.csv`` — one row per logical appeal in its newest exported version; broken rows excluded; rows of a
  duplicated file counted once; spam incidents included with ``is_spam=true``.
* ``questions.csv`` — one row per question (ПОС messages and incidents have one question whose topic is the
  crosswalked classifier code of the category/rubric, or ``unclassified``).
* ``files.csv`` — every data file written, with its format, encoding, delimiter, title lines and counts.
* ``quarantine.csv`` — every broken row: file, 1-based row (line) number in the file, kind.
* ``topic_crosswalk.csv`` — the ПОС category / incident rubric → classifier code mapping the truth uses.

Values: booleans ``true``/``false``, unknown empty; dates ``YYYY-MM-DD``; timestamps
``YYYY-MM-DD HH:MM:SS`` in the territory's local time (registers carry dates only: midnight).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

TRUTH_DIR = "_truth"

APPEAL_COLUMNS: tuple[str, ...] = (
    "appeal_id",
    "source_code",
    "source_record_id",
    "received_date",
    "registered_at",
    "answered_at",
    "due_at",
    "oktmo",
    "channel_code",
    "origin_code",
    "appeal_type",
    "form",
    "is_official_appeal",
    "is_collective",
    "is_repeat",
    "is_spam",
    "question_count",
    "final_result_code",
    "satisfaction",
    "rating",
    "category_or_rubric",
    # extras beyond the brief
    "territory_oktmo",
    "on_control",
    "unmapped",
    "last_file",
    "versions",
)
QUESTION_COLUMNS: tuple[str, ...] = (
    "appeal_id",
    "question_no",
    "topic_code",
    "result_code",
    "measures_taken",
    "by_commission",
    "on_site",
    "with_applicant",
    "received_by",
)
FILE_COLUMNS: tuple[str, ...] = (
    "path",
    "feed",
    "body",
    "period",
    "format",
    "encoding",
    "delimiter",
    "title_lines",
    "header_row",
    "rows_written",
    "broken_rows",
    "is_duplicate_of",
    "messiness",
    "sha256",
)
QUARANTINE_COLUMNS: tuple[str, ...] = ("path", "feed", "row_number", "kind", "appeal_id")
CROSSWALK_COLUMNS: tuple[str, ...] = ("source_code", "category", "topic_code")


def format_value(value: Any) -> str:
    """A truth cell: canonical, locale-free text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def encode_delimiter(delimiter: str) -> str:
    """Delimiters as written in ``files.csv``: ``;``, ``,`` or ``\\t`` (backslash-t) for tab."""
    return "\\t" if delimiter == "\t" else delimiter


def decode_delimiter(text: str) -> str:
    return "\t" if text == "\\t" else text


def write_table(path: Path, columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> int:
    """Write a truth table; returns the number of data rows."""
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([format_value(row.get(column)) for column in columns])
            count += 1
    return count


def read_table(path: Path) -> list[dict[str, str]]:
    """Read a truth table back (for tests and checks)."""
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))

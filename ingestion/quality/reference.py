"""Reference values the batch views look values up in, loaded from the project's reference files.

The gate refreshes ``quality.reference_values`` and ``quality.reference_territories`` (migration V004)
before it validates, when the files changed since the last refresh (their sha256 is recorded in
``quality.reference_sources``): the classifier and the ОКТМО list (``dbt_project/seeds/reference``) and the
crosswalk seeds whose spellings dbt maps (``dbt_project/seeds/crosswalks``). The same files are dbt's seeds,
so the gate accepts exactly what the models can resolve.
"""

from __future__ import annotations

import csv
import hashlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg

from ingestion.settings import Settings, load_settings

log = logging.getLogger(__name__)

_LOCK_KEY = 0x5152_4546  # "QREF": one refresh at a time per database


@dataclass(frozen=True)
class Vocabulary:
    """Values of one column of a reference file: ``vocabulary`` → the values of ``column`` (non-empty)."""

    vocabulary: str
    source: str  # relative to dbt_project/seeds
    column: str
    oktmo_column: str | None = None


VOCABULARIES: tuple[Vocabulary, ...] = (
    Vocabulary("classifier", "reference/classifier.csv", "code"),
    Vocabulary("municipality_alias", "crosswalks/municipality_aliases.csv", "spelling", "oktmo"),
    Vocabulary("pos_stage", "crosswalks/pos_results.csv", "stage"),
    Vocabulary("pos_decision", "crosswalks/pos_results.csv", "decision_type"),
    Vocabulary("pos_category", "crosswalks/pos_category_topics.csv", "category"),
    Vocabulary("incident_status", "crosswalks/incident_results.csv", "status"),
    Vocabulary("incident_rubric", "crosswalks/incident_rubric_topics.csv", "rubric"),
)
TERRITORIES_SOURCE = "reference/oktmo_municipalities.csv"


def seeds_dir(settings: Settings | None = None) -> Path:
    return (settings or load_settings()).dbt_project_dir / "seeds"


def _sources() -> list[str]:
    return sorted({v.source for v in VOCABULARIES} | {TERRITORIES_SOURCE})


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _rows(path: Path) -> Iterator[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        yield from csv.DictReader(handle)


def refresh_reference(conn: psycopg.Connection, seeds: Path | None = None) -> bool:
    """Bring the reference tables up to date with the files; returns True when they were reloaded.

    ``conn`` must be in autocommit mode; the refresh is one transaction, serialised across processes.
    """
    seeds = seeds or seeds_dir()
    wanted = {source: _sha256(seeds / source) for source in _sources()}
    if _loaded(conn) == wanted:
        return False
    with conn.transaction():
        conn.execute("select pg_advisory_xact_lock(%s)", [_LOCK_KEY])
        if _loaded(conn) == wanted:  # refreshed meanwhile by another run
            return False
        log.info("refreshing the quality gate's reference values from %s", seeds)
        conn.execute("delete from quality.reference_values")
        conn.execute("delete from quality.reference_territories")
        conn.execute("delete from quality.reference_sources")
        counts = _copy_values(conn, seeds) | _copy_territories(conn, seeds)
        _derive_keys(conn)
        for source, sha in wanted.items():
            conn.execute(
                "insert into quality.reference_sources (source, sha256, rows) values (%s, %s, %s)",
                [f"dbt_project/seeds/{source}", sha, counts.get(source, 0)],
            )
    return True


def _loaded(conn: psycopg.Connection) -> dict[str, str]:
    rows = conn.execute("select source, sha256 from quality.reference_sources").fetchall()
    return {source.removeprefix("dbt_project/seeds/"): sha for source, sha in rows}


def _copy_values(conn: psycopg.Connection, seeds: Path) -> dict[str, int]:
    counts: dict[str, int] = {}
    seen: set[tuple[str, str]] = set()
    with (
        conn.cursor() as cur,
        cur.copy("copy quality.reference_values (vocabulary, value, oktmo) from stdin") as copy,
    ):
        for vocabulary in VOCABULARIES:
            for row in _rows(seeds / vocabulary.source):
                value = (row.get(vocabulary.column) or "").strip()
                if not value or (vocabulary.vocabulary, value) in seen:
                    continue
                seen.add((vocabulary.vocabulary, value))
                oktmo = None
                if vocabulary.oktmo_column:
                    oktmo = (row.get(vocabulary.oktmo_column) or "").strip()[:8] or None
                copy.write_row((vocabulary.vocabulary, value, oktmo))
                counts[vocabulary.source] = counts.get(vocabulary.source, 0) + 1
    return counts


def _copy_territories(conn: psycopg.Connection, seeds: Path) -> dict[str, int]:
    count = 0
    with (
        conn.cursor() as cur,
        cur.copy("copy quality.reference_territories (oktmo, name) from stdin") as copy,
    ):
        for row in _rows(seeds / TERRITORIES_SOURCE):
            copy.write_row((row["oktmo"].strip(), row["name"].strip()))
            count += 1
    return {TERRITORIES_SOURCE: count}


def _derive_keys(conn: psycopg.Connection) -> None:
    """Look-up keys and territory levels, computed by the database's own functions (the ones the views use)."""
    conn.execute("update quality.reference_values set value_key = quality.normalise_key(value)")
    # the levels as dbt's int_territories derives them: group headings of the list are no territories
    conn.execute(
        r"""
        update quality.reference_territories set territory_level = case
            when oktmo ~ '^\d{2}000000$' then 'region'
            when name ~ '^(Муниципальные |Городские округа|Городские поселения|Сельские поселения|Межселенн|Внутригородские)'
                then null
            when right(oktmo, 3) = '000' then 'municipality'
            else 'settlement'
        end
        """
    )
    conn.execute(
        "update quality.reference_territories"
        " set name_key = quality.normalise_key(name), place_key = quality.place_name_key(name)"
        " where territory_level = 'municipality'"
    )
    conn.execute("analyze quality.reference_values")
    conn.execute("analyze quality.reference_territories")

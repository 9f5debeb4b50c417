"""Ingest a landing folder: every new export file, organisations first, each file in its own transaction."""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from pathlib import Path

import psycopg

from ingestion.landing import discover
from ingestion.load import LoadResult, load_file
from ingestion.pseudonymise import Pseudonymiser, load_key
from ingestion.territory import Organizations
from ingestion.warehouse.connection import warehouse_dsn
from ingestion.warehouse.migrate import migrate

log = logging.getLogger(__name__)


def known_organizations(conn: psycopg.Connection) -> Organizations:
    """Names → ОКТМО from the newest delivered version of each organisation."""
    rows = conn.execute(
        "select distinct on (name) name, oktmo from raw.organizations_rows"
        " order by name, batch_id desc, source_row_number desc"
    ).fetchall()
    return Organizations(dict(rows))


def ingest_landing(
    landing: Path,
    dsn: str | None = None,
    on_file: Callable[[LoadResult], None] | None = None,
    feeds: Collection[str] | None = None,
) -> list[LoadResult]:
    """Load everything new under ``landing`` (of ``feeds``, default all); one result per file, in load order."""
    dsn = dsn or warehouse_dsn()
    migrate(dsn)
    files = [f for f in discover(landing) if not feeds or f.feed in feeds]
    log.info("%d export file(s) in %s", len(files), landing)
    pseudonymiser = Pseudonymiser(load_key())
    results: list[LoadResult] = []
    with psycopg.connect(dsn, autocommit=True) as conn:
        organizations = known_organizations(conn)
        for file in files:  # organisations come first: the other feeds resolve bodies through them
            result = load_file(conn, file, pseudonymiser, organizations)
            if file.feed == "organizations" and result.status == "loaded":
                organizations = known_organizations(conn)
            results.append(result)
            if on_file:
                on_file(result)
    return results

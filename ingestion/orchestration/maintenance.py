"""Warehouse maintenance: statistics, the retention policy, the documentation sites.

    analyze(dsn)                                   ANALYZE every table of raw, audit and marts
    report = apply_retention(dsn, superseded_days=90, audit_days=180)
    print(report.summary())
    refresh_docs(dsn)                              dbt docs (every mart and column) and GX Data Docs

The retention policy (docs/orchestration.md, "Retention"):

1. **Superseded raw versions.** Every delivery of a record (an appeal, a ПОС message, an incident: dbt's
   ``appeal_id``) is kept in raw as a version; the marts use the newest (highest batch). A version is
   deleted when a newer version of the same record is in a *published* batch that was loaded more than
   ``superseded_days`` ago. So the newest version of a record is never deleted, nor is any version that
   the published marts or the next build can use: a full refresh of the marts from the batches that are
   left picks the same newest versions and rebuilds the same marts, and incremental builds never read
   batches at or below their watermark. Records are told apart by dbt's own staging views
   (``staging.stg_*``): the natural key (``register:<body>:<year>:<№ РК>``) is computed in one place.
   The organisations directory is never trimmed: its snapshots make the history of every body.
2. **Quarantine and rejected files.** Rows of ``audit.quarantine`` and the raw rows of *rejected* batches
   are deleted ``audit_days`` after the file was loaded; so are ``audit.validation_results`` and the GX
   validation result files of that age. They hold personal data that nobody uses once the file has been
   dealt with.
3. **Never deleted:** ``audit.load_batches`` (it is what makes a file load once: its sha256 and status, its
   counts as loaded, the gate's summary), ``audit.publications``, and the rows of any batch that is
   ``loaded`` or ``validated`` but not yet published. Each deletion is recorded in the batch's
   ``details -> 'retention'`` (rows deleted, when), so that "rows loaded" and what raw still holds can be
   reconciled.

Retention holds the publish lock while it deletes: it never runs beside a build (a build waits, or is
retried, until it is done).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql

from ingestion.publish import PUBLISH_LOCK

log = logging.getLogger(__name__)

ANALYZED_SCHEMAS = ("raw", "audit", "marts")
LOCK_WAIT = "30min"
"""How long maintenance waits for a running build to finish before it gives up (and is retried)."""

# Staging view of each versioned feed: one row per raw row of a usable batch, with dbt's appeal_id.
VERSIONED_FEEDS = {
    "pos": ("stg_pos__messages", "pos_rows"),
    "incident": ("stg_incident__incidents", "incident_rows"),
    "register": ("stg_register__questions", "register_rows"),
}
RAW_TABLES = {
    "organizations": "organizations_rows",
    "pos": "pos_rows",
    "incident": "incident_rows",
    "register": "register_rows",
}


@dataclass
class RetentionReport:
    """What one retention run deleted."""

    superseded_days: int
    audit_days: int
    superseded_rows: dict[str, int] = field(default_factory=dict)
    """Raw rows of superseded versions, by feed."""
    rejected_rows: dict[str, int] = field(default_factory=dict)
    """Raw rows of rejected batches, by feed."""
    quarantined_rows: int = 0
    validation_results: int = 0
    gx_result_files: int = 0
    not_done: list[str] = field(default_factory=list)
    """Parts that could not run, and why (e.g. dbt has not built the staging views yet)."""
    seconds: float = 0.0

    def summary(self) -> str:
        superseded = sum(self.superseded_rows.values())
        rejected = sum(self.rejected_rows.values())
        line = (
            f"retention: {superseded} superseded raw row(s) deleted (published newer versions older than"
            f" {self.superseded_days} days), {rejected} row(s) of rejected files, {self.quarantined_rows}"
            f" quarantined row(s), {self.validation_results} validation result(s), {self.gx_result_files}"
            f" GX result file(s) (older than {self.audit_days} days)  {self.seconds:.1f} s"
        )
        if self.not_done:
            line += "; not done: " + "; ".join(self.not_done)
        return line

    def as_dict(self) -> dict[str, object]:
        return {
            "superseded_rows": self.superseded_rows,
            "rejected_rows": self.rejected_rows,
            "quarantined_rows": self.quarantined_rows,
            "validation_results": self.validation_results,
            "gx_result_files": self.gx_result_files,
            "not_done": self.not_done,
            "seconds": round(self.seconds, 2),
        }


@contextmanager
def publish_lock(dsn: str, wait: str = LOCK_WAIT) -> Iterator[psycopg.Connection]:
    """Hold the publish lock (``ingestion.publish``): no build or publish runs meanwhile.

    Waits up to ``wait`` for a running build; then ``psycopg.errors.LockNotAvailable`` (a transient error:
    the task is retried later)."""
    with psycopg.connect(dsn, autocommit=True, application_name="appeals maintenance") as conn:
        conn.execute(sql.SQL("set lock_timeout = {}").format(sql.Literal(wait)))
        conn.execute("select pg_advisory_lock(%s, %s)", PUBLISH_LOCK)
        conn.execute("set lock_timeout = 0")
        try:
            yield conn
        finally:
            conn.execute("select pg_advisory_unlock(%s, %s)", PUBLISH_LOCK)


def analyze(dsn: str, schemas: tuple[str, ...] = ANALYZED_SCHEMAS) -> list[str]:
    """ANALYZE every table of ``schemas`` (fresh statistics after a night's loads and the marts swap)."""
    with psycopg.connect(dsn, autocommit=True, application_name="appeals maintenance") as conn:
        tables = conn.execute(
            "select schemaname, tablename from pg_tables where schemaname = any(%s) order by 1, 2",
            [list(schemas)],
        ).fetchall()
        for schema, table in tables:
            started = time.monotonic()
            conn.execute(sql.SQL("analyze {}.{}").format(sql.Identifier(schema), sql.Identifier(table)))
            log.info("analyze %s.%s  %.2f s", schema, table, time.monotonic() - started)
    return [f"{schema}.{table}" for schema, table in tables]


def apply_retention(
    dsn: str,
    *,
    superseded_days: int,
    audit_days: int,
    gx_results_dir: Path | None = None,
    lock_wait: str = LOCK_WAIT,
) -> RetentionReport:
    """Apply the retention policy of the module docstring; returns what was deleted."""
    started = time.monotonic()
    report = RetentionReport(superseded_days=superseded_days, audit_days=audit_days)
    with publish_lock(dsn, lock_wait) as conn:
        for feed, (view, table) in VERSIONED_FEEDS.items():
            if conn.execute("select to_regclass(%s)", [f"staging.{view}"]).fetchone()[0] is None:
                report.not_done.append(
                    f"superseded {feed} versions: staging.{view} does not exist (no dbt build yet)"
                )
                continue
            with conn.transaction():
                report.superseded_rows[feed] = _delete_superseded(conn, view, table, superseded_days)
        for feed, table in RAW_TABLES.items():
            with conn.transaction():
                report.rejected_rows[feed] = _delete_rejected_rows(conn, feed, table, audit_days)
        with conn.transaction():
            report.quarantined_rows = _delete_recorded(
                conn,
                "delete from audit.quarantine where quarantined_at < now() - make_interval(days => %(days)s)"
                " returning batch_id",
                "quarantined_rows_deleted",
                audit_days,
            )
        with conn.transaction():
            report.validation_results = _delete_recorded(
                conn,
                "delete from audit.validation_results where validated_at < now() - make_interval(days => %(days)s)"
                " returning batch_id",
                "validation_results_deleted",
                audit_days,
            )
    if gx_results_dir is not None:
        report.gx_result_files = delete_old_files(gx_results_dir, audit_days)
    report.seconds = time.monotonic() - started
    log.info("%s", report.summary())
    return report


def _delete_superseded(conn: psycopg.Connection, view: str, table: str, days: int) -> int:
    query = sql.SQL(
        """
        with versions as (
            select appeal_id, batch_id, source_row_number from staging.{view}
        ),
        superseding as (
            -- per record, its newest version in a batch published and loaded more than `days` ago
            select v.appeal_id, max(v.batch_id) as batch_id
            from versions as v
            join audit.load_batches as b using (batch_id)
            where b.status = 'published'
                and coalesce(b.finished_at, b.started_at) < now() - make_interval(days => %(days)s)
            group by v.appeal_id
        ),
        doomed as (
            select v.batch_id, v.source_row_number
            from versions as v
            join superseding as s using (appeal_id)
            where v.batch_id < s.batch_id
        ),
        deleted as (
            delete from raw.{table} as r
            using doomed as d
            where r.batch_id = d.batch_id and r.source_row_number = d.source_row_number
            returning r.batch_id
        )
        select batch_id from deleted
        """
    ).format(view=sql.Identifier(view), table=sql.Identifier(table))
    batches = [row[0] for row in conn.execute(query, {"days": days})]
    return _record(conn, batches, "superseded_rows_deleted")


def _delete_rejected_rows(conn: psycopg.Connection, feed: str, table: str, days: int) -> int:
    query = sql.SQL(
        """
        delete from raw.{table} as r
        using audit.load_batches as b
        where r.batch_id = b.batch_id and b.feed = %(feed)s and b.status = 'rejected'
            and b.started_at < now() - make_interval(days => %(days)s)
        returning r.batch_id
        """
    ).format(table=sql.Identifier(table))
    batches = [row[0] for row in conn.execute(query, {"feed": feed, "days": days})]
    return _record(conn, batches, "rejected_rows_deleted")


def _delete_recorded(conn: psycopg.Connection, delete: str, key: str, days: int) -> int:
    batches = [row[0] for row in conn.execute(delete, {"days": days})]
    return _record(conn, batches, key)


def _record(conn: psycopg.Connection, batches: list[int], key: str) -> int:
    """Add the deleted counts to ``details -> 'retention' -> key`` of each batch; returns the total."""
    counts: dict[int, int] = {}
    for batch_id in batches:
        counts[batch_id] = counts.get(batch_id, 0) + 1
    if counts:
        conn.execute(
            """
            update audit.load_batches as b
            set details = jsonb_set(
                b.details, '{retention}',
                coalesce(b.details -> 'retention', '{}'::jsonb)
                    || jsonb_build_object(
                        %(key)s::text, coalesce((b.details -> 'retention' ->> %(key)s)::bigint, 0) + d.rows,
                        'last_deleted_at', now()
                    )
            )
            from unnest(%(ids)s::bigint[], %(rows)s::bigint[]) as d(batch_id, rows)
            where b.batch_id = d.batch_id
            """,
            {"key": key, "ids": list(counts), "rows": list(counts.values())},
        )
    return len(batches)


def delete_old_files(folder: Path, days: int) -> int:
    """Delete files under ``folder`` last modified more than ``days`` ago (and folders left empty)."""
    if not folder.is_dir():
        return 0
    cutoff = time.time() - dt.timedelta(days=days).total_seconds()
    deleted = 0
    for path in sorted(folder.rglob("*"), reverse=True):  # children before their folders
        if path.is_file() and path.stat().st_mtime < cutoff:
            path.unlink()
            deleted += 1
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()
    return deleted


def refresh_docs(dsn: str, *, gate: object | None = None, lock_wait: str = LOCK_WAIT) -> dict[str, str]:
    """Regenerate the dbt documentation site (``dbt docs generate``, as ``appeals docs`` does) and the GX
    Data Docs; returns where they are. Holds the publish lock: dbt writes its target folder, as builds do."""
    from ingestion.settings import load_settings
    from ingestion.transform import DbtError, run_dbt

    with publish_lock(dsn, lock_wait):
        result = run_dbt(["docs", "generate"], dsn)
    if not result.success:
        raise DbtError(
            "dbt docs generate failed:\n" + "\n".join(result.failures or ["see the dbt log above"])
        )
    import os

    target = Path(os.environ.get("DBT_TARGET_PATH") or load_settings().dbt_project_dir / "target")
    if not target.is_absolute():
        target = load_settings().dbt_project_dir / target
    sites = {"dbt_docs": str(target / "index.html")}
    if gate is not None:
        sites["data_docs"] = str(gate.build_data_docs())  # type: ignore[attr-defined]
    return sites

"""Build the marts into a candidate schema, check them, and publish them in one transaction.

    result = publish_marts(dsn)        # dbt build into marts_next → GX mart suites → swap with marts
    print(result.summary())

Analysts read ``marts``; nothing writes there. dbt builds the marts into ``marts_next`` (incremental facts
catch up with the batches validated since that copy was last built), the dbt tests and the GX mart suites
check them there, and only then one transaction renames ``marts`` ↔ ``marts_next``, moves the readers'
``usage`` grant along, and marks the batches it used ``published``. A failure anywhere before the swap
leaves ``marts`` exactly as it was; the attempt is recorded in ``audit.publications`` with the reason.
Why this and not a copy: docs/decisions/0002-publish-by-schema-swap.md.

The candidate is rebuilt from scratch (``--full-refresh``) when it cannot be trusted to be a published
state plus new batches: after an attempt that failed (the candidate holds an unpublished build), when a
batch was validated after a newer one had been published (incremental models read batches newer than
their newest one), and when the dbt project (models, macros, tests, seeds) changed since the candidate was
built (its incremental tables hold rows the old models made).

Otherwise the build is the nightly one, and costs what the night brought, not what the history holds:
the incremental facts and monthly aggregates take the new batches (dbt var ``since_batch``: the newest
batch the candidate's facts held), the dbt tests of the batch-fed models and facts check those rows only
(``dbt_project/macros/new_rows.sql``), the seeds are not reloaded and the unit tests not re-run (the project
is the one they passed with), and the mart suites check the new fact rows and the whole-table totals
(``ingestion.quality.marts_gate``).
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

from ingestion.settings import load_settings
from ingestion.transform import DbtError, DbtResult
from ingestion.transform import build as dbt_build
from ingestion.warehouse.migrate import migrate

if TYPE_CHECKING:
    from ingestion.quality.gate import QualityGate
    from ingestion.quality.marts_gate import MartGateResult

log = logging.getLogger(__name__)

PUBLISHED_SCHEMA = "marts"
CANDIDATE_SCHEMA = "marts_next"
_SPARE_SCHEMA = "marts_swapping"
_SCHEMA_COMMENTS = {
    PUBLISHED_SCHEMA: "The published star schema (read-only for analysts and BI tools).",
    CANDIDATE_SCHEMA: "Candidate marts of the build in progress; swapped with marts when every check passed."
    " Not for analysts.",
}
PUBLISH_LOCK = (0x5055_424C, 1)
"""Advisory lock key (``PUBL``, 1): one build-and-publish at a time per database."""
SWAP_LOCK_TIMEOUT = "30s"


class PublishBusy(RuntimeError):
    """Another run is building or publishing the marts of this warehouse."""


@dataclass
class PublishResult:
    """How one build-and-publish attempt ended (also a row of ``audit.publications``)."""

    publication_id: int
    published: bool
    full_refresh: bool
    full_refresh_reason: str | None
    batch_ceiling: int | None
    """The newest load batch the build used: batches validated later wait for the next run."""
    batches_published: int = 0
    appeals: int | None = None
    """Rows of ``marts.fct_appeals`` after the attempt (unchanged when not published)."""
    previous_appeals: int | None = None
    dbt: DbtResult | None = None
    marts_check: MartGateResult | None = None
    error: str | None = None
    seconds: float = 0.0
    steps: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line for people: published or not, and why."""
        if self.published:
            change = ""
            if self.appeals is not None and self.previous_appeals is not None:
                change = f" ({self.appeals - self.previous_appeals:+d})"
            refresh = f", rebuilt from scratch: {self.full_refresh_reason}" if self.full_refresh else ""
            return (
                f"published: marts hold {self.appeals} appeals{change};"
                f" {self.batches_published} batch(es) newly published{refresh}  {self.seconds:.1f} s"
            )
        return (
            f"NOT published: {self.error}. Analysts keep the previous marts"
            f" ({self.appeals if self.appeals is not None else 'no'} appeals)  {self.seconds:.1f} s"
        )


def publish_marts(
    dsn: str,
    *,
    gate: QualityGate | None = None,
    full_refresh: bool = False,
    on_step: Callable[[str], None] | None = None,
) -> PublishResult:
    """Build the candidate marts, check them, swap them in; see the module docstring.

    Never raises for a failed build or check: the result says what happened (``published`` false, with
    ``error``). Raises :class:`PublishBusy` when another run holds the publish lock.
    """
    started = time.monotonic()
    say = on_step or (lambda message: log.info("%s", message))
    migrate(dsn)
    with psycopg.connect(dsn, autocommit=True) as conn:
        if not conn.execute("select pg_try_advisory_lock(%s, %s)", PUBLISH_LOCK).fetchone()[0]:
            raise PublishBusy("another run is building and publishing the marts of this warehouse")
        try:
            result = _attempt(conn, dsn, gate=gate, full_refresh=full_refresh, say=say)
        finally:
            conn.execute("select pg_advisory_unlock(%s, %s)", PUBLISH_LOCK)
    result.seconds = time.monotonic() - started
    log.info("%s", result.summary())
    return result


def _attempt(
    conn: psycopg.Connection,
    dsn: str,
    *,
    gate: QualityGate | None,
    full_refresh: bool,
    say: Callable[[str], None],
) -> PublishResult:
    ceiling = conn.execute(
        "select max(batch_id) from audit.load_batches where status in ('validated', 'published')"
    ).fetchone()[0]
    project = dbt_project_digest()
    reason = "requested" if full_refresh else _full_refresh_reason(conn, project)
    since = None if reason else _newest_fact_batch(conn, CANDIDATE_SCHEMA)
    previous = _appeals(conn, PUBLISHED_SCHEMA)
    publication_id = conn.execute(
        "insert into audit.publications (full_refresh, batch_ceiling, details) values (%s, %s, %s)"
        " returning publication_id",
        [reason is not None, ceiling, Jsonb({"dbt_project_sha256": project, "since_batch": since})],
    ).fetchone()[0]
    result = PublishResult(
        publication_id=publication_id,
        published=False,
        full_refresh=reason is not None,
        full_refresh_reason=reason,
        batch_ceiling=ceiling,
        appeals=previous,
        previous_appeals=previous,
    )
    try:
        say(
            f"dbt build into {CANDIDATE_SCHEMA} (batches up to {ceiling}"
            + (f"; from scratch: {reason}" if reason else f"; incremental: batches after {since}")
            + ")"
        )
        variables: dict[str, object] = {"marts_schema": CANDIDATE_SCHEMA, "batch_ceiling": ceiling or 0}
        if since is not None:
            variables["since_batch"] = since
        try:
            result.dbt = dbt_build(
                dsn,
                variables=variables,
                full_refresh=reason is not None,
                exclude=NIGHTLY_EXCLUDE if _published_with(conn, project) and not reason else (),
            )
        except DbtError as error:
            return _failed(conn, result, f"the dbt build or a dbt test failed — {_first_lines(str(error))}")
        say(f"dbt: {result.dbt.summary()}  {result.dbt.seconds:.1f} s")

        from ingestion.quality.gate import GateError
        from ingestion.quality.marts_gate import validate_marts

        try:
            result.marts_check = validate_marts(dsn, CANDIDATE_SCHEMA, gate=gate, since_batch=since)
        except GateError as error:  # a check that could not run: a broken build or deployment
            return _failed(conn, result, f"a mart suite could not run — {error}")
        say(f"mart suites: {result.marts_check.summary()}")
        if not result.marts_check.passed:
            failed = "; ".join(f.message for f in result.marts_check.failures[:3])
            return _failed(conn, result, f"the mart suites failed — {failed}")

        result.batches_published, result.appeals = _swap(conn, publication_id, ceiling)
        result.published = True
        return result
    except BaseException as error:  # a crash (connection lost, interrupted): recorded, then raised
        if not result.published:
            _failed(conn, result, f"{type(error).__name__}: {error}")
        raise


def _full_refresh_reason(conn: psycopg.Connection, project: str) -> str | None:
    """Why the candidate cannot be built incrementally, or None when it can."""
    last = conn.execute(
        "select publication_id, status from audit.publications order by publication_id desc limit 1"
    ).fetchone()
    if last is not None and last[1] != "published":
        return f"the previous attempt (publication {last[0]}) was not published"
    late = conn.execute(
        "select min(batch_id) from audit.load_batches where status = 'validated' and batch_id <"
        " (select max(batch_id) from audit.load_batches where status = 'published')"
    ).fetchone()[0]
    if late is not None:
        return f"batch {late} was validated after newer batches had been published"
    # the candidate is the copy the last swap took out: built by the publication before the last one
    built_by = conn.execute(
        "select publication_id, details ->> 'dbt_project_sha256' from audit.publications"
        " where status = 'published' order by publication_id desc offset 1 limit 1"
    ).fetchone()
    if built_by is not None and built_by[1] != project:
        return f"the dbt project changed since publication {built_by[0]} built the candidate"
    return None


NIGHTLY_EXCLUDE = ("resource_type:seed", "resource_type:unit_test")
"""What an incremental build leaves out when the last publication was built by the same project: the seeds
(that build loaded them) and the unit tests (they passed)."""


def _published_with(conn: psycopg.Connection, project: str) -> bool:
    """Whether the latest published build was made by this dbt project (digest)."""
    row = conn.execute(
        "select details ->> 'dbt_project_sha256' from audit.publications where status = 'published'"
        " order by publication_id desc limit 1"
    ).fetchone()
    return row is not None and row[0] == project


_PROJECT_PARTS = ("dbt_project.yml", "models", "macros", "tests", "seeds")


def dbt_project_digest() -> str:
    """sha256 of the dbt project's sources (``dbt_project.yml``, models, macros, tests, seeds): a build with
    another digest may not extend tables an older project built."""
    root = load_settings().dbt_project_dir
    digest = hashlib.sha256()
    for part in _PROJECT_PARTS:
        path = root / part
        files = sorted(f for f in path.rglob("*") if f.is_file()) if path.is_dir() else [path]
        for file in files:
            digest.update(file.relative_to(root).as_posix().encode() + b"\0" + file.read_bytes() + b"\0")
    return digest.hexdigest()


def _newest_fact_batch(conn: psycopg.Connection, schema: str) -> int | None:
    """The newest load batch in ``schema``'s appeal facts (None without them): the nightly build takes and
    checks the batches after it."""
    if conn.execute("select to_regclass(%s)", [f"{schema}.fct_appeals"]).fetchone()[0] is None:
        return None
    return conn.execute(
        sql.SQL("select max(loaded_batch_id) from {}.fct_appeals").format(sql.Identifier(schema))
    ).fetchone()[0]


def _appeals(conn: psycopg.Connection, schema: str) -> int | None:
    table = f"{schema}.fct_appeals"
    if conn.execute("select to_regclass(%s)", [table]).fetchone()[0] is None:
        return None
    return conn.execute(
        sql.SQL("select count(*) from {}.fct_appeals").format(sql.Identifier(schema))
    ).fetchone()[0]


def _readers(conn: psycopg.Connection) -> list[str]:
    """Roles that may use the published schema (analyst, bi, …), except its owner and the builders."""
    rows = conn.execute(
        "select distinct r.rolname from pg_namespace n, aclexplode(n.nspacl) a join pg_roles r on r.oid = a.grantee"
        " where n.nspname = %s and a.privilege_type = 'USAGE' and a.grantee <> n.nspowner"
        " and r.rolname <> 'transformer' order by 1",
        [PUBLISHED_SCHEMA],
    ).fetchall()
    return [r[0] for r in rows]


def _swap(conn: psycopg.Connection, publication_id: int, ceiling: int | None) -> tuple[int, int | None]:
    """One transaction: candidate ↔ published, readers' grants moved, batches and publication recorded."""
    published, candidate, spare = (
        sql.Identifier(s) for s in (PUBLISHED_SCHEMA, CANDIDATE_SCHEMA, _SPARE_SCHEMA)
    )
    with conn.transaction():
        conn.execute(sql.SQL("set local lock_timeout = {}").format(sql.Literal(SWAP_LOCK_TIMEOUT)))
        readers = [sql.Identifier(r) for r in _readers(conn)]
        conn.execute(sql.SQL("alter schema {} rename to {}").format(published, spare))
        conn.execute(sql.SQL("alter schema {} rename to {}").format(candidate, published))
        conn.execute(sql.SQL("alter schema {} rename to {}").format(spare, candidate))
        if readers:
            roles = sql.SQL(", ").join(readers)
            conn.execute(sql.SQL("revoke usage on schema {} from {}").format(candidate, roles))
            conn.execute(sql.SQL("grant usage on schema {} to {}").format(published, roles))
        for schema, comment in _SCHEMA_COMMENTS.items():
            conn.execute(
                sql.SQL("comment on schema {} is {}").format(sql.Identifier(schema), sql.Literal(comment))
            )
        batches = conn.execute(
            "update audit.load_batches set status = 'published' where status = 'validated' and batch_id <= %s",
            [ceiling or 0],
        ).rowcount
        appeals = _appeals(conn, PUBLISHED_SCHEMA)
        conn.execute(
            "update audit.publications set status = 'published', finished_at = now(), batches_published = %s,"
            " appeals = %s where publication_id = %s",
            [batches, appeals, publication_id],
        )
    return batches, appeals


def _failed(conn: psycopg.Connection, result: PublishResult, error: str) -> PublishResult:
    result.error = error
    conn.execute(
        "update audit.publications set status = 'failed', finished_at = now(), error = %s, appeals = %s"
        " where publication_id = %s",
        [error, result.appeals, result.publication_id],
    )
    log.error("marts not published: %s", error)
    return result


def _first_lines(text: str, lines: int = 6) -> str:
    kept = text.strip().splitlines()
    more = f" … ({len(kept) - lines} more lines)" if len(kept) > lines else ""
    return " | ".join(line.strip() for line in kept[:lines]) + more

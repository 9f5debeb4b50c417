"""The quality gate: validate a loaded batch with its GX suite and record the outcome.

    validate_pending(dsn)            every batch with status 'loaded', organisations first
    validate_batch(dsn, batch_id)    one batch

Per batch: the feed's checkpoint (``expectations/checkpoints/<feed>_batch_gate.json``) runs its suite as SQL
inside PostgreSQL on exactly that batch: the GX data source connects with ``appeals.batch_id=N`` set, and the
table assets are the views ``quality.<feed>_batch`` that show the rows of that batch (migration V004). GX
bundles the row checks into one aggregate over one scan; examples of unexpected values are fetched
afterwards, only for the checks that found something. Then, in one transaction: the batch's status becomes
``validated`` or ``rejected`` (with a readable ``error``), ``details -> 'quality'`` gets a summary, and every
failed, warned or tolerated check goes to ``audit.validation_results``.

``Checkpoint.run()`` does not raise when data is bad: the gate reads the results and decides by severity.
The GX context is built once per :class:`QualityGate` (a run), not per batch.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import time
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict
from psycopg.types.json import Jsonb

from ingestion.landing import FEED_ORDER
from ingestion.quality import build
from ingestion.quality.checks import EARLIEST_PLAUSIBLE, FEEDS, LATEST_PLAUSIBLE
from ingestion.quality.outcomes import CheckOutcome, distinct_examples, interpret, message
from ingestion.quality.reference import refresh_reference
from ingestion.settings import load_settings
from ingestion.territory import default_timezone
from ingestion.warehouse.migrate import migrate

log = logging.getLogger(__name__)

VALIDATED, REJECTED = "validated", "rejected"
VALIDATABLE = ("loaded", "validated", "rejected")
EARLIEST_DATE = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
LATEST_DATE_MARGIN = dt.timedelta(days=1)
"""Dates may lie up to a day after the file was loaded: local dates of eastern zones, clocks."""
EXAMPLE_ROWS = 20
_LOCK_CLASS = 0x5147_4154  # "QGAT": one gate run per batch at a time


class GateError(RuntimeError):
    """The batch cannot be validated: unknown, not loaded, or a check could not run (not a data problem)."""


class GateBusy(GateError):
    """Another run is validating the batch, or has just changed its status."""


@dataclass
class GateResult:
    batch_id: int
    feed: str
    file: str
    status: str
    """``validated`` or ``rejected``."""
    failures: list[CheckOutcome] = field(default_factory=list)
    warnings: list[CheckOutcome] = field(default_factory=list)
    """Warning checks that failed, and error checks that passed with stragglers under their threshold."""
    seconds: float = 0.0
    checks: int = 0
    rows: int | None = None

    @property
    def passed(self) -> bool:
        return self.status == VALIDATED

    def summary(self) -> str:
        """One line for people: what happened to the file and why."""
        head = f"{self.status:<9} {self.file} (batch {self.batch_id}): {self.checks} checks"
        if self.failures:
            shown = "; ".join(_short(f.message) for f in self.failures[:3])
            more = f"; and {len(self.failures) - 3} more" if len(self.failures) > 3 else ""
            head += f", {len(self.failures)} failed — {shown}{more}"
        if self.warnings:
            head += f", {len(self.warnings)} warning{'s' if len(self.warnings) > 1 else ''}"
            if not self.failures:
                head += f" — {_short(self.warnings[0].message)}" + (" …" if len(self.warnings) > 1 else "")
        return f"{head}  {self.seconds:.2f} s"


def _short(message: str, limit: int = 160) -> str:
    return message if len(message) <= limit else message[: limit - 1].rstrip() + "…"


@dataclass(frozen=True)
class _Batch:
    batch_id: int
    feed: str
    file: str
    status: str
    started_at: dt.datetime
    timezone: str
    validated_before: bool


def sqlalchemy_url(dsn: str) -> str:
    """The SQLAlchemy URL (``postgresql+psycopg://``) of a libpq DSN (URL or ``key=value``)."""
    from sqlalchemy.engine import URL

    params = {k: v for k, v in conninfo_to_dict(dsn).items() if v not in (None, "")}
    host = str(params.pop("host", "")) or None
    query: dict[str, str] = {}
    if host and (host.startswith("/") or "," in host):  # a socket directory, or several hosts: libpq's way
        query["host"], host = host, None
    port = params.pop("port", None)
    url = URL.create(
        "postgresql+psycopg",
        username=params.pop("user", None),
        password=params.pop("password", None),
        host=host,
        port=int(port) if port and str(port).isdigit() else None,
        database=params.pop("dbname", None),
        query={**query, **{k: str(v) for k, v in params.items()}},
    )
    return url.render_as_string(hide_password=False)


class QualityGate:
    """The gate's GX file context (``expectations/``), loaded once; validates batches of any warehouse.

    Not thread-safe: the context's data source is pointed at one batch at a time.
    """

    def __init__(
        self,
        *,
        data_docs: bool = False,
        data_docs_dir: Path | None = None,
        results_dir: Path | None = None,
        context_dir: Path | None = None,
    ) -> None:
        import great_expectations as gx

        state = load_settings().state_dir
        self.data_docs = data_docs
        self.data_docs_dir = (data_docs_dir or state / "data_docs").resolve()
        self.results_dir = (results_dir or state / "gx" / "validations").resolve()
        started = time.monotonic()
        self.context = gx.get_context(
            mode="file",
            context_root_dir=context_dir or build.context_dir(),
            runtime_environment={
                build.WAREHOUSE_URL_VARIABLE: "postgresql+psycopg://unset@localhost/unset",
                build.RESULTS_DIR_VARIABLE: str(self.results_dir),
                build.DATA_DOCS_DIR_VARIABLE: str(self.data_docs_dir),
            },
        )
        self.datasource = self.context.data_sources.get(build.DATASOURCE)
        self.checkpoints = {feed: self.context.checkpoints.get(build.checkpoint_name(feed)) for feed in FEEDS}
        self.suites = {feed: self.context.suites.get(build.suite_name(feed)) for feed in FEEDS}
        self._prepared: set[str] = set()
        log.debug("GX context loaded in %.2f s", time.monotonic() - started)

    # -- public ----------------------------------------------------------------------------------------

    def validate_pending(
        self,
        dsn: str,
        feeds: Collection[str] | None = None,
        on_result: Callable[[GateResult], None] | None = None,
    ) -> list[GateResult]:
        """Validate every batch with status ``loaded`` (of ``feeds``, default all): organisations first
        (others resolve through them). ``on_result`` sees each result as soon as it is recorded."""
        self.prepare(dsn)
        with psycopg.connect(dsn, autocommit=True) as conn:
            pending = conn.execute(
                "select batch_id, feed from audit.load_batches where status = 'loaded'"
                " and (%(feeds)s::text[] is null or feed = any(%(feeds)s::text[])) order by batch_id",
                {"feeds": list(feeds) if feeds else None},
            ).fetchall()
        pending.sort(key=lambda b: (FEED_ORDER.index(b[1]), b[0]))
        results = []
        for batch_id, _ in pending:
            try:
                results.append(self._validate(dsn, batch_id, pending_only=True))
            except GateBusy as busy:  # another run has it
                log.info("%s", busy)
                continue
            if on_result:
                on_result(results[-1])
        if self.data_docs:
            self.build_data_docs()
        return results

    def validate_batch(self, dsn: str, batch_id: int) -> GateResult:
        """Validate one batch (status ``loaded``; ``validated`` or ``rejected`` batches are validated again)."""
        return self._validate(dsn, batch_id)

    def _validate(self, dsn: str, batch_id: int, *, pending_only: bool = False) -> GateResult:
        started = time.monotonic()
        self.prepare(dsn)
        with psycopg.connect(dsn, autocommit=True) as conn, self._locked(conn, batch_id):
            batch = _read_batch(conn, batch_id)
            if pending_only and batch.status != "loaded":
                raise GateBusy(f"batch {batch_id} was validated meanwhile by another run")
            try:
                outcomes, checks, rows = self._run(dsn, batch)
            finally:
                self._release_engine()
            result = GateResult(
                batch_id=batch.batch_id,
                feed=batch.feed,
                file=batch.file,
                status=REJECTED if any(o.rejects for o in outcomes) else VALIDATED,
                failures=[o for o in outcomes if o.rejects],
                warnings=[o for o in outcomes if not o.rejects],
                checks=checks,
                rows=rows,
            )
            result.seconds = time.monotonic() - started
            _record(conn, batch, result, outcomes)
        log.info("%s", result.summary())
        return result

    def build_data_docs(self) -> Path:
        """Build the Data Docs site from the stored validation results; returns its index page."""
        self.context.build_data_docs(site_names=[build.DATA_DOCS_SITE])
        return self.data_docs_dir / "index.html"

    # -- the run ---------------------------------------------------------------------------------------

    def prepare(self, dsn: str) -> None:
        """Once per warehouse and run (the validate methods call it): migrations, and the reference values
        the batch views look up, reloaded when the reference files changed."""
        if dsn in self._prepared:
            return
        migrate(dsn)
        with psycopg.connect(dsn, autocommit=True) as conn:
            refresh_reference(conn)
        self._prepared.add(dsn)

    def _point_at(self, dsn: str, batch: _Batch) -> None:
        """Connections of the GX data source see this batch: its id, and its time zone for local dates.

        Changing the connection arguments makes GX build a new engine, and with it a new metric cache: GX
        identifies a whole-table batch by asset name only, so a cache kept across batches would answer for
        the previous one.
        """
        options = (
            f"-c appeals.batch_id={batch.batch_id} -c search_path=quality,public -c TimeZone={batch.timezone}"
        )
        self.datasource.connection_string = sqlalchemy_url(dsn)
        self.datasource.kwargs = {
            "connect_args": {
                "options": options,
                "application_name": f"appeals quality gate: batch {batch.batch_id}",
            }
        }

    def _release_engine(self) -> None:
        with contextlib.suppress(Exception):  # nothing to release
            self.datasource.get_execution_engine().engine.dispose()

    def _run(self, dsn: str, batch: _Batch) -> tuple[list[CheckOutcome], int, int | None]:
        from great_expectations.core.run_identifier import RunIdentifier

        self._point_at(dsn, batch)
        parameters = {
            EARLIEST_PLAUSIBLE: EARLIEST_DATE,
            LATEST_PLAUSIBLE: batch.started_at + LATEST_DATE_MARGIN,
        }
        # the run's name is a file name of the results store: no slashes
        run_id = RunIdentifier(run_name=f"batch {batch.batch_id}", run_time=dt.datetime.now(dt.UTC))
        checkpoint_result = self.checkpoints[batch.feed].run(expectation_parameters=parameters, run_id=run_id)
        [suite_result] = checkpoint_result.run_results.values()
        broken = [(r, message) for r in suite_result.results if (message := exception_message(r))]
        if broken:  # a check that could not run says nothing about the data: leave the batch as it is
            result, message = broken[0]
            raise GateError(
                f"batch {batch.batch_id} ({batch.file}): {len(broken)} check(s) could not run, e.g."
                f" {(result.expectation_config.meta or {}).get('check')}: {message}"
            )
        outcomes = [o for o in (interpret(r) for r in suite_result.results) if o is not None]
        rows = next(
            (
                r.result.get("observed_value")
                for r in suite_result.results
                if r.expectation_config.type == "expect_table_row_count_to_be_between"
            ),
            None,
        )
        if any(o.needs_examples for o in outcomes):
            self._add_examples(batch.feed, outcomes, parameters)
        return outcomes, len(suite_result.results), rows

    def _add_examples(self, feed: str, outcomes: list[CheckOutcome], parameters: dict[str, Any]) -> None:
        """A few unexpected values per check that found some: one more query each, only for those."""
        expectations = {(e.meta or {}).get("check"): e for e in self.suites[feed].expectations}
        batch = self.checkpoints[feed].validation_definitions[0].batch_definition.get_batch()
        for outcome in outcomes:
            expectation = expectations.get(outcome.check)
            if not outcome.needs_examples or expectation is None:
                continue
            rows_query = outcome.expectation_type == "unexpected_rows_expectation"
            result_format = (
                {"result_format": "COMPLETE"}
                if rows_query
                else {"result_format": "SUMMARY", "partial_unexpected_count": EXAMPLE_ROWS}
            )
            try:
                found = batch.validate(
                    expectation, result_format=result_format, expectation_parameters=parameters
                )
            except Exception:  # examples are a courtesy: the counts stand without them
                log.warning("could not fetch examples for %s", outcome.check, exc_info=True)
                continue
            detail = found.result or {}
            if rows_query:
                outcome.examples = [
                    _row(r) for r in (detail.get("details") or {}).get("unexpected_rows", [])
                ][:20]
            else:
                outcome.examples = distinct_examples(detail.get("partial_unexpected_list") or [])
            outcome.message = message(outcome)

    @contextmanager
    def _locked(self, conn: psycopg.Connection, batch_id: int) -> Iterator[None]:
        key = batch_id % 2_147_483_647
        if not conn.execute("select pg_try_advisory_lock(%s, %s)", [_LOCK_CLASS, key]).fetchone()[0]:
            raise GateBusy(f"batch {batch_id} is being validated by another run")
        try:
            yield
        finally:
            conn.execute("select pg_advisory_unlock(%s, %s)", [_LOCK_CLASS, key])


def exception_message(result: Any) -> str | None:
    """The error of a check GX could not run (a failed query, a missing column), or None."""
    info = result.exception_info
    if not info:
        return None
    found = info.values() if isinstance(info, dict) and "raised_exception" not in info else [info]
    for item in found:
        raised = (
            item.get("raised_exception")
            if isinstance(item, dict)
            else getattr(item, "raised_exception", False)
        )
        if raised:
            text = item.get("exception_message") if isinstance(item, dict) else item.exception_message
            return str(text).strip().splitlines()[0] if text else "unknown error"
    return None


def _row(row: Any) -> Any:
    if isinstance(row, dict):
        return row
    mapping = getattr(row, "_mapping", None)
    return dict(mapping) if mapping is not None else row


def _read_batch(conn: psycopg.Connection, batch_id: int) -> _Batch:
    row = conn.execute(
        "select batch_id, feed, file_path, status, started_at, coalesce(timezone, %s),"
        " details ? 'quality' from audit.load_batches where batch_id = %s",
        [default_timezone(), batch_id],
    ).fetchone()
    if row is None:
        raise GateError(f"there is no batch {batch_id}")
    batch = _Batch(*row)
    if batch.status not in VALIDATABLE or (batch.status == REJECTED and not batch.validated_before):
        raise GateError(
            f"batch {batch_id} ({batch.file}) is {batch.status}: only loaded batches are validated"
            " (and batches the gate validated before)"
        )
    return batch


def _record(
    conn: psycopg.Connection, batch: _Batch, result: GateResult, outcomes: list[CheckOutcome]
) -> None:
    summary = {
        "status": result.status,
        "validated_at": dt.datetime.now(dt.UTC).isoformat(),
        "checks": result.checks,
        "rows": result.rows,
        "failed": len(result.failures),
        "warnings": len(result.warnings),
        "seconds": round(result.seconds, 3),
    }
    error = None
    if result.failures:
        error = f"quality gate: {len(result.failures)} check(s) failed — " + "; ".join(
            f.message for f in result.failures
        )
    with conn.transaction():
        updated = conn.execute(
            "update audit.load_batches set status = %s, error = %s,"
            " details = details || jsonb_build_object('quality', %s::jsonb)"
            " where batch_id = %s and status in ('loaded', 'validated', 'rejected')",
            [result.status, error, json.dumps(summary), batch.batch_id],
        ).rowcount
        if not updated:
            raise GateBusy(f"batch {batch.batch_id} changed status while it was validated")
        conn.execute("delete from audit.validation_results where batch_id = %s", [batch.batch_id])
        with (
            conn.cursor() as cur,
            cur.copy(
                "copy audit.validation_results (batch_id, check_name, column_name, severity, outcome,"
                " expectation_type, threshold, rows_checked, unexpected_count, unexpected_percent,"
                " observed_value, examples, message) from stdin"
            ) as copy,
        ):
            for o in outcomes:
                copy.write_row(
                    (
                        batch.batch_id,
                        o.check,
                        o.column,
                        o.severity,
                        o.outcome,
                        o.expectation_type,
                        o.threshold,
                        o.rows_checked,
                        o.unexpected_count,
                        o.unexpected_percent,
                        None if o.observed_value is None else Jsonb(o.as_json()["observed_value"]),
                        Jsonb(o.as_json()["examples"]),
                        o.message,
                    )
                )


def validate_batch(
    dsn: str, batch_id: int, *, data_docs: bool = False, gate: QualityGate | None = None
) -> GateResult:
    """Validate one batch; see the module docstring. Pass ``gate`` to reuse a loaded GX context."""
    gate = gate or QualityGate(data_docs=data_docs)
    result = gate.validate_batch(dsn, batch_id)
    if data_docs:
        gate.build_data_docs()
    return result


def validate_pending(
    dsn: str,
    *,
    data_docs: bool = False,
    gate: QualityGate | None = None,
    feeds: Collection[str] | None = None,
) -> list[GateResult]:
    """Validate every batch with status ``loaded`` (of ``feeds``, default all); see the module docstring."""
    gate = gate or QualityGate(data_docs=data_docs)
    if data_docs:
        gate.data_docs = True
    return gate.validate_pending(dsn, feeds)


__all__ = [
    "GateBusy",
    "GateError",
    "GateResult",
    "QualityGate",
    "sqlalchemy_url",
    "validate_batch",
    "validate_pending",
]

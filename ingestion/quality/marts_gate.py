"""Check a schema of built marts with the mart suites, before they are published.

    result = validate_marts(dsn, "marts_next")       # the candidate dbt built
    if not result.passed:
        print(result.summary())                       # one line: what failed, with the counts

The checkpoint ``marts_publish_gate`` (``expectations/checkpoints/``) runs one suite per published mart
(``ingestion.quality.mart_checks``) as SQL inside PostgreSQL. Its table assets name the marts without a
schema, and the GX data source connects with ``-c search_path=<schema>,public``: the suites check whichever
schema they are pointed at, and the queries across marts (totals, the questions of every appeal) read the
marts of that same schema. The publish guard compares the schema's ``fct_appeals`` with the published
``marts.fct_appeals``.

After a nightly (incremental) build, ``since_batch`` is the newest batch the candidate's facts held before
it: views of the fact rows of newer batches (schema ``marts_new_rows``, migration V008) go first on the
search_path, so the row checks of ``fct_appeals`` and ``fct_appeal_questions`` (keys, codes, references,
questions of every appeal) look at the night's rows — every row the build added or replaced — and cost what
the night brought. The totals (aggregates against the facts) and the publish guard read the whole tables of
the schema (the setting ``appeals.checked_schema``), and so do the checks of the aggregates and dimensions.
A night that brought no fact rows is checked on the whole tables.

``Checkpoint.run()`` does not raise when data is bad: the results are read and decided by severity, as the
feed gate does (``error`` checks that fail stop the publication; ``warning`` checks are reported). A check
that could not run (a missing mart or column, a broken query) raises :class:`GateError`. The results go to
the GX validation results store like the feed gate's; nothing is written to the warehouse (the caller
records the publication).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import logging
import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg import sql

from ingestion.quality import build
from ingestion.quality.gate import GateError, exception_message, sqlalchemy_url
from ingestion.quality.mart_checks import MARTS
from ingestion.quality.outcomes import CheckOutcome, distinct_examples, interpret, message

if TYPE_CHECKING:
    from ingestion.quality.gate import QualityGate

log = logging.getLogger(__name__)

EXAMPLE_ROWS = 20
_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_RUNS = itertools.count(1)
NEW_ROWS_SCHEMA = "marts_new_rows"
NEW_ROWS_FACTS = ("fct_appeals", "fct_appeal_questions")
"""The facts whose row checks a nightly run restricts to the night's rows (by ``loaded_batch_id``)."""


@dataclass
class MartGateResult:
    schema: str
    passed: bool
    failures: list[CheckOutcome] = field(default_factory=list)
    """Error checks that failed: the marts must not be published."""
    warnings: list[CheckOutcome] = field(default_factory=list)
    """Warning checks that failed, and error checks that passed with rows under their threshold."""
    checks: int = 0
    seconds: float = 0.0
    appeals: int | None = None
    """Rows of the schema's ``fct_appeals``."""
    since_batch: int | None = None
    """When set, the facts' row checks looked at the rows of batches after this one only."""

    def summary(self) -> str:
        """One line for people: did the marts pass, and why not."""
        head = f"{'passed' if self.passed else 'failed':<6} marts in {self.schema}: {self.checks} checks"
        if self.since_batch is not None:
            head += f" (fact rows of batches after {self.since_batch})"
        if self.appeals is not None:
            head += f", {self.appeals} appeals"
        if self.failures:
            shown = "; ".join(_short(f.message) for f in self.failures[:3])
            more = f"; and {len(self.failures) - 3} more" if len(self.failures) > 3 else ""
            head += f", {len(self.failures)} failed — {shown}{more}"
        if self.warnings:
            head += f", {len(self.warnings)} warning{'s' if len(self.warnings) > 1 else ''}"
            if not self.failures:
                head += f" — {_short(self.warnings[0].message)}" + (" …" if len(self.warnings) > 1 else "")
        return f"{head}  {self.seconds:.2f} s"


def _short(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def validate_marts(
    dsn: str, schema: str, *, gate: QualityGate | None = None, since_batch: int | None = None
) -> MartGateResult:
    """Run the mart suites on the marts in ``schema``; see the module docstring.

    Pass ``gate`` to reuse its loaded GX context (loading one takes seconds), and ``since_batch`` after an
    incremental build to check the facts' new rows only. Raises :class:`GateError` when the schema or one
    of its marts is missing, or a check could not run.
    """
    started = time.monotonic()
    if not _SCHEMA_NAME.match(schema):
        raise ValueError(f"not a plain lower-case schema name: {schema!r}")
    _require_marts(dsn, schema)
    if gate is None:
        from ingestion.quality.gate import QualityGate

        gate = QualityGate()
    try:
        checkpoint = gate.context.checkpoints.get(build.MARTS_CHECKPOINT)
    except Exception as error:  # an expectations/ built before the mart suites
        raise GateError(f"the GX project has no checkpoint {build.MARTS_CHECKPOINT}: {error}") from error

    datasource = gate.datasource
    with psycopg.connect(dsn, autocommit=True) as conn:
        scoped = since_batch is not None and _show_new_rows(conn, schema, since_batch)
        try:
            _point_at(datasource, dsn, schema, new_rows=scoped)
            try:
                outcomes, checks, appeals = _run(checkpoint, schema)
            finally:
                with contextlib.suppress(Exception):  # nothing to release
                    datasource.get_execution_engine().engine.dispose()
            if scoped:  # the row count GX saw is the night's
                appeals = conn.execute(
                    sql.SQL("select count(*) from {}.fct_appeals").format(sql.Identifier(schema))
                ).fetchone()[0]
        finally:
            if scoped:
                _drop_new_rows(conn)
    if gate.data_docs:
        gate.build_data_docs()
    failures = [o for o in outcomes if o.rejects]
    result = MartGateResult(
        schema=schema,
        passed=not failures,
        failures=failures,
        warnings=[o for o in outcomes if not o.rejects],
        checks=checks,
        appeals=appeals,
        since_batch=since_batch if scoped else None,
        seconds=time.monotonic() - started,
    )
    log.info("%s", result.summary())
    return result


def _show_new_rows(conn: psycopg.Connection, schema: str, since_batch: int) -> bool:
    """Views of the facts' rows of batches after ``since_batch``, in ``marts_new_rows``; False (and no
    views) when there are none."""
    facts = sql.Identifier(schema, "fct_appeals")
    if conn.execute(
        sql.SQL("select not exists (select from {} where loaded_batch_id > %s)").format(facts), [since_batch]
    ).fetchone()[0]:
        return False
    with conn.transaction():
        for fact in NEW_ROWS_FACTS:
            conn.execute(
                sql.SQL("create or replace view {} as select * from {} where loaded_batch_id > {}").format(
                    sql.Identifier(NEW_ROWS_SCHEMA, fact),
                    sql.Identifier(schema, fact),
                    sql.Literal(since_batch),
                )
            )
    return True


def _drop_new_rows(conn: psycopg.Connection) -> None:
    """The views go: the facts' tables are dropped and renamed by the next builds."""
    for fact in NEW_ROWS_FACTS:
        conn.execute(sql.SQL("drop view if exists {}").format(sql.Identifier(NEW_ROWS_SCHEMA, fact)))


def _require_marts(dsn: str, schema: str) -> None:
    """The schema exists and holds every mart (else the suites would fail for a reason that is not data)."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        if conn.execute("select from pg_namespace where nspname = %s", [schema]).fetchone() is None:
            raise GateError(f"there is no schema {schema!r} to check")
        present = {
            row[0]
            for row in conn.execute(
                "select c.relname from pg_class as c join pg_namespace as n on n.oid = c.relnamespace"
                " where n.nspname = %s and c.relkind in ('r', 'p', 'v', 'm')",
                [schema],
            )
        }
    missing = [mart for mart in MARTS if mart not in present]
    if missing:
        raise GateError(f"schema {schema} lacks mart(s) {', '.join(missing)}: were the marts built there?")


def _point_at(datasource: Any, dsn: str, schema: str, *, new_rows: bool = False) -> None:
    """Connections of the GX data source see ``schema`` first (after the night's new fact rows, with
    ``new_rows``), and name it in ``appeals.checked_schema`` for the totals.

    A new application name per run changes the connection arguments, so GX builds a new engine and with it
    a new metric cache: GX names a whole-table batch by its asset only, so a cache kept across runs would
    answer for marts checked before (another schema, or this one before a rebuild).
    """
    datasource.connection_string = sqlalchemy_url(dsn)
    path = f"{NEW_ROWS_SCHEMA},{schema}" if new_rows else schema
    datasource.kwargs = {
        "connect_args": {
            "options": f"-c search_path={path},public -c appeals.checked_schema={schema}",
            "application_name": f"appeals mart suites: {schema} ({next(_RUNS)})",
        }
    }


def _run(checkpoint: Any, schema: str) -> tuple[list[CheckOutcome], int, int | None]:
    from great_expectations.core.run_identifier import RunIdentifier

    run_id = RunIdentifier(run_name=f"marts {schema}", run_time=dt.datetime.now(dt.UTC))
    checkpoint_result = checkpoint.run(run_id=run_id)
    definitions = {d.suite.name: d for d in checkpoint.validation_definitions}
    outcomes: list[CheckOutcome] = []
    checks, appeals, broken = 0, None, []
    for suite_result in checkpoint_result.run_results.values():
        definition = definitions[suite_result.suite_name]
        checks += len(suite_result.results)
        broken += [(r, text) for r in suite_result.results if (text := exception_message(r))]
        found = [o for o in (interpret(r) for r in suite_result.results) if o is not None]
        if suite_result.suite_name == build.mart_suite_name("fct_appeals"):
            appeals = next(
                (
                    r.result.get("observed_value")
                    for r in suite_result.results
                    if r.expectation_config.type == "expect_table_row_count_to_be_between"
                ),
                None,
            )
        if not broken and any(o.needs_examples for o in found):
            _add_examples(definition, found)
        outcomes += found
    if broken:  # a check that could not run says nothing about the data
        result, text = broken[0]
        raise GateError(
            f"marts in {schema}: {len(broken)} check(s) could not run, e.g."
            f" {(result.expectation_config.meta or {}).get('check')}: {text}"
        )
    return outcomes, checks, appeals


def _add_examples(definition: Any, outcomes: list[CheckOutcome]) -> None:
    """A few unexpected values (or the rows a query check found) per check that found something: one more
    query each, only for those."""
    expectations = {(e.meta or {}).get("check"): e for e in definition.suite.expectations}
    batch = None
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
            batch = batch or definition.batch_definition.get_batch()
            found = batch.validate(expectation, result_format=result_format)
        except Exception:  # examples are a courtesy: the counts stand without them
            log.warning("could not fetch examples for %s", outcome.check, exc_info=True)
            continue
        detail = found.result or {}
        if rows_query:
            outcome.examples = [_row(r) for r in (detail.get("details") or {}).get("unexpected_rows", [])][
                :EXAMPLE_ROWS
            ]
        else:
            outcome.examples = distinct_examples(detail.get("partial_unexpected_list") or [])
        outcome.message = message(outcome)


def _row(row: Any) -> Any:
    if isinstance(row, dict):
        return {key: _plain(value) for key, value in row.items()}
    mapping = getattr(row, "_mapping", None)
    return {key: _plain(value) for key, value in mapping.items()} if mapping is not None else row


def _plain(value: Any) -> Any:
    from decimal import Decimal

    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


__all__ = ["MartGateResult", "validate_marts"]

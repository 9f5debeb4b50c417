"""The quality gate: validate loaded batches with their GX suite and record the outcome per batch.

    validate_pending(dsn)            every batch with status 'loaded', organisations first, in groups
    validate_batch(dsn, batch_id)    one batch

One batch: the feed's checkpoint (``expectations/checkpoints/<feed>_batch_gate.json``) runs its suite as SQL
inside PostgreSQL on exactly that batch: the GX data source connects with ``appeals.batch_id=N`` set, and the
table assets are the views ``quality.<feed>_batch`` that show the rows of that batch (migrations V004, V007).
GX bundles the row checks into one aggregate over one scan; examples of unexpected values are fetched
afterwards, only for the checks that found something. Then, in one transaction: the batch's status becomes
``validated`` or ``rejected`` (with a readable ``error``), ``details -> 'quality'`` gets a summary, and every
failed, warned or tolerated check goes to ``audit.validation_results``.

Pending batches: a checkpoint run costs about half a second of GX's own work whatever the batch's size, so
``validate_pending`` validates the pending batches of a feed and time zone together, one run per group: the
views show every batch of ``appeals.batch_ids={3,4,5}`` (checks across rows compare rows of one batch only),
and ``latest_plausible`` is the group's earliest load time plus the margin (stricter than any of its
batches'). One SQL query counts the rows per batch first: an empty batch is validated alone. When the group
run finds nothing at all (no failure, warning or tolerated straggler in any check), every batch of it is
clean on its row checks, exactly as its own run would say. The batch-level checks (volume, extra headers:
queries on ``audit.load_batches`` for ``quality.gate_batch_id()``, null in a group run) are then run by the
gate for each batch in turn, the suite's own queries with ``appeals.batch_id`` set, after the batches before
it are recorded (the volume baseline counts them): a warning is recorded as its own run would record it; an
error sends the batch to a run of its own. Every batch is recorded as by its own run (``seconds``: its share
of the group's runs). A group run that finds anything is split in two halves, each validated the same way,
down to single batches, which are validated and recorded as ``validate_batch`` does — so a bad batch among
32 costs about 2·log2(32) extra runs, not 32.

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
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import dict_row
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
MAX_GROUP_BATCHES = 200
"""Batches validated in one checkpoint run at most (their ids go into the connection's options)."""
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
        self.checkpoint_runs = 0
        """Checkpoint runs so far (one per group of pending batches that passes, more when groups split)."""
        log.debug("GX context loaded in %.2f s", time.monotonic() - started)

    # -- public ----------------------------------------------------------------------------------------

    def validate_pending(
        self,
        dsn: str,
        feeds: Collection[str] | None = None,
        on_result: Callable[[GateResult], None] | None = None,
    ) -> list[GateResult]:
        """Validate every batch with status ``loaded`` (of ``feeds``, default all): organisations first
        (others resolve through them), the batches of a feed and time zone in groups (module docstring).
        ``on_result`` sees each result as soon as it is recorded."""
        self.prepare(dsn)
        with psycopg.connect(dsn, autocommit=True) as conn:
            pending = conn.execute(
                "select batch_id, feed, coalesce(timezone, %(timezone)s) from audit.load_batches"
                " where status = 'loaded' and (%(feeds)s::text[] is null or feed = any(%(feeds)s::text[]))"
                " order by batch_id",
                {"feeds": list(feeds) if feeds else None, "timezone": default_timezone()},
            ).fetchall()
        pending.sort(key=lambda b: (FEED_ORDER.index(b[1]), b[0]))
        groups: dict[tuple[str, str], list[int]] = {}
        for batch_id, feed, timezone in pending:
            groups.setdefault((feed, timezone), []).append(batch_id)
        results: list[GateResult] = []

        def done(result: GateResult) -> None:
            results.append(result)
            if on_result:
                on_result(result)

        for ids in groups.values():
            for start in range(0, len(ids), MAX_GROUP_BATCHES):
                self._validate_pending_group(dsn, ids[start : start + MAX_GROUP_BATCHES], done)
        if self.data_docs:
            self.build_data_docs()
        return results

    def validate_batch(self, dsn: str, batch_id: int) -> GateResult:
        """Validate one batch (status ``loaded``; ``validated`` or ``rejected`` batches are validated again)."""
        started = time.monotonic()
        self.prepare(dsn)
        with psycopg.connect(dsn, autocommit=True) as conn, self._locked(conn, batch_id):
            batch = _read_batch(conn, batch_id)
            return self._validate_alone(dsn, conn, batch, started)

    def _validate_alone(
        self, dsn: str, conn: psycopg.Connection, batch: _Batch, started: float, spent: float = 0.0
    ) -> GateResult:
        """Validate one batch (locked by ``conn``) with a checkpoint run of its own, and record it."""
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
        result.seconds = spent + time.monotonic() - started
        _record(conn, batch, result, outcomes)
        log.info("%s", result.summary())
        return result

    # -- groups of pending batches ---------------------------------------------------------------------

    def _validate_pending_group(self, dsn: str, ids: list[int], done: Callable[[GateResult], None]) -> None:
        """Lock the pending batches ``ids`` (of one feed and time zone), then validate them as a group."""
        with psycopg.connect(dsn, autocommit=True) as conn, self._locked_all(conn, ids) as locked:
            batches = _read_pending(conn, locked)
            if batches:
                self._validate_group(dsn, conn, batches, done, dict.fromkeys(locked, 0.0))

    def _validate_group(
        self,
        dsn: str,
        conn: psycopg.Connection,
        batches: list[_Batch],
        done: Callable[[GateResult], None],
        spent: dict[int, float],
        counts: dict[int, int] | None = None,
    ) -> None:
        """Validate ``batches`` (locked, in order) with one checkpoint run if it finds nothing; else halves.

        ``spent`` is each batch's share of the group runs so far (its ``seconds``); ``counts`` its rows.
        """
        if len(batches) == 1:
            self._settle(
                lambda: self._validate_alone(
                    dsn, conn, batches[0], time.monotonic(), spent.pop(batches[0].batch_id, 0.0)
                ),
                done,
            )
            return
        started = time.monotonic()
        if counts is None:
            counts = _count_rows(conn, batches)
        if not all(counts.get(b.batch_id) for b in batches):
            # an empty batch is validated alone (its checks depend on no other batch), the rest in groups
            _share(spent, batches, time.monotonic() - started)
            for part in _around_empty(batches, counts):
                self._validate_group(dsn, conn, part, done, spent, counts)
            return
        clean, checks, per_batch = self._run_group(dsn, batches)
        _share(spent, batches, time.monotonic() - started)
        if not clean:
            half = len(batches) // 2
            self._validate_group(dsn, conn, batches[:half], done, spent, counts)
            self._validate_group(dsn, conn, batches[half:], done, spent, counts)
            return
        for batch in batches:
            self._settle(
                lambda b=batch: self._record_clean(dsn, conn, b, checks, per_batch, counts, spent), done
            )

    def _settle(self, validate: Callable[[], GateResult], done: Callable[[GateResult], None]) -> None:
        try:
            result = validate()
        except GateBusy as busy:  # its status was changed by someone else meanwhile
            log.info("%s", busy)
            return
        done(result)

    def _run_group(self, dsn: str, batches: list[_Batch]) -> tuple[bool, int, list[Any]]:
        """One checkpoint run on a group of batches of one feed and time zone: whether it found nothing at
        all, how many checks it ran, and the batch-level checks the gate runs per batch (their configs)."""
        from great_expectations.core.run_identifier import RunIdentifier

        feed = batches[0].feed
        ids = "{" + ",".join(str(b.batch_id) for b in batches) + "}"
        self._point_at(dsn, f"appeals.batch_ids={ids}", batches[0].timezone, f"{len(batches)} batches")
        parameters = {
            EARLIEST_PLAUSIBLE: EARLIEST_DATE,
            LATEST_PLAUSIBLE: min(b.started_at for b in batches) + LATEST_DATE_MARGIN,
        }
        name = f"batches {batches[0].batch_id}-{batches[-1].batch_id} ({len(batches)})"
        started = time.monotonic()
        try:
            checkpoint_result = self._run_checkpoint(
                feed, parameters, RunIdentifier(run_name=name, run_time=dt.datetime.now(dt.UTC))
            )
        finally:
            self._release_engine()
        [suite_result] = checkpoint_result.run_results.values()
        found = [r for r in suite_result.results if exception_message(r) or interpret(r) is not None]
        log.info(
            "%s %s: one run, %s  %.2f s",
            feed,
            name,
            f"{len(found)} check(s) found something or could not run: split" if found else "nothing found",
            time.monotonic() - started,
        )
        per_batch = [r.expectation_config for r in suite_result.results if _per_batch(r.expectation_config)]
        return not found, len(suite_result.results), per_batch

    def _record_clean(
        self,
        dsn: str,
        conn: psycopg.Connection,
        batch: _Batch,
        checks: int,
        per_batch: list[Any],
        counts: dict[int, int],
        spent: dict[int, float],
    ) -> GateResult:
        """Record a batch of a group whose run found nothing, with what its batch-level checks find now."""
        started = time.monotonic()
        outcomes = _batch_level_outcomes(conn, batch, per_batch)
        if any(o.rejects for o in outcomes):  # rare (ten times the usual volume): its own run says why
            return self._validate_alone(dsn, conn, batch, started, spent.pop(batch.batch_id, 0.0))
        result = GateResult(
            batch_id=batch.batch_id,
            feed=batch.feed,
            file=batch.file,
            status=VALIDATED,
            warnings=outcomes,
            checks=checks,
            rows=counts[batch.batch_id],
        )
        result.seconds = spent.pop(batch.batch_id, 0.0) + time.monotonic() - started
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

    def _point_at(self, dsn: str, setting: str, timezone: str, label: str) -> None:
        """Connections of the GX data source see these batches (``setting``: ``appeals.batch_id=N`` or
        ``appeals.batch_ids={…}``), and their time zone for local dates.

        Changing the connection arguments makes GX build a new engine, and with it a new metric cache: GX
        identifies a whole-table batch by asset name only, so a cache kept across batches would answer for
        the previous one.
        """
        options = f"-c {setting} -c search_path=quality,public -c TimeZone={timezone}"
        self.datasource.connection_string = sqlalchemy_url(dsn)
        self.datasource.kwargs = {
            "connect_args": {"options": options, "application_name": f"appeals quality gate: {label}"}
        }

    def _run_checkpoint(self, feed: str, parameters: dict[str, Any], run_id: Any) -> Any:
        self.checkpoint_runs += 1
        return self.checkpoints[feed].run(expectation_parameters=parameters, run_id=run_id)

    def _release_engine(self) -> None:
        with contextlib.suppress(Exception):  # nothing to release
            self.datasource.get_execution_engine().engine.dispose()

    def _run(self, dsn: str, batch: _Batch) -> tuple[list[CheckOutcome], int, int | None]:
        from great_expectations.core.run_identifier import RunIdentifier

        self._point_at(dsn, f"appeals.batch_id={batch.batch_id}", batch.timezone, f"batch {batch.batch_id}")
        parameters = {
            EARLIEST_PLAUSIBLE: EARLIEST_DATE,
            LATEST_PLAUSIBLE: batch.started_at + LATEST_DATE_MARGIN,
        }
        # the run's name is a file name of the results store: no slashes
        run_id = RunIdentifier(run_name=f"batch {batch.batch_id}", run_time=dt.datetime.now(dt.UTC))
        checkpoint_result = self._run_checkpoint(batch.feed, parameters, run_id)
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

    @contextmanager
    def _locked_all(self, conn: psycopg.Connection, ids: list[int]) -> Iterator[list[int]]:
        """Lock the batches that no other run is validating; yields their ids (the others are skipped)."""
        got = conn.execute(
            "select id from unnest(%s::bigint[]) with ordinality as b (id, n)"
            " where pg_try_advisory_lock(%s, (id %% 2147483647)::integer) order by n",
            [ids, _LOCK_CLASS],
        ).fetchall()
        locked = [id_ for (id_,) in got]
        for busy in sorted(set(ids) - set(locked)):
            log.info("batch %s is being validated by another run", busy)
        try:
            yield locked
        finally:
            conn.execute(
                "select pg_advisory_unlock(%s, (id %% 2147483647)::integer) from unnest(%s::bigint[]) as b (id)",
                [_LOCK_CLASS, locked],
            )


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


def _read_pending(conn: psycopg.Connection, ids: list[int]) -> list[_Batch]:
    """The batches ``ids`` that are still ``loaded``, in the order given (the others were validated
    meanwhile by another run, and are skipped)."""
    found = {
        row[0]: _Batch(*row)
        for row in conn.execute(
            "select batch_id, feed, file_path, status, started_at, coalesce(timezone, %s),"
            " details ? 'quality' from audit.load_batches where batch_id = any(%s)",
            [default_timezone(), ids],
        )
    }
    batches = []
    for batch_id in ids:
        batch = found.get(batch_id)
        if batch is None or batch.status != "loaded":
            log.info("batch %s was validated meanwhile by another run", batch_id)
            continue
        batches.append(batch)
    return batches


def _count_rows(conn: psycopg.Connection, batches: list[_Batch]) -> dict[int, int]:
    """Rows per batch, as the batch view shows them (one query for the group; empty batches are missing)."""
    ids = "{" + ",".join(str(b.batch_id) for b in batches) + "}"
    view = sql.Identifier("quality", f"{batches[0].feed}_batch")
    with conn.transaction():
        conn.execute("select set_config('appeals.batch_ids', %s, true)", [ids])
        counted = conn.execute(
            sql.SQL("select batch_id, count(*) from {} group by batch_id").format(view)
        ).fetchall()
    return dict(counted)


def _around_empty(batches: list[_Batch], counts: dict[int, int]) -> list[list[_Batch]]:
    """``batches`` in order, cut into runs of batches with rows and each empty batch on its own."""
    parts: list[list[_Batch]] = []
    for batch in batches:
        if not counts.get(batch.batch_id):
            parts.append([batch])
        elif parts and counts.get(parts[-1][0].batch_id):
            parts[-1].append(batch)
        else:
            parts.append([batch])
    return parts


def _share(spent: dict[int, float], batches: list[_Batch], seconds: float) -> None:
    for batch in batches:
        spent[batch.batch_id] = spent.get(batch.batch_id, 0.0) + seconds / len(batches)


def _per_batch(config: Any) -> bool:
    """Whether a check reads ``quality.gate_batch_id()`` (the batch-level queries): it finds nothing in a
    group run, and the gate runs it for each batch of the group instead."""
    query = (
        config.kwargs.get("unexpected_rows_query") if config.type == "unexpected_rows_expectation" else None
    )
    return isinstance(query, str) and "gate_batch_id()" in query


def _batch_level_outcomes(conn: psycopg.Connection, batch: _Batch, configs: list[Any]) -> list[CheckOutcome]:
    """The outcomes of the batch-level checks ``configs`` on ``batch``: the suite's own queries, with the
    batch's id and time zone set as in its own run, read as GX's results would be (examples included).

    ``{batch}`` is the batch view narrowed to the batch's id (the same rows): then PostgreSQL finds whether
    the batch has rows by the primary key, where the view alone may read the table up to the batch's rows.
    """
    from great_expectations.core import ExpectationValidationResult

    rows_of_batch = sql.SQL("(select * from {} where batch_id = {})").format(
        sql.Identifier("quality", f"{batch.feed}_batch"), sql.Literal(batch.batch_id)
    )
    outcomes = []
    with conn.transaction(), conn.cursor(row_factory=dict_row) as cur:
        cur.execute(
            "select set_config('appeals.batch_id', %s, true), set_config('TimeZone', %s, true),"
            " set_config('search_path', 'quality, public', true)",
            [str(batch.batch_id), batch.timezone],
        )
        for config in configs:
            query = config.kwargs["unexpected_rows_query"].format(batch=rows_of_batch.as_string(conn))
            rows = cur.execute(query).fetchall()
            found = ExpectationValidationResult(
                success=not rows,
                expectation_config=config,
                result={"observed_value": len(rows), "details": {"unexpected_rows": rows}},
            )
            outcome = interpret(found)
            if outcome is None:
                continue
            outcome.examples = [_row(r) for r in rows][:EXAMPLE_ROWS]
            outcome.message = message(outcome)
            outcomes.append(outcome)
    return outcomes


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

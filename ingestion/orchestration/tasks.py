"""What the DAG tasks call: the CLI's functions, with the configuration of :mod:`.config` and the failure
semantics of :mod:`.policy`.

    ingest_feed("pos")      load every new export of the feed            (appeals ingest)
    validate_feed("pos")    the quality gate on the feed's loaded batches (python -m ingestion.quality)
    publish()               build, check and swap in the marts            (appeals build / appeals run)
    analyze_warehouse(), apply_retention(), refresh_docs()                 the maintenance DAG

Each returns a small JSON-able summary (the task's XCom, shown in the UI) and logs what it did, file by
file and model by model. Bad data raises ``AirflowFailException`` — never retried — with a message that
says which files or batches and why; transient failures raise :class:`~.policy.TransientError` and are
retried. Work already done is kept either way: a rejected file does not stop the others of the feed from
loading, and whatever is validated is published by the next build.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

from ingestion.orchestration import config
from ingestion.orchestration.policy import TransientError, transient_errors

if TYPE_CHECKING:
    from ingestion.load import LoadResult
    from ingestion.quality.gate import GateResult, QualityGate
    from ingestion.transform import DbtResult

log = logging.getLogger(__name__)

_GATE: QualityGate | None = None


def quality_gate() -> QualityGate:
    """The gate of this process: loading the GX context takes seconds, so it is built once per process
    (a worker runs one task per process; the in-process runs of the demo and tests share it)."""
    global _GATE
    if _GATE is None:
        from ingestion.quality.gate import QualityGate

        # Airflow logs at INFO; GX's INFO lines (thousands per batch) would bury the gate's own
        logging.getLogger("great_expectations").setLevel(logging.WARNING)
        _GATE = QualityGate()
    return _GATE


# -- ingest ----------------------------------------------------------------------------------------------


def _file_line(result: LoadResult) -> str:
    line = (
        f"{result.status:<8} {result.file}: {result.rows_read} read, {result.rows_loaded} loaded,"
        f" {result.rows_quarantined} quarantined  {result.seconds:.2f} s"
    )
    return line + (f" — {result.message}" if result.message else "")


def load_summary(results: list[LoadResult]) -> dict[str, Any]:
    """The XCom of a load: counts by status and rows, and the problems (rejected or failed files)."""
    count = {s: sum(r.status == s for r in results) for s in ("loaded", "skipped", "rejected", "failed")}
    return {
        "files": len(results),
        **count,
        "rows_read": sum(r.rows_read for r in results),
        "rows_loaded": sum(r.rows_loaded for r in results),
        "rows_quarantined": sum(r.rows_quarantined for r in results),
        "batches": [r.batch_id for r in results if r.status == "loaded"],
        "problems": [
            f"{r.status}: {r.file} — {r.message}" for r in results if r.status in ("rejected", "failed")
        ],
    }


def ingest_feed(feed: str) -> dict[str, Any]:
    """Load every new export of ``feed`` from the landing folder (files already loaded are skipped by their
    sha256, so a re-run, a retry or a backfill loads nothing twice).

    Every file is attempted. Then: a file *rejected* (not readable as its feed) fails the task for good
    (``AirflowFailException``: the same bytes would be rejected again); a file that *failed* for another
    reason raises :class:`TransientError` (retried: the loader tries failed files again, and skips the
    rest).
    """
    from ingestion.ingest import ingest_landing

    landing = config.landing_dir()
    with transient_errors():
        dsn = config.warehouse_dsn()
        with config.pseudonym_key() as key_source:
            log.info(
                "loading new %s exports from %s into %s (pseudonym key from %s)",
                feed,
                landing,
                config.warehouse_source(),
                key_source,
            )
            if not landing.is_dir():
                raise AirflowFailException(f"the landing folder {landing} does not exist (APPEALS_LANDING)")
            results = ingest_landing(
                landing, dsn=dsn, feeds=[feed], on_file=lambda r: log.info("%s", _file_line(r))
            )
    summary = load_summary(results)
    log.info(
        "%s: %d file(s): %d loaded, %d already loaded, %d rejected, %d failed; rows %d read, %d loaded,"
        " %d quarantined",
        feed,
        summary["files"],
        summary["loaded"],
        summary["skipped"],
        summary["rejected"],
        summary["failed"],
        summary["rows_read"],
        summary["rows_loaded"],
        summary["rows_quarantined"],
    )
    rejected = [r for r in results if r.status == "rejected"]
    failed = [r for r in results if r.status == "failed"]
    if rejected:
        lines = [f"  {r.status}: {r.file} — {r.message}" for r in [*rejected, *failed]]
        raise AirflowFailException(
            f"{len(rejected)} {feed} file(s) rejected at load"
            + (f" and {len(failed)} failed" if failed else "")
            + f" ({summary['loaded']} other file(s) loaded). Nothing of a rejected file is loaded; deliver a"
            " corrected export (new content) and it loads as a new file:\n" + "\n".join(lines)
        )
    if failed:
        raise TransientError(
            f"{len(failed)} {feed} file(s) could not be loaded (retried; files loaded meanwhile stay loaded):\n"
            + "\n".join(f"  {r.file} — {r.message}" for r in failed)
        )
    return summary


# -- the quality gate ------------------------------------------------------------------------------------


def rejection_message(feed: str, results: list[GateResult]) -> str:
    """Which batches the gate rejected and which checks failed, one line per check."""
    rejected = [r for r in results if not r.passed]
    lines = [
        f"{len(rejected)} of {len(results)} {feed} batch(es) rejected by the quality gate; they stay out of the"
        " marts (deliver a corrected export). audit.validation_results has every check:"
    ]
    for result in rejected:
        lines.append(f"  {result.file} (batch {result.batch_id}):")
        lines += [f"    failed  {f.check}: {f.message}" for f in result.failures]
    return "\n".join(lines)


def gate_summary(results: list[GateResult]) -> dict[str, Any]:
    return {
        "batches": len(results),
        "validated": [r.file for r in results if r.passed],
        "rejected": [r.file for r in results if not r.passed],
        "warnings": sum(len(r.warnings) for r in results),
    }


def validate_feed(feed: str) -> dict[str, Any]:
    """The quality gate on every loaded batch of ``feed``.

    A rejected batch fails the task for good (``AirflowFailException``, listing the files and the failed
    checks). With no batch to validate the task is skipped: there is nothing new to announce, so the build
    is not triggered for nothing. A check that could not run raises :class:`TransientError` (retried; the
    batches validated before it keep their result).
    """
    from ingestion.quality.gate import GateError

    results: list[GateResult] = []

    def record(result: GateResult) -> None:
        results.append(result)
        log.info("%s", result.summary())

    gate = quality_gate()
    try:
        with transient_errors():
            dsn = config.warehouse_dsn()
            gate.validate_pending(dsn, feeds=[feed], on_result=record)
    except TransientError as error:
        if any(not r.passed for r in results) and isinstance(error.__cause__, GateError):
            raise AirflowFailException(
                rejection_message(feed, results) + f"\nand then the gate could not run: {error}"
            ) from error
        raise
    if any(not r.passed for r in results):
        raise AirflowFailException(rejection_message(feed, results))
    if not results:
        raise AirflowSkipException(f"no loaded {feed} batch to validate: nothing new to announce")
    summary = gate_summary(results)
    log.info(
        "%s: %d batch(es) validated, %d warning(s); announcing them to the build",
        feed,
        len(results),
        summary["warnings"],
    )
    return summary


# -- build and publish -----------------------------------------------------------------------------------


def dbt_node_lines(dbt: DbtResult | None) -> list[str]:
    """One line per model, seed and snapshot dbt built (status, time, rows), and per test that did not
    pass; then the counts of everything. The per-node results of the one ``dbt build``."""
    if dbt is None:
        return []
    results = list(getattr(dbt.raw, "results", None) or [])
    lines = []
    for node in results:
        kind = str(getattr(node.node, "resource_type", "node"))
        status = str(node.status)
        if kind in ("test", "unit_test") and status == "pass":
            continue
        rows = (getattr(node, "adapter_response", None) or {}).get("rows_affected")
        lines.append(
            f"{kind:<9} {status:<8} {node.node.name}  {node.execution_time or 0:.2f} s"
            + (f", {rows} rows" if rows not in (None, -1) else "")
            + (f" — {node.message}" if status not in ("success", "pass") and node.message else "")
        )
    lines.append(f"dbt build: {dbt.summary()}  {dbt.seconds:.1f} s")
    return lines


def publish(full_refresh: bool = False) -> dict[str, Any]:
    """Build the marts into ``marts_next`` (one ``dbt build``: models and tests), run the GX mart suites,
    and swap them in (``ingestion.publish.publish_marts``). Not published — a dbt model or test or a mart
    suite failed — fails the task for good (analysts keep the previous marts; the next run rebuilds from
    scratch); another run holding the publish lock is transient (retried)."""
    from ingestion.publish import publish_marts

    with transient_errors():
        dsn = config.warehouse_dsn()
        log.info("building the marts on %s", config.warehouse_source())
        result = publish_marts(
            dsn, gate=quality_gate(), full_refresh=full_refresh, on_step=lambda m: log.info("%s", m)
        )
    for line in dbt_node_lines(result.dbt):
        log.info("%s", line)
    if result.marts_check is not None:
        log.info("mart suites: %s", result.marts_check.summary())
    log.info("%s", result.summary())
    if not result.published:
        raise AirflowFailException(
            f"the marts were not published (publication {result.publication_id}): {result.error}."
            f" Analysts keep the previous marts ({result.appeals if result.appeals is not None else 'no'}"
            " appeals); the next build rebuilds the candidate from scratch."
        )
    return {
        "publication_id": result.publication_id,
        "appeals": result.appeals,
        "previous_appeals": result.previous_appeals,
        "batches_published": result.batches_published,
        "batch_ceiling": result.batch_ceiling,
        "full_refresh": result.full_refresh,
        "full_refresh_reason": result.full_refresh_reason,
        "dbt": result.dbt.summary() if result.dbt else None,
        "mart_suites": result.marts_check.summary() if result.marts_check else None,
        "seconds": round(result.seconds, 1),
    }


# -- maintenance -----------------------------------------------------------------------------------------


def analyze_warehouse() -> dict[str, Any]:
    """ANALYZE raw, audit and marts."""
    from ingestion.orchestration.maintenance import analyze

    started = time.monotonic()
    with transient_errors():
        tables = analyze(config.warehouse_dsn())
    return {"tables": len(tables), "seconds": round(time.monotonic() - started, 1)}


def apply_retention() -> dict[str, Any]:
    """The retention policy (``ingestion.orchestration.maintenance``) with the configured periods."""
    from ingestion.orchestration.maintenance import apply_retention as retain

    periods = config.retention()
    with transient_errors():
        report = retain(
            config.warehouse_dsn(),
            superseded_days=periods.superseded_days,
            audit_days=periods.audit_days,
            gx_results_dir=quality_gate().results_dir,
        )
    return report.as_dict()


def refresh_docs() -> dict[str, Any]:
    """Regenerate the dbt docs (``appeals docs``) and the GX Data Docs."""
    from ingestion.orchestration.maintenance import refresh_docs as refresh

    with transient_errors():
        sites = refresh(config.warehouse_dsn(), gate=quality_gate())
    for name, where in sites.items():
        log.info("%s: %s", name, where)
    return sites

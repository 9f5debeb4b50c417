"""The nightly job without Airflow: ingest → quality gate → build, check and publish the marts.

    report = run_night(landing, dsn)
    print(report.render())             # one screen: files, rows, quarantined, checks, published or not
    sys.exit(0 if report.ok else 1)

Every step runs even when an earlier one found problems in some files: a rejected file or batch stays out
of the marts, and the good batches of every feed are still published. The report says what went wrong;
``ok`` is false when anything did (a file rejected or failed at load, a batch rejected by the gate, a gate
check that could not run, the marts not published). The Airflow DAGs call the same three steps.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ingestion.ingest import ingest_landing
from ingestion.load import LoadResult
from ingestion.publish import PublishResult, publish_marts

if TYPE_CHECKING:
    from ingestion.quality.gate import GateResult, QualityGate


@dataclass
class NightReport:
    """What a nightly run did, for people (``render``) and for code (``ok``, ``problems``)."""

    loads: list[LoadResult] = field(default_factory=list)
    gate: list[GateResult] = field(default_factory=list)
    gate_error: str | None = None
    publication: PublishResult | None = None
    data_docs: Path | None = None
    """The GX Data Docs index, when they were built."""
    seconds: float = 0.0

    @property
    def problems(self) -> list[str]:
        """Why the run is not clean, one reason per line; empty when it is."""
        found = [
            f"{r.status} at load: {r.file} — {r.message}"
            for r in self.loads
            if r.status in ("rejected", "failed")
        ]
        found += [f"rejected by the gate: {r.file} (batch {r.batch_id})" for r in self.gate if not r.passed]
        if self.gate_error:
            found.append(f"the gate could not run: {self.gate_error}")
        if self.publication is None:
            found.append("the marts were not built")
        elif not self.publication.published:
            found.append(f"the marts were not published: {self.publication.error}")
        return found

    @property
    def ok(self) -> bool:
        return not self.problems

    def render(self) -> str:
        """The one-screen summary every ``appeals run`` ends with."""
        count = {
            s: sum(r.status == s for r in self.loads) for s in ("loaded", "skipped", "rejected", "failed")
        }
        lines = [
            f"files     {len(self.loads)}: {count['loaded']} loaded, {count['skipped']} already loaded,"
            f" {count['rejected']} rejected, {count['failed']} failed",
            f"rows      {sum(r.rows_read for r in self.loads)} read, {sum(r.rows_loaded for r in self.loads)} loaded,"
            f" {sum(r.rows_quarantined for r in self.loads)} quarantined (audit.quarantine)",
        ]
        validated = [r for r in self.gate if r.passed]
        warned = [r for r in self.gate if r.warnings]
        failed_checks = sum(len(r.failures) for r in self.gate)
        lines.append(
            f"checks    {len(self.gate)} batch(es): {len(validated)} validated, {len(self.gate) - len(validated)}"
            f" rejected; {failed_checks} check(s) failed, {sum(len(r.warnings) for r in warned)} warned"
            f" in {len(warned)} batch(es) (audit.validation_results)"
        )
        if self.gate_error:
            lines.append(f"          the gate could not run: {self.gate_error}")
        pub = self.publication
        if pub is None:
            lines.append("marts     not built")
        else:
            if pub.dbt is not None:
                lines.append(f"dbt       {pub.dbt.summary()}  {pub.dbt.seconds:.1f} s")
            if pub.marts_check is not None:
                lines.append(f"suites    {pub.marts_check.summary()}")
            lines.append(f"marts     {pub.summary()}")
        if self.data_docs:
            lines.append(f"docs      GX Data Docs: {self.data_docs}")
        problems = self.problems
        if problems:
            lines.append(f"FAILED    {len(problems)} problem(s):")
            lines += [f"  - {_short(p)}" for p in problems[:12]]
            if len(problems) > 12:
                lines.append(f"  … and {len(problems) - 12} more (see above)")
        else:
            lines.append("OK")
        lines.append(f"time      {self.seconds:.1f} s")
        return "\n".join(lines)


def _short(text: str, limit: int = 220) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def run_night(
    landing: Path,
    dsn: str,
    *,
    gate: QualityGate | None = None,
    on_file: Callable[[LoadResult], None] | None = None,
    on_batch: Callable[[GateResult], None] | None = None,
    on_step: Callable[[str], None] | None = None,
    data_docs: bool = True,
) -> NightReport:
    """Ingest ``landing``, validate what is pending, build and publish; see the module docstring."""
    from ingestion.quality.gate import GateError, QualityGate

    started = time.monotonic()
    say = on_step or (lambda _message: None)
    report = NightReport()

    report.loads = ingest_landing(landing, dsn=dsn, on_file=on_file)

    say("quality gate")
    gate = gate or QualityGate()

    def record(result: GateResult) -> None:
        report.gate.append(result)
        if on_batch:
            on_batch(result)

    try:
        gate.validate_pending(dsn, on_result=record)
    except GateError as error:
        report.gate_error = str(error)

    say("build, check and publish the marts")
    report.publication = publish_marts(dsn, gate=gate, on_step=say)
    if data_docs:  # the batches' and the marts' validations of this run, and the earlier ones
        report.data_docs = gate.build_data_docs()
    report.seconds = time.monotonic() - started
    return report

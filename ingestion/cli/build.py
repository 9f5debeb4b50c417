"""``appeals validate``, ``appeals build`` and ``appeals run``: the quality gate, publishing the marts, and the
nightly job without Airflow."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from ingestion.cli.ingest import print_result
from ingestion.cli.warehouse import bring_up
from ingestion.nightly import run_night
from ingestion.publish import PublishBusy, PublishResult, publish_marts

if TYPE_CHECKING:
    from ingestion.quality.gate import GateResult


def print_gate_result(result: GateResult) -> None:
    """The gate's line for a batch, and one line per failed or warned check."""
    colour = "green" if result.passed and not result.warnings else ("yellow" if result.passed else "red")
    typer.echo(typer.style(result.summary(), fg=colour))
    for outcome in result.failures + result.warnings:
        typer.echo(f"    {outcome.outcome:<9} {outcome.message}")


def print_step(message: str) -> None:
    typer.echo(f"-- {message}")


def publish_or_exit(dsn: str, full_refresh: bool = False) -> PublishResult:
    """Build, check and publish the marts; print how it went; exit 1 unless they were published."""
    try:
        result = publish_marts(dsn, full_refresh=full_refresh, on_step=print_step)
    except PublishBusy as busy:
        typer.echo(typer.style(str(busy), fg="red"), err=True)
        raise typer.Exit(code=1) from busy
    typer.echo(typer.style(result.summary(), fg="green" if result.published else "red"))
    if not result.published:
        raise typer.Exit(code=1)
    return result


def validate(
    batch: list[int] = typer.Option(
        [], "--batch", help="Validate these batches (default: every pending one)."
    ),
    data_docs: bool = typer.Option(False, "--data-docs", help="Build GX Data Docs afterwards."),
) -> None:
    """Run the quality gate on loaded batches: each becomes validated or rejected (exit 1 if any is rejected)."""
    from ingestion.quality.gate import QualityGate

    dsn = bring_up()
    gate = QualityGate(data_docs=data_docs)
    if batch:
        results = [gate.validate_batch(dsn, batch_id) for batch_id in batch]
        for result in results:
            print_gate_result(result)
    else:
        results = gate.validate_pending(dsn, on_result=print_gate_result)
    rejected = sum(not r.passed for r in results)
    typer.echo(f"{len(results)} batch(es) validated: {len(results) - rejected} passed, {rejected} rejected")
    if data_docs:
        typer.echo(f"Data Docs: {gate.build_data_docs()}")
    if rejected:
        raise typer.Exit(code=1)


def build(
    full_refresh: bool = typer.Option(
        False, "--full-refresh", help="Rebuild the candidate marts from scratch instead of incrementally."
    ),
) -> None:
    """Build the marts from the validated batches, check them (dbt tests, GX mart suites), publish them.

    The marts analysts see change only when every check passed; otherwise they stay as they were and the
    command exits 1 saying why.
    """
    publish_or_exit(bring_up(), full_refresh)


def run(
    landing: Path = typer.Option(
        ..., "--landing", help="Landing folder to load.", exists=True, file_okay=False, resolve_path=True
    ),
) -> None:
    """The nightly job: ingest the landing folder, validate the new batches, build, check and publish.

    Rejected files and batches stay out of the marts; the good ones of every feed are published. Ends with a
    one-screen summary; exits 1 if anything was rejected or failed, or the marts were not published.
    """
    dsn = bring_up()
    typer.echo("== ingest")
    try:
        report = run_night(
            landing,
            dsn,
            on_file=print_result,
            on_batch=print_gate_result,
            on_step=lambda step: typer.echo(f"== {step}" if step in _STAGES else f"-- {step}"),
        )
    except PublishBusy as busy:
        typer.echo(typer.style(str(busy), fg="red"), err=True)
        raise typer.Exit(code=1) from busy
    typer.echo("\n== summary")
    typer.echo(report.render())
    if not report.ok:
        raise typer.Exit(code=1)


_STAGES = ("quality gate", "build, check and publish the marts")

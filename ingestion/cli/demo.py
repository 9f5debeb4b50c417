"""``appeals demo``: the nightly job end to end on bundled sample data, then how to connect."""

from __future__ import annotations

import time
from datetime import date

import psycopg
import typer

from ingestion.cli.build import print_gate_result
from ingestion.cli.ingest import print_result
from ingestion.cli.warehouse import bring_up, status
from ingestion.generate import generate
from ingestion.nightly import run_night
from ingestion.settings import load_settings

SAMPLE_TERRITORIES = ("87725000", "03709000", "69701000")  # Ухта, Горячий Ключ, Томск
SAMPLE_SEED = 2024
SAMPLE_VERSION = 2
"""Part of the sample folder's name: bump it when the generator's output changes, so old samples are not reused."""


def raw_counts(dsn: str) -> list[tuple[str, int, int, int]]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(
            "select feed, count(*), sum(rows_loaded), sum(rows_quarantined) from audit.load_batches"
            " where status in ('validated', 'published') group by feed order by feed"
        ).fetchall()


def mart_counts(dsn: str) -> list[tuple[str, int, int]]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(
            "select a.source_code, count(*), sum(a.question_count) from marts.fct_appeals a"
            " group by a.source_code order by a.source_code"
        ).fetchall()


def demo(
    rows: int = typer.Option(20_000, "--rows", help="Appeals in the sample data."),
) -> None:
    """Run the nightly job on sample data: warehouse up, sample exports, ingest, check, build and publish.

    The sample data is generated once (three municipalities, 2024, seed 2024) into .warehouse/demo/landing;
    running the demo again loads nothing twice.
    """
    started = time.monotonic()
    typer.echo("== 1/4 warehouse")
    dsn = bring_up()

    landing = load_settings().state_dir / "demo" / f"landing-v{SAMPLE_VERSION}-{rows}"
    typer.echo(f"\n== 2/4 sample exports in {landing}")
    if not (landing / "_truth").exists():
        summary = generate(
            landing, SAMPLE_TERRITORIES, date(2024, 1, 1), date(2024, 12, 31), rows=rows, seed=SAMPLE_SEED
        )
        typer.echo(f"Generated {summary.files_written} files ({sum(summary.appeals.values())} appeals).")
    else:
        typer.echo("Already generated.")

    typer.echo("\n== 3/4 the nightly job: ingest, quality gate, build, check and publish the marts")
    report = run_night(
        landing,
        dsn,
        on_file=print_result,
        on_batch=print_gate_result,
        on_step=lambda m: typer.echo(f"-- {m}"),
    )
    typer.echo("\n== 4/4 summary")
    typer.echo(report.render())

    typer.echo(f"\nDemo finished in {time.monotonic() - started:.1f} s. In the warehouse now:")
    for feed, files, loaded, quarantined in raw_counts(dsn):
        typer.echo(f"  raw {feed:<14} {files:>4} files  {loaded:>8} rows  {quarantined:>5} quarantined")
    for source, appeals, questions in mart_counts(dsn):
        typer.echo(f"  marts.fct_appeals  {source:<9} {appeals:>8} appeals {questions:>8} questions")
    typer.echo("")
    status()
    if not report.ok:
        raise typer.Exit(code=1)

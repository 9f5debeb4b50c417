"""``appeals demo``: the nightly job end to end on bundled sample data, then how to connect."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import psycopg
import typer

from ingestion.cli.warehouse import bring_up, status
from ingestion.generate import generate
from ingestion.settings import load_settings
from ingestion.warehouse.connection import with_user

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


def sample_report(dsn: str, out_dir: Path) -> tuple[Path, str, int] | None:
    """The HTML report of the municipality with most register appeals, for the latest year, built as the
    read-only ``analyst`` role (as an analyst would): its path, ОКТМО and year; None without register data."""
    from ingestion.reports.build import build_report
    from ingestion.reports.render import render_html

    with psycopg.connect(dsn) as conn:
        found = conn.execute(
            "select oktmo, extract(year from max(received_date))::int from marts.fct_appeals"
            " where source_code = 'register' and oktmo is not null group by oktmo order by count(*) desc limit 1"
        ).fetchone()
    if found is None:
        return None
    oktmo, year = found
    report = build_report(with_user(dsn, "analyst"), territory=oktmo, year=year)
    path = out_dir / f"report-{oktmo}-{year}.html"
    path.write_text(render_html(report), encoding="utf-8")
    return path, oktmo, year


def demo(
    rows: int = typer.Option(20_000, "--rows", help="Appeals in the sample data."),
) -> None:
    """Run the nightly job on sample data: warehouse up, sample exports, then the real Airflow DAGs in-process
    (ingest and gate per feed, build, check and publish the marts).

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

    typer.echo(
        "\n== 3/4 the nightly DAGs, run by Airflow in this process (ingest, gate, build, check, publish)"
    )
    from ingestion.orchestration.dag_runs import run_nightly_dags

    runs = run_nightly_dags(landing, dsn, quiet=True, on_run=lambda run: typer.echo(run.summary()))
    typer.echo("\n== 4/4 summary")
    typer.echo(runs.render())

    typer.echo(f"\nDemo finished in {time.monotonic() - started:.1f} s. In the warehouse now:")
    for feed, files, loaded, quarantined in raw_counts(dsn):
        typer.echo(f"  raw {feed:<14} {files:>4} files  {loaded:>8} rows  {quarantined:>5} quarantined")
    for source, appeals, questions in mart_counts(dsn):
        typer.echo(f"  marts.fct_appeals  {source:<9} {appeals:>8} appeals {questions:>8} questions")
    made = sample_report(dsn, landing.parent) if runs.ok else None
    if made:
        path, oktmo, year = made
        typer.echo(f"\nA report, as the analyst role: {path}")
        typer.echo(
            f"  (appeals report --territory {oktmo} --period {year} --out report.html; also .xlsx, .md)"
        )
    typer.echo("")
    status()
    typer.echo(
        "The runs and their task summaries are in Airflow's history: make airflow (http://127.0.0.1:8080)."
    )
    if not runs.ok:
        raise typer.Exit(code=1)

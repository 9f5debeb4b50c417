"""``appeals build`` and ``appeals run``: build the marts with dbt; the nightly job without Airflow."""

from __future__ import annotations

import time
from pathlib import Path

import typer

from ingestion.cli.ingest import print_result, summarise
from ingestion.cli.warehouse import bring_up
from ingestion.ingest import ingest_landing
from ingestion.transform import DbtError
from ingestion.transform import build as dbt_build


def build_marts(dsn: str, select: list[str] | None = None) -> None:
    """Run dbt build, print its duration; on failure print the failed nodes and exit 1."""
    started = time.monotonic()
    try:
        dbt_build(dsn, select or [])
    except DbtError as error:
        typer.echo(typer.style(str(error), fg="red"), err=True)
        raise typer.Exit(code=1) from error
    typer.echo(f"dbt build finished in {time.monotonic() - started:.1f} s")


def build(
    select: list[str] = typer.Option([], "--select", "-s", help="dbt selection (default: everything)."),
) -> None:
    """Build the star schema with dbt (seeds, models and their tests, in dependency order)."""
    build_marts(bring_up(), select)


def run(
    landing: Path = typer.Option(
        ..., "--landing", help="Landing folder to load.", exists=True, file_okay=False, resolve_path=True
    ),
) -> None:
    """The nightly job: ingest the landing folder, then build the marts.

    Exits 1 if a file was rejected or failed, or if the build failed; the files that could be loaded are
    loaded, and the marts are built from them.
    """
    dsn = bring_up()
    typer.echo("== ingest")
    results = ingest_landing(landing, dsn=dsn, on_file=print_result)
    line, ingest_ok = summarise(results)
    typer.echo(line)
    typer.echo("== build")
    build_marts(dsn)
    if not ingest_ok:
        typer.echo(typer.style("Some files were not loaded: see above.", fg="red"), err=True)
        raise typer.Exit(code=1)

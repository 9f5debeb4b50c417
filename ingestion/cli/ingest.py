"""``appeals ingest --landing DIR``: load every new export file of a landing folder."""

from __future__ import annotations

from pathlib import Path

import typer

from ingestion.ingest import ingest_landing
from ingestion.load import LoadResult


def print_result(result: LoadResult) -> None:
    colour = {"loaded": "green", "skipped": "blue", "rejected": "red", "failed": "red"}[result.status]
    counts = (
        f"read {result.rows_read:>7}  loaded {result.rows_loaded:>7}  quarantined {result.rows_quarantined:>5}"
        if result.status == "loaded"
        else " " * 52
    )
    typer.echo(
        typer.style(f"{result.status:<9}", fg=colour) + f"{counts}  {result.seconds:6.2f} s  {result.file}"
    )
    if result.message and result.status != "loaded":
        typer.echo(f"          {result.message}")


def summarise(results: list[LoadResult]) -> tuple[str, bool]:
    """One summary line, and whether every file went in (loaded or skipped as already loaded)."""
    by_status = {
        s: [r for r in results if r.status == s] for s in ("loaded", "skipped", "rejected", "failed")
    }
    line = (
        f"{len(results)} file(s): {len(by_status['loaded'])} loaded, {len(by_status['skipped'])} skipped,"
        f" {len(by_status['rejected'])} rejected, {len(by_status['failed'])} failed;"
        f" rows read {sum(r.rows_read for r in results)}, loaded {sum(r.rows_loaded for r in results)},"
        f" quarantined {sum(r.rows_quarantined for r in results)}"
    )
    return line, not (by_status["rejected"] or by_status["failed"])


def ingest(
    landing: Path = typer.Option(
        ...,
        "--landing",
        help="Landing folder with pos/, incident/, register/, reference/.",
        exists=True,
        file_okay=False,
        resolve_path=True,
    ),
) -> None:
    """Load every new export file under the landing folder into raw (files already loaded are skipped).

    Prints per file: rows read, loaded, quarantined, time. Exits 1 if a file was rejected or failed
    (the other files are loaded all the same).
    """
    results = ingest_landing(landing, on_file=print_result)
    line, ok = summarise(results)
    typer.echo(line)
    if not ok:
        raise typer.Exit(code=1)

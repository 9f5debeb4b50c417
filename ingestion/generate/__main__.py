"""Command line: ``python -m ingestion.generate landing …`` and ``… register-csv …``."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from ingestion.generate.bulk import write_register_csv
from ingestion.generate.core import FORMATS, SPLITS, generate

app = typer.Typer(add_completion=False, help="Synthetic landing data for the appeals warehouse.")


@app.command()
def landing(
    out_dir: Annotated[Path, typer.Argument(help="Landing folder to write (created if missing).")],
    territory: Annotated[
        list[str],
        typer.Option("--territory", "-t", help="ОКТМО of a municipality, or RR000000 for a region."),
    ],
    date_from: Annotated[datetime, typer.Option("--from", formats=["%Y-%m-%d"])],
    date_to: Annotated[datetime, typer.Option("--to", formats=["%Y-%m-%d"])],
    rows: Annotated[int, typer.Option(help="Approximate number of appeals across the feeds.")] = 5000,
    dirty_rate: Annotated[
        float, typer.Option(help="Probability of each kind of messiness (0 = clean).")
    ] = 0.02,
    seed: int = 0,
    split: Annotated[str, typer.Option(help=f"One of {', '.join(SPLITS)}.")] = "month",
    formats: Annotated[str, typer.Option(help=f"One of {', '.join(FORMATS)}.")] = "mixed",
) -> None:
    """Write ПОС, incident and register exports plus ``_truth/`` into OUT_DIR."""
    started = time.perf_counter()
    summary = generate(
        out_dir,
        territory,
        date_from.date(),
        date_to.date(),
        rows=rows,
        dirty_rate=dirty_rate,
        seed=seed,
        split=split,
        formats=formats,
    )
    typer.echo(
        f"{summary.files_written} files, appeals {summary.appeals}, rows {summary.rows_written}, "
        f"broken {summary.broken_rows} in {time.perf_counter() - started:.1f} s → {summary.out_dir}"
    )


@app.command("register-csv")
def register_csv(
    path: Path,
    rows: int,
    seed: int = 0,
    encoding: str = "cp1251",
    territory: str = "87725000",
) -> None:
    """Stream a big clean register CSV (one row per question) for load benchmarks."""
    started = time.perf_counter()
    write_register_csv(path, rows, seed=seed, encoding=encoding, territory=territory)
    elapsed = time.perf_counter() - started
    typer.echo(f"{rows} rows in {elapsed:.1f} s ({rows / max(elapsed, 1e-9):,.0f} rows/s) → {path}")


if __name__ == "__main__":
    app()

"""``appeals generate``: realistic synthetic exports of every feed, with ground truth."""

from __future__ import annotations

import time
from datetime import date, datetime
from pathlib import Path

import typer

from ingestion.generate import generate as generate_landing


def _date(text: str) -> date:
    try:
        return datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError as error:
        raise typer.BadParameter(f"{text!r} is not a date (expected YYYY-MM-DD)") from error


def generate(
    territory: list[str] = typer.Option(
        ..., "--territory", help="ОКТМО of a municipality (87725000) or a region (69000000); repeat for more."
    ),
    date_from: str = typer.Option(..., "--from", help="First day, YYYY-MM-DD."),
    date_to: str = typer.Option(..., "--to", help="Last day, YYYY-MM-DD."),
    out: Path = typer.Option(
        ..., "--out", help="Landing folder to write (pos/, incident/, register/, reference/)."
    ),
    rows: int = typer.Option(5000, "--rows", min=1, help="Approximate number of appeals across all feeds."),
    dirty_rate: float = typer.Option(
        0.02, "--dirty-rate", min=0.0, max=1.0, help="Share of files/rows with the mess of real exports."
    ),
    seed: int = typer.Option(0, "--seed", help="Same seed, same bytes."),
    split: str = typer.Option(
        "month", "--split", help="One file per feed (and body) per day|week|month|all."
    ),
    formats: str = typer.Option("mixed", "--formats", help="csv | xlsx | mixed."),
) -> None:
    """Write realistic ПОС, incident and register exports plus the organisation directory.

    Ground truth (what ingestion and the marts should end up with) goes to OUT/_truth/, which ingestion
    ignores. Example:

        appeals generate --territory 87725000 --from 2024-01-01 --to 2024-12-31 --out landing --rows 20000
    """
    started = time.monotonic()
    try:
        summary = generate_landing(
            out,
            territory,
            _date(date_from),
            _date(date_to),
            rows=rows,
            dirty_rate=dirty_rate,
            seed=seed,
            split=split,
            formats=formats,
        )
    except ValueError as error:
        raise typer.BadParameter(str(error)) from error
    typer.echo(
        f"Wrote {summary.files_written} files to {summary.out_dir} in {time.monotonic() - started:.1f} s"
    )
    for feed in sorted(summary.appeals):
        typer.echo(
            f"  {feed:<9} appeals {summary.appeals[feed]:>7}  rows {summary.rows_written.get(feed, 0):>7}"
            f"  broken rows {summary.broken_rows.get(feed, 0):>4}"
        )
    typer.echo(f"Ground truth: {summary.out_dir / '_truth'}")

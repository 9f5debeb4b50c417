"""``appeals demo``: the nightly job end to end on bundled sample data, then how to connect."""

from __future__ import annotations

import time

import typer

from ingestion.cli.warehouse import bring_up, status


def demo() -> None:
    """Bring the warehouse up and run the nightly job on sample data; print what landed and how to connect."""
    started = time.monotonic()
    typer.echo("== 1/1 warehouse")
    bring_up()
    typer.echo(f"\nDemo finished in {time.monotonic() - started:.1f} s.\n")
    status()

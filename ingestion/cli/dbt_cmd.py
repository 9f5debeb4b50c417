"""``appeals dbt …``: any dbt command against the warehouse, with the project's profile and connection."""

from __future__ import annotations

import typer

from ingestion.transform import run_dbt


def dbt(ctx: typer.Context) -> None:
    """Run a dbt command on the warehouse, e.g. `appeals dbt ls`, `appeals dbt docs generate`."""
    result = run_dbt(list(ctx.args) or ["--help"])
    if not result.success:
        raise typer.Exit(code=1)

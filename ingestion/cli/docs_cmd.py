"""``appeals docs``: generate the dbt documentation site (every mart and column) and serve it."""

from __future__ import annotations

import typer

from ingestion.settings import load_settings
from ingestion.transform import run_dbt


def docs(
    serve: bool = typer.Option(True, "--serve/--no-serve", help="Serve the site after generating it."),
    port: int = typer.Option(8081, "--port", help="Port of the local documentation server."),
) -> None:
    """Generate the dbt docs of the warehouse (models, columns, tests, lineage, exposures) and serve them."""
    if not run_dbt(["docs", "generate"]).success:
        raise typer.Exit(code=1)
    target = load_settings().dbt_project_dir / "target" / "index.html"
    typer.echo(f"Documentation written to {target}")
    if serve:
        typer.echo(f"Serving on http://127.0.0.1:{port} (Ctrl+C to stop)")
        run_dbt(["docs", "serve", "--port", str(port), "--host", "127.0.0.1", "--no-browser"])

"""Top-level ``appeals`` application; each command group lives in its own module."""

from __future__ import annotations

import logging

import typer

from ingestion.cli import (
    access,
    airflow_cmd,
    bench,
    build,
    dbt_cmd,
    demo,
    docs_cmd,
    generate,
    ingest,
    report,
    warehouse,
)

app = typer.Typer(
    name="appeals",
    help="Warehouse of citizens' appeals: load exports, check them, build and publish the marts.",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(warehouse.app, name="warehouse")
app.add_typer(access.app, name="access")
app.command("ingest")(ingest.ingest)
app.command("validate")(build.validate)
app.command("build")(build.build)
app.command("run")(build.run)
app.command("generate")(generate.generate)
app.command("docs")(docs_cmd.docs)
app.command("demo")(demo.demo)
app.command("bench")(bench.bench)
app.command("report")(report.report)
app.command("dbt", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})(dbt_cmd.dbt)
app.command(
    "airflow",
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
)(airflow_cmd.airflow)


@app.callback()
def main(verbose: bool = typer.Option(False, "--verbose", "-v", help="Show debug logging.")) -> None:
    """Configure logging for every command."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
        datefmt="%H:%M:%S",
    )
    if not verbose:
        # GX logs its own set-up at INFO; the gate and the publish step log what the commands print
        for name in ("great_expectations", "ingestion.quality.gate", "ingestion.publish"):
            logging.getLogger(name).setLevel(logging.WARNING)

"""``appeals airflow …``: the ``airflow`` command with the project's Airflow home and settings."""

from __future__ import annotations

import typer

from ingestion.airflow_home import prepare_airflow_home, run_airflow


def airflow(ctx: typer.Context) -> None:
    """Run any airflow command against the project's Airflow home, e.g. `appeals airflow dags list`.

    `appeals airflow prepare` (re)creates the home: configuration, metadata database, DAG registration.
    """
    args = list(ctx.args)
    if args == ["prepare"]:
        typer.echo("Preparing the Airflow home (configuration, metadata database, DAGs) …")
        prepare_airflow_home()
        typer.echo("Airflow home ready.")
        return
    raise typer.Exit(code=run_airflow(args or ["--help"]))

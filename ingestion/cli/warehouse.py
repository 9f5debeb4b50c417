"""``appeals warehouse up|down|status|psql|migrate``: manage the warehouse database."""

from __future__ import annotations

import os

import psycopg
import typer

from ingestion.settings import load_settings
from ingestion.warehouse.connection import embedded_server, redact, warehouse_dsn, with_user
from ingestion.warehouse.embedded import psql_path
from ingestion.warehouse.migrate import current_version, migrate

app = typer.Typer(help="Start, stop and inspect the warehouse database.", no_args_is_help=True)


def bring_up() -> str:
    """Start the embedded server if configured, create the database, apply migrations; return the DSN."""
    settings = load_settings()
    if settings.uses_embedded_server:
        typer.echo(f"Starting the embedded PostgreSQL (data in {settings.pgdata}) …")
    dsn = warehouse_dsn(settings)
    applied = migrate(dsn)
    if applied:
        typer.echo("Applied migrations: " + ", ".join(m.path.name for m in applied))
    else:
        typer.echo("Migrations: up to date.")
    return dsn


@app.command()
def up() -> None:
    """Start the warehouse (embedded server unless WAREHOUSE_DSN is set) and apply migrations."""
    bring_up()
    status()


@app.command()
def down() -> None:
    """Stop the embedded server; its data stays in the state folder for the next `up`."""
    settings = load_settings()
    if not settings.uses_embedded_server:
        typer.echo("WAREHOUSE_DSN points at an external server: nothing to stop.")
        return
    stopped = embedded_server(settings).down()
    typer.echo("Embedded PostgreSQL stopped." if stopped else "Embedded PostgreSQL was not running.")


@app.command()
def status() -> None:
    """Show whether the warehouse runs and how to connect to it (psql, BI tools)."""
    settings = load_settings()
    if settings.uses_embedded_server:
        server = embedded_server(settings).status()
        if not server.running:
            typer.echo(
                f"Embedded PostgreSQL: stopped (data in {settings.pgdata}). Start it: appeals warehouse up"
            )
            raise typer.Exit(code=3)
        dsn = server.dsn(settings.database)
        typer.echo(f"Embedded PostgreSQL: running, pid {server.pid}, 127.0.0.1:{server.port}")
        typer.echo(f"Data folder:         {settings.pgdata}")
    else:
        dsn = settings.warehouse_dsn
        assert dsn is not None
        try:
            psycopg.connect(dsn, connect_timeout=5).close()
        except psycopg.OperationalError as error:
            typer.echo(f"Warehouse {redact(dsn)} is not reachable: {error}", err=True)
            raise typer.Exit(code=3) from error
        typer.echo("External PostgreSQL (WAREHOUSE_DSN)")
    version = current_version(dsn)
    typer.echo(
        f"Schema version:      {version if version is not None else 'not migrated (appeals warehouse up)'}"
    )
    typer.echo(f"Connect (owner):     {redact(dsn)}")
    typer.echo(f"Connect (analyst):   {with_user(dsn, 'analyst')}   read-only, schema marts")
    typer.echo(f"Connect (BI tools):  {with_user(dsn, 'bi')}   read-only, schema marts")
    typer.echo(f"SQL shell:           appeals warehouse psql   ({psql_path()})")


@app.command()
def psql(
    role: str = typer.Option(None, "--role", help="Connect as this role instead (e.g. analyst, bi)."),
) -> None:
    """Open psql on the warehouse."""
    dsn = warehouse_dsn()
    if role:
        dsn = with_user(dsn, role)
    os.execv(psql_path(), [psql_path(), dsn])


@app.command("migrate")
def migrate_command() -> None:
    """Apply pending migrations (also done by `up` and by every pipeline command)."""
    bring_up()

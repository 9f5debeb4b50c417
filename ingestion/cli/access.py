"""``appeals access grant|revoke|list``: municipal analysts and the territories they see (docs/access.md)."""

from __future__ import annotations

import typer

from ingestion import access
from ingestion.warehouse.connection import warehouse_dsn

app = typer.Typer(
    help="Limit municipal analysts to their territories (row-level security).", no_args_is_help=True
)

ROLE = typer.Option(
    ..., "--role", help="Login role of the municipal analyst, e.g. mo_tomsk (created if missing)."
)


def _territories(count: int) -> str:
    return f"{count} territor{'y' if count == 1 else 'ies'}"


def _fail(error: access.AccessError) -> None:
    typer.echo(f"appeals access: {error}", err=True)
    raise typer.Exit(code=2)


@app.command()
def grant(
    role: str = ROLE,
    oktmo: list[str] = typer.Option(
        ..., "--oktmo", help="ОКТМО of a region, municipality or settlement; repeat for several."
    ),
) -> None:
    """Let ROLE see the marts rows of these territories and of every territory under them."""
    try:
        created, made = access.grant(warehouse_dsn(), role, oktmo)
    except access.AccessError as error:
        _fail(error)
    if created:
        typer.echo(
            f"created login role {role} (member of {access.MUNICIPAL_GROUP}); set its password in psql"
        )
        typer.echo(f"(appeals warehouse psql):  \\password {role}")
    for g in made:
        typer.echo(f"{role} sees {g.name} ({g.level}, ОКТМО {g.oktmo}): {_territories(g.territories)}")


@app.command()
def revoke(
    role: str = ROLE,
    oktmo: list[str] = typer.Option(None, "--oktmo", help="Territories to take away; all when omitted."),
) -> None:
    """Take territories away from ROLE (all of them without --oktmo); it then sees no rows of those."""
    removed = access.revoke(warehouse_dsn(), role, oktmo or None)
    typer.echo(f"{role}: {removed} grant(s) removed")


@app.command("list")
def list_grants(role: str = typer.Option(None, "--role", help="Only this role's grants.")) -> None:
    """Show every grant: role, ОКТМО, territory, level and how many territories it covers."""
    found = access.grants(warehouse_dsn(), role)
    if not found:
        typer.echo("no territory grants: analyst and bi see every row; municipal roles see none")
        return
    for g in found:
        name = g.name or "(not in the published marts)"
        typer.echo(f"{g.role:<24} {g.oktmo:<12} {name} ({g.level or '-'}, {_territories(g.territories)})")

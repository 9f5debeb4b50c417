"""Who sees which territories of the marts: municipal analyst roles and their ОКТМО grants (docs/access.md).

A municipal analyst is a login role that is a member of ``municipal_analyst`` (migration V006). The row-level
policies of the marts with a ``territory_key`` (dbt macro ``restrict_to_granted_territories``) show such a role
the rows of the territories in ``access.territory_grants`` — a region, municipality or settlement code covers
every territory under it — and nothing else. ``analyst`` and ``bi`` see every row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import psycopg
from psycopg import sql

MUNICIPAL_GROUP = "municipal_analyst"
# Roles that see every row or build the warehouse: never limited to territories.
UNRESTRICTED_ROLES = frozenset({"analyst", "bi", "loader", "transformer", "postgres", MUNICIPAL_GROUP})
ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
OKTMO_CODE = re.compile(r"^[0-9]{8}([0-9]{3})?$")


class AccessError(ValueError):
    """A grant that cannot be made: the message says why and what to do."""


@dataclass(frozen=True)
class TerritoryGrant:
    role: str
    oktmo: str
    name: str | None
    """The territory's name in the published dim_territory (None when it is not there)."""
    level: str | None
    territories: int
    """How many dim_territory members the grant covers (the territory and every one under it)."""


def _check_role_name(role: str) -> None:
    if not ROLE_NAME.match(role):
        raise AccessError(
            f"role {role!r}: use lower-case latin letters, digits and _ (e.g. mo_tomsk), at most 63 characters"
        )
    if role in UNRESTRICTED_ROLES or role.startswith("pg_"):
        raise AccessError(
            f"role {role!r} is a built-in role of the warehouse and cannot be limited to territories"
        )


def _territory(conn: psycopg.Connection, oktmo: str) -> tuple[str, str, int]:
    """(name, level, members covered) of an ОКТМО code in the published marts, or AccessError."""
    if not OKTMO_CODE.match(oktmo):
        raise AccessError(f"ОКТМО {oktmo!r}: expected 8 digits (region, municipality) or 11 (settlement)")
    if conn.execute("select to_regclass('marts.dim_territory')").fetchone()[0] is None:
        raise AccessError("the marts are not published yet: run `appeals run` or `appeals build` first")
    found = conn.execute(
        "select name, level from marts.dim_territory where oktmo = %s and is_current", [oktmo]
    ).fetchone()
    if found is None:
        raise AccessError(f"ОКТМО {oktmo} is not a territory of marts.dim_territory")
    covered = conn.execute("select count(*) from access.territory_keys(%s)", [oktmo]).fetchone()[0]
    return found[0], found[1], covered


def _prepare_role(conn: psycopg.Connection, role: str) -> bool:
    """Create the login role if needed and make it a member of municipal_analyst; True when created."""
    existing = conn.execute(
        "select r.rolsuper or r.rolbypassrls, array(select g.rolname from pg_auth_members m"
        " join pg_roles g on g.oid = m.roleid where m.member = r.oid)"
        " from pg_roles r where r.rolname = %s",
        [role],
    ).fetchone()
    identifier = sql.Identifier(role)
    if existing is None:
        conn.execute(sql.SQL("create role {} login").format(identifier))
    else:
        privileged, groups = existing
        wide = sorted(set(groups) & (UNRESTRICTED_ROLES - {MUNICIPAL_GROUP}))
        if privileged or wide:
            why = "bypasses row-level security" if privileged else f"is a member of {', '.join(wide)}"
            raise AccessError(f"role {role!r} {why}: it would see every territory; use a role of its own")
    conn.execute(sql.SQL("grant {} to {}").format(sql.Identifier(MUNICIPAL_GROUP), identifier))
    return existing is None


def grant(dsn: str, role: str, oktmo_codes: list[str]) -> tuple[bool, list[TerritoryGrant]]:
    """Let ``role`` see the marts rows of these territories (creating the login role if it does not exist).

    Returns whether the role was created and the grants made. One transaction: all codes or none.
    """
    _check_role_name(role)
    if not oktmo_codes:
        raise AccessError("name at least one territory: --oktmo CODE")
    with psycopg.connect(dsn) as conn:
        territories = {code: _territory(conn, code) for code in oktmo_codes}
        created = _prepare_role(conn, role)
        for code in oktmo_codes:
            conn.execute(
                "insert into access.territory_grants (role_name, oktmo) values (%s, %s)"
                " on conflict (role_name, oktmo) do nothing",
                [role, code],
            )
    return created, [TerritoryGrant(role, code, *territories[code]) for code in oktmo_codes]


def revoke(dsn: str, role: str, oktmo_codes: list[str] | None = None) -> int:
    """Remove grants of ``role`` (all of them when no codes are given); returns how many were removed.

    The role stays a member of municipal_analyst: without grants it sees no rows of the marts.
    """
    with psycopg.connect(dsn) as conn:
        if oktmo_codes:
            cursor = conn.execute(
                "delete from access.territory_grants where role_name = %s and oktmo = any(%s)",
                [role, oktmo_codes],
            )
        else:
            cursor = conn.execute("delete from access.territory_grants where role_name = %s", [role])
        return cursor.rowcount


def grants(dsn: str, role: str | None = None) -> list[TerritoryGrant]:
    """Every grant (or one role's), with the territory's name, level and the members it covers."""
    with psycopg.connect(dsn) as conn:
        published = conn.execute("select to_regclass('marts.dim_territory')").fetchone()[0] is not None
        rows = conn.execute(
            "select role_name, oktmo from access.territory_grants"
            " where %(role)s::text is null or role_name = %(role)s order by 1, 2",
            {"role": role},
        ).fetchall()
        found = []
        for name, code in rows:
            try:
                territory = _territory(conn, code) if published else (None, None, 0)
            except AccessError:  # the code left the ОКТМО reference: the grant covers nothing now
                territory = (None, None, 0)
            found.append(TerritoryGrant(name, code, *territory))
        return found

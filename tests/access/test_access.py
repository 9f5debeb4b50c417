"""Who sees what, tested by connecting as each role (never ``set role`` from a superuser): analyst and bi read
the marts and nothing else; a municipal analyst reads only the rows of its territories (row-level security
from ``appeals access grant``), at every level of the ОКТМО hierarchy; the marts hold no personal data even when
the sources are full of it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from typer.testing import CliRunner

from ingestion import access
from ingestion.cli import app
from ingestion.warehouse.connection import with_user
from tests.dbt.conftest import Warehouse, generate_landing
from tests.support.exports import INCIDENT_HEADERS, REGISTER_HEADERS, register_row, write_csv

pytestmark = pytest.mark.slow

UKHTA, TOMSK = "87725000", "69701000"
KOMI, TOMSK_REGION = "87000000", "69000000"
RESTRICTED = ["raw", "audit", "staging", "intermediate", "quality", "marts_next"]
TERRITORY_MARTS = [
    "fct_appeals",
    "fct_appeal_questions",
    "agg_appeals_monthly",
    "agg_questions_monthly",
    "agg_appeal_profile_monthly",
    "agg_question_topics_monthly",
    "agg_personal_reception_monthly",
    "agg_appeal_outcomes_monthly",
    "agg_incident_response_monthly",
]

# Personal data the sources carry (names, phones, e-mails, addresses): none of it may reach marts.
NAMES = ["Маркерова Анна Петровна", "Маркеров Пётр"]
PHONES = ["+7 (912) 555-01-23", "+79135550199", "8-912-555-01-23"]
EMAILS = ["anna.markerova@example.org", "petr.markerov@example.org"]
ADDRESSES = ["ул. Маркерная, д. 13, кв. 7", "пр. Сыктывкарский, д. 99"]
PERSONAL = NAMES + PHONES + EMAILS + ADDRESSES


@dataclass
class Published:
    warehouse: Warehouse
    dsn: str


def personal_data_exports(landing: Path) -> None:
    """A register export and an incident export whose applicants write their names, phones, e-mails and
    addresses into every free-text field they have."""
    rows = [
        register_row(
            990_001 + i,
            Корреспондент=f"{NAMES[0]} - Ухта, тел. {PHONES[i % 3]}, {EMAILS[0]}",
            Адрес=f"г. Ухта, {ADDRESSES[i % 2]}, {PHONES[(i + 1) % 3]}",
        )
        for i in range(6)
    ]
    write_csv(landing / "register" / UKHTA / "register_personal.csv", REGISTER_HEADERS, rows)
    incidents = [
        [
            f"inc-pd-{i}",
            "2024-03-15T08:00:00+03:00",
            "ВКонтакте",
            f"{NAMES[1]} {PHONES[1]}",
            f"Я {NAMES[0]}, живу: {ADDRESSES[0]}, звоните {PHONES[0]} или пишите {EMAILS[1]}",
            "Дороги",
            "г. Ухта",
            UKHTA,
            "Ответ дан",
            "Нет",
        ]
        for i in range(4)
    ]
    write_csv(landing / "incident" / "incident_personal.csv", INCIDENT_HEADERS, incidents)


@pytest.fixture(scope="module")
def published(warehouse_factory, tmp_path_factory: pytest.TempPathFactory) -> Published:
    """2024 for Ухта and Томск plus exports full of personal data: ingested, validated, published."""
    landing = generate_landing(tmp_path_factory.mktemp("landing"), date(2024, 6, 30), rows=900, seed=11)
    personal_data_exports(landing)
    warehouse = warehouse_factory()
    warehouse.ingest(landing)
    warehouse.build()
    return Published(warehouse, warehouse.dsn)


def as_role(dsn: str, role: str, statement: str | sql.Composable, params: object = None) -> list[tuple]:
    """A query run on a connection of ``role`` itself."""
    with psycopg.connect(with_user(dsn, role)) as conn:
        return conn.execute(statement, params).fetchall()


def owner_count(dsn: str, table: str, oktmo: str | None) -> int:
    """Rows of a mart at or under ``oktmo`` as the owner sees them (row-level security does not apply)."""
    with psycopg.connect(dsn) as conn:
        return conn.execute(
            sql.SQL(
                "select count(*) from marts.{} where %(code)s::text is null"
                " or territory_key in (select access.territory_keys(%(code)s))"
            ).format(sql.Identifier(table)),
            {"code": oktmo},
        ).fetchone()[0]


def count_of(schema: str, table: str) -> sql.Composed:
    """``select count(*)`` of one table, its name quoted as an identifier."""
    return sql.SQL("select count(*) from {}.{}").format(sql.Identifier(schema), sql.Identifier(table))


def drop_role(dsn: str, role: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("delete from access.territory_grants where role_name = %s", [role])
        conn.execute(sql.SQL("drop role if exists {}").format(sql.Identifier(role)))


@pytest.fixture
def municipal(published: Published) -> Iterator[str]:
    name = f"mo_test_{uuid.uuid4().hex[:10]}"
    yield name
    drop_role(published.dsn, name)


def test_every_mart_with_a_territory_is_tested_here(published: Published) -> None:
    """A mart with territory_key is in TERRITORY_MARTS, so the tests below check its row-level security."""
    with psycopg.connect(published.dsn) as conn:
        with_territory = {
            name
            for (name,) in conn.execute(
                "select table_name from information_schema.columns"
                " where table_schema = 'marts' and column_name = 'territory_key'"
                " and table_name <> 'dim_territory'"
            )
        }
        secured = {
            name
            for (name,) in conn.execute(
                "select c.relname from pg_class as c join pg_namespace as n on n.oid = c.relnamespace"
                " where n.nspname = 'marts' and c.relrowsecurity"
            )
        }
    assert with_territory == set(TERRITORY_MARTS)
    assert with_territory <= secured


@pytest.mark.parametrize("role", ["analyst", "bi"])
def test_readers_see_every_row_of_marts_and_nothing_else(published: Published, role: str) -> None:
    for table in TERRITORY_MARTS:
        (seen,) = as_role(published.dsn, role, count_of("marts", table))[0]
        assert seen == owner_count(published.dsn, table, None) > 0, table
    with psycopg.connect(with_user(published.dsn, role)) as conn:
        visible = {
            r[0]
            for r in conn.execute(
                "select nspname from pg_namespace where has_schema_privilege(oid, 'usage')"
                " and nspname not like 'pg\\_%' and nspname <> 'information_schema'"
            )
        }
        writable = conn.execute(
            "select count(*) from information_schema.tables where table_schema = 'marts'"
            " and (has_table_privilege(format('%I.%I', table_schema, table_name), 'insert, update, delete'))"
        ).fetchone()[0]
    assert not visible & set(RESTRICTED), visible
    assert {"marts"} <= visible
    assert writable == 0
    for schema, table in [("raw", "register_rows"), ("audit", "load_batches"), ("marts_next", "fct_appeals")]:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            as_role(published.dsn, role, count_of(schema, table))


def test_loader_and_transformer_alone_read_raw(published: Published) -> None:
    with psycopg.connect(published.dsn) as conn:
        readers = {
            r[0]
            for r in conn.execute(
                "select r.rolname from pg_roles r where not r.rolsuper and r.rolname !~ '^pg_'"
                " and has_table_privilege(r.oid, 'raw.register_rows', 'select')"
            )
        }
    assert readers == {"loader", "transformer"}


def test_municipal_analyst_sees_only_its_municipality(published: Published, municipal: str) -> None:
    created, made = access.grant(published.dsn, municipal, [TOMSK])
    assert created and made[0].level == "municipality" and made[0].territories >= 1
    for table in TERRITORY_MARTS:
        (seen,) = as_role(published.dsn, municipal, count_of("marts", table))[0]
        assert seen == owner_count(published.dsn, table, TOMSK) > 0, table
        assert seen < owner_count(published.dsn, table, None), table
    oktmo = as_role(published.dsn, municipal, "select distinct oktmo from marts.fct_appeals")
    assert oktmo == [(TOMSK,)]
    # dimensions hold no rows of appeals: every member stays visible
    (territories,) = as_role(published.dsn, municipal, "select count(*) from marts.dim_territory")[0]
    assert territories == owner_count_dimension(published.dsn)
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        as_role(published.dsn, municipal, "select 1 from raw.register_rows limit 1")
    # its own grants only
    assert as_role(published.dsn, municipal, "select role_name, oktmo from access.territory_grants") == [
        (municipal, TOMSK)
    ]


def owner_count_dimension(dsn: str) -> int:
    with psycopg.connect(dsn) as conn:
        return conn.execute("select count(*) from marts.dim_territory").fetchone()[0]


def test_region_grant_rolls_up_every_territory_under_it(published: Published, municipal: str) -> None:
    access.grant(published.dsn, municipal, [KOMI])
    (seen,) = as_role(published.dsn, municipal, "select count(*) from marts.fct_appeals")[0]
    assert (
        seen
        == owner_count(published.dsn, "fct_appeals", KOMI)
        == owner_count(published.dsn, "fct_appeals", UKHTA)
    )
    (questions,) = as_role(
        published.dsn, municipal, "select sum(questions) from marts.agg_questions_monthly"
    )[0]
    assert questions == owner_count(published.dsn, "fct_appeal_questions", UKHTA)


def test_two_territories_and_revoke(published: Published, municipal: str) -> None:
    access.grant(published.dsn, municipal, [TOMSK, UKHTA])
    (seen,) = as_role(published.dsn, municipal, "select count(*) from marts.fct_appeals")[0]
    assert seen == owner_count(published.dsn, "fct_appeals", TOMSK) + owner_count(
        published.dsn, "fct_appeals", UKHTA
    )
    assert access.revoke(published.dsn, municipal, [UKHTA]) == 1
    (seen,) = as_role(published.dsn, municipal, "select count(*) from marts.fct_appeals")[0]
    assert seen == owner_count(published.dsn, "fct_appeals", TOMSK)
    assert access.revoke(published.dsn, municipal) == 1
    assert as_role(published.dsn, municipal, "select count(*) from marts.fct_appeals") == [(0,)]


def test_policies_survive_the_next_publication(published: Published, municipal: str) -> None:
    access.grant(published.dsn, municipal, [UKHTA])
    before = as_role(published.dsn, municipal, "select count(*) from marts.fct_appeals")
    published.warehouse.build()  # a new candidate is built, checked and swapped in
    assert as_role(published.dsn, municipal, "select count(*) from marts.fct_appeals") == before
    assert as_role(published.dsn, municipal, "select distinct oktmo from marts.fct_appeals") == [(UKHTA,)]


def test_grant_refuses_what_would_leak_or_is_wrong(published: Published, municipal: str) -> None:
    with pytest.raises(access.AccessError, match="built-in role"):
        access.grant(published.dsn, "analyst", [TOMSK])
    with pytest.raises(access.AccessError, match="not a territory"):
        access.grant(published.dsn, municipal, ["99999999"])
    with pytest.raises(access.AccessError, match="8 digits"):
        access.grant(published.dsn, municipal, ["6970"])
    with psycopg.connect(published.dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("create role {} login in role analyst").format(sql.Identifier(municipal)))
    with pytest.raises(access.AccessError, match="member of analyst"):
        access.grant(published.dsn, municipal, [TOMSK])


def test_cli_grant_list_revoke(published: Published, municipal: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WAREHOUSE_DSN", published.dsn)
    runner = CliRunner()
    granted = runner.invoke(app, ["access", "grant", "--role", municipal, "--oktmo", TOMSK])
    assert granted.exit_code == 0, granted.output
    assert f"created login role {municipal}" in granted.output and "ОКТМО 69701000" in granted.output
    listed = runner.invoke(app, ["access", "list", "--role", municipal])
    assert listed.exit_code == 0 and TOMSK in listed.output and "municipality" in listed.output
    wrong = runner.invoke(app, ["access", "grant", "--role", municipal, "--oktmo", "12"])
    assert wrong.exit_code == 2 and "8 digits" in wrong.output
    revoked = runner.invoke(app, ["access", "revoke", "--role", municipal])
    assert revoked.exit_code == 0 and "1 grant(s) removed" in revoked.output


def test_marts_hold_no_personal_data(published: Published) -> None:
    """Every column of every mart, cast to text, is searched for the names, phones, e-mails and addresses
    that the sources carried (and that raw holds, which proves they were loaded)."""
    patterns = [f"%{value}%" for value in PERSONAL]
    with psycopg.connect(published.dsn) as conn:
        in_raw = conn.execute(
            "select count(*) from raw.register_rows where correspondent like any(%(p)s) or address like any(%(p)s)",
            {"p": patterns},
        ).fetchone()[0]
        assert in_raw == 6
        columns = conn.execute(
            "select table_name, column_name from information_schema.columns where table_schema = 'marts'"
            " order by 1, 2"
        ).fetchall()
        assert len({t for t, _ in columns}) >= 10
        leaks = []
        for table, column in columns:
            (hits,) = conn.execute(
                sql.SQL("select count(*) from marts.{} where {}::text like any(%s)").format(
                    sql.Identifier(table), sql.Identifier(column)
                ),
                [patterns],
            ).fetchone()
            if hits:
                leaks.append(f"marts.{table}.{column}: {hits} rows")
    assert not leaks, leaks

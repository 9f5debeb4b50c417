"""The mart suites on real marts: built once per module by real dbt, then copied and broken, one way per test.

A small generated landing (no messiness) is loaded, validated by the feed gate and built with ``dbt build``
into ``marts``. The built marts pass; so do copies of them in a schema of their own (the suites follow the
``search_path``, and the publish guard compares the copy with ``marts``). Each failure class then gets its
own copy, broken with one SQL statement, and must fail with a message that names the mart and the counts.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import psycopg
import pytest
from psycopg import sql

from ingestion.generate import generate
from ingestion.ingest import ingest_landing
from ingestion.quality.docs import mart_checks_table
from ingestion.quality.gate import GateError
from ingestion.quality.mart_checks import MART_CHECKS, MARTS
from ingestion.quality.marts_gate import MartGateResult, validate_marts
from ingestion.settings import load_settings
from ingestion.transform import build
from ingestion.warehouse.migrate import migrate
from tests.conftest import dsn_for_database
from tests.quality.conftest import TEST_KEY

if TYPE_CHECKING:
    from ingestion.quality.gate import QualityGate

pytestmark = pytest.mark.slow

TERRITORIES = ["87725000", "69701000"]  # Ухта, Томск


@dataclass(frozen=True)
class Built:
    dsn: str
    appeals: int
    questions: int


@pytest.fixture(scope="module")
def built(server_dsn: str, gate: QualityGate, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    """Half a year of ~600 clean appeals: generated, loaded, validated by the feed gate, built by dbt."""
    name = f"appeals_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    dsn = dsn_for_database(server_dsn, name)
    try:
        migrate(dsn)
        landing = tmp_path_factory.mktemp("mart-landing")
        dbt_dir = tmp_path_factory.mktemp("mart-dbt")
        generate(landing, TERRITORIES, date(2024, 1, 1), date(2024, 6, 30), rows=600, dirty_rate=0, seed=11)
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("APPEALS_HMAC_KEY", TEST_KEY)
            patch.setenv("APPEALS_DBT_THREADS", "4")
            patch.setenv("DBT_TARGET_PATH", str(dbt_dir / "target"))
            patch.setenv("DBT_LOG_PATH", str(dbt_dir / "logs"))
            loaded = ingest_landing(landing, dsn=dsn)
            assert all(r.status == "loaded" for r in loaded), [r for r in loaded if r.status != "loaded"]
            rejected = [r.summary() for r in gate.validate_pending(dsn) if not r.passed]
            assert not rejected, rejected
            build(dsn)
        with psycopg.connect(dsn) as conn:
            appeals, questions = conn.execute(
                "select (select count(*) from marts.fct_appeals), (select count(*) from marts.fct_appeal_questions)"
            ).fetchone()
        assert appeals > 400, "the generated landing should give a few hundred appeals"
        yield Built(dsn, appeals, questions)
    finally:
        with psycopg.connect(server_dsn, autocommit=True) as conn:
            conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))


Copy = Callable[..., str]


@pytest.fixture
def copy_marts(built: Built) -> Iterator[Copy]:
    """``copy_marts(*statements)``: every mart copied into a new schema, then the statements run there
    (``search_path`` is the copy); returns the schema. Dropped after the test."""
    schemas: list[str] = []

    def copy(*statements: str) -> str:
        schema = f"scratch_{uuid.uuid4().hex[:10]}"
        schemas.append(schema)
        with psycopg.connect(built.dsn, autocommit=True) as conn:
            conn.execute(sql.SQL("create schema {}").format(sql.Identifier(schema)))
            for mart in MARTS:
                conn.execute(
                    sql.SQL("create table {}.{} as select * from marts.{}").format(
                        sql.Identifier(schema), sql.Identifier(mart), sql.Identifier(mart)
                    )
                )
            conn.execute(sql.SQL("set search_path = {}").format(sql.Identifier(schema)))
            for statement in statements:
                conn.execute(statement)
        return schema

    yield copy
    with psycopg.connect(built.dsn, autocommit=True) as conn:
        for schema in schemas:
            conn.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(schema)))


def failed(result: MartGateResult, check: str) -> str:
    """The message of the failed ``check``; fails the test when it did not fail."""
    assert not result.passed, result.summary()
    messages = {f.check: f.message for f in result.failures}
    assert check in messages, f"{check} did not fail: {result.summary()}"
    return messages[check]


def assert_says(text: str, *fragments: str) -> None:
    missing = [f for f in fragments if f not in text]
    assert not missing, f"{missing} not in: {text}"


# -- what passes ---------------------------------------------------------------------------------------------


def test_the_built_marts_pass(built: Built, gate: QualityGate) -> None:
    result = validate_marts(built.dsn, "marts", gate=gate)

    assert result.passed, result.summary()
    assert (result.failures, result.warnings) == ([], [])
    assert result.checks == len(MART_CHECKS)
    assert result.appeals == built.appeals
    assert result.summary().startswith(
        f"passed marts in marts: {len(MART_CHECKS)} checks, {built.appeals} appeals"
    )


def test_a_copy_of_the_marts_in_another_schema_passes(
    built: Built, gate: QualityGate, copy_marts: Copy
) -> None:
    schema = copy_marts()

    result = validate_marts(built.dsn, schema, gate=gate)

    assert result.passed, result.summary()
    assert result.warnings == []
    assert result.appeals == built.appeals


def test_a_small_loss_of_published_appeals_is_a_warning(
    built: Built, gate: QualityGate, copy_marts: Copy
) -> None:
    """Two appeals fewer than published (under 1 %), the copy otherwise consistent: published, reported."""
    schema = copy_marts(
        "create temporary table gone as select appeal_id from fct_appeals order by appeal_id limit 2",
        "create temporary table gone_questions as"
        " select count(*) as n from fct_appeal_questions where appeal_id in (select appeal_id from gone)",
        "delete from fct_appeal_questions where appeal_id in (select appeal_id from gone)",
        "delete from fct_appeals where appeal_id in (select appeal_id from gone)",
        "update agg_appeals_monthly set appeals = appeals - 2, questions = questions - (select n from gone_questions)"
        " where ctid = (select min(ctid) from agg_appeals_monthly)",
        "update agg_questions_monthly set questions = questions - (select n from gone_questions)"
        " where ctid = (select min(ctid) from agg_questions_monthly)",
        "update agg_appeal_profile_monthly"
        " set appeals = appeals - 2, questions = questions - (select n from gone_questions)"
        " where ctid = (select min(ctid) from agg_appeal_profile_monthly)",
        "update agg_question_topics_monthly set questions = questions - (select n from gone_questions)"
        " where ctid = (select min(ctid) from agg_question_topics_monthly)",
        "update agg_appeal_outcomes_monthly set appeals = appeals - 2"
        " where ctid = (select min(ctid) from agg_appeal_outcomes_monthly)",
    )

    result = validate_marts(built.dsn, schema, gate=gate)

    assert result.passed, result.summary()
    [warning] = result.warnings
    assert warning.check == "fct_appeals.table.appeals_lost"
    assert_says(
        warning.message,
        "fct_appeals",
        "appeals_lost",
        f"{built.appeals - 2} appeals vs {built.appeals} published in marts.fct_appeals",
        "2 lost",
    )
    assert "1 warning" in result.summary()


def test_the_publish_guard_passes_when_nothing_is_published(
    built: Built, gate: QualityGate, copy_marts: Copy
) -> None:
    """No marts.fct_appeals yet (the first publication): the guard has nothing to compare with."""
    schema = copy_marts(
        "delete from fct_appeals where appeal_id in (select appeal_id from fct_appeals limit 100)"
    )
    with psycopg.connect(built.dsn, autocommit=True) as conn:
        conn.execute("alter table marts.fct_appeals rename to fct_appeals_hidden")
        try:
            result = validate_marts(built.dsn, schema, gate=gate)
        finally:
            conn.execute("alter table marts.fct_appeals_hidden rename to fct_appeals")

    checks = {f.check for f in result.failures + result.warnings}
    assert not checks & {"fct_appeals.table.publish_guard", "fct_appeals.table.appeals_lost"}, (
        result.summary()
    )


# -- what fails, one way per test ----------------------------------------------------------------------------

FIRST = "(select min(appeal_id) from fct_appeals)"


@dataclass(frozen=True)
class Break:
    statements: tuple[str, ...]
    check: str
    says: Callable[[Built], tuple[str, ...]]


BREAKS = {
    "duplicated appeal_id": Break(
        (f"insert into fct_appeals select * from fct_appeals where appeal_id = {FIRST}",),
        "fct_appeals.appeal_id.unique",
        lambda b: ("fct_appeals.appeal_id", "unique", f"2 of {b.appeals + 1} rows", "share their value"),
    ),
    "null territory_key": Break(
        (
            "update fct_appeals set territory_key = null"
            " where appeal_id in (select appeal_id from fct_appeals order by appeal_id limit 3)",
        ),
        "fct_appeals.territory_key.not_null",
        lambda b: ("fct_appeals.territory_key", "not_null", f"3 of {b.appeals} rows", "have no value"),
    ),
    "question_count 0": Break(
        (f"update fct_appeals set question_count = 0 where appeal_id = {FIRST}",),
        "fct_appeals.question_count.at_least_one",
        lambda b: (
            "fct_appeals.question_count",
            "at_least_one",
            f"1 of {b.appeals} rows",
            "below 1",
            "e.g. 0",
        ),
    ),
    "unknown source_code": Break(
        (f"update fct_appeals set source_code = 'fax_portal' where appeal_id = {FIRST}",),
        "fct_appeals.source_code.known_code",
        lambda b: ("fct_appeals.source_code", "known_code", f"1 of {b.appeals} rows", "'fax_portal'"),
    ),
    "territory_key not in dim_territory": Break(
        (f"update fct_appeals set territory_key = 'no-such-territory' where appeal_id = {FIRST}",),
        "fct_appeals.territory_key.references",
        lambda b: (
            "fct_appeals.territory_key",
            "references",
            "1 row",
            "dim_territory",
            "'no-such-territory'",
        ),
    ),
    "agg sum differs from the facts": Break(
        (
            "update agg_appeals_monthly set appeals = appeals + 3 where ctid = (select min(ctid) from agg_appeals_monthly)",
        ),
        "agg_appeals_monthly.appeals.sums_to",
        lambda b: (
            "agg_appeals_monthly.appeals",
            "sums_to",
            f"sum to {b.appeals + 3}",
            f"fct_appeals has {b.appeals}",
        ),
    ),
    "appeals without questions": Break(
        (f"delete from fct_appeal_questions where appeal_id = {FIRST}",),
        "fct_appeal_questions.appeal_id.every_appeal",
        lambda b: (
            "fct_appeal_questions",
            "every_appeal",
            f"questions of {b.appeals - 1} distinct appeals",
            f"fct_appeals has {b.appeals} appeals",
        ),
    ),
    "duplicated question": Break(
        (f"insert into fct_appeal_questions select * from fct_appeal_questions where appeal_id = {FIRST}",),
        "fct_appeal_questions.appeal_id+question_no.unique",
        lambda b: ("fct_appeal_questions (appeal_id, question_no)", "unique", "share their key"),
    ),
    "a dimension lost a code": Break(
        ("delete from dim_source where source_code = 'pos'",),
        "dim_source.source_code.members",
        lambda b: ("dim_source.source_code", "members", "1 of the 3 expected rows is missing", "'pos'"),
    ),
}


@pytest.mark.parametrize("broken", BREAKS.values(), ids=BREAKS.keys())
def test_a_broken_copy_fails(built: Built, gate: QualityGate, copy_marts: Copy, broken: Break) -> None:
    schema = copy_marts(*broken.statements)

    result = validate_marts(built.dsn, schema, gate=gate)

    assert_says(failed(result, broken.check), *broken.says(built))
    assert result.summary().startswith(f"failed marts in {schema}: {len(MART_CHECKS)} checks")
    assert "failed —" in result.summary()


def test_losing_5_percent_of_the_published_appeals_fails_the_publish_guard(
    built: Built, gate: QualityGate, copy_marts: Copy
) -> None:
    lost = -(-built.appeals * 5 // 100)  # 5 %, rounded up
    schema = copy_marts(
        f"delete from fct_appeals where appeal_id in (select appeal_id from fct_appeals order by appeal_id limit {lost})"
    )

    result = validate_marts(built.dsn, schema, gate=gate)

    assert_says(
        failed(result, "fct_appeals.table.publish_guard"),
        "fct_appeals",
        "publish_guard",
        f"{built.appeals - lost} appeals vs {built.appeals} published in marts.fct_appeals",
        f"{lost} lost",
        "more than the 1 % (and 20 appeals) allowed",
    )
    assert result.appeals == built.appeals - lost


def test_an_empty_fact_fails(built: Built, gate: QualityGate, copy_marts: Copy) -> None:
    schema = copy_marts("delete from fct_appeals")

    result = validate_marts(built.dsn, schema, gate=gate)

    assert_says(failed(result, "fct_appeals.table.not_empty"), "fct_appeals", "not_empty", "no rows")
    assert_says(failed(result, "fct_appeals.table.publish_guard"), f"0 appeals vs {built.appeals}")
    assert result.appeals == 0


# -- what cannot be checked ----------------------------------------------------------------------------------


def test_a_missing_schema_or_mart_cannot_be_checked(
    built: Built, gate: QualityGate, copy_marts: Copy
) -> None:
    with pytest.raises(GateError, match="no schema 'no_such_schema'"):
        validate_marts(built.dsn, "no_such_schema", gate=gate)
    schema = copy_marts("drop table dim_result")
    with pytest.raises(GateError, match=r"lacks mart.*dim_result"):
        validate_marts(built.dsn, schema, gate=gate)
    with pytest.raises(ValueError, match="schema name"):
        validate_marts(built.dsn, "marts; drop table x", gate=gate)


def test_a_check_that_cannot_run_raises(built: Built, gate: QualityGate, copy_marts: Copy) -> None:
    schema = copy_marts("alter table fct_appeals drop column question_count cascade")

    with pytest.raises(GateError, match="could not run"):
        validate_marts(built.dsn, schema, gate=gate)


def test_the_docs_show_the_mart_checks_table() -> None:
    docs = (load_settings().root / "docs" / "quality.md").read_text(encoding="utf-8")
    assert mart_checks_table() in docs, (
        "docs/quality.md is out of date: paste `python -m ingestion.quality.docs --marts`"
    )


def test_the_results_go_to_the_gx_results_store(built: Built, gate: QualityGate) -> None:
    validate_marts(built.dsn, "marts", gate=gate)

    results = Path(gate.results_dir)
    stored = {p.relative_to(results).parts[0] for p in results.rglob("*.json")}
    assert {f"mart_{mart}" for mart in MARTS} <= stored

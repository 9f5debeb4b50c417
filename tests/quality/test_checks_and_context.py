"""The checks table, the committed GX project built from it, and the docs that show it stay in step."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingestion.feeds import FEEDS as FEED_SPECS
from ingestion.quality import build
from ingestion.quality.checks import CHECKS, FEEDS, REQUIRED, checks_of
from ingestion.quality.docs import checks_table
from ingestion.quality.gate import sqlalchemy_url
from ingestion.quality.kinds import KINDS, known_codes
from ingestion.settings import load_settings


def committed_files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and "uncommitted" not in p.parts
    }


def test_the_committed_gx_project_is_built_from_the_checks(tmp_path: Path) -> None:
    rebuilt = committed_files(build.build(tmp_path / "expectations"))

    assert committed_files(build.context_dir()) == rebuilt, (
        "expectations/ is out of date with ingestion/quality/checks.py: run `python -m ingestion.quality.build`"
    )
    suites = {f"expectations/{build.suite_name(feed)}.json" for feed in FEEDS}
    assert suites <= set(rebuilt)


def test_the_project_stores_no_connection() -> None:
    text = (build.context_dir() / "great_expectations.yml").read_text(encoding="utf-8")
    assert "connection_string: ${APPEALS_GX_WAREHOUSE_URL}" in text
    assert "postgresql" not in text and "password" not in text
    assert "analytics_enabled: false" in text


def test_every_check_is_a_known_kind_with_what_it_needs() -> None:
    for check in CHECKS:
        assert check.check in KINDS, check.name
        if check.check == "known_code":
            assert known_codes(check), check.name
        if check.check in ("not_before", "not_after"):
            assert check.other, check.name
    for feed in FEEDS:
        kinds = {c.check for c in checks_of(feed)}
        assert {
            "rows_present",
            "volume_excess",
            "volume_spike",
            "extra_headers",
            "required",
            "territory",
        } <= kinds


def test_the_required_columns_are_the_contracts() -> None:
    for feed in FEEDS:
        contract = {c.name for c in FEED_SPECS[feed].required_columns}
        assert set(REQUIRED[feed]) == contract | ({"body_oktmo"} if feed == "register" else set()), feed


def test_the_docs_show_the_checks_table() -> None:
    docs = (load_settings().root / "docs" / "quality.md").read_text(encoding="utf-8")
    assert checks_table() in docs, "docs/quality.md is out of date: paste `python -m ingestion.quality.docs`"


@pytest.mark.parametrize(
    ("dsn", "url"),
    [
        (
            "postgresql://postgres@127.0.0.1:5432/appeals",
            "postgresql+psycopg://postgres@127.0.0.1:5432/appeals",
        ),
        (
            "host=/run/postgresql dbname=appeals user=loader password=s3cr%t",
            "postgresql+psycopg://loader:s3cr%25t@/appeals?host=%2Frun%2Fpostgresql",
        ),
        (
            "postgresql://u:p@db.example:6543/w?sslmode=require",
            "postgresql+psycopg://u:p@db.example:6543/w?sslmode=require",
        ),
    ],
)
def test_dsns_become_sqlalchemy_urls(dsn: str, url: str) -> None:
    assert sqlalchemy_url(dsn) == url

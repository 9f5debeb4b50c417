"""``appeals report``: options, progress on stderr, clear errors (exit 2, no traceback), the file written."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from ingestion.cli import app
from tests.dbt.conftest import Built

pytestmark = pytest.mark.slow

runner = CliRunner()


def appeals_report(*args: str):
    """``appeals report ARGS``, through the ``appeals`` application."""
    return runner.invoke(app, ["report", *args])


def test_an_unknown_territory_exits_2_without_a_traceback(built_year: Built, tmp_path: Path) -> None:
    result = appeals_report(
        "--territory",
        "69701999",
        "--period",
        "2024",
        "--out",
        str(tmp_path / "r.md"),
        "--dsn",
        built_year.warehouse.dsn,
    )
    assert result.exit_code == 2, result.output
    assert "territory 69701999 is not in marts.dim_territory" in result.stderr
    assert "Traceback" not in result.output
    assert not (tmp_path / "r.md").exists()


def test_no_data_for_the_period_exits_2(built_year: Built, tmp_path: Path) -> None:
    result = appeals_report(
        "--territory",
        "69701000",
        "--period",
        "2021",
        "--out",
        str(tmp_path / "r.md"),
        "--dsn",
        built_year.warehouse.dsn,
    )
    assert result.exit_code == 2
    assert (
        "no appeals for город Томск (ОКТМО 69701000) in 2021 год; the marts hold years 2024" in result.stderr
    )


def test_the_format_comes_from_the_suffix(tmp_path: Path) -> None:
    result = appeals_report(
        "--period", "2024", "--out", str(tmp_path / "report.pdf"), "--dsn", "postgresql://x@y/z"
    )
    assert result.exit_code == 2 and "pass --format html|xlsx|md" in result.stderr
    result = appeals_report("--period", "2024", "--out", str(tmp_path / "r.md"), "--format", "docx")
    assert result.exit_code == 2 and "use html, xlsx or md" in result.stderr
    result = appeals_report("--period", "2024", "--out", str(tmp_path / "r.md"), "--quarter", "5")
    assert result.exit_code == 2  # typer's own range check


def test_a_markdown_report(built_year: Built, tmp_path: Path) -> None:
    out = tmp_path / "out" / "tomsk-h1.md"
    result = appeals_report(
        "--territory",
        "69701000",
        "--period",
        "2024",
        "--quarter",
        "2",
        "--sources",
        "register,pos",
        "--out",
        str(out),
        "--dsn",
        built_year.warehouse.dsn,
    )
    assert result.exit_code == 0, result.output
    assert "appeals_by_channel_and_quarter" in result.stderr and " ms" in result.stderr
    assert f"wrote {out} (md, 12 tables)" in result.stderr
    text = out.read_text(encoding="utf-8")
    assert "I полугодие 2024 года" in text and "город Томск" in text

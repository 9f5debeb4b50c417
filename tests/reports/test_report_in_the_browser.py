"""The report of a generated year, end to end: ``appeals report`` writes the HTML, headless Chromium renders it,
and the numbers the browser shows are the generator's ground truth, number for number."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

from ingestion.cli import app
from ingestion.reports.build import build_report
from ingestion.reports.model import Report
from tests.dbt.conftest import Built
from tests.reports.test_render import expected_values, parse_html, table_values
from tests.reports.test_report_queries import (
    SINGLE_YEAR,
    YEAR_OVER_YEAR,
    Truth,
    actual,
    actual_single,
    expected_single,
    expected_totals,
    truth,  # noqa: F401 (fixture)
)
from tests.support.browser import run_chromium

pytestmark = pytest.mark.slow

UKHTA = "87725000"


@pytest.fixture(scope="module")
def page(built_year: Built, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report") / "ukhta-2024.html"
    result = CliRunner().invoke(
        app,
        [
            "report",
            "--territory",
            UKHTA,
            "--period",
            "2024",
            "--out",
            str(out),
            "--dsn",
            built_year.warehouse.dsn,
        ],
    )
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def report(built_year: Built) -> Report:
    """The same report as a model: what the page must show."""
    return build_report(built_year.warehouse.dsn, territory=UKHTA, year=2024)


def test_the_report_is_the_truth(report: Report, truth: Truth) -> None:  # noqa: F811
    ukhta = truth.where(oktmo=UKHTA)
    every_source = truth.where(sources=None, oktmo=UKHTA)
    for name in YEAR_OVER_YEAR:
        assert actual(name, report.table(name).rows) == expected_totals(name, ukhta), name
    for name in SINGLE_YEAR:
        assert actual_single(name, report.table(name).rows) == expected_single(name, every_source), name


def test_the_browser_shows_the_reports_numbers(page: Path, report: Report, tmp_path: Path) -> None:
    dom = run_chromium(tmp_path / "profile", "--dump-dom", page.as_uri()).stdout
    shown = parse_html(dom)
    assert list(shown.tables) == [table.key for table in report.tables]
    for table in report.tables:
        wanted = [[None if v is None else float(v) for v in row] for row in expected_values(table)]
        assert table_values(shown, table.key) == wanted, table.key  # the database's numerics, as shown
    assert "ОКТМО 87725000" in dom


def test_the_screenshot_is_a_page_with_charts(page: Path, tmp_path: Path) -> None:
    shot = tmp_path / "report.png"
    run_chromium(tmp_path / "profile", f"--screenshot={shot}", page.as_uri())
    image = Image.open(shot).convert("RGB")
    grey = image.convert("L").histogram()
    pixels = image.width * image.height
    assert sum(grey[:245]) / pixels > 0.02, f"blank page? see {shot}"
    assert len(image.getcolors(maxcolors=pixels) or []) > 50, f"no charts? see {shot}"

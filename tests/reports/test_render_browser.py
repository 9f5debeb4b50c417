"""The HTML report as a browser shows it: headless Chromium (tests/support/browser.py) takes a screenshot and
dumps the rendered DOM of a report with a table and chart of every kind."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from ingestion.reports.model import Report
from ingestion.reports.render import render_html
from ingestion.reports.render.charts import PALETTE
from tests.reports.test_render import expected_values, parse_html, sample_report, table_values
from tests.support.browser import WINDOW, run_chromium

pytestmark = pytest.mark.slow

WHITE_ENOUGH = 245
"""A channel value at or above this counts as white (page background)."""


@pytest.fixture(scope="module")
def report() -> Report:
    return sample_report()


@pytest.fixture(scope="module")
def page(report: Report, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("browser") / "report.html"
    path.write_text(render_html(report), encoding="utf-8")
    return path


def colour_near(image: Image.Image, hex_colour: str, tolerance: int = 12) -> int:
    """How many pixels are within ``tolerance`` per channel of ``hex_colour``."""
    target = tuple(int(hex_colour[index : index + 2], 16) for index in (1, 3, 5))
    bands = [
        band.point(lambda value, centre=centre: 255 if abs(value - centre) <= tolerance else 0)
        for band, centre in zip(image.split(), target, strict=True)
    ]
    mask = bands[0]
    for band in bands[1:]:
        mask = Image.composite(band, Image.new("L", mask.size, 0), mask)
    return mask.histogram()[255]


def test_screenshot_shows_text_and_charts(page: Path, tmp_path: Path) -> None:
    shot = tmp_path / "report.png"
    run_chromium(tmp_path / "profile", f"--screenshot={shot}", page.as_uri())
    image = Image.open(shot).convert("RGB")
    assert image.size == WINDOW
    pixels = image.width * image.height
    grey = image.convert("L")
    non_white = sum(grey.histogram()[:WHITE_ENOUGH])
    dark = sum(grey.histogram()[:100])  # text
    colours = image.getcolors(maxcolors=pixels) or []
    assert non_white / pixels > 0.01, f"{non_white / pixels:.2%} non-white pixels: blank page? see {shot}"
    assert len(colours) > 50, f"only {len(colours)} colours: no chart? see {shot}"
    assert dark / pixels > 0.002, f"{dark / pixels:.2%} dark pixels: no text? see {shot}"
    # The second series colour is used by the charts only (the page's CSS has no orange): the bar chart shows.
    assert colour_near(image, PALETTE[1]) > 5_000, f"no chart bars in the screenshot: see {shot}"


def test_dom_tables_carry_the_numbers(report: Report, page: Path, tmp_path: Path) -> None:
    dom = run_chromium(tmp_path / "profile", "--dump-dom", page.as_uri()).stdout
    parser = parse_html(dom)
    assert list(parser.tables) == [table.key for table in report.tables]
    for table in report.tables:
        assert table_values(parser, table.key) == expected_values(table), table.key
        first = table.columns[0]
        texts = [row[0]["text"].strip() for row in parser.tables[table.key]]
        assert texts == [str(row[first.key]) for row in table.rows], table.key
        assert parser.total_rows.get(table.key) == (len(table.rows) - 1 if table.total_row else None)
    images = [
        image for image in parser.images if (image.get("src") or "").startswith("data:image/png;base64,")
    ]
    assert len(images) == sum(table.chart is not None for table in report.tables)

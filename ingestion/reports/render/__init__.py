"""Renderers of a :class:`~ingestion.reports.model.Report`: Markdown, one self-contained HTML page, xlsx.

Numbers are formatted the Russian way (:mod:`.formats`); charts are matplotlib PNGs in HTML (:mod:`.charts`)
and native openpyxl charts in xlsx; Markdown has tables only. See docs/report-formats.md.
"""

from __future__ import annotations

from ingestion.reports.render.html import render_html
from ingestion.reports.render.markdown import render_markdown
from ingestion.reports.render.xlsx import write_xlsx

__all__ = ["render_html", "render_markdown", "write_xlsx"]

"""``appeals report``: the report a committee analyst publishes, as HTML, xlsx or Markdown.

    appeals report --territory 69701000 --period 2024 --out tomsk-2024.html
    appeals report --territory 69000000 --period 2024 --quarter 2 --sources register,pos --out h1.xlsx

The report reads the published marts only (no dbt), as the role of the DSN: set
``WAREHOUSE_DSN=postgresql://analyst@host/appeals`` (or pass ``--dsn``) to run it as an analyst; a municipal
analyst's role sees only its territories. Progress goes to stderr; a report that cannot be made exits 2.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import psycopg
import typer

FORMATS = {".html": "html", ".htm": "html", ".xlsx": "xlsx", ".md": "md", ".markdown": "md"}


def _fail(message: str) -> typer.Exit:
    typer.echo(typer.style(message, fg="red"), err=True)
    return typer.Exit(code=2)


def _format(out: Path, given: str | None) -> str:
    """The output format: ``--format``, else the suffix of ``--out``."""
    if given is not None:
        if given not in ("html", "xlsx", "md"):
            raise _fail(f"--format {given!r}: use html, xlsx or md")
        return given
    found = FORMATS.get(out.suffix.lower())
    if found is None:
        raise _fail(f"cannot tell the format from {out.name!r}: pass --format html|xlsx|md")
    return found


def _progress(name: str, rows: int, ms: float) -> None:
    typer.echo(f"  {name:<36} {rows:>5} rows {ms:>9.1f} ms", err=True)


def report(
    period: int = typer.Option(..., "--period", help="Report year, e.g. 2024.", min=1900, max=9999),
    out: Path = typer.Option(..., "--out", help="Output file (.html, .xlsx or .md).", dir_okay=False),
    territory: str | None = typer.Option(
        None,
        "--territory",
        help="ОКТМО of a region, municipality or settlement (8 or 11 digits): it and every territory "
        "under it. Default: every territory the role sees.",
    ),
    compare: int | None = typer.Option(
        None, "--compare", help="Year to compare with (default: the year before).", min=1900, max=9999
    ),
    quarter: int | None = typer.Option(
        None,
        "--quarter",
        min=1,
        max=4,
        help="Report January to the end of quarter N (1: I квартал, 2: I полугодие, 3: 9 месяцев). "
        "Default: the whole year.",
    ),
    sources: str = typer.Option(
        "register", "--sources", help="Sources counted, comma-separated: register, pos, incident."
    ),
    top: int = typer.Option(10, "--top", min=1, help="How many top questions."),
    output_format: str | None = typer.Option(
        None, "--format", help="html, xlsx or md (default: from the --out suffix)."
    ),
    dsn: str | None = typer.Option(
        None,
        "--dsn",
        help="Warehouse DSN (default: WAREHOUSE_DSN, else the embedded server). "
        "Use an analyst's role: postgresql://analyst@host/appeals.",
    ),
) -> None:
    """Build the report on citizens' appeals of a territory and period and write it as HTML, xlsx or Markdown.

    Tables: appeals by delivery channel and by origin per quarter, appeal types, questions by form, classifier
    sections and themes, top questions, results (incl. «меры приняты»), questions reviewed by commission / on
    site / with the applicant, satisfaction, personal reception, ПОС and social-media incidents — each with the
    same months of the comparison year. Exits 2 when the report cannot be made (unknown territory, no data).
    """
    from ingestion.reports.build import ReportError, build_report
    from ingestion.warehouse.connection import redact, warehouse_dsn

    kind = _format(out, output_format)
    codes = [s.strip() for s in sources.split(",") if s.strip()]
    if dsn is None:
        try:
            dsn = warehouse_dsn()
        except RuntimeError as error:
            raise _fail(str(error)) from error
    started = time.perf_counter()
    typer.echo(f"report of {territory or 'every territory'} for {period} from {redact(dsn)}", err=True)
    try:
        built = build_report(
            dsn,
            territory=territory,
            year=period,
            compare_year=compare,
            quarter=quarter,
            sources=codes,
            top_n=top,
            on_query=_progress,
        )
    except ReportError as error:
        raise _fail(str(error)) from error
    except psycopg.OperationalError as error:
        raise _fail(f"cannot reach the warehouse {redact(dsn)}: {error}".strip()) from error

    from ingestion.reports.render import render_html, render_markdown, write_xlsx

    out.parent.mkdir(parents=True, exist_ok=True)
    if kind == "xlsx":
        write_xlsx(built, out)
    else:
        text = render_html(built) if kind == "html" else render_markdown(built)
        out.write_text(text, encoding="utf-8")
    typer.echo(
        f"wrote {out} ({kind}, {len(built.tables)} tables) in {time.perf_counter() - started:.1f} s", err=True
    )
    sys.stderr.flush()

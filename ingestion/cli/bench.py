"""``appeals bench --appeals N``: the benchmark suite (ingest, gate, build, nightly refresh, queries)."""

from __future__ import annotations

import sys
from pathlib import Path

import typer


def bench(
    appeals: int = typer.Option(
        1_000_000, "--appeals", min=1000, help="Appeals in the warehouse (and rows of the ingestion file)."
    ),
    docs: bool = typer.Option(
        False, "--docs", help="Then rewrite docs/performance.md from every docs/benchmarks/bench-*.json."
    ),
    docs_only: bool = typer.Option(
        False, "--docs-only", help="Only rewrite docs/performance.md from the JSON files; run nothing."
    ),
    day_appeals: int = typer.Option(22_000, "--day-appeals", min=100, help="Appeals of one night."),
    query_runs: int = typer.Option(20, "--query-runs", min=3, help="Timed runs of each query, warm."),
    query_budget: float = typer.Option(
        30.0, "--query-budget", help="Seconds per query before its runs stop (at least 3 runs)."
    ),
    bodies: int | None = typer.Option(None, "--bodies", min=1, help="Registering bodies (default: all 30)."),
    server_dsn: str | None = typer.Option(
        None, "--server-dsn", help="A server DSN that may create databases (default: the warehouse's)."
    ),
    database: str | None = typer.Option(
        None, "--database", help="Scratch database (default appeals_bench_N)."
    ),
    workdir: Path | None = typer.Option(
        None, "--workdir", help="Generated files (default .warehouse/bench/)."
    ),
    out: Path | None = typer.Option(
        None, "--out", help="JSON output (default docs/benchmarks/bench-N.json)."
    ),
    keep: bool = typer.Option(False, "--keep", help="Keep the scratch databases and generated files."),
) -> None:
    """Benchmark the warehouse at N appeals: ingest (vs plain COPY and pandas), quality gate, full build,
    a nightly refresh of one day, and every report and dashboard query (p50/p95, warm).

    Generates its data with the project's generator, works in scratch databases (appeals_bench_N…) of the
    warehouse server, and writes docs/benchmarks/bench-N.json plus Markdown tables. At 1M appeals it takes
    about a quarter of an hour on 2 cores; at 10M, under two hours and ~40 GB of disk.
    """
    from ingestion.bench import report
    from ingestion.bench.suite import Options, run_suite

    if not docs_only:
        options = Options(
            appeals=appeals,
            server=server_dsn,
            workdir=workdir,
            out=out,
            database=database,
            day_appeals=day_appeals,
            query_runs=query_runs,
            query_budget_s=query_budget,
            bodies=bodies,
            keep=keep,
        )
        try:
            result = run_suite(options)
        except Exception as error:
            typer.echo(typer.style(f"benchmark FAILED: {type(error).__name__}: {error}", fg="red"), err=True)
            raise typer.Exit(code=1) from error
        typer.echo(report.tables(result))
        missed = [name for name, t in result.get("targets", {}).items() if not t["met"]]
        if missed:
            typer.echo(f"targets missed: {', '.join(missed)}", err=True)
    if docs or docs_only:
        path = report.rewrite_docs()
        typer.echo(f"rewrote the benchmark section of {path}", err=True)
    sys.stdout.flush()

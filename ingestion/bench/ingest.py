"""Ingestion benchmark: this loader vs plain ``COPY`` (the floor) vs pandas ``to_sql`` (what people write).

All three load the same generated register CSV (26 columns, Windows-1251, ``;``) into the same server.
Each contender runs in a subprocess of its own, so its peak RSS is its own; the loader's parse workers
(a large CSV file is parsed in worker processes) are reported apart, as the peak of the largest one.

    python -m ingestion.bench.ingest --rows 1000000          # or: make bench-ingest

Writes ``docs/benchmarks/ingest-<rows>.json`` and prints a Markdown table for ``docs/performance.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import psycopg
from psycopg import sql

from ingestion.settings import load_settings
from ingestion.warehouse.connection import to_url, warehouse_dsn
from ingestion.warehouse.migrate import migrate

BENCH_DATABASE = "appeals_bench"
TERRITORY = "87725000"


# -- contenders (each runs in its own process) ---------------------------------------------------------


def run_plain_copy(path: Path, dsn: str) -> int:
    """COPY the file as it is into an all-text table: the floor nobody can beat from Python."""
    with open(path, encoding="cp1251") as handle:
        header = handle.readline().rstrip("\r\n").split(";")
    columns = [sql.Identifier(f"c{i}") for i in range(len(header))]
    with psycopg.connect(dsn) as conn:
        conn.execute("drop table if exists public.plain_copy")
        conn.execute(
            sql.SQL("create table public.plain_copy ({})").format(
                sql.SQL(", ").join(sql.SQL("{} text").format(c) for c in columns)
            )
        )
        with (
            conn.cursor() as cur,
            cur.copy(
                "copy public.plain_copy from stdin (format csv, delimiter ';', header true, encoding 'WIN1251')"
            ) as copy,
            open(path, "rb") as handle,
        ):
            while chunk := handle.read(1 << 20):
                copy.write(chunk)
        return conn.execute("select count(*) from public.plain_copy").fetchone()[0]


def run_loader(path: Path, dsn: str) -> int:
    """This project's loader, end to end: detect, parse, normalise, pseudonymise, COPY, audit."""
    from ingestion.ingest import ingest_landing

    landing = path.parent / f"landing-{path.stem}"  # one file per landing folder, whatever sizes ran before
    target = landing / "register" / TERRITORY / path.name
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        target.symlink_to(path)
    os.environ.setdefault("APPEALS_HMAC_KEY", "benchmark-key-" + "x" * 32)
    results = ingest_landing(landing, dsn=dsn)
    [result] = results
    if result.status != "loaded":
        raise RuntimeError(f"loader did not load the file: {result.status} {result.message}")
    return result.rows_loaded


def run_to_sql(path: Path, dsn: str, rows: int) -> int:
    """pandas read_csv + DataFrame.to_sql (default method): what a first version usually does."""
    import pandas as pd
    from sqlalchemy import create_engine

    url = to_url(psycopg.conninfo.conninfo_to_dict(dsn)).replace("postgresql://", "postgresql+psycopg://", 1)
    frame = pd.read_csv(path, sep=";", encoding="cp1251", nrows=rows, dtype=str)
    engine = create_engine(url)
    frame.to_sql("pandas_to_sql", engine, schema="public", if_exists="replace", index=False)
    engine.dispose()
    return len(frame)


def worker(args: argparse.Namespace) -> None:
    started = time.perf_counter()
    if args.worker == "copy":
        rows = run_plain_copy(args.file, args.dsn)
    elif args.worker == "loader":
        rows = run_loader(args.file, args.dsn)
    else:
        rows = run_to_sql(args.file, args.dsn, args.to_sql_rows)
    seconds = time.perf_counter() - started
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    figures = {
        "rows": rows,
        "seconds": seconds,
        "rows_per_s": rows / seconds,
        "peak_rss_mb": own.ru_maxrss / 1024,
        "cpu_s": own.ru_utime + own.ru_stime,
    }
    if children.ru_maxrss:  # the loader's parse workers (a large CSV file is parsed in worker processes)
        figures["workers_peak_rss_mb"] = children.ru_maxrss / 1024  # the largest one
        figures["workers_cpu_s"] = children.ru_utime + children.ru_stime
    print(json.dumps(figures))


# -- the driver --------------------------------------------------------------------------------------------


def measure(name: str, file: Path, dsn: str, extra: list[str] | None = None) -> dict:
    print(f"  {name} …", file=sys.stderr, flush=True)
    command = [
        sys.executable,
        "-m",
        "ingestion.bench.ingest",
        "--worker",
        name,
        "--file",
        str(file),
        "--dsn",
        dsn,
    ]
    done = subprocess.run(command + (extra or []), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{name} failed:\n{done.stderr[-3000:]}")
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    print(
        f"  {name}: {figures['rows']} rows, {figures['rows_per_s']:,.0f} rows/s, peak RSS {_rss(figures)}",
        file=sys.stderr,
        flush=True,
    )
    return figures


def _rss(figures: dict) -> str:
    text = f"{figures['peak_rss_mb']:.0f} MB"
    if "workers_peak_rss_mb" in figures:
        text += f" (+ workers, each ≤ {figures['workers_peak_rss_mb']:.0f} MB)"
    return text


def fresh_database(server_dsn: str) -> str:
    with psycopg.connect(server_dsn, autocommit=True) as conn:
        conn.execute(
            sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(BENCH_DATABASE))
        )
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(BENCH_DATABASE)))
    params = psycopg.conninfo.conninfo_to_dict(server_dsn)
    params["dbname"] = BENCH_DATABASE
    dsn = to_url(params)
    migrate(dsn)
    return dsn


def machine() -> dict:
    return {
        "cpus": os.cpu_count(),
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "platform": platform.platform(),
        "python": platform.python_version(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the register CSV")
    parser.add_argument(
        "--to-sql-rows",
        type=int,
        default=100_000,
        help="rows for pandas to_sql (it is slow; its rate does not depend on the size)",
    )
    parser.add_argument("--workdir", type=Path, default=None, help="where the generated file is kept")
    parser.add_argument("--out", type=Path, default=None, help="JSON output (default docs/benchmarks/)")
    parser.add_argument("--worker", choices=["copy", "loader", "to_sql"], help=argparse.SUPPRESS)
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--dsn", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return

    from ingestion.generate import write_register_csv

    settings = load_settings()
    workdir = args.workdir or settings.state_dir / "bench"
    workdir.mkdir(parents=True, exist_ok=True)
    file = workdir / f"register_{args.rows}.csv"
    if not file.exists():
        print(f"generating {file} ({args.rows} rows) …", file=sys.stderr, flush=True)
        write_register_csv(file, args.rows, seed=1, encoding="cp1251", territory=TERRITORY)
    server = warehouse_dsn()
    params = psycopg.conninfo.conninfo_to_dict(server)
    params["dbname"] = "postgres" if settings.uses_embedded_server else params.get("dbname")
    server = psycopg.conninfo.make_conninfo(**params)

    results = {}
    for name, extra in (("copy", []), ("loader", []), ("to_sql", ["--to-sql-rows", str(args.to_sql_rows)])):
        dsn = fresh_database(server)  # each contender starts from an empty database
        results[name] = measure(name, file, dsn, extra)
    report = {
        "benchmark": "ingest",
        "file": {"rows": args.rows, "columns": 26, "encoding": "cp1251", "bytes": file.stat().st_size},
        "machine": machine(),
        "results": results,
        "loader_vs_copy": results["loader"]["rows_per_s"] / results["copy"]["rows_per_s"],
        "loader_vs_to_sql": results["loader"]["rows_per_s"] / results["to_sql"]["rows_per_s"],
    }
    out = args.out or settings.root / "docs" / "benchmarks" / f"ingest-{args.rows}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print("| method | rows | rows/s | peak RSS |\n|---|---:|---:|---:|")
    for name, label in (
        ("copy", "plain COPY (floor)"),
        ("loader", "this loader"),
        ("to_sql", "pandas to_sql"),
    ):
        r = results[name]
        print(f"| {label} | {r['rows']:,} | {r['rows_per_s']:,.0f} | {_rss(r)} |")
    print(
        f"\nloader = {report['loader_vs_copy']:.0%} of plain COPY, {report['loader_vs_to_sql']:.1f}× to_sql;"
        f" figures in {out}"
    )


if __name__ == "__main__":
    main()

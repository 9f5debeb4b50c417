"""Ingestion benchmark: this loader vs plain ``COPY`` (the floor) vs pandas ``to_sql`` (what people write).

All three load the same generated register CSV (26 columns, Windows-1251, ``;``) into the same server.
Each contender runs in a subprocess of its own, so its peak RSS is its own; the loader's parse workers
(a large CSV file is parsed in worker processes) are reported apart, as the peak of the largest one.

    python -m ingestion.bench.ingest --rows 1000000          # or: make bench-ingest

Writes ``docs/benchmarks/ingest-<rows>.json`` and prints a Markdown table for ``docs/performance.md``. The
benchmark suite (``ingestion.bench.suite``) runs the same comparison through :func:`compare`.
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
from collections.abc import Callable
from pathlib import Path

import psycopg
from psycopg import sql

from ingestion.settings import load_settings
from ingestion.warehouse.connection import to_url, warehouse_dsn
from ingestion.warehouse.migrate import migrate

BENCH_DATABASE = "appeals_bench"
TERRITORY = "87725000"
LABELS = {"copy": "plain COPY (floor)", "loader": "this loader", "to_sql": "pandas to_sql"}
_LOADED: dict[str, int | None] = {}  # the loader worker's batch id, reported with its figures


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
    _LOADED["batch_id"] = result.batch_id
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


def _high_water_mb() -> float | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def worker(args: argparse.Namespace) -> None:
    started = time.perf_counter()
    if args.worker == "copy":
        rows = run_plain_copy(args.file, args.dsn)
    elif args.worker == "loader":
        rows = run_loader(args.file, args.dsn)
    else:
        rows = run_to_sql(args.file, args.dsn, args.to_sql_rows)
    seconds = time.perf_counter() - started
    figures = {"rows": rows, "seconds": seconds, "rows_per_s": rows / seconds, **own_usage()}
    figures.update(_LOADED)
    print(json.dumps(figures))


def own_usage() -> dict[str, float]:
    """Peak RSS and CPU of this process, and of its finished children (the loader's parse workers) apart.

    The peak is the kernel's ``VmHWM`` of this program's memory: ``ru_maxrss`` would also count the memory
    of the process that started it (Linux carries the parent's high-water mark across fork and exec).
    """
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    figures = {"peak_rss_mb": _high_water_mb() or own.ru_maxrss / 1024, "cpu_s": own.ru_utime + own.ru_stime}
    if children.ru_maxrss:  # the loader's parse workers (a large CSV file is parsed in worker processes)
        figures["workers_peak_rss_mb"] = children.ru_maxrss / 1024  # the largest one
        figures["workers_cpu_s"] = children.ru_utime + children.ru_stime
    return figures


# -- the driver --------------------------------------------------------------------------------------------


def measured(command: list[str], label: str) -> dict:
    """Run a worker process; its stderr goes to ours as it comes (progress), its last stdout line is JSON."""
    from collections import deque

    tail: deque[str] = deque(maxlen=40)
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as process:
        assert process.stderr is not None and process.stdout is not None
        for line in process.stderr:
            tail.append(line)
            print(f"    {line.rstrip()}", file=sys.stderr, flush=True)
        out = process.stdout.read()
        code = process.wait()
    if code != 0:
        raise RuntimeError(f"{label} failed (exit {code}):\n{''.join(tail)[-3000:]}")
    lines = out.strip().splitlines()
    if not lines:
        raise RuntimeError(f"{label} printed no figures:\n{''.join(tail)[-3000:]}")
    return json.loads(lines[-1])


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
    figures = measured(command + (extra or []), name)
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


def fresh_database(server_dsn: str, database: str = BENCH_DATABASE) -> str:
    """Drop and create ``database`` on the server of ``server_dsn``, migrated; returns its DSN."""
    with psycopg.connect(server_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(database)))
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(database)))
    params = psycopg.conninfo.conninfo_to_dict(server_dsn)
    params["dbname"] = database
    dsn = to_url(params)
    migrate(dsn)
    return dsn


def drop_database(server_dsn: str, database: str) -> None:
    with psycopg.connect(server_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(database)))


def server_dsn() -> str:
    """A DSN of the warehouse server that may create databases (the ``postgres`` database when embedded)."""
    settings = load_settings()
    server = warehouse_dsn()
    params = psycopg.conninfo.conninfo_to_dict(server)
    params["dbname"] = "postgres" if settings.uses_embedded_server else params.get("dbname")
    return psycopg.conninfo.make_conninfo(**params)


def machine() -> dict:
    return {
        "cpus": os.cpu_count(),
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "platform": platform.platform(),
        "python": platform.python_version(),
    }


def compare(
    file: Path,
    server: str,
    *,
    to_sql_rows: int = 100_000,
    database: str = BENCH_DATABASE,
    after_loader: Callable[[str, dict], None] | None = None,
) -> dict:
    """Load ``file`` three ways, each in a process of its own and into an empty ``database``.

    ``after_loader(dsn, figures)`` runs while the loader's database still holds its batch (the suite runs the
    quality gate on it there). Returns the figures of each method and the ratios.
    """
    results = {}
    for name, extra in (("copy", []), ("loader", []), ("to_sql", ["--to-sql-rows", str(to_sql_rows)])):
        dsn = fresh_database(server, database)  # each contender starts from an empty database
        results[name] = measure(name, file, dsn, extra)
        if name == "loader" and after_loader is not None:
            after_loader(dsn, results[name])
    drop_database(server, database)
    return {
        "results": results,
        "loader_vs_copy": results["loader"]["rows_per_s"] / results["copy"]["rows_per_s"],
        "loader_vs_to_sql": results["loader"]["rows_per_s"] / results["to_sql"]["rows_per_s"],
    }


def markdown(report: dict) -> str:
    """The Markdown table of a comparison (``compare``'s result)."""
    lines = ["| method | rows | rows/s | peak RSS |", "|---|---:|---:|---:|"]
    for name, label in LABELS.items():
        r = report["results"][name]
        lines.append(f"| {label} | {r['rows']:,} | {r['rows_per_s']:,.0f} | {_rss(r)} |")
    return "\n".join(lines)


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
    compared = compare(file, server_dsn(), to_sql_rows=args.to_sql_rows)
    report = {
        "benchmark": "ingest",
        "file": {"rows": args.rows, "columns": 26, "encoding": "cp1251", "bytes": file.stat().st_size},
        "machine": machine(),
        **compared,
    }
    out = args.out or settings.root / "docs" / "benchmarks" / f"ingest-{args.rows}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(markdown(report))
    print(
        f"\nloader = {report['loader_vs_copy']:.0%} of plain COPY, {report['loader_vs_to_sql']:.1f}× to_sql;"
        f" figures in {out}"
    )


if __name__ == "__main__":
    main()

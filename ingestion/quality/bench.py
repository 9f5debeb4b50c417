"""Gate time vs load time on one big register batch (the gate's budget: ≤ 25 % of the load).

    python -m ingestion.quality.bench --rows 200000

Writes a clean register export (``ingestion.generate.write_register_csv``), loads it into a scratch database
of the warehouse server with the project's loader, then validates the batch: right after the load (the
gate's budget is measured on this one: ``gate_first_seconds``) and once more (``gate_seconds``). Loading GX
and the context, and the once-per-warehouse preparation (reference values), are timed apart. Prints JSON.
The benchmark suite (``ingestion.bench.suite``) calls :func:`measure_gate` on the batch of its loader run.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from ingestion.warehouse.connection import to_url, warehouse_dsn

if TYPE_CHECKING:
    from ingestion.quality.gate import QualityGate

BENCH_DATABASE = "appeals_gate_bench"
TERRITORY = "87725000"


def _database_dsn(dsn: str, database: str) -> str:
    params = conninfo_to_dict(dsn)
    params["dbname"] = database
    return to_url(params)


def measure_gate(
    dsn: str, batch_id: int, load_seconds: float, gate: QualityGate | None = None, workdir: Path | None = None
) -> dict[str, float | int]:
    """Validate a freshly loaded batch twice and time it against its load (``load_seconds``).

    Pass ``gate`` to reuse a loaded GX context (``gx_import_and_context_seconds`` is then 0); otherwise one is
    built, its results kept under ``workdir``.
    """
    from ingestion.quality.gate import QualityGate

    started = time.monotonic()
    if gate is None:
        folder = workdir or Path(tempfile.mkdtemp(prefix="gate-bench-"))
        gate = QualityGate(results_dir=folder / "validations", data_docs_dir=folder / "data_docs")
    context_seconds = time.monotonic() - started
    started = time.monotonic()
    # once per warehouse: migrations check, reference values (loaded into this new database)
    gate.prepare(dsn)
    prepare_seconds = time.monotonic() - started
    first = gate.validate_batch(dsn, batch_id)  # the first read after the load
    again = gate.validate_batch(dsn, batch_id)
    if not (first.passed and again.passed):
        raise RuntimeError(f"the clean batch did not pass: {again.summary()}")
    return {
        "rows": first.rows or 0,
        "load_seconds": round(load_seconds, 2),
        "gx_import_and_context_seconds": round(context_seconds, 2),
        "prepare_seconds": round(prepare_seconds, 2),
        "gate_first_seconds": round(first.seconds, 2),
        "gate_seconds": round(again.seconds, 2),
        "gate_share_of_load": round(first.seconds / load_seconds, 3),
        "checks": again.checks,
    }


def run(rows: int, workdir: Path) -> dict[str, float | int]:
    from ingestion.generate import write_register_csv
    from ingestion.ingest import ingest_landing

    admin = _database_dsn(warehouse_dsn(), "postgres")
    dsn = _database_dsn(admin, BENCH_DATABASE)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(
            sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(BENCH_DATABASE))
        )
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(BENCH_DATABASE)))
    try:
        landing = workdir / f"landing-{rows}"
        export = landing / "register" / TERRITORY / f"register_{rows}.csv"
        if not export.exists():
            export.parent.mkdir(parents=True, exist_ok=True)
            write_register_csv(export, rows)
        os.environ.setdefault("APPEALS_HMAC_KEY", "benchmark-key-" + "x" * 32)
        started = time.monotonic()
        [loaded] = ingest_landing(landing, dsn=dsn)
        load_seconds = time.monotonic() - started
        if loaded.status != "loaded":
            raise RuntimeError(f"the loader did not load the file: {loaded.status} {loaded.message}")
        return {
            **measure_gate(dsn, loaded.batch_id, load_seconds, workdir=workdir),
            "rows": loaded.rows_loaded,
        }
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(
                sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(BENCH_DATABASE))
            )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--workdir", type=Path, default=None, help="keeps the generated export between runs")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    if args.workdir:
        args.workdir.mkdir(parents=True, exist_ok=True)
        print(json.dumps(run(args.rows, args.workdir)))
    else:
        with tempfile.TemporaryDirectory() as workdir:
            print(json.dumps(run(args.rows, Path(workdir))))


if __name__ == "__main__":
    main()

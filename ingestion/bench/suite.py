"""The benchmark suite: ingest, gate, build, nightly refresh and queries of a warehouse of N appeals.

    python -m ingestion.bench --appeals 1000000          # or: make bench, appeals bench --appeals N
    python -m ingestion.bench --docs-only                # only rewrite docs/performance.md from the JSON files

One run, steps in order, on scratch databases of the warehouse server (``appeals_bench_<N>…``; dropped at the
end unless ``--keep``):

1. **data** — a register export of N rows (``write_register_csv``) for the ingestion comparison, and a
   warehouse of N appeals of every feed plus two nights (``ingestion.bench.data``); a sample of the
   reference generator ``generate()`` is timed to show why it is not used at this size;
2. **ingest** — the N-row file loaded by plain ``COPY``, this loader and pandas ``to_sql``
   (``ingestion.bench.ingest``), each in a process of its own (peak RSS); the quality gate on the loader's
   batch right after it (``ingestion.quality.bench``): gate time as a share of load time;
3. **warehouse** — the history loaded by the loader (a process of its own: peak RSS) and validated;
4. **full build** — ``publish_marts`` from scratch: dbt build, GX mart suites, swap (dbt node timings kept);
5. **nights** — each night's files loaded, validated and published like ``appeals run`` does; the first
   night after a full build also builds the second copy of the marts (``marts_next`` was empty), the next
   one is a steady night: its cost as a share of the full build is the refresh figure;
6. **queries** — every report query (``ingestion/reports/queries``, with the parameters of the latest year's
   report of every territory, and again of the municipality with the most appeals: ``<name>@municipality``)
   and every dashboard query (``ingestion.bench.dashboard_queries``), warm, ``--query-runs`` times each: p50
   and p95.

Writes ``docs/benchmarks/bench-<N>.json`` (every figure, the machine, the targets met or missed; rewritten
after each step, so a failed run keeps what it measured) and prints Markdown tables; ``--docs`` rewrites the
marked section of ``docs/performance.md`` from every ``docs/benchmarks/bench-*.json``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import sys
import time
from collections import Counter
from contextlib import redirect_stdout
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from psycopg import sql

from ingestion.bench import data, ingest
from ingestion.settings import load_settings
from ingestion.transform import environment

TARGETS = {
    "ingest_vs_copy": 0.40,
    "peak_rss_mb": 300.0,
    "gate_share_of_load": 0.25,
    "refresh_share_of_full_build": 0.05,
    "query_p95_ms": 200.0,
}
HMAC_KEY = "benchmark-key-" + "x" * 32
PROGRESS_EVERY_S = 5.0


@dataclass
class Options:
    appeals: int = 1_000_000
    server: str | None = None
    """A DSN that may create databases; default: the warehouse server (``WAREHOUSE_DSN`` or embedded)."""
    workdir: Path | None = None
    out: Path | None = None
    database: str | None = None
    day_appeals: int = data.DAY_APPEALS
    query_runs: int = 20
    query_budget_s: float = 30.0
    to_sql_rows: int = 100_000
    generate_sample: int = 20_000
    bodies: int | None = None
    """Registering bodies of the warehouse (default: all 30 of ``ingestion.bench.data.REGIONS``)."""
    keep: bool = False
    seed: int = 0


@dataclass
class _Run:
    options: Options
    started: float = field(default_factory=time.monotonic)
    report: dict = field(default_factory=dict)

    def say(self, message: str) -> None:
        elapsed = time.monotonic() - self.started
        print(f"[{int(elapsed // 60):3d}:{int(elapsed % 60):02d}] {message}", file=sys.stderr, flush=True)

    def save(self) -> None:
        out = self.report["out"]
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        Path(out).write_text(json.dumps(self.report, indent=2, ensure_ascii=False, default=str) + "\n")


# -- the machine -------------------------------------------------------------------------------------------


def machine(dsn: str) -> dict:
    """Cores, memory, CPU, OS, Python and PostgreSQL (version and the settings that matter here)."""
    facts = ingest.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                facts["cpu_model"] = line.split(":", 1)[1].strip()
                break
    except OSError:
        facts["cpu_model"] = platform.processor() or "unknown"
    facts["load_average_at_start"] = [round(x, 2) for x in os.getloadavg()]
    with psycopg.connect(dsn, autocommit=True) as conn:
        facts["postgresql"] = conn.execute("show server_version").fetchone()[0]
        facts["postgresql_settings"] = {
            name: conn.execute("select current_setting(%s)", [name]).fetchone()[0]
            for name in (
                "shared_buffers",
                "work_mem",
                "maintenance_work_mem",
                "max_parallel_workers_per_gather",
            )
        }
    facts["embedded_server"] = load_settings().uses_embedded_server
    return facts


# -- worker processes (their peak RSS is their own) ---------------------------------------------------------


def _worker_load(landing: Path, dsn: str) -> dict:
    """Load a landing folder with the project's loader, saying how far it got every few seconds."""
    from ingestion.ingest import ingest_landing
    from ingestion.landing import discover

    total = len(discover(landing))
    started = last = time.monotonic()
    seen: list = []

    def on_file(result) -> None:
        nonlocal last
        seen.append(result)
        now = time.monotonic()
        if now - last >= PROGRESS_EVERY_S or len(seen) == total:
            rows = sum(r.rows_loaded for r in seen)
            print(
                f"loaded {len(seen)}/{total} files, {rows:,} rows, {rows / (now - started):,.0f} rows/s",
                file=sys.stderr,
                flush=True,
            )
            last = now

    results = ingest_landing(landing, dsn=dsn, on_file=on_file)
    seconds = time.monotonic() - started
    rows = sum(r.rows_loaded for r in results)
    statuses = Counter(r.status for r in results)
    return {
        "files": len(results),
        "statuses": dict(statuses),
        "rows_read": sum(r.rows_read for r in results),
        "rows_loaded": rows,
        "rows_quarantined": sum(r.rows_quarantined for r in results),
        "seconds": seconds,
        "rows_per_s": rows / seconds if seconds else 0.0,
        "largest_file_rows": max((r.rows_loaded for r in results), default=0),
        "by_feed": {
            feed: {
                "files": sum(r.feed == feed for r in results),
                "rows": sum(r.rows_loaded for r in results if r.feed == feed),
                "seconds": sum(r.seconds for r in results if r.feed == feed),
                "rows_per_s": sum(r.rows_loaded for r in results if r.feed == feed)
                / max(1e-9, sum(r.seconds for r in results if r.feed == feed)),
            }
            for feed in sorted({r.feed for r in results})
        },
        "problems": [f"{r.file}: {r.status} {r.message}" for r in results if r.status != "loaded"][:10],
        **ingest.own_usage(),
    }


def _worker_generate(appeals: int, out: Path) -> dict:
    """The reference generator ``generate()`` on a sample: its rate and memory (to extrapolate)."""
    from datetime import date

    from ingestion.generate import generate

    started = time.monotonic()
    summary = generate(
        out, list(data.REGIONS), date(2025, 1, 1), date(2025, 12, 31), rows=appeals, formats="csv"
    )
    seconds = time.monotonic() - started
    made = sum(summary.appeals.values())
    return {"appeals": made, "seconds": seconds, "appeals_per_s": made / seconds, **ingest.own_usage()}


def _in_worker(kind: str, label: str, *args: str) -> dict:
    command = [sys.executable, "-m", "ingestion.bench.suite", "--worker", kind, *args]
    return ingest.measured(command, label)


# -- helpers -----------------------------------------------------------------------------------------------


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def _dbt_nodes(target: Path, top: int = 12) -> dict:
    """Seconds per kind of dbt node and the slowest nodes, from the last run's ``run_results.json``."""
    path = target / "run_results.json"
    if not path.exists():
        return {}
    results = json.loads(path.read_text())["results"]
    by_kind: Counter[str] = Counter()
    for node in results:
        by_kind[node["unique_id"].split(".", 1)[0]] += node.get("execution_time") or 0.0
    slowest = sorted(results, key=lambda n: n.get("execution_time") or 0.0, reverse=True)[:top]
    return {
        "seconds_by_kind": {k: round(v, 2) for k, v in by_kind.most_common()},
        "nodes": {n["unique_id"]: round(n.get("execution_time") or 0.0, 3) for n in results},
        "slowest": [
            {"node": n["unique_id"], "seconds": round(n.get("execution_time") or 0.0, 2)} for n in slowest
        ],
    }


def _sizes(dsn: str) -> dict:
    with psycopg.connect(dsn, autocommit=True) as conn:
        rows = conn.execute(
            "select n.nspname, sum(pg_total_relation_size(c.oid))::bigint from pg_class c"
            " join pg_namespace n on n.oid = c.relnamespace where c.relkind in ('r', 'm')"
            " and n.nspname in ('raw', 'intermediate', 'marts', 'marts_next') group by 1 order by 1"
        ).fetchall()
        facts = conn.execute(
            "select (select count(*) from marts.fct_appeals), (select count(*) from marts.fct_appeal_questions),"
            " (select count(*) from marts.agg_appeals_monthly)"
        ).fetchone()
    return {
        "mb_by_schema": {schema: round(size / 2**20, 1) for schema, size in rows},
        "fct_appeals": facts[0],
        "fct_appeal_questions": facts[1],
        "agg_appeals_monthly": facts[2],
    }


def _publish(run: _Run, dsn: str, gate, target: Path, *, full_refresh: bool = False) -> dict:
    from ingestion.publish import publish_marts

    with redirect_stdout(sys.stderr):  # dbt's progress: not into the Markdown on stdout
        result = publish_marts(dsn, gate=gate, full_refresh=full_refresh, on_step=lambda m: run.say(f"  {m}"))
    if not result.published:
        raise RuntimeError(f"the marts were not published: {result.error}")
    dbt_seconds = result.dbt.seconds if result.dbt else 0.0
    suites_seconds = result.marts_check.seconds if result.marts_check else 0.0
    return {
        "seconds": result.seconds,
        "dbt_seconds": dbt_seconds,
        "mart_suites_seconds": suites_seconds,
        "swap_and_bookkeeping_seconds": max(0.0, result.seconds - dbt_seconds - suites_seconds),
        "full_refresh": result.full_refresh,
        "appeals": result.appeals,
        "batches_published": result.batches_published,
        "dbt_summary": result.dbt.summary() if result.dbt else "",
        "dbt_nodes": _dbt_nodes(target),
    }


def _validate(run: _Run, dsn: str, gate, label: str) -> dict:
    started = last = time.monotonic()
    done: list = []

    def on_result(result) -> None:
        nonlocal last
        done.append(result)
        if time.monotonic() - last >= PROGRESS_EVERY_S:
            run.say(f"  {label}: {len(done)} batch(es) validated")
            last = time.monotonic()

    results = gate.validate_pending(dsn, on_result=on_result)
    seconds = time.monotonic() - started
    rejected = [r for r in results if not r.passed]
    if rejected:
        raise RuntimeError(
            f"{label}: {len(rejected)} batch(es) rejected by the gate, e.g. {rejected[0].summary()}"
        )
    rows = sum(r.rows or 0 for r in results)
    return {
        "batches": len(results),
        "rows": rows,
        "seconds": seconds,
        "rows_per_s": rows / seconds if seconds else 0.0,
        "batch_seconds_sum": sum(r.seconds for r in results),
        "slowest_batch_seconds": max((r.seconds for r in results), default=0.0),
        "warnings": sum(len(r.warnings) for r in results),
    }


# -- the steps ---------------------------------------------------------------------------------------------


def step_data(run: _Run, workdir: Path) -> tuple[data.Layout, Path, dict[str, Path]]:
    from ingestion.generate import write_register_csv

    options, report = run.options, run.report
    run.say(f"data: register export of {options.appeals:,} rows for the ingestion comparison")
    file = workdir / f"register_{options.appeals}.csv"
    started = time.monotonic()
    write_register_csv(file, options.appeals, seed=1, encoding="cp1251", territory=ingest.TERRITORY)
    register_seconds = time.monotonic() - started

    sample: dict = {}
    if options.generate_sample:
        run.say(
            f"data: the reference generator generate() on a sample of {options.generate_sample:,} appeals"
        )
        sample_dir = workdir / "generate-sample"
        shutil.rmtree(sample_dir, ignore_errors=True)
        sample = _in_worker(
            "generate", "generate()", "--appeals", str(options.generate_sample), "--out", str(sample_dir)
        )
        sample["extrapolated_seconds_at_n"] = options.appeals / sample["appeals_per_s"]
        shutil.rmtree(sample_dir, ignore_errors=True)

    run.say(f"data: a warehouse of {options.appeals:,} appeals of every feed, and {len(data.NIGHTS)} nights")
    started = time.monotonic()
    layout = data.plan(
        options.appeals,
        day_appeals=options.day_appeals,
        seed=options.seed,
        bodies=options.bodies,
        say=run.say,
    )
    history = workdir / "history"
    shutil.rmtree(history, ignore_errors=True)
    history_rows = data.write_history(layout, history, say=lambda m: run.say(f"  {m}"))
    nights: dict[str, Path] = {}
    night_rows = {}
    for night in layout.nights:
        folder = workdir / f"night-{night.isoformat()}"
        shutil.rmtree(folder, ignore_errors=True)
        night_rows[night.isoformat()] = data.write_night(layout, night, folder)
        nights[night.isoformat()] = folder
    seconds = time.monotonic() - started
    rows = sum(history_rows.values()) + sum(sum(r.values()) for r in night_rows.values())
    size = sum(p.stat().st_size for p in workdir.rglob("*.csv") if p != file)
    report["data"] = {
        "register_file": {"rows": options.appeals, "bytes": file.stat().st_size, "seconds": register_seconds},
        "generate_sample": sample,
        "warehouse": {
            "regions": list(data.REGIONS),
            "bodies": len(layout.municipalities),
            "months": [first.isoformat()[:7] for first, _ in layout.months],
            "history_appeals": layout.history_appeals(),
            "history_rows": history_rows,
            "nights": {
                n: {"appeals": layout.night_appeals(d), "rows": night_rows[n]}
                for n, d in zip(night_rows, layout.nights, strict=True)
            },
            "bytes": size,
            "seconds": seconds,
            "rows_per_s": rows / seconds,
        },
    }
    run.say(f"data: {rows:,} rows ({size / 2**20:,.0f} MB) in {seconds:.1f} s")
    return layout, file, nights


def step_ingest(run: _Run, file: Path, server: str, database: str, gate_box: dict) -> None:
    from ingestion.quality.bench import measure_gate

    options = run.options

    def after_loader(dsn: str, figures: dict) -> None:
        run.say("ingest: the quality gate on the loader's batch (loading Great Expectations first)")
        started = time.monotonic()
        gate_box["gate"] = _make_gate(gate_box["dir"])
        gate_box["import_seconds"] = time.monotonic() - started
        run.report["gate"] = {
            "big_batch": measure_gate(dsn, figures["batch_id"], figures["seconds"], gate=gate_box["gate"]),
            "gx_import_and_context_seconds": gate_box["import_seconds"],
        }
        run.say(f"  gate: {run.report['gate']['big_batch']['gate_share_of_load']:.0%} of the load time")

    run.say(f"ingest: {options.appeals:,} rows three ways (plain COPY, this loader, pandas to_sql)")
    compared = ingest.compare(
        file,
        server,
        to_sql_rows=min(options.to_sql_rows, options.appeals),
        database=f"{database}_ingest",
        after_loader=after_loader,
    )
    from ingestion.parallel_parse import worker_count

    loader = compared["results"]["loader"]
    workers = worker_count() if "workers_peak_rss_mb" in loader else 0
    compared["loader_peak_rss_total_mb"] = loader["peak_rss_mb"] + workers * loader.get(
        "workers_peak_rss_mb", 0
    )
    compared["parse_workers"] = workers
    run.report["ingest"] = compared
    run.say(
        f"ingest: loader {loader['rows_per_s']:,.0f} rows/s = {compared['loader_vs_copy']:.0%} of plain COPY,"
        f" {compared['loader_vs_to_sql']:.1f}× to_sql; peak RSS {compared['loader_peak_rss_total_mb']:.0f} MB"
    )


def _make_gate(folder: Path):
    from ingestion.quality.gate import QualityGate

    return QualityGate(results_dir=folder / "validations", data_docs_dir=folder / "data_docs")


def step_warehouse(run: _Run, history: Path, dsn: str, gate) -> None:
    run.say(f"warehouse: loading the history ({history})")
    load = _in_worker("load", "loading the history", "--landing", str(history), "--dsn", dsn)
    if load["problems"]:
        raise RuntimeError("the history did not load cleanly: " + "; ".join(load["problems"]))
    run.say(
        f"warehouse: {load['rows_loaded']:,} rows in {load['seconds']:.1f} s; the quality gate on {load['files']} batches"
    )
    validated = _validate(run, dsn, gate, "gate")
    run.report["warehouse"] = {
        "load": load,
        "gate": validated,
        "gate_share_of_load": validated["seconds"] / load["seconds"],
    }
    run.say(
        f"warehouse: gate {validated['seconds']:.1f} s = {validated['seconds'] / load['seconds']:.0%} of the load"
    )


def step_full_build(run: _Run, dsn: str, gate, target: Path) -> None:
    run.say("full build: publish_marts from scratch (dbt build into marts_next, mart suites, swap)")
    built = _publish(run, dsn, gate, target, full_refresh=True)
    built["sizes"] = _sizes(dsn)
    built["appeals_per_s"] = (built["appeals"] or 0) / built["seconds"]
    run.report["full_build"] = built
    run.say(
        f"full build: {built['seconds']:.1f} s (dbt {built['dbt_seconds']:.1f} s, suites {built['mart_suites_seconds']:.1f} s)"
    )


def step_nights(run: _Run, nights: dict[str, Path], dsn: str, gate, target: Path) -> None:
    from ingestion.ingest import ingest_landing

    done = []
    for index, (night, landing) in enumerate(nights.items()):
        kind = "first night: also builds the second copy of the marts" if index == 0 else "steady night"
        run.say(f"night {night} ({kind}): load, gate, publish")
        started = time.monotonic()
        results = ingest_landing(landing, dsn=dsn)
        load_seconds = time.monotonic() - started
        bad = [f"{r.file}: {r.status} {r.message}" for r in results if r.status != "loaded"]
        if bad:
            raise RuntimeError(f"night {night} did not load cleanly: " + "; ".join(bad[:5]))
        rows = sum(r.rows_loaded for r in results)
        validated = _validate(run, dsn, gate, f"night {night} gate")
        published = _publish(run, dsn, gate, target)
        total = load_seconds + validated["seconds"] + published["seconds"]
        done.append(
            {
                "night": night,
                "kind": "first" if index == 0 else "steady",
                "files": len(results),
                "rows": rows,
                "load_seconds": load_seconds,
                "load_rows_per_s": rows / load_seconds,
                "gate": validated,
                "publish": published,
                "seconds": total,
            }
        )
        run.say(
            f"night {night}: load {load_seconds:.1f} s, gate {validated['seconds']:.1f} s,"
            f" publish {published['seconds']:.1f} s (dbt {published['dbt_seconds']:.1f} s)"
        )
    full = run.report["full_build"]["seconds"]
    steady = done[-1]
    run.report["nights"] = done
    run.report["refresh"] = {
        "night": steady["night"],
        "appeals": run.report["data"]["warehouse"]["nights"][steady["night"]]["appeals"],
        "publish_seconds": steady["publish"]["seconds"],
        "dbt_seconds": steady["publish"]["dbt_seconds"],
        "night_seconds": steady["seconds"],
        "publish_share_of_full_build": steady["publish"]["seconds"] / full,
        "night_share_of_full_build": steady["seconds"] / full,
    }


def step_queries(run: _Run, dsn: str) -> None:
    from ingestion.bench.dashboard_queries import DASHBOARD_QUERIES, FILTERS
    from ingestion.reports.queries import load_queries, report_params

    options = run.options
    timed = []
    with psycopg.connect(dsn, autocommit=True) as conn:
        filters = {name: conn.execute(code).fetchone()[0] for name, code in FILTERS.items()}
        run.report["dashboard_filters"] = filters
        (year,) = conn.execute(
            "select cast(extract(year from max(month_start)) as integer) from marts.agg_appeals_monthly"
        ).fetchone()
        # the latest year's report of every territory (register, the whole year, compared with the year before),
        # and the same report of the municipality with the most appeals (the territory roll-up's cost)
        every = report_params(year)
        municipality = {**every, "territory": filters["municipality_oktmo"]}
        run.report["report_params"] = every
        run.say(f"queries: the report queries for {year} (every territory, and {municipality['territory']})")
        report_queries = sorted(load_queries().items())
        queries: list[tuple[str, str, str, dict | None]] = [
            ("report", name, code, every) for name, code in report_queries
        ]
        queries += [("report", f"{name}@municipality", code, municipality) for name, code in report_queries]
        queries += [("dashboard", name, code, filters) for name, code in DASHBOARD_QUERIES.items()]
        for kind, name, code, params in queries:
            rows = len(conn.execute(code, params).fetchall())  # warm-up: caches, plans
            times: list[float] = []
            spent = 0.0
            while len(times) < options.query_runs and (len(times) < 3 or spent < options.query_budget_s):
                started = time.perf_counter()
                conn.execute(code, params).fetchall()
                times.append((time.perf_counter() - started) * 1000)
                spent += times[-1] / 1000
            figure = {
                "kind": kind,
                "name": name,
                "rows": rows,
                "runs": len(times),
                "p50_ms": _percentile(times, 0.50),
                "p95_ms": _percentile(times, 0.95),
                "max_ms": max(times),
            }
            if figure["p95_ms"] >= TARGETS["query_p95_ms"]:  # what to look at: the plan (run once more
                # with timings, unless a run takes long: then the plan without running it)
                analyse = "analyze, buffers" if figure["p50_ms"] < 5000 else "costs"
                explain = sql.SQL("explain ({}) {}").format(
                    sql.SQL(analyse), sql.SQL(code)
                )  # the report and dashboard queries: our SQL, with their parameters
                plan = conn.execute(explain, params).fetchall()
                figure["plan"] = [line for (line,) in plan][:80]
            timed.append(figure)
            run.say(
                f"  {kind:<9} {name:<50} p50 {figure['p50_ms']:8.1f} ms  p95 {figure['p95_ms']:8.1f} ms  ({len(times)} runs)"
            )
    run.report["queries"] = timed


def targets(report: dict) -> dict:
    """Every target of the issue: the figure, the target, met or not."""
    found = {}
    if "ingest" in report:
        found["ingest_vs_copy"] = (report["ingest"]["loader_vs_copy"], ">=", TARGETS["ingest_vs_copy"])
        rss = [report["ingest"]["loader_peak_rss_total_mb"]]
        if "warehouse" in report:
            load = report["warehouse"]["load"]
            rss.append(
                load["peak_rss_mb"] + report["ingest"]["parse_workers"] * load.get("workers_peak_rss_mb", 0)
            )
        found["peak_rss_mb"] = (max(rss), "<", TARGETS["peak_rss_mb"])
    if "gate" in report:
        found["gate_share_of_load"] = (
            report["gate"]["big_batch"]["gate_share_of_load"],
            "<=",
            TARGETS["gate_share_of_load"],
        )
    if "warehouse" in report:
        found["gate_share_of_load_warehouse"] = (
            report["warehouse"]["gate_share_of_load"],
            "<=",
            TARGETS["gate_share_of_load"],
        )
    if "refresh" in report:
        found["refresh_share_of_full_build"] = (
            report["refresh"]["publish_share_of_full_build"],
            "<=",
            TARGETS["refresh_share_of_full_build"],
        )
    if report.get("queries"):
        found["query_p95_ms"] = (max(q["p95_ms"] for q in report["queries"]), "<", TARGETS["query_p95_ms"])
    compare = {"<": float.__lt__, "<=": float.__le__, ">=": float.__ge__}
    return {
        name: {"value": value, "target": f"{op} {target}", "met": compare[op](float(value), float(target))}
        for name, (value, op, target) in found.items()
    }


# -- the run -----------------------------------------------------------------------------------------------


def run_suite(options: Options) -> dict:
    """Run every step; returns the report (also written as JSON, after each step)."""
    from ingestion.bench.ingest import drop_database, fresh_database

    settings = load_settings()
    if options.appeals < 1000:
        raise ValueError("--appeals must be at least 1000")
    server = options.server or ingest.server_dsn()
    database = options.database or f"appeals_bench_{options.appeals}"
    workdir = (options.workdir or settings.state_dir / "bench" / f"suite-{options.appeals}").resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    out = options.out or settings.root / "docs" / "benchmarks" / f"bench-{options.appeals}.json"
    run = _Run(options)
    run.report = {
        "benchmark": "suite",
        "appeals": options.appeals,
        "complete": False,
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "out": str(out),
        "options": {
            "day_appeals": options.day_appeals,
            "query_runs": options.query_runs,
            "query_budget_s": options.query_budget_s,
            "to_sql_rows": options.to_sql_rows,
            "bodies": options.bodies,
            "seed": options.seed,
        },
    }
    dbt_dir = workdir / "dbt"
    target_env = {"DBT_TARGET_PATH": str(dbt_dir / "target"), "DBT_LOG_PATH": str(dbt_dir / "logs")}
    os.environ.setdefault("APPEALS_HMAC_KEY", HMAC_KEY)
    run.say(f"benchmark of {options.appeals:,} appeals; databases {database}*, files in {workdir}")
    run.report["machine"] = machine(server)
    run.save()
    gate_box: dict = {"dir": workdir / "gx"}
    dsn = None
    try:
        _, file, nights = step_data(run, workdir)
        run.save()
        step_ingest(run, file, server, database, gate_box)
        if not options.keep:
            file.unlink(missing_ok=True)
        run.save()
        gate = gate_box["gate"]
        dsn = fresh_database(server, database)
        with environment(target_env):
            step_warehouse(run, workdir / "history", dsn, gate)
            run.save()
            step_full_build(run, dsn, gate, dbt_dir / "target")
            run.save()
            step_nights(run, nights, dsn, gate, dbt_dir / "target")
            run.save()
        step_queries(run, dsn)
        run.report["complete"] = True
    finally:
        report = run.report
        report["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
        report["total_seconds"] = time.monotonic() - run.started
        report.setdefault("machine", {})["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
        report["targets"] = targets(report)
        run.save()
        if not options.keep:
            drop_database(server, f"{database}_ingest")  # left behind when the comparison failed
            if dsn is not None:
                drop_database(server, database)
            generated = [workdir / "history", *workdir.glob("night-*"), *workdir.glob("landing-register_*")]
            for path in [*generated, *workdir.glob("register_*.csv")]:
                if path.is_dir():
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    path.unlink(missing_ok=True)
    run.say(f"done in {report['total_seconds'] / 60:.1f} min; figures in {out}")
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ingestion.bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--appeals",
        type=int,
        default=1_000_000,
        help="appeals in the warehouse (and rows of the ingest file)",
    )
    parser.add_argument(
        "--docs",
        action="store_true",
        help="after the run, rewrite docs/performance.md from every docs/benchmarks/bench-*.json",
    )
    parser.add_argument(
        "--docs-only", action="store_true", help="only rewrite docs/performance.md from the JSON files"
    )
    parser.add_argument(
        "--server-dsn", default=None, help="a server DSN that may create databases (default: the warehouse's)"
    )
    parser.add_argument("--database", default=None, help="scratch database name (default appeals_bench_<N>)")
    parser.add_argument(
        "--workdir", type=Path, default=None, help="where generated files go (default .warehouse/bench/)"
    )
    parser.add_argument(
        "--out", type=Path, default=None, help="JSON output (default docs/benchmarks/bench-<N>.json)"
    )
    parser.add_argument("--day-appeals", type=int, default=data.DAY_APPEALS, help="appeals of one night")
    parser.add_argument(
        "--query-runs", type=int, default=20, help="timed runs of each query (after one warm-up)"
    )
    parser.add_argument(
        "--query-budget", type=float, default=30.0, help="seconds per query before runs stop (at least 3)"
    )
    parser.add_argument("--to-sql-rows", type=int, default=100_000, help="rows for pandas to_sql")
    parser.add_argument(
        "--generate-sample", type=int, default=20_000, help="appeals for timing generate() (0: skip)"
    )
    parser.add_argument("--bodies", type=int, default=None, help="registering bodies (default: all 30)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch databases and files")
    parser.add_argument("--worker", choices=["load", "generate"], help=argparse.SUPPRESS)
    parser.add_argument("--landing", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--dsn", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker == "load":
        print(json.dumps(_worker_load(args.landing, args.dsn)))
        return 0
    if args.worker == "generate":
        print(json.dumps(_worker_generate(args.appeals, args.out)))
        return 0
    from ingestion.bench import report as markdown

    if not args.docs_only:
        options = Options(
            appeals=args.appeals,
            server=args.server_dsn,
            workdir=args.workdir,
            out=args.out,
            database=args.database,
            day_appeals=args.day_appeals,
            query_runs=args.query_runs,
            query_budget_s=args.query_budget,
            to_sql_rows=args.to_sql_rows,
            generate_sample=args.generate_sample,
            bodies=args.bodies,
            keep=args.keep,
        )
        try:
            report = run_suite(options)
        except Exception as error:  # a clear line, then the traceback for whoever debugs it
            print(f"\nbenchmark FAILED: {type(error).__name__}: {error}", file=sys.stderr)
            raise
        print(markdown.tables(report))
    if args.docs or args.docs_only:
        path = markdown.rewrite_docs()
        print(f"rewrote the benchmark section of {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

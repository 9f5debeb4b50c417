"""The benchmark suite end to end at a tiny size, on the real PostgreSQL of the test fixtures: every step
runs (generate, ingest three ways, gate, full build, two nights, every report query — of every territory and
of one municipality — and every dashboard query) and the JSON holds every figure. Not a timing test: it checks
the harness, not the numbers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest

from ingestion.bench import report as markdown
from ingestion.bench.dashboard_queries import DASHBOARD_QUERIES
from ingestion.reports.queries import load_queries

pytestmark = pytest.mark.slow

APPEALS = 3000


@pytest.fixture(scope="module")
def bench(server_dsn: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, str, str]:
    """One run of ``python -m ingestion.bench`` at 3 000 appeals: (the JSON, stdout, the database name)."""
    workdir = tmp_path_factory.mktemp("bench")
    database = f"appeals_bench_smoke_{uuid.uuid4().hex[:8]}"
    out = workdir / "bench.json"
    env = {**os.environ, "APPEALS_HMAC_KEY": "bench-smoke-key-" + "0" * 40, "APPEALS_DBT_THREADS": "4"}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "ingestion.bench",
            "--appeals",
            str(APPEALS),
            "--day-appeals",
            "300",
            "--bodies",
            "3",
            "--query-runs",
            "3",
            "--to-sql-rows",
            "1000",
            "--generate-sample",
            "300",
            "--server-dsn",
            server_dsn,
            "--database",
            database,
            "--workdir",
            str(workdir),
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-5000:]
    return json.loads(out.read_text()), done.stdout, database


def positive(value: object) -> bool:
    return isinstance(value, (int, float)) and value > 0


def test_every_step_ran_and_the_run_is_complete(bench: tuple[dict, str, str]) -> None:
    report, _, _ = bench
    assert report["complete"] is True
    assert report["appeals"] == APPEALS
    for step in (
        "data",
        "ingest",
        "gate",
        "warehouse",
        "full_build",
        "nights",
        "refresh",
        "queries",
        "targets",
    ):
        assert step in report, step
    assert positive(report["total_seconds"])


def test_the_machine_is_described(bench: tuple[dict, str, str]) -> None:
    machine = bench[0]["machine"]
    assert positive(machine["cpus"]) and positive(machine["memory_gb"])
    assert machine["cpu_model"] and machine["python"] and machine["postgresql"]
    assert len(machine["load_average_at_start"]) == 3


def test_data_generation_figures(bench: tuple[dict, str, str]) -> None:
    data = bench[0]["data"]
    assert positive(data["register_file"]["seconds"]) and data["register_file"]["rows"] == APPEALS
    assert positive(data["generate_sample"]["appeals_per_s"])
    warehouse = data["warehouse"]
    assert warehouse["history_appeals"] == APPEALS and warehouse["bodies"] == 3
    assert all(positive(rows) for rows in warehouse["history_rows"].values())
    assert positive(warehouse["rows_per_s"])
    assert [night["appeals"] for night in warehouse["nights"].values()] == [300, 300]


def test_ingest_three_ways_with_ratios_and_memory(bench: tuple[dict, str, str]) -> None:
    ingest = bench[0]["ingest"]
    for method in ("copy", "loader", "to_sql"):
        figures = ingest["results"][method]
        assert (
            positive(figures["rows"]) and positive(figures["rows_per_s"]) and positive(figures["peak_rss_mb"])
        )
    assert ingest["loader_vs_copy"] == pytest.approx(
        ingest["results"]["loader"]["rows_per_s"] / ingest["results"]["copy"]["rows_per_s"]
    )
    assert positive(ingest["loader_vs_to_sql"])
    assert positive(ingest["loader_peak_rss_total_mb"])
    # the worker's own memory, not its parent's (the benchmark process holds GX and dbt by then)
    assert ingest["results"]["copy"]["peak_rss_mb"] < 200


def test_gate_as_a_share_of_load(bench: tuple[dict, str, str]) -> None:
    report = bench[0]
    big = report["gate"]["big_batch"]
    assert big["rows"] == APPEALS
    assert positive(big["gate_first_seconds"]) and positive(big["load_seconds"])
    assert big["gate_share_of_load"] == pytest.approx(
        big["gate_first_seconds"] / big["load_seconds"], rel=0.05
    )
    warehouse = report["warehouse"]
    assert warehouse["load"]["statuses"] == {"loaded": warehouse["load"]["files"]}
    assert warehouse["gate"]["batches"] == warehouse["load"]["files"]
    assert positive(warehouse["gate_share_of_load"]) and positive(warehouse["load"]["peak_rss_mb"])


def test_full_build_and_nights(bench: tuple[dict, str, str]) -> None:
    report = bench[0]
    full = report["full_build"]
    for key in ("seconds", "dbt_seconds", "mart_suites_seconds", "appeals"):
        assert positive(full[key]), key
    assert full["dbt_nodes"]["slowest"] and full["sizes"]["fct_appeals"] == full["appeals"]
    assert [n["kind"] for n in report["nights"]] == ["first", "steady"]
    for night in report["nights"]:
        assert positive(night["load_seconds"]) and positive(night["gate"]["seconds"])
        assert positive(night["publish"]["dbt_seconds"]) and night["publish"]["appeals"] > full["appeals"]
    refresh = report["refresh"]
    assert refresh["publish_share_of_full_build"] == pytest.approx(
        report["nights"][-1]["publish"]["seconds"] / full["seconds"]
    )
    assert positive(refresh["night_share_of_full_build"])


def test_every_report_and_dashboard_query_is_timed(bench: tuple[dict, str, str]) -> None:
    queries = bench[0]["queries"]
    names = set(load_queries())
    assert {q["name"] for q in queries if q["kind"] == "report"} == names | {
        f"{n}@municipality" for n in names
    }
    assert bench[0]["report_params"]["year"] == 2025 and bench[0]["report_params"]["territory"] is None
    assert {q["name"] for q in queries if q["kind"] == "dashboard"} == set(DASHBOARD_QUERIES)
    for q in queries:
        assert q["runs"] >= 3 and positive(q["p50_ms"]) and q["p50_ms"] <= q["p95_ms"] <= q["max_ms"], q
    assert sum(q["rows"] for q in queries) > 0


def test_targets_are_judged(bench: tuple[dict, str, str]) -> None:
    targets = bench[0]["targets"]
    assert set(targets) >= {
        "ingest_vs_copy",
        "peak_rss_mb",
        "gate_share_of_load",
        "refresh_share_of_full_build",
        "query_p95_ms",
    }
    assert all(isinstance(t["met"], bool) and positive(t["value"]) for t in targets.values())


def test_markdown_tables_and_docs_section(bench: tuple[dict, str, str], tmp_path: Path) -> None:
    report, stdout, _ = bench
    assert "| figure | target | measured |" in stdout and "p50 / p95" in stdout
    (tmp_path / "bench-3000.json").write_text(json.dumps(report))
    (tmp_path / "bench-30000.json").write_text(json.dumps({**report, "appeals": 30_000}))
    doc = tmp_path / "performance.md"
    doc.write_text(f"# Performance\n\nbefore\n{markdown.START}\nold\n{markdown.END}\nafter\n")
    markdown.rewrite_docs(doc, tmp_path)
    text = doc.read_text()
    assert "old" not in text and text.startswith("# Performance\n\nbefore\n") and text.endswith("after\n")
    assert "growth ×10 appeals" in text and "3 000 appeals" in text and "30 000 appeals" in text


def test_scratch_databases_are_dropped(bench: tuple[dict, str, str], server_dsn: str) -> None:
    _, _, database = bench
    with psycopg.connect(server_dsn, autocommit=True) as conn:
        left = conn.execute(
            "select datname from pg_database where datname like %s", [database + "%"]
        ).fetchall()
    assert left == []

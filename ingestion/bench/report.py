"""Markdown from the suite's JSON: the tables of one run, and the section of ``docs/performance.md`` that shows
every ``docs/benchmarks/bench-*.json`` side by side with the growth from the smallest to the largest N."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from ingestion.settings import load_settings

START, END = "<!-- bench:start -->", "<!-- bench:end -->"


def _n(value: float | None, digits: int = 0) -> str:
    if value is None:
        return "—"
    return f"{value:,.{digits}f}".replace(",", " ")


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f} %"


def _s(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.2f} s" if value < 10 else f"{value:,.0f} s".replace(",", " ")


def _get(report: dict, *path: str | int) -> float | None:
    value: object = report
    for key in path:
        found = (isinstance(value, dict) and key in value) or (
            isinstance(value, list) and isinstance(key, int) and len(value) > key
        )
        if not found:
            return None
        value = value[key]  # type: ignore[index]
    return value if isinstance(value, (int, float)) else None


def _night(report: dict, kind: str) -> dict:
    return next((n for n in report.get("nights", []) if n["kind"] == kind), {})


# Figures of the side-by-side table: label, target, how to read it, how to show it.
FIGURES: list[tuple[str, str, Callable[[dict], float | None], Callable[[float | None], str]]] = [
    ("plain COPY, rows/s", "", lambda r: _get(r, "ingest", "results", "copy", "rows_per_s"), _n),
    ("this loader, rows/s", "", lambda r: _get(r, "ingest", "results", "loader", "rows_per_s"), _n),
    ("pandas to_sql, rows/s", "", lambda r: _get(r, "ingest", "results", "to_sql", "rows_per_s"), _n),
    ("loader ÷ plain COPY", "≥ 40 %", lambda r: _get(r, "ingest", "loader_vs_copy"), _pct),
    (
        "loader ÷ pandas to_sql",
        "",
        lambda r: _get(r, "ingest", "loader_vs_to_sql"),
        lambda v: "—" if v is None else f"{v:.1f}×",
    ),
    (
        "loader peak RSS, MB (process + parse workers)",
        "< 300 MB",
        lambda r: _get(r, "ingest", "loader_peak_rss_total_mb"),
        _n,
    ),
    ("history load (every feed), rows/s", "", lambda r: _get(r, "warehouse", "load", "rows_per_s"), _n),
    (
        "history load peak RSS, MB (process)",
        "< 300 MB",
        lambda r: _get(r, "warehouse", "load", "peak_rss_mb"),
        _n,
    ),
    (
        "gate ÷ load, one big register batch",
        "≤ 25 %",
        lambda r: _get(r, "gate", "big_batch", "gate_share_of_load"),
        _pct,
    ),
    (
        "gate ÷ load, the history's batches",
        "≤ 25 %",
        lambda r: _get(r, "warehouse", "gate_share_of_load"),
        _pct,
    ),
    ("full build: publish_marts", "", lambda r: _get(r, "full_build", "seconds"), _s),
    ("  of which dbt build", "", lambda r: _get(r, "full_build", "dbt_seconds"), _s),
    ("  of which GX mart suites", "", lambda r: _get(r, "full_build", "mart_suites_seconds"), _s),
    (
        "first night (also builds the 2nd copy): publish",
        "",
        lambda r: _get(_night(r, "first"), "publish", "seconds"),
        _s,
    ),
    ("steady night: load", "", lambda r: _get(_night(r, "steady"), "load_seconds"), _s),
    ("steady night: gate", "", lambda r: _get(_night(r, "steady"), "gate", "seconds"), _s),
    ("steady night: publish", "", lambda r: _get(_night(r, "steady"), "publish", "seconds"), _s),
    ("  of which dbt build", "", lambda r: _get(_night(r, "steady"), "publish", "dbt_seconds"), _s),
    (
        "  of which GX mart suites",
        "",
        lambda r: _get(_night(r, "steady"), "publish", "mart_suites_seconds"),
        _s,
    ),
    (
        "steady night publish ÷ full build",
        "≤ 5 %",
        lambda r: _get(r, "refresh", "publish_share_of_full_build"),
        _pct,
    ),
    (
        "steady night (load + gate + publish) ÷ full build",
        "",
        lambda r: _get(r, "refresh", "night_share_of_full_build"),
        _pct,
    ),
    (
        "slowest query p95, ms",
        "< 200 ms",
        lambda r: max((q["p95_ms"] for q in r.get("queries", [])), default=None),
        lambda v: _n(v, 1),
    ),
    ("whole benchmark run", "", lambda r: _get(r, "total_seconds"), _s),
]


def _met(report: dict) -> str:
    targets = report.get("targets", {})
    missed = [name for name, t in targets.items() if not t["met"]]
    return "every target met" if not missed else "missed: " + ", ".join(missed)


def _machine(report: dict) -> str:
    m = report.get("machine", {})
    load = m.get("load_average_at_start")
    return (
        f"{m.get('cpus')} cores ({m.get('cpu_model', '?')}), {m.get('memory_gb')} GiB, PostgreSQL"
        f" {m.get('postgresql', '?')}{' (embedded)' if m.get('embedded_server') else ''}, Python"
        f" {m.get('python')}; load average {load[0] if load else '?'} at the start"
    )


def tables(report: dict) -> str:
    """The Markdown of one run."""
    n = report["appeals"]
    lines = [
        f"### {n:,} appeals".replace(",", " "),
        "",
        f"{report.get('started_at', '')}: {_machine(report)}; {_met(report)}.",
        "",
        "| figure | target | measured |",
        "|---|---|---:|",
    ]
    for label, target, read, show in FIGURES:
        lines.append(f"| {label} | {target} | {show(read(report))} |")
    lines += ["", _queries_table([report]), "", _dbt_table(report)]
    return "\n".join(lines)


def _query_label(kind: str, name: str) -> str:
    """``reports/queries/<name>.sql`` (``… — municipality`` for ``<name>@municipality``), or the dashboard's."""
    if kind != "report":
        return f"dashboard: `{name}`"
    query, _, scope = name.partition("@")
    return f"`reports/queries/{query}.sql`" + (f" — {scope}" if scope else "")


def _queries_table(reports: list[dict]) -> str:
    names: list[tuple[str, str]] = []
    for report in reports:
        for q in report.get("queries", []):
            if (q["kind"], q["name"]) not in names:
                names.append((q["kind"], q["name"]))
    head = "| query | " + " | ".join(f"p50 / p95 at {_n(r['appeals'])}" for r in reports) + " |"
    lines = [head, "|---|" + "---:|" * len(reports)]
    for kind, name in names:
        cells = []
        for report in reports:
            q = next((q for q in report.get("queries", []) if (q["kind"], q["name"]) == (kind, name)), None)
            cells.append(
                "—" if q is None else f"{q['p50_ms']:,.1f} / {q['p95_ms']:,.1f} ms".replace(",", " ")
            )
        lines.append(f"| {_query_label(kind, name)} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _dbt_table(report: dict) -> str:
    full = report.get("full_build", {}).get("dbt_nodes", {}).get("slowest", [])
    steady = _night(report, "steady").get("publish", {}).get("dbt_nodes", {}).get("slowest", [])
    if not full:
        return ""
    steady_all = _night(report, "steady").get("publish", {}).get("dbt_nodes", {}).get("nodes", {})
    steady_by = {node["node"]: node["seconds"] for node in steady}
    lines = [
        f"Slowest dbt nodes at {_n(report['appeals'])} appeals (`run_results.json`):",
        "",
        "| node | full build | steady night |",
        "|---|---:|---:|",
    ]
    seen = []
    for node in full[:8] + steady[:8]:
        if node["node"] in seen:
            continue
        seen.append(node["node"])
        full_s = next((n["seconds"] for n in full if n["node"] == node["node"]), None)
        night_s = steady_all.get(node["node"], steady_by.get(node["node"]))
        night = _s(night_s) if night_s is not None else (f"< {_s(steady[-1]['seconds'])}" if steady else "—")
        full_text = _s(full_s) if full_s is not None else f"< {_s(full[-1]['seconds'])}"
        lines.append(f"| `{node['node']}` | {full_text} | {night} |")
    return "\n".join(lines)


def section(reports: list[dict]) -> str:
    """Every run side by side, and how each cost grows from the smallest N to the largest."""
    reports = sorted(reports, key=lambda r: r["appeals"])
    if not reports:
        return "No benchmark has been run yet: `make bench` writes `docs/benchmarks/bench-<N>.json`."
    small, large = reports[0], reports[-1]
    scale = large["appeals"] / small["appeals"]
    lines = [
        "Runs (`docs/benchmarks/bench-<N>.json`):",
        "",
    ]
    lines += [
        f"- **{_n(r['appeals'])} appeals**, {r.get('started_at', '')}: {_machine(r)}; {_met(r)}"
        + ("" if r.get("complete") else " (**incomplete run**)")
        for r in reports
    ]
    header = "| figure | target | " + " | ".join(f"{_n(r['appeals'])} appeals" for r in reports)
    if len(reports) > 1:
        header += f" | growth ×{scale:g} appeals"
    header += " |"
    lines += ["", header, "|---|---|" + "---:|" * (len(reports) + (len(reports) > 1))]
    for label, target, read, show in FIGURES:
        cells = [show(read(r)) for r in reports]
        if len(reports) > 1:
            a, b = read(small), read(large)
            cells.append("—" if not a or not b else f"×{b / a:.2f}")
        lines.append(f"| {label} | {target} | " + " | ".join(cells) + " |")
    lines += ["", "Canonical queries, warm (p50 / p95):", "", _queries_table(reports)]
    if len(reports) > 1:
        lines += [
            "",
            f"Query p95 from {_n(small['appeals'])} to {_n(large['appeals'])} appeals (×{scale:g}):",
            "",
            "| query | growth of p95 |",
            "|---|---:|",
        ]
        for q in large.get("queries", []):
            base = next(
                (s for s in small.get("queries", []) if (s["kind"], s["name"]) == (q["kind"], q["name"])),
                None,
            )
            if base:
                lines.append(
                    f"| {_query_label(q['kind'], q['name'])} | ×{q['p95_ms'] / base['p95_ms']:.1f} |"
                )
    dbt = _dbt_table(large)
    if dbt:
        lines += ["", dbt]
    return "\n".join(lines)


def load_reports(folder: Path | None = None) -> list[dict]:
    folder = folder or load_settings().root / "docs" / "benchmarks"
    return [json.loads(p.read_text()) for p in sorted(folder.glob("bench-*.json"))]


def rewrite_docs(path: Path | None = None, folder: Path | None = None) -> Path:
    """Replace what lies between the markers of ``docs/performance.md`` with :func:`section`."""
    path = path or load_settings().root / "docs" / "performance.md"
    text = path.read_text()
    if START not in text or END not in text:
        raise RuntimeError(f"{path} has no {START} … {END} section to rewrite")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    path.write_text(f"{head}{START}\n{section(load_reports(folder))}\n{END}{tail}")
    return path

"""`appeals generate`, `ingest`, `run` and `docs` as an operator runs them."""

from __future__ import annotations

import csv
from pathlib import Path

import psycopg

from tests.support.cli import run_appeals
from tests.support.exports import REGISTER_HEADERS, organizations, register_row, write_csv

KEY = {"APPEALS_HMAC_KEY": "cli-test-key-" + "k" * 32}


def test_generate_writes_landing_and_truth(tmp_path: Path) -> None:
    out = tmp_path / "landing"
    args = ["generate", "--territory", "87725000", "--from", "2024-01-01", "--to", "2024-03-31"]
    result = run_appeals(*args, "--out", str(out), "--rows", "300", "--seed", "3")
    assert result.returncode == 0, result.stderr
    assert "Wrote" in result.stdout and "register" in result.stdout
    assert (out / "reference" / "organizations.csv").exists()
    assert list((out / "register" / "87725000").iterdir())
    assert (out / "_truth" / "appeals.csv").exists()


def test_generate_rejects_bad_arguments(tmp_path: Path) -> None:
    bad_date = run_appeals(
        "generate",
        "--territory",
        "87725000",
        "--from",
        "01.01.2024",
        "--to",
        "2024-03-31",
        "--out",
        str(tmp_path),
    )
    assert bad_date.returncode == 2 and "YYYY-MM-DD" in bad_date.stderr
    bad_territory = run_appeals(
        "generate",
        "--territory",
        "99999999",
        "--from",
        "2024-01-01",
        "--to",
        "2024-03-31",
        "--out",
        str(tmp_path),
    )
    assert bad_territory.returncode == 2 and "99999999" in bad_territory.stderr


def test_ingest_reports_per_file_and_fails_on_a_rejected_file(tmp_path: Path, migrated_db: str) -> None:
    landing = tmp_path / "landing"
    organizations(landing)
    write_csv(
        landing / "register" / "87725000" / "good.csv", REGISTER_HEADERS, [register_row(1), register_row(2)]
    )
    write_csv(landing / "register" / "87725000" / "bad.csv", ["№ РК", "Дата рег."], [["1", "01.01.2024"]])
    env = {**KEY, "WAREHOUSE_DSN": migrated_db}

    first = run_appeals("ingest", "--landing", str(landing), env=env)
    assert first.returncode == 1
    lines = first.stdout.splitlines()
    good = next(line for line in lines if line.endswith("register/87725000/good.csv"))
    assert good.startswith("loaded") and "read       2" in good and "quarantined     0" in good
    assert any(line.startswith("rejected") and "bad.csv" in line for line in lines)
    assert (
        "missing: " in first.stdout
        and "'Код вопроса'" in first.stdout
        and "headers found in row 1" in first.stdout
    )
    assert "3 file(s): 2 loaded, 0 skipped, 1 rejected" in first.stdout

    again = run_appeals("ingest", "--landing", str(landing), env=env)
    assert "0 loaded, 3 skipped" in again.stdout
    with psycopg.connect(migrated_db) as conn:
        assert conn.execute("select count(*) from raw.register_rows").fetchone() == (2,)


def test_docs_generates_the_documentation_site(migrated_db: str) -> None:
    result = run_appeals("docs", "--no-serve", env={"WAREHOUSE_DSN": migrated_db}, timeout=600)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    index = Path(result.stdout.split("Documentation written to ")[1].split()[0])
    manifest = index.parent / "manifest.json"
    assert index.exists() and "fct_appeals" in manifest.read_text(encoding="utf-8")


def test_run_publishes_the_good_batches_and_exits_1_for_a_rejected_one(
    tmp_path: Path, migrated_db: str
) -> None:
    """The nightly job without Airflow: generated exports in, marts out, matching the ground truth; a file
    the gate rejects stays out, and the summary and the exit code say so."""
    out = tmp_path / "landing"
    generated = run_appeals(
        "generate",
        "--territory",
        "87725000",
        "--from",
        "2024-01-01",
        "--to",
        "2024-03-31",
        "--out",
        str(out),
        "--rows",
        "400",
        "--seed",
        "5",
        "--dirty-rate",
        "0",
    )
    assert generated.returncode == 0, generated.stderr
    # 3 of 10 questions carry a code of no classifier: more than the 1 % the gate tolerates
    rows = [register_row(n) for n in range(900_001, 900_008)]
    rows += [register_row(n, **{"Код вопроса": "0009.0009.0009.9999"}) for n in range(900_008, 900_011)]
    write_csv(out / "register" / "87725000" / "register_extra.csv", REGISTER_HEADERS, rows)

    result = run_appeals("run", "--landing", str(out), env={**KEY, "WAREHOUSE_DSN": migrated_db}, timeout=900)

    assert result.returncode == 1, result.stdout[-3000:] + result.stderr[-3000:]
    for stage in ("== ingest", "== quality gate", "== build, check and publish the marts", "== summary"):
        assert stage in result.stdout
    summary = result.stdout.split("== summary")[1]
    assert "1 rejected; 1 check(s) failed" in summary and "published: marts hold" in summary
    assert "rejected by the gate: register/87725000/register_extra.csv" in summary
    assert "topic_code" in result.stdout and "0009.0009.0009.9999" in result.stdout
    with (out / "_truth" / "appeals.csv").open(encoding="utf-8") as handle:
        expected = {row["appeal_id"] for row in csv.DictReader(handle) if row["is_spam"] != "true"}
    with psycopg.connect(migrated_db) as conn:
        built = {row[0] for row in conn.execute("select appeal_id from marts.fct_appeals")}
    assert expected and built == expected

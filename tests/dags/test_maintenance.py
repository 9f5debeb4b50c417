"""Maintenance: the retention policy (alone, then as the ``maintain_warehouse`` DAG), on a real warehouse.

The policy's promise: the newest version of every record stays, and a full refresh of the marts from the
batches that are left rebuilds exactly the marts that were published.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from ingestion.orchestration.maintenance import apply_retention
from tests.dags.conftest import UKHTA, Pipeline, raw_counts, tasks
from tests.support.exports import REGISTER_HEADERS, pos_row, register_row, write_csv
from tests.support.marts import marts_seen_by_analyst

pytestmark = pytest.mark.slow


def test_retention_deletes_superseded_versions_and_old_audit_rows_and_the_marts_rebuild_the_same(
    pipeline: Pipeline, tmp_path: Path
) -> None:
    # one night: an export and its re-export (appeals 6-10 and messages 104-105 answered since), a
    # ПОС file the gate rejects, and a register row the loader quarantines
    pipeline.register("register_2024-01.csv", range(1, 11))
    pipeline.register("register_2024-01_reexport.csv", range(6, 16), **{"Дата ответа": "25.01.2024"})
    pipeline.pos("pos_2024-01.csv", [pos_row(n) for n in range(100, 106)])
    pipeline.pos(
        "pos_2024-01_reexport.csv", [pos_row(n, **{"Оценка ответа заявителем": "4"}) for n in range(104, 108)]
    )
    pipeline.pos(
        "pos_2024-01_unknown.csv",
        [pos_row(n) for n in range(200, 208)]
        + [pos_row(n, org="МКУ «Служба заказчика»") for n in (208, 209)],
    )
    write_csv(
        pipeline.landing / "register" / UKHTA / "register_2024-01_broken.csv",
        REGISTER_HEADERS,
        [register_row(n, **{"ОКТМО": UKHTA}) for n in (30, 31)] + [register_row(32, date="31.02.2024")],
    )
    night = pipeline.night(
        "2024-06-01T01:00:00+03:00",
        dag_ids=("ingest_organizations", "ingest_pos", "ingest_register", "build_marts"),
    )
    assert night["ingest_pos"]["state"] == "failed"  # the rejected file
    assert night["build_marts"]["state"] == "success"
    statuses = pipeline.statuses()
    assert statuses["pos/pos_2024-01_unknown.csv"] == "rejected"
    assert list(statuses.values()).count("published") == 6
    before = raw_counts(pipeline.dsn)
    marts = marts_seen_by_analyst(pipeline.dsn)
    assert (before["register_rows"], before["pos_rows"], before["quarantine"]) == (22, 20, 1)
    results = pipeline.query("select count(*) from audit.validation_results")[0][0]
    assert results > 0
    gx_results = tmp_path / "gx-results"
    (gx_results / "suite" / "old").mkdir(parents=True)
    (gx_results / "suite" / "new").mkdir(parents=True)
    old, new = gx_results / "suite" / "old" / "r.json", gx_results / "suite" / "new" / "r.json"
    old.write_text("{}")
    new.write_text("{}")
    a_year_ago = time.time() - 365 * 86400
    os.utime(old, (a_year_ago, a_year_ago))

    # everything is younger than 30 days: nothing goes (but the GX result file of a year ago)
    recent = apply_retention(pipeline.dsn, superseded_days=30, audit_days=30, gx_results_dir=gx_results)
    assert sum(recent.superseded_rows.values()) + sum(recent.rejected_rows.values()) == 0
    assert (recent.quarantined_rows, recent.validation_results, recent.gx_result_files) == (0, 0, 1)
    assert raw_counts(pipeline.dsn) == before
    assert not old.exists() and new.exists() and not old.parent.exists()

    report = apply_retention(pipeline.dsn, superseded_days=0, audit_days=0, gx_results_dir=gx_results)

    assert report.superseded_rows == {"pos": 2, "incident": 0, "register": 5}
    assert report.rejected_rows == {"organizations": 0, "pos": 10, "incident": 0, "register": 0}
    assert (report.quarantined_rows, report.validation_results) == (1, results)
    assert report.not_done == []
    assert report.summary().startswith("retention: 7 superseded raw row(s) deleted")
    after = raw_counts(pipeline.dsn)
    assert (after["register_rows"], after["pos_rows"], after["quarantine"]) == (17, 8, 0)
    assert after["load_batches"] == before["load_batches"], "the load ledger is never trimmed"
    # what was deleted is written down on each batch
    recorded = dict(
        pipeline.query(
            "select file_path, details -> 'retention' ->> 'superseded_rows_deleted' from audit.load_batches"
            " where details -> 'retention' ? 'superseded_rows_deleted' order by 1"
        )
    )
    assert recorded == {"pos/pos_2024-01.csv": "2", f"register/{UKHTA}/register_2024-01.csv": "5"}
    # every version the marts use is still in raw
    assert pipeline.query(
        "select count(*) from intermediate.int_appeals_current as a"
        " where not exists (select from raw.register_rows as r"
        " where r.batch_id = a.batch_id and r.source_row_number = a.source_row_number)"
        " and not exists (select from raw.pos_rows as p"
        " where p.batch_id = a.batch_id and p.source_row_number = a.source_row_number)"
    ) == [(0,)]

    # the marts rebuilt from scratch from what is left are the marts that were published
    rebuilt = pipeline.call("task", name="publish", full_refresh=True)
    assert rebuilt["full_refresh"] and rebuilt["appeals"] == 15 + 8 + 2
    assert marts_seen_by_analyst(pipeline.dsn) == marts

    # the maintenance DAG: nothing left to delete, statistics, the documentation sites
    pipeline.env.update({"APPEALS_RETENTION_DAYS": "0", "APPEALS_AUDIT_RETENTION_DAYS": "0"})
    run = pipeline.call("run_dag", dag_id="maintain_warehouse", logical_date="2024-06-01T05:00:00+03:00")
    assert run["state"] == "success"
    assert tasks(run) == {
        "apply_retention": "success",
        "analyze": "success",
        "refresh_docs": "success",
        "verdict": "skipped",
    }
    retention = run["tasks"]["apply_retention"]["result"]
    assert sum(retention["superseded_rows"].values()) == 0 and retention["not_done"] == []
    assert run["tasks"]["analyze"]["result"]["tables"] >= 15
    docs = run["tasks"]["refresh_docs"]["result"]
    assert Path(docs["dbt_docs"]).is_file() and Path(docs["data_docs"]).is_file()
    assert "fct_appeals" in Path(docs["dbt_docs"]).with_name("catalog.json").read_text()

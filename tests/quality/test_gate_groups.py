"""The gate validates the pending batches of a feed in groups: one checkpoint run for many clean batches,
and per batch exactly what its own run records (bad, empty, warned batches found by splitting the group).

Each test has a warehouse of its own (the directory loaded and validated), so that ``validate_pending`` sees
only the test's batches and the volume checks only the test's earlier batches.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest

from ingestion.ingest import ingest_landing
from ingestion.quality.gate import GateError, GateResult, QualityGate
from tests.quality.conftest import Load, query
from tests.support import exports
from tests.support.exports import POS_HEADERS, REGISTER_HEADERS, pos_row, register_row, write_csv

pytestmark = pytest.mark.slow

BODIES = [f"016{n:02d}000" for n in range(1, 13)]  # Алтайский край: Asia/Barnaul
TOMSK_BODIES = ["69604000", "69608000", "69612000"]  # Томская область: Asia/Tomsk


@pytest.fixture
def db(gate: QualityGate, migrated_db: str, tmp_path) -> str:
    """A warehouse of the test's own, with the organisations directory loaded and validated."""
    landing = tmp_path / "directory"
    exports.organizations(landing)
    ingest_landing(landing, dsn=migrated_db)
    assert [r.status for r in gate.validate_pending(migrated_db)] == ["validated"]
    return migrated_db


@pytest.fixture
def runs(gate: QualityGate) -> Iterator[Callable[[], int]]:
    """Checkpoint runs of the gate since the test began."""
    before = gate.checkpoint_runs
    yield lambda: gate.checkpoint_runs - before


def appeals(body: str, count: int, *, first: int = 1, **overrides: object) -> list[list]:
    return [register_row(n, **{"ОКТМО": body, **overrides}) for n in range(first, first + count)]


def register_file(body: str, name: str, rows: list[list], headers: list[str] = REGISTER_HEADERS) -> Callable:
    return lambda landing: write_csv(landing / "register" / body / name, headers, rows)


def load_all(load: Load, dsn: str, *files: Callable) -> dict[str, int]:
    """Load the files in one landing folder: batch ids by body (register) or file name."""
    loaded = load(dsn, *files)
    assert all(r.status == "loaded" for r in loaded.values()), [r.message for r in loaded.values()]
    return {
        file.split("/")[-2] if file.startswith("register/") else file: r.batch_id
        for file, r in loaded.items()
    }


def recorded(dsn: str, batch_id: int) -> tuple[Any, ...]:
    """What the gate recorded for a batch, without the times: status, error, summary, validation results."""
    [(status, error, quality)] = query(
        dsn,
        "select status, error, details -> 'quality' from audit.load_batches where batch_id = %s",
        [batch_id],
    )
    quality = {k: v for k, v in (quality or {}).items() if k not in ("validated_at", "seconds")}
    results = query(
        dsn,
        "select check_name, column_name, severity, outcome, expectation_type, threshold, rows_checked,"
        " unexpected_count, unexpected_percent, observed_value, examples, message"
        " from audit.validation_results where batch_id = %s order by result_id",
        [batch_id],
    )
    return status, error, quality, results


def outcomes(result: GateResult) -> tuple[list, list]:
    return [o.as_json() for o in result.failures], [o.as_json() for o in result.warnings]


def assert_as_alone(gate: QualityGate, dsn: str, result: GateResult) -> GateResult:
    """The batch's result and record are those of validating it alone (which the gate then does)."""
    in_group = recorded(dsn, result.batch_id)
    alone = gate.validate_batch(dsn, result.batch_id)
    assert recorded(dsn, result.batch_id) == in_group
    assert (alone.status, alone.checks, alone.rows) == (result.status, result.checks, result.rows)
    assert outcomes(alone) == outcomes(result)
    return alone


def test_clean_batches_of_a_feed_are_validated_in_one_run(
    gate: QualityGate, db: str, load: Load, runs: Callable[[], int]
) -> None:
    sizes = dict(zip(BODIES, [3, 5, 8, 2, 13, 4, 7, 6, 9, 1, 11, 10], strict=True))
    batches = load_all(load, db, *(register_file(b, "r.csv", appeals(b, n)) for b, n in sizes.items()))
    seen: list[int] = []

    results = gate.validate_pending(db, on_result=lambda r: seen.append(r.batch_id))

    assert runs() == 1
    assert [r.batch_id for r in results] == seen == sorted(batches.values())
    by_batch = {r.batch_id: r for r in results}
    for body, batch in batches.items():
        result = by_batch[batch]
        assert (result.status, result.rows, result.checks) == ("validated", sizes[body], 22), result.summary()
        assert (result.failures, result.warnings) == ([], [])
        assert result.seconds > 0
        assert recorded(db, batch)[:3] == (
            "validated",
            None,
            {"status": "validated", "checks": 22, "rows": sizes[body], "failed": 0, "warnings": 0},
        )
    assert query(db, "select count(*) from audit.validation_results") == [(0,)]
    assert_as_alone(gate, db, by_batch[batches[BODIES[4]]])


def test_one_bad_batch_among_clean_ones_is_rejected_as_alone(
    gate: QualityGate, db: str, load: Load, runs: Callable[[], int]
) -> None:
    bad_body = BODIES[5]
    files = [register_file(b, "r.csv", appeals(b, 6)) for b in BODIES if b != bad_body]
    bad_rows = appeals(bad_body, 7) + appeals(bad_body, 3, first=8, **{"Вид доставки": "Голубиная почта"})
    batches = load_all(load, db, *files, register_file(bad_body, "r.csv", bad_rows))

    results = {r.batch_id: r for r in gate.validate_pending(db)}

    assert runs() <= 1 + 2 * 4  # the group, then halves down to the bad batch: about 2·log2(12)
    bad = results.pop(batches[bad_body])
    assert bad.status == "rejected", bad.summary()
    assert [f.check for f in bad.failures] == ["register.channel_code.known_code"]
    assert "3 of 10 rows (30 %)" in bad.failures[0].message
    assert bad.failures[0].examples == ["Голубиная почта"]
    assert all(r.status == "validated" and r.rows == 6 and not r.warnings for r in results.values())
    assert len(results) == len(BODIES) - 1
    assert_as_alone(gate, db, bad)


def test_a_batch_over_its_threshold_alone_is_rejected_though_a_group_would_tolerate_it(
    gate: QualityGate, db: str, load: Load
) -> None:
    # 2 unknown classifier codes in 100 rows: 2 %, over the 1 % tolerated; in 1 200 rows it would be 0.17 %
    odd_body = BODIES[2]
    files = [register_file(b, "r.csv", appeals(b, 100)) for b in BODIES if b != odd_body]
    odd = appeals(odd_body, 98) + appeals(odd_body, 2, first=99, **{"Код вопроса": "0099.0099.0099.0099"})
    batches = load_all(load, db, *files, register_file(odd_body, "r.csv", odd))

    results = {r.batch_id: r for r in gate.validate_pending(db)}

    rejected = results.pop(batches[odd_body])
    assert rejected.status == "rejected", rejected.summary()
    assert [f.check for f in rejected.failures] == ["register.topic_code.in_classifier"]
    assert "2 of 100 rows (2 %)" in rejected.failures[0].message
    assert all(r.status == "validated" for r in results.values())
    assert_as_alone(gate, db, rejected)


def test_batches_of_different_time_zones_are_not_mixed(
    gate: QualityGate, db: str, load: Load, runs: Callable[[], int], monkeypatch: pytest.MonkeyPatch
) -> None:
    bodies = [BODIES[0], TOMSK_BODIES[0], BODIES[1], TOMSK_BODIES[1], BODIES[2], TOMSK_BODIES[2]]
    batches = load_all(load, db, *(register_file(b, "r.csv", appeals(b, 4)) for b in bodies))
    zones = dict(query(db, "select batch_id, timezone from audit.load_batches where feed = 'register'"))
    assert set(zones.values()) == {"Asia/Barnaul", "Asia/Tomsk"}
    pointed: list[tuple[str, str]] = []
    point_at = gate._point_at
    monkeypatch.setattr(
        gate,
        "_point_at",
        lambda dsn, setting, zone, label: (
            pointed.append((setting, zone)) or point_at(dsn, setting, zone, label)
        ),
    )

    results = gate.validate_pending(db)

    assert runs() == 2
    assert sorted((setting, zone) for setting, zone in pointed) == sorted(
        (
            "appeals.batch_ids={" + ",".join(str(batches[b]) for b in group) + "}",
            zone,
        )
        for group, zone in ((BODIES[:3], "Asia/Barnaul"), (TOMSK_BODIES, "Asia/Tomsk"))
    )
    assert [r.status for r in results] == ["validated"] * 6
    # a group per time zone, in the order their first batches were loaded; each by batch id
    groups = sorted(
        (sorted(batches[b] for b in BODIES[:3]), sorted(batches[b] for b in TOMSK_BODIES)), key=lambda g: g[0]
    )
    assert [r.batch_id for r in results] == groups[0] + groups[1]


def test_an_empty_batch_among_others_is_rejected_as_alone(
    gate: QualityGate, db: str, load: Load, runs: Callable[[], int]
) -> None:
    empty_body = BODIES[3]
    files = [register_file(b, "r.csv", appeals(b, 5)) for b in BODIES[:8] if b != empty_body]
    batches = load_all(load, db, *files, register_file(empty_body, "empty.csv", []))

    results = {r.batch_id: r for r in gate.validate_pending(db)}

    # the empty batch alone; the batches before it in one run, the batches after it in another
    assert runs() == 3
    empty = results.pop(batches[empty_body])
    assert empty.status == "rejected"
    assert [f.check for f in empty.failures] == ["register.batch.rows_present"]
    assert all(r.status == "validated" and r.rows == 5 for r in results.values())
    assert_as_alone(gate, db, empty)


def test_batch_level_warnings_are_found_per_batch_without_splitting_the_group(
    gate: QualityGate, db: str, load: Load, runs: Callable[[], int]
) -> None:
    bodies = BODIES[:8]
    load_all(load, db, *(register_file(b, "r1.csv", appeals(b, 4)) for b in bodies))
    assert [r.status for r in gate.validate_pending(db)] == ["validated"] * 8
    spike, excess, extra, drop = bodies[1], bodies[3], bodies[5], bodies[6]
    sizes = {b: 4 for b in bodies} | {spike: 20, excess: 40, drop: 1}
    files = [register_file(b, "r2.csv", appeals(b, sizes[b], first=5)) for b in bodies if b != extra]
    headers = [*REGISTER_HEADERS, "Примечание"]
    files.append(register_file(extra, "r2.csv", [[*row, "—"] for row in appeals(extra, 4, first=5)], headers))
    batches = load_all(load, db, *files)
    before = runs()

    results = {r.batch_id: r for r in gate.validate_pending(db)}

    # one run for the group (nothing found on the rows), one of its own for the batch the volume rejects
    assert runs() - before == 2
    warned = {
        body: [w.check for w in results[batches[body]].warnings]
        for body in bodies
        if results[batches[body]].warnings
    }
    assert warned == {
        spike: ["register.batch.volume_spike"],
        excess: ["register.batch.volume_spike"],
        extra: ["register.batch.extra_headers"],
        drop: ["register.batch.volume_drop"],
    }
    assert (
        results[batches[spike]]
        .warnings[0]
        .message.startswith(
            "20 rows vs usual 4 (median of 1 earlier validated batch of this feed and territory in the 28 days before): 5×"
        )
    )
    assert results[batches[excess]].status == "rejected"
    assert [f.check for f in results[batches[excess]].failures] == ["register.batch.volume_excess"]
    assert [r.status for b, r in results.items() if b != batches[excess]] == ["validated"] * 7
    for body in (spike, extra, drop, excess, bodies[0]):
        assert_as_alone(gate, db, results[batches[body]])


def test_checks_across_rows_compare_rows_of_one_batch(
    gate: QualityGate, db: str, load: Load, runs: Callable[[], int]
) -> None:
    # № 3 of the same body, on another day of the same year, in the next file: two files, no conflict in either
    body = BODIES[0]
    first = load_all(load, db, register_file(body, "r1.csv", appeals(body, 5)))
    rows = [register_row(3, date="16.01.2024", **{"ОКТМО": body}), *appeals(body, 4, first=6)]
    second = load_all(load, db, register_file(body, "r2.csv", rows))
    others = load_all(load, db, *(register_file(b, "r.csv", appeals(b, 5)) for b in BODIES[1:4]))

    results = gate.validate_pending(db)

    assert runs() == 1
    assert [(r.batch_id, r.status, r.failures) for r in results] == [
        (b, "validated", []) for b in sorted([first[body], second[body], *others.values()])
    ]
    with psycopg.connect(db) as conn:  # the view shows both batches, and no conflict
        conn.execute(
            "select set_config('appeals.batch_ids', %s, false)", [f"{{{first[body]},{second[body]}}}"]
        )
        assert conn.execute(
            "select count(*), count(conflicting_reg_number) from quality.register_batch"
        ).fetchone() == (10, 0)


def test_a_duplicate_across_batches_only_splits_the_group(
    gate: QualityGate, db: str, load: Load, runs: Callable[[], int]
) -> None:
    # ПОС message ids must be unique within a batch; the same message in two files is a re-export, not an error
    files = [
        lambda landing, n=n: write_csv(
            landing / "pos" / f"pos_{n}.csv", POS_HEADERS, [pos_row(m) for m in range(100 + n, 106 + n)]
        )
        for n in range(4)
    ]
    load_all(load, db, *files)

    results = gate.validate_pending(db)

    assert [(r.status, r.rows, r.failures) for r in results] == [("validated", 6, [])] * 4
    assert runs() == 1 + 2 + 4  # the group and its halves find the shared ids; each file alone is clean


def test_batches_locked_by_another_run_are_skipped(
    gate: QualityGate, db: str, load: Load, runs: Callable[[], int]
) -> None:
    batches = load_all(load, db, *(register_file(b, "r.csv", appeals(b, 4)) for b in BODIES[:4]))
    busy = batches[BODIES[1]]
    with psycopg.connect(db, autocommit=True) as other:
        other.execute("select pg_advisory_lock(%s, %s)", [0x5147_4154, busy])

        results = gate.validate_pending(db)

    assert runs() == 1
    assert sorted(r.batch_id for r in results) == sorted(b for b in batches.values() if b != busy)
    assert query(db, "select status from audit.load_batches where batch_id = %s", [busy]) == [("loaded",)]


def test_a_check_that_cannot_run_in_a_group_leaves_the_batches_loaded(
    gate: QualityGate, db: str, load: Load
) -> None:
    batches = load_all(load, db, *(register_file(b, "r.csv", appeals(b, 4)) for b in BODIES[:4]))
    with psycopg.connect(db) as conn:  # a broken deployment: the view a check reads is gone
        conn.execute("alter view quality.register_batch rename column unresolved_oktmo to something_else")

    with pytest.raises(GateError, match=r"check\(s\) could not run, e.g. register.oktmo.territory"):
        gate.validate_pending(db)

    assert query(
        db,
        "select distinct status from audit.load_batches where batch_id = any(%s)",
        [list(batches.values())],
    ) == [("loaded",)]

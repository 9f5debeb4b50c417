"""The gate on real batches: each class of bad data stops its batch with the right message; warnings don't.

Every test registers for a body (ОКТМО folder) of its own, so that the volume checks, which compare a batch
with the earlier batches of the same feed and body, see only the test's own batches.
"""

from __future__ import annotations

from collections.abc import Callable

import psycopg
import pytest

from ingestion.quality.gate import GateError, GateResult, QualityGate
from ingestion.quality.outcomes import CheckOutcome
from tests.quality.conftest import Load, query
from tests.support import exports
from tests.support.exports import POS_HEADERS, REGISTER_HEADERS, pos_row, register_row, write_csv

pytestmark = pytest.mark.slow


def register_file(body: str, name: str, rows: list[list], headers: list[str] = REGISTER_HEADERS) -> Callable:
    return lambda landing: write_csv(landing / "register" / body / name, headers, rows)


def appeals(body: str, count: int, *, first: int = 1, **overrides: object) -> list[list]:
    """``count`` one-question appeals of ``body``, numbered from ``first``, all good unless overridden."""
    return [register_row(n, **{"ОКТМО": body, **overrides}) for n in range(first, first + count)]


def load_one(load: Load, dsn: str, write: Callable) -> int:
    [result] = load(dsn, write).values()
    assert result.status == "loaded", result.message
    return result.batch_id


def checks(outcomes: list) -> list[str]:
    return [o.check for o in outcomes]


def assert_rejected_by(result: GateResult, check: str, *phrases: str) -> None:
    assert result.status == "rejected", result.summary()
    assert checks(result.failures) == [check], result.summary()
    for phrase in phrases:
        assert phrase in result.failures[0].message, result.failures[0].message


def test_required_value_missing_rejects(gate: QualityGate, warehouse: str, load: Load) -> None:
    batch = load_one(load, warehouse, register_file("01601000", "r.csv", appeals("01601000", 5)))
    # The loader never writes an empty required value: simulate a row that bypassed it.
    with psycopg.connect(warehouse) as conn:
        conn.execute(
            "insert into raw.register_rows (batch_id, source_row_number, file_sha256, body_oktmo, reg_number,"
            " registered_at, appeal_type, form, channel_code, origin_code, oktmo, topic_code, result_code)"
            " select batch_id, 99, file_sha256, body_oktmo, '', registered_at, appeal_type, form, channel_code,"
            " origin_code, oktmo, topic_code, result_code from raw.register_rows where batch_id = %s"
            " and source_row_number = 2",
            [batch],
        )

    result = gate.validate_batch(warehouse, batch)

    assert_rejected_by(result, "register.required_columns.required", "1 of 6 rows", "'row 99: reg_number'")


def test_unknown_classifier_codes_above_the_threshold_reject(
    gate: QualityGate, warehouse: str, load: Load
) -> None:
    rows = appeals("01602000", 8) + appeals("01602000", 2, first=9, **{"Код вопроса": "0099.0099.0099.0099"})
    batch = load_one(load, warehouse, register_file("01602000", "r.csv", rows))

    result = gate.validate_batch(warehouse, batch)

    assert_rejected_by(
        result,
        "register.topic_code.in_classifier",
        "2 of 10 rows (20 %)",
        "classifier",
        "'0099.0099.0099.0099'",
    )


def test_unknown_channels_reject(gate: QualityGate, warehouse: str, load: Load) -> None:
    rows = appeals("01603000", 7) + appeals("01603000", 3, first=8, **{"Вид доставки": "Голубиная почта"})
    batch = load_one(load, warehouse, register_file("01603000", "r.csv", rows))

    result = gate.validate_batch(warehouse, batch)

    assert_rejected_by(result, "register.channel_code.known_code", "3 of 10 rows", "'Голубиная почта'")


def test_future_dates_reject(gate: QualityGate, warehouse: str, load: Load) -> None:
    rows = appeals("01604000", 6) + appeals("01604000", 2, first=7, date="15.01.2031")
    batch = load_one(load, warehouse, register_file("01604000", "r.csv", rows))

    result = gate.validate_batch(warehouse, batch)

    assert_rejected_by(
        result, "register.registered_at.plausible_date", "2 of 8 rows", "after the load date", "2031"
    )


def test_answer_before_registration_rejects(gate: QualityGate, warehouse: str, load: Load) -> None:
    rows = appeals("01605000", 6) + appeals("01605000", 2, first=7, **{"Дата ответа": "10.01.2024"})
    batch = load_one(load, warehouse, register_file("01605000", "r.csv", rows))

    result = gate.validate_batch(warehouse, batch)

    assert_rejected_by(
        result,
        "register.answered_at.not_before",
        "2 of 8 rows",
        "'7: answered 2024-01-10 < registered 2024-01-15'",
    )


def test_one_appeal_with_two_registration_dates_rejects(
    gate: QualityGate, warehouse: str, load: Load
) -> None:
    # № 3 twice in one year with different dates: two appeals under one natural key
    rows = [*appeals("01606000", 5), register_row(3, date="16.01.2024", **{"ОКТМО": "01606000"})]
    # № 9 in two years is two appeals: numbering restarts every year
    rows += [
        register_row(9, date="20.12.2023", **{"ОКТМО": "01606000"}),
        register_row(9, **{"ОКТМО": "01606000"}),
    ]
    batch = load_one(load, warehouse, register_file("01606000", "r.csv", rows))

    result = gate.validate_batch(warehouse, batch)

    assert_rejected_by(result, "register.reg_number.one_registration_date", "2 of 8 rows", "'3: 2024-01-15'")
    assert "9:" not in result.failures[0].message


def test_unresolvable_territory_rejects(gate: QualityGate, warehouse: str, load: Load) -> None:
    rows = appeals("01607000", 8) + appeals("01607000", 2, first=9, **{"ОКТМО": "99999999"})
    batch = load_one(load, warehouse, register_file("01607000", "r.csv", rows))

    result = gate.validate_batch(warehouse, batch)

    assert_rejected_by(result, "register.oktmo.territory", "2 of 10 rows", "no territory", "'99999999'")


def pos_file(name: str, rows: list[list]) -> Callable:
    return lambda landing: write_csv(landing / "pos" / name, POS_HEADERS, rows)


def test_duplicate_message_numbers_reject(gate: QualityGate, warehouse: str, load: Load) -> None:
    rows = [pos_row(n) for n in range(100, 108)] + [pos_row(101, **{"Категория": "Дороги"}), pos_row(102)]
    batch = load_one(load, warehouse, pos_file("pos_dup.csv", rows))

    result = gate.validate_batch(warehouse, batch)

    assert_rejected_by(result, "pos.message_id.unique", "4 of 10 rows", "'101'", "'102'")


def test_unknown_receiving_organisation_rejects(gate: QualityGate, warehouse: str, load: Load) -> None:
    rows = [pos_row(n) for n in range(200, 208)]
    rows += [pos_row(n, org="МКУ «Служба единого заказчика»") for n in (208, 209)]
    rows[0][POS_HEADERS.index("Организация, в которую поступило сообщение")] = "администрация  города томска."
    batch = load_one(load, warehouse, pos_file("pos_org.csv", rows))

    result = gate.validate_batch(warehouse, batch)

    # a spelling that differs only in case, spaces and a trailing dot resolves, as in the loader and dbt
    assert_rejected_by(
        result, "pos.receiving_org.territory", "2 of 10 rows", "'МКУ «Служба единого заказчика»'"
    )


def test_zero_rows_reject(gate: QualityGate, warehouse: str, load: Load) -> None:
    batch = load_one(load, warehouse, register_file("01608000", "empty.csv", []))

    result = gate.validate_batch(warehouse, batch)

    assert_rejected_by(result, "register.batch.rows_present", "no rows")


def test_ten_times_the_usual_volume_rejects(gate: QualityGate, warehouse: str, load: Load) -> None:
    usual = load_one(load, warehouse, register_file("01609000", "r1.csv", appeals("01609000", 4)))
    assert gate.validate_batch(warehouse, usual).status == "validated"
    excess = load_one(load, warehouse, register_file("01609000", "r2.csv", appeals("01609000", 40, first=5)))

    result = gate.validate_batch(warehouse, excess)

    assert_rejected_by(result, "register.batch.volume_excess", "40 rows vs usual 4", "10×")


def test_a_volume_spike_only_warns_and_states_the_numbers(
    gate: QualityGate, warehouse: str, load: Load
) -> None:
    usual = load_one(load, warehouse, register_file("01610000", "r1.csv", appeals("01610000", 4)))
    assert gate.validate_batch(warehouse, usual).status == "validated"
    spike = load_one(load, warehouse, register_file("01610000", "r2.csv", appeals("01610000", 20, first=5)))

    result = gate.validate_batch(warehouse, spike)

    assert result.status == "validated", result.summary()
    assert checks(result.warnings) == ["register.batch.volume_spike"]
    assert result.warnings[0].message.startswith(
        "20 rows vs usual 4 (median of 1 earlier validated batch of this feed and territory in the 28 days before): 5×"
    ), result.warnings[0].message
    assert "1 warning — 20 rows vs usual 4" in result.summary()
    [(outcome, severity, examples)] = query(
        warehouse,
        "select outcome, severity, examples from audit.validation_results where batch_id = %s",
        [spike],
    )
    assert (outcome, severity) == ("warned", "warning")
    assert examples[0]["batch_rows"] == 20


def test_warnings_and_tolerated_stragglers_let_the_batch_pass(
    gate: QualityGate, warehouse: str, load: Load
) -> None:
    headers = [*REGISTER_HEADERS, "Примечание"]
    rows = [[*row, "—"] for row in appeals("01611000", 150)]
    rows[10][headers.index("Код вопроса")] = "0099.0099.0099.0099"  # 1 row of 150: under the 1 % tolerated
    batch = load_one(load, warehouse, register_file("01611000", "r.csv", rows, headers))

    result = gate.validate_batch(warehouse, batch)

    assert result.status == "validated", result.summary()
    assert sorted(checks(result.warnings)) == [
        "register.batch.extra_headers",
        "register.topic_code.in_classifier",
    ]
    by_check = {o.check: o for o in result.warnings}
    assert by_check["register.topic_code.in_classifier"].outcome == "tolerated"
    assert "1 of 150 rows" in by_check["register.topic_code.in_classifier"].message
    assert "(tolerated up to 1 %)" in by_check["register.topic_code.in_classifier"].message
    assert "'Примечание'" in by_check["register.batch.extra_headers"].message
    assert query(warehouse, "select status, error from audit.load_batches where batch_id = %s", [batch]) == [
        ("validated", None)
    ]


def test_a_rejected_batch_stays_rejected_and_a_corrected_redelivery_validates(
    gate: QualityGate, warehouse: str, load: Load
) -> None:
    bad_rows = appeals("01612000", 7) + appeals("01612000", 3, first=8, **{"Вид доставки": "Голубиная почта"})
    bad = register_file("01612000", "register_2024-01.csv", bad_rows)
    rejected = load_one(load, warehouse, bad)

    assert gate.validate_batch(warehouse, rejected).status == "rejected"

    [(status, error, quality)] = query(
        warehouse,
        "select status, error, details -> 'quality' from audit.load_batches where batch_id = %s",
        [rejected],
    )
    assert status == "rejected"
    assert error.startswith(
        "quality gate: 1 check(s) failed — channel_code: 3 of 10 rows (30 %) are not canonical"
    )
    assert quality["failed"] == 1 and quality["checks"] == 22
    [recorded] = query(
        warehouse,
        "select check_name, column_name, severity, outcome, expectation_type, threshold::float, rows_checked,"
        " unexpected_count, unexpected_percent::float, examples from audit.validation_results where batch_id = %s",
        [rejected],
    )
    assert recorded == (
        "register.channel_code.known_code",
        "channel_code",
        "error",
        "failed",
        "expect_column_values_to_be_in_set",
        pytest.approx(0.99),
        10,
        3,
        pytest.approx(30),
        ["Голубиная почта"],
    )
    # the same file again is not loaded again; the corrected one is, and passes
    [again] = load(warehouse, bad).values()
    assert again.status == "skipped" and "rejected earlier" in again.message
    corrected = load_one(
        load, warehouse, register_file("01612000", "register_2024-01_fixed.csv", appeals("01612000", 10))
    )

    result = gate.validate_batch(warehouse, corrected)

    assert result.status == "validated", result.summary()
    assert (result.failures, result.warnings) == ([], [])
    assert query(
        warehouse, "select count(*) from audit.validation_results where batch_id = %s", [corrected]
    ) == [(0,)]


def test_only_loaded_batches_are_validated(gate: QualityGate, warehouse: str) -> None:
    with pytest.raises(GateError, match="there is no batch 999999"):
        gate.validate_batch(warehouse, 999_999)
    [(directory,)] = query(
        warehouse, "select min(batch_id) from audit.load_batches where feed = 'organizations'"
    )
    with psycopg.connect(warehouse) as conn:
        conn.execute("update audit.load_batches set status = 'published' where batch_id = %s", [directory])
    try:
        with pytest.raises(GateError, match="is published: only loaded batches are validated"):
            gate.validate_batch(warehouse, directory)
    finally:
        with psycopg.connect(warehouse) as conn:
            conn.execute("update audit.load_batches set status = 'loaded' where batch_id = %s", [directory])


def test_the_summary_is_one_line_for_people() -> None:
    def outcome(message: str, kind: str = "failed") -> CheckOutcome:
        return CheckOutcome("c", "k", None, "error", kind, "expect_x", message=message)

    clean = GateResult(7, "register", "register/01/r.csv", "validated", checks=22, seconds=0.5)
    assert clean.summary() == "validated register/01/r.csv (batch 7): 22 checks  0.50 s"
    warned = GateResult(
        7, "register", "r.csv", "validated", warnings=[outcome("w1", "warned"), outcome("w2")], checks=22
    )
    assert warned.summary() == "validated r.csv (batch 7): 22 checks, 2 warnings — w1 …  0.00 s"
    failed = GateResult(
        7, "register", "r.csv", "rejected", failures=[outcome(f"f{n}") for n in range(5)], checks=22
    )
    assert (
        failed.summary() == "rejected  r.csv (batch 7): 22 checks, 5 failed — f0; f1; f2; and 2 more  0.00 s"
    )


def test_a_check_that_cannot_run_leaves_the_batch_loaded(
    gate: QualityGate, migrated_db: str, load: Load
) -> None:
    [directory] = load(migrated_db, exports.organizations).values()
    with psycopg.connect(migrated_db) as conn:  # a broken deployment: the view a check reads is gone
        conn.execute(
            "alter view quality.organizations_batch rename column unresolved_oktmo to something_else"
        )

    with pytest.raises(GateError, match=r"check\(s\) could not run, e.g. organizations.oktmo.territory"):
        gate.validate_batch(migrated_db, directory.batch_id)

    assert query(migrated_db, "select status from audit.load_batches") == [("loaded",)]

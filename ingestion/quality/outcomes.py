"""What the gate makes of GX's validation results: one :class:`CheckOutcome` per check that found something.

A check *fails* when its expectation fails and its severity is ``error`` (the batch is rejected), *warns*
when a ``warning`` check fails, and is *tolerated* when an ``error`` check passed under its ``mostly``
threshold but still found rows outside it: those rows are reported, the batch passes.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

from ingestion.quality.checks import BATCH, CHECKS, ERROR, REQUIRED_COLUMNS, Check
from ingestion.quality.mart_checks import LOSS_FLOOR, MART_CHECKS, PUBLISHED_SCHEMA, VOCABULARIES, MartCheck

FAILED, WARNED, TOLERATED = "failed", "warned", "tolerated"
MAX_EXAMPLES = 5

_BY_NAME: dict[str, Check | MartCheck] = {check.name: check for check in (*CHECKS, *MART_CHECKS)}


@dataclass
class CheckOutcome:
    check: str
    """``<feed>.<column>.<check>``, as in :mod:`ingestion.quality.checks`."""
    kind: str
    column: str | None
    severity: str
    outcome: str
    expectation_type: str
    threshold: float | None = None
    rows_checked: int | None = None
    unexpected_count: int | None = None
    unexpected_percent: float | None = None
    observed_value: Any = None
    examples: list[Any] = field(default_factory=list)
    message: str = ""
    gx_column: str | None = None
    """The column of the batch view GX checked (a look-up column for look-up checks)."""
    needs_examples: bool = False

    @property
    def rejects(self) -> bool:
        return self.outcome == FAILED

    def as_json(self) -> dict[str, Any]:
        return json.loads(json.dumps(asdict(self), default=_plain))


def interpret(result: Any) -> CheckOutcome | None:
    """The outcome of one GX ``ExpectationValidationResult``, or None when the check found nothing."""
    config = result.expectation_config
    meta = config.meta or {}
    name = meta.get("check") or f"?.{config.kwargs.get('column', BATCH)}.{config.type}"
    check = _BY_NAME.get(name)
    severity = meta.get("severity") or (ERROR if str(config.severity).endswith("critical") else "warning")
    found = result.result or {}
    unexpected = found.get("unexpected_count")
    observed = found.get("observed_value")
    if config.type in ("unexpected_rows_expectation",):
        unexpected, observed = observed, None
    if result.success and not unexpected:
        return None
    outcome = TOLERATED if result.success else (FAILED if severity == ERROR else WARNED)
    column = check.column if check else config.kwargs.get("column")
    if column == REQUIRED_COLUMNS:
        column = config.kwargs.get("column")  # the view's missing_required: one column for all required ones
    outcome_ = CheckOutcome(
        check=name,
        kind=check.check if check else config.type,
        column=None if column in (None, BATCH) else column,
        severity=severity,
        outcome=outcome,
        expectation_type=config.type,
        threshold=meta.get("threshold", config.kwargs.get("mostly")),
        rows_checked=found.get("element_count"),
        unexpected_count=unexpected,
        unexpected_percent=found.get("unexpected_percent"),
        observed_value=observed,
        gx_column=config.kwargs.get("column"),
        needs_examples=bool(unexpected),
    )
    outcome_.message = message(outcome_)
    return outcome_


# -- messages, for people -------------------------------------------------------------------------------


def message(o: CheckOutcome) -> str:
    """What was found, in one line: counts, share, what is allowed, a few examples."""
    check = _BY_NAME.get(o.check)
    if isinstance(check, MartCheck):
        return mart_message(o, check)
    subject = o.column or "batch"
    share = _share(o)
    one = o.unexpected_count == 1
    are, have, lie, resolve = ("is", "has", "lies", "resolves") if one else ("are", "have", "lie", "resolve")
    examples = _examples(o)
    match o.kind:
        case "rows_present":
            return "the batch has no rows"
        case "volume_excess" | "volume_spike" | "volume_drop":
            return _volume(o)
        case "extra_headers":
            headers = ", ".join(
                _quote(row.get("extra_header")) for row in o.examples if isinstance(row, dict)
            )
            return f"extra columns, kept in raw extras and not checked: {headers or o.unexpected_count}"
        case "required":
            return f"{share} {'lacks' if one else 'lack'} a required value{examples}"
        case "unique":
            return f"{subject}: {share} {'shares its' if one else 'share their'} value with another row{examples}"
        case "one_registration_date":
            return (
                f"{subject}: {share} {'belongs' if one else 'belong'} to appeals whose rows carry different"
                f" registration dates within a year{examples}"
            )
        case "plausible_date":
            return f"{subject}: {share} {lie} before 2000 or after the load date{_allowed(o)}{examples}"
        case "not_before" | "not_after":
            return f"{subject}: {share} {are} out of order{_allowed(o)}{examples}"
        case "known_code":
            return f"{subject}: {share} {are} not {'a canonical code' if one else 'canonical codes'}{_allowed(o)}{examples}"
        case "known_value":
            return f"{subject}: {share} {are} not {'a value' if one else 'values'} of the crosswalk{_allowed(o)}{examples}"
        case "in_classifier":
            return f"{subject}: {share} {are} not {'a code' if one else 'codes'} of the classifier{_allowed(o)}{examples}"
        case "mapped":
            return f"{subject}: {share} {have} no topic in the crosswalk (unclassified downstream){examples}"
        case "territory":
            return f"{subject}: {share} {resolve} to no territory{_allowed(o)}{examples}"
    return f"{o.check}: {share} unexpected{examples}"


def mart_message(o: CheckOutcome, check: MartCheck) -> str:
    """What a mart check found, in one line naming the mart (and column), the check and the counts."""
    subject = check.subject
    share = _share(o)
    one = o.unexpected_count == 1
    is_, has = ("is", "has") if one else ("are", "have")
    examples = _examples(o)
    row = o.examples[0] if o.examples and isinstance(o.examples[0], dict) else {}
    match check.check:
        case "not_empty":
            return f"{check.mart}: not_empty — the mart has no rows"
        case "unique":
            what = "key" if len(check.columns) > 1 else "value"
            return f"{subject}: unique — {share} {'shares its' if one else 'share their'} {what} with another row{examples}"
        case "not_null":
            return f"{subject}: not_null — {share} {has} no value{_allowed(o)}"
        case "known_code":
            vocabulary = VOCABULARIES[check.other or ""]
            return (
                f"{subject}: known_code — {share} {is_} not {'a code' if one else 'codes'} of {check.other}"
                f" (labels/{vocabulary.seed}.csv){examples}"
            )
        case "resolved":
            return f"{subject}: resolved — {share} {is_} on the unknown territory{_allowed(o)}"
        case "at_least_one":
            return f"{subject}: at_least_one — {share} {is_} below 1{examples}"
    if not o.examples:  # a query check whose finding could not be fetched: the count stands
        return f"{check.name}: {_n(o.unexpected_count)} unexpected {'row' if one else 'rows'}"
    dimension, _, key = (check.other or "").partition(".")
    match check.check:
        case "members":
            missing = [r.get("missing_member") for r in o.examples if isinstance(r, dict)]
            expected = len(check.expected_members())
            shown = ", ".join(_quote(m) for m in missing[:MAX_EXAMPLES])
            return (
                f"{subject}: members — {len(missing)} of the {expected} expected {_plural(expected, 'row')}"
                f" {'is' if len(missing) == 1 else 'are'} missing: {shown}"
            )
        case "references":
            shown = ", ".join(_quote(v) for v in (row.get("examples") or [])[:MAX_EXAMPLES])
            rows, keys = row.get("orphan_rows"), row.get("orphan_keys")
            return (
                f"{subject}: references — {_n(rows)} {_plural(rows, 'row')} with {_n(keys)} {check.column}"
                f" {_plural(keys, 'value')} not in {dimension}.{key}, e.g. {shown}"
            )
        case "matches_questions":
            shown = ", ".join(_quote(v) for v in (row.get("examples") or [])[:MAX_EXAMPLES])
            appeals = row.get("mismatched_appeals")
            return (
                f"{subject}: matches_questions — {_n(appeals)} {_plural(appeals, 'appeal')} whose"
                f" {check.column} differs from {'its' if appeals == 1 else 'their'} rows in {check.other}"
                f" ({check.column} vs rows), e.g. {shown}"
            )
        case "every_appeal":
            covered, appeals = row.get("appeals_with_questions"), row.get("fact_appeals")
            return (
                f"{check.mart}: every_appeal — questions of {_n(covered)} distinct {_plural(covered, 'appeal')},"
                f" but {check.other} has {_n(appeals)} {_plural(appeals, 'appeal')} ({_difference(covered, appeals)})"
            )
        case "sums_to":
            total, rows = row.get("mart_total"), row.get("other_rows")
            return (
                f"{subject}: sums_to — the {check.column} sum to {_n(total)}, but {check.other} has"
                f" {_n(rows)} rows ({_difference(total, rows)})"
            )
        case "publish_guard" | "appeals_lost":
            allowed = f"{100 * (check.threshold or 0):g} %"
            verdict = (
                f"more than the {allowed} (and {LOSS_FLOOR} appeals) allowed"
                if check.check == "publish_guard"
                else f"within the {allowed} tolerated"
            )
            return (
                f"{check.mart}: {check.check} — {_n(row.get('candidate_appeals'))} appeals vs"
                f" {_n(row.get('published_appeals'))} published in {PUBLISHED_SCHEMA}.{check.mart}:"
                f" {_n(row.get('lost_appeals'))} lost ({_g(row.get('lost_percent'))} %), {verdict}"
            )
    return f"{check.name}: {_n(o.unexpected_count)} unexpected {'row' if one else 'rows'}{examples}"


def _plural(count: Any, word: str) -> str:
    return word if count == 1 else f"{word}s"


def _difference(value: Any, expected: Any) -> str:
    if value is None or expected is None:
        return "?"
    return f"{float(value) - float(expected):+,.0f}".replace(",", " ")


def _share(o: CheckOutcome) -> str:
    count = o.unexpected_count or 0
    if o.rows_checked:
        percent = o.unexpected_percent if o.unexpected_percent is not None else 100 * count / o.rows_checked
        return f"{_n(count)} of {_n(o.rows_checked)} {'row' if o.rows_checked == 1 else 'rows'} ({_percent(percent)})"
    return f"{_n(count)} {'row' if count == 1 else 'rows'}"


def _allowed(o: CheckOutcome) -> str:
    if o.threshold is None or o.threshold >= 1:
        return ""
    allowed = _percent(100 * (1 - o.threshold))
    return (
        f" (tolerated up to {allowed})" if o.outcome == TOLERATED else f" (more than the {allowed} tolerated)"
    )


def _volume(o: CheckOutcome) -> str:
    row = o.examples[0] if o.examples and isinstance(o.examples[0], dict) else {}
    if not row:
        return f"{o.check}: the batch's row count is unusual"
    usual, batches = row.get("usual_rows"), row.get("baseline_batches")
    earlier = f"{_n(batches)} earlier validated batch{'es' if batches != 1 else ''}"
    limit = {
        "volume_excess": f"{_g(o.threshold)}× or more fails the batch",
        "volume_spike": f"more than {_g(o.threshold)}× is reported",
        "volume_drop": f"less than 1/{_g(round(1 / o.threshold))} is reported" if o.threshold else "",
    }[o.kind]
    return (
        f"{_n(row.get('batch_rows'))} rows vs usual {_n(usual)} (median of {earlier} of this feed and territory in"
        f" the 28 days before): {_g(row.get('ratio'))}× — {limit}"
    )


def _examples(o: CheckOutcome) -> str:
    shown = [_quote(value) for value in o.examples[:MAX_EXAMPLES]]
    return f", e.g. {', '.join(shown)}" if shown else ""


def _quote(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_plain(v)}" for k, v in value.items()) + "}"
    if isinstance(value, str):
        return f"'{value}'"
    return str(_plain(value))


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (set, tuple)):
        return list(value)
    return value if isinstance(value, (str, int, float, bool, list, dict, type(None))) else str(value)


def _n(value: Any) -> str:
    if value is None:
        return "?"
    number = float(value)
    return f"{number:,.0f}".replace(",", " ") if number.is_integer() else f"{number:,.1f}".replace(",", " ")


def _g(value: Any) -> str:
    return "?" if value is None else f"{float(value):g}"


def _percent(value: float) -> str:
    if value >= 10:
        return f"{value:.0f} %"
    return f"{value:.2g} %" if value >= 0.01 else f"{value:.1g} %"


def distinct_examples(values: list[Any], limit: int = MAX_EXAMPLES) -> list[Any]:
    """The first ``limit`` different values, in order."""
    seen: list[Any] = []
    for value in values:
        plain = _plain(value)
        if plain not in seen:
            seen.append(plain)
        if len(seen) >= limit:
            break
    return seen

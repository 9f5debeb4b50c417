"""What each kind of check means: in words (for docs and Data Docs) and as a GX 1.x expectation.

Every expectation runs as SQL inside PostgreSQL on the feed's batch view ``quality.<feed>_batch``
(migration ``V004__quality_gate.sql``). Row checks are column expectations, which GX bundles into one
aggregate over one scan of the batch. Whatever needs more than the row itself (a look-up in reference data,
the other rows of the same appeal, a comparison of two dates) is a column of the view that is null when the
row passes and shows why it fails otherwise (``unknown_*``, ``unmapped_*``, ``unresolved_*``,
``conflicting_*``, ``<date>_before_<date>``): the check is "this column is empty", and its unexpected values
are what people need to see. Only the batch-level checks (volume, extra headers) are
``UnexpectedRowsExpectation`` queries, on ``audit.load_batches``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

import great_expectations.expectations as gxe
from great_expectations.expectations.expectation import Expectation

from ingestion.feeds import FEEDS
from ingestion.quality.checks import EARLIEST_PLAUSIBLE, ERROR, LATEST_PLAUSIBLE, REQUIRED, Check

_ID_NAMESPACE = uuid.UUID("6f0c7c52-6a2b-4f0e-9a57-5b8c1d2e3f40")


def expectation_id(check: Check) -> str:
    """A stable id per check, so that rebuilding the suites changes nothing when the checks did not change."""
    return str(uuid.uuid5(_ID_NAMESPACE, check.name))


# -- SQL of the checks across rows (``{batch}`` is the batch view; GX substitutes it) ----------------------

VOLUME_SQL = """
select b.rows_loaded as batch_rows, round(v.usual_rows) as usual_rows, v.baseline_batches,
       round((b.rows_loaded / v.usual_rows)::numeric, 2) as ratio
from audit.load_batches as b
cross join lateral (
    select percentile_cont(0.5) within group (order by e.rows_loaded) as usual_rows,
           count(*) as baseline_batches
    from audit.load_batches as e
    where e.feed = b.feed
        and e.body is not distinct from b.body
        and e.status in ('validated', 'published')
        and e.batch_id < b.batch_id
        and e.started_at >= b.started_at - interval '28 days'
) as v
where b.batch_id = quality.gate_batch_id()
    and v.usual_rows > 0
    and b.rows_loaded COMPARISON
    and exists (select from {batch} as batch_rows)
"""

EXTRA_HEADERS_SQL = """
select h.header as extra_header
from audit.load_batches as b
cross join lateral jsonb_array_elements_text(coalesce(b.details -> 'extra_headers', '[]'::jsonb)) as h (header)
where b.batch_id = quality.gate_batch_id()
    and exists (select from {batch} as batch_rows)
"""


def _sql(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.strip().splitlines())


# -- the kinds ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    name: str
    means: str
    """What passes, in words; ``{column}``, ``{other}`` and ``{threshold}`` are filled in per check."""
    build: Callable[[Check], Expectation]

    def describe(self, check: Check) -> str:
        required = ", ".join(f"`{c}`" for c in REQUIRED.get(check.feed, ()))
        return self.means.format(
            column=check.column, other=check.other, threshold=_ratio(check.threshold), required=required
        )


def _ratio(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:g}×" if value >= 1 else f"1/{round(1 / value):g}"


def _mostly(check: Check) -> dict:
    return {"mostly": check.threshold} if check.threshold is not None and check.threshold < 1 else {}


def known_codes(check: Check) -> list[str]:
    """The canonical codes of a ``code`` column of the feed contract (``ingestion.feeds``)."""
    codes = FEEDS[check.feed].column(check.column).codes
    if not codes:
        raise ValueError(f"{check.name}: {check.column} is not a code column of the {check.feed} contract")
    return sorted(codes)


def _volume(comparison: str) -> Callable[[Check], Expectation]:
    def build(check: Check) -> Expectation:
        query = VOLUME_SQL.replace("COMPARISON", comparison.format(threshold=check.threshold))
        return gxe.UnexpectedRowsExpectation(unexpected_rows_query=_sql(query))

    return build


def lookup_column(check: Check) -> str:
    """The column of the batch view that is null when ``check`` passes for the row, and shows why it fails
    otherwise: the value that was not found, or the offending dates."""
    match check.check:
        case "not_before":
            return f"{check.column}_before_{check.other}"
        case "not_after":
            return f"{check.column}_after_{check.other}"
        case "one_registration_date":
            return f"conflicting_{check.column}"
        case "in_classifier" | "known_value":
            return f"unknown_{check.column}"
        case "mapped":
            return f"unmapped_{check.column}"
        case "territory":
            return f"unresolved_{check.column}"
        case "required":
            return "missing_required"
    raise ValueError(f"{check.name}: {check.check} checks read no look-up column")


def _empty(check: Check) -> Expectation:
    return gxe.ExpectColumnValuesToBeNull(column=lookup_column(check), **_mostly(check))


KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        Kind(
            "rows_present",
            "the batch has at least one row",
            lambda c: gxe.ExpectTableRowCountToBeBetween(min_value=1),
        ),
        Kind(
            "volume_excess",
            "fewer than {threshold} the usual rows (median of the earlier validated batches of the same feed"
            " and territory in the 28 days before)",
            _volume(">= {threshold} * v.usual_rows"),
        ),
        Kind(
            "volume_spike",
            "at most {threshold} the usual rows",
            _volume("> {threshold} * v.usual_rows"),
        ),
        Kind(
            "volume_drop",
            "at least {threshold} of the usual rows",
            _volume("< {threshold} * v.usual_rows"),
        ),
        Kind(
            "extra_headers",
            "no columns beyond the contract's (extra columns are kept in raw `extras`, unchecked)",
            lambda c: gxe.UnexpectedRowsExpectation(unexpected_rows_query=_sql(EXTRA_HEADERS_SQL)),
        ),
        Kind(
            "required",
            "every required column has a value (not empty): {required}",
            _empty,
        ),
        Kind(
            "unique",
            "no `{column}` occurs twice in the batch",
            lambda c: gxe.ExpectColumnValuesToBeUnique(column=c.column),
        ),
        Kind(
            "one_registration_date",
            "the rows of one appeal (body, `reg_number`, year) carry the same `registered_at`",
            _empty,
        ),
        Kind(
            "plausible_date",
            "`{column}` lies between 2000-01-01 and a day after the file was loaded",
            lambda c: gxe.ExpectColumnValuesToBeBetween(
                column=c.column,
                min_value={"$PARAMETER": EARLIEST_PLAUSIBLE},
                max_value={"$PARAMETER": LATEST_PLAUSIBLE},
                **_mostly(c),
            ),
        ),
        Kind(
            "not_before",
            "`{column}` is not before `{other}` (when both are given)",
            _empty,
        ),
        Kind(
            "not_after",
            "`{column}` is not after `{other}` (when both are given)",
            _empty,
        ),
        Kind(
            "known_code",
            "`{column}` is one of the contract's canonical codes (`ingestion/feeds`), when given",
            lambda c: gxe.ExpectColumnValuesToBeInSet(
                column=c.column, value_set=known_codes(c), **_mostly(c)
            ),
        ),
        Kind(
            "known_value",
            "`{column}` is a value of the crosswalk dbt maps it with (as written, or by its normalised key)",
            _empty,
        ),
        Kind(
            "in_classifier",
            "`{column}` is a code of the federal thematic classifier (`classifier.csv`)",
            _empty,
        ),
        Kind(
            "mapped",
            "`{column}` has a topic in the crosswalk seed (unmapped ones become `unclassified`)",
            _empty,
        ),
        Kind(
            "territory",
            "`{column}` resolves to a territory of the ОКТМО reference",
            _empty,
        ),
    )
}

TERRITORY_MEANS: dict[tuple[str, str], str] = {
    ("register", "oktmo"): "`oktmo` (its first 8 digits) is in the ОКТМО reference",
    ("register", "body_oktmo"): "the registering body's ОКТМО is in the ОКТМО reference",
    (
        "pos",
        "receiving_org",
    ): "`receiving_org` is an organisation of the directory (`reference/organizations.csv`)",
    (
        "incident",
        "municipality_name",
    ): "the ОКТМО, when given, is in the reference; else the municipality name"
    " resolves as dbt resolves it (alias, exact or tolerant name)",
    ("organizations", "oktmo"): "`oktmo` (its first 8 digits) is in the ОКТМО reference",
}


def describe(check: Check) -> str:
    """What passes, in words."""
    if check.check == "territory" and (check.feed, check.column) in TERRITORY_MEANS:
        return TERRITORY_MEANS[check.feed, check.column]
    return KINDS[check.check].describe(check)


def build_expectation(check: Check) -> Expectation:
    """The GX expectation of ``check``, with its severity and a description for Data Docs.

    Its id is not set here (GX refuses to add an expectation that has one): :func:`expectation_configuration`
    gives the stable id with it.
    """
    expectation = KINDS[check.check].build(check)
    expectation.severity = "critical" if check.severity == ERROR else "warning"
    expectation.description = f"{check.severity}: {describe(check)}"
    expectation.meta = {"check": check.name, "severity": check.severity, "threshold": check.threshold}
    return expectation


def expectation_configuration(check: Check):  # -> ExpectationConfiguration
    """The expectation of ``check`` as a configuration with its stable id, as suites store it."""
    configuration = build_expectation(check).configuration
    configuration.id = expectation_id(check)
    return configuration

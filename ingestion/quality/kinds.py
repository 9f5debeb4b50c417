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

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import great_expectations.expectations as gxe
from great_expectations.expectations.expectation import Expectation

from ingestion.feeds import FEEDS
from ingestion.quality.checks import EARLIEST_PLAUSIBLE, ERROR, LATEST_PLAUSIBLE, REQUIRED, Check
from ingestion.quality.mart_checks import (
    LOSS_FLOOR,
    PUBLISHED_SCHEMA,
    UNKNOWN_TERRITORY,
    VOCABULARIES,
    MartCheck,
)

_ID_NAMESPACE = uuid.UUID("6f0c7c52-6a2b-4f0e-9a57-5b8c1d2e3f40")


def expectation_id(check: Check | MartCheck) -> str:
    """A stable id per check (of a feed or a mart), so that rebuilding the suites changes nothing when the checks did not change."""
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


# -- the mart suites (ingestion.quality.mart_checks) -------------------------------------------------------
#
# The table assets of the marts name no schema: the connection's search_path is the schema checked (the
# candidate), so the marts a query names without a schema are the candidate's too. Queries of checks across
# rows return one row that says what was found, or nothing when the check passes.
#
# GX puts the mart in for {batch} as an aliased subquery, unless the query has the word JOIN: then it leaves
# the alias to the query. The mart queries have no JOIN (:func:`_no_join` sees to it) and name the mart once,
# as `with f as (select * from {batch})` when they need a name for it.

REFERENCES_SQL = """
with f as (select * from {batch})
select count(*) as orphan_rows, count(distinct f.<column>) as orphan_keys,
       (array_agg(distinct f.<column>::text))[1:5] as examples
from f
where f.<column> is not null
    and not exists (select from <dimension> as d where d.<key> = f.<column>)
having count(*) > 0
"""

MEMBERS_SQL = """
with d as (select * from {batch})
select m.member as missing_member
from (values <members>) as m (member)
where not exists (select from d where d.<column>::text = m.member)
"""

# Totals compare with the whole facts of the schema checked (the setting appeals.checked_schema), also when
# the nightly run puts views of the night's fact rows first on the search_path (marts_gate.py).
SUMS_TO_SQL = """
select a.total as mart_total, f.total as other_rows
from (select coalesce(sum(<column>), 0) as total from {batch}) as a,
     (select quality.relation_rows(current_setting('appeals.checked_schema') || '.<other>') as total) as f
where a.total <> f.total
"""

EVERY_APPEAL_SQL = """
select q.appeals as appeals_with_questions, f.appeals as fact_appeals
from (select count(distinct <column>) as appeals from {batch}) as q,
     (select count(*) as appeals from <other>) as f
where q.appeals <> f.appeals
"""

MATCHES_QUESTIONS_SQL = """
with f as (select * from {batch}),
appeals as (
    select u.appeal_id, max(u.<column>) filter (where u.is_appeal) as declared,
           count(*) filter (where not u.is_appeal) as questions
    from (
        select f.appeal_id, f.<column>, true as is_appeal from f
        union all
        select q.appeal_id, null, false from <other> as q
    ) as u
    group by u.appeal_id
    having bool_or(u.is_appeal)
)
select count(*) as mismatched_appeals,
       (array_agg(a.appeal_id || ' (' || coalesce(a.declared::text, 'null') || ' vs ' || a.questions || ')'
                  order by a.appeal_id))[1:5] as examples
from appeals as a
where a.declared is distinct from a.questions
having count(*) > 0
"""

PUBLISHED_APPEALS_SQL = """
select p.appeals as published_appeals, c.appeals as candidate_appeals, p.appeals - c.appeals as lost_appeals,
       round(100.0 * (p.appeals - c.appeals) / p.appeals, 2) as lost_percent
-- the whole candidate table (see SUMS_TO_SQL), not the rows the asset shows
from (select quality.relation_rows(current_setting('appeals.checked_schema') || '.<mart>') as appeals) as c,
     -- null before the first publication (no published table): then nothing is compared
     (select quality.relation_rows('<published>') as appeals) as p
where <comparison>
    and coalesce((select true from {batch} limit 1), true)
"""


def _fill(template: str, **values: str) -> str:
    text = _sql(template)
    for name, value in values.items():
        text = text.replace(f"<{name}>", value)
    return _no_join(text)


def _no_join(query: str) -> str:
    """``query``, if it has no JOIN: GX aliases {batch} itself then, and the queries rely on it."""
    if re.search(r"\bjoin\b", query, re.IGNORECASE):
        raise ValueError(f"a mart query must not say JOIN (GX would leave {{batch}} unaliased): {query}")
    return query


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _published_appeals(comparison: str) -> Callable[[MartCheck], Expectation]:
    def build(check: MartCheck) -> Expectation:
        keep = f"{1 - (check.threshold or 0):g}"
        query = _fill(
            PUBLISHED_APPEALS_SQL,
            mart=check.mart,
            published=f"{PUBLISHED_SCHEMA}.{check.mart}",
            comparison=comparison.format(keep=keep, floor=LOSS_FLOOR),
        )
        return gxe.UnexpectedRowsExpectation(unexpected_rows_query=query)

    return build


def _references(check: MartCheck) -> Expectation:
    dimension, key = (check.other or "").split(".")
    query = _fill(REFERENCES_SQL, column=check.column, dimension=dimension, key=key)
    return gxe.UnexpectedRowsExpectation(unexpected_rows_query=query)


def _members(check: MartCheck) -> Expectation:
    members = ", ".join(f"({_literal(m)})" for m in check.expected_members())
    return gxe.UnexpectedRowsExpectation(
        unexpected_rows_query=_fill(MEMBERS_SQL, members=members, column=check.column)
    )


def _across(template: str) -> Callable[[MartCheck], Expectation]:
    def build(check: MartCheck) -> Expectation:
        query = _fill(template, column=check.column, other=check.other or "")
        return gxe.UnexpectedRowsExpectation(unexpected_rows_query=query)

    return build


def _unique(check: MartCheck) -> Expectation:
    if len(check.columns) > 1:
        return gxe.ExpectCompoundColumnsToBeUnique(column_list=list(check.columns))
    return gxe.ExpectColumnValuesToBeUnique(column=check.column)


@dataclass(frozen=True)
class MartKind:
    name: str
    means: str
    """What passes, in words; ``{column}``, ``{other}``, ``{source}``, ``{members}``, ``{keep}`` are filled in."""
    build: Callable[[MartCheck], Expectation]

    def describe(self, check: MartCheck) -> str:
        dimension, _, key = (check.other or "").partition(".")
        source = VOCABULARIES[check.other].source if check.other in VOCABULARIES else ""
        keep = f"{100 * (1 - check.threshold):g} %" if check.threshold else ""
        return self.means.format(
            column=check.column,
            other=check.other,
            dimension=dimension,
            key=key,
            source=source,
            keep=keep,
            published=f"{PUBLISHED_SCHEMA}.{check.mart}",
            members=", ".join(f"`{m}`" for m in check.members),
        )


MART_KINDS: dict[str, MartKind] = {
    kind.name: kind
    for kind in (
        MartKind(
            "not_empty",
            "the mart has at least one row",
            lambda c: gxe.ExpectTableRowCountToBeBetween(min_value=1),
        ),
        MartKind("unique", "no `{column}` occurs twice", _unique),
        MartKind(
            "not_null",
            "`{column}` has a value in every row",
            lambda c: gxe.ExpectColumnValuesToNotBeNull(column=c.column, **_mostly(c)),
        ),
        MartKind(
            "known_code",
            "`{column}` is a code of {source}, when given",
            lambda c: gxe.ExpectColumnValuesToBeInSet(column=c.column, value_set=list(c.expected_members())),
        ),
        MartKind("members", "the dimension has every code of {source}", _members),
        MartKind(
            "references",
            "every `{column}` (when given) is found in `{dimension}.{key}`",
            _references,
        ),
        MartKind(
            "resolved",
            "`{column}` is not the unknown territory («Территория не определена»)",
            lambda c: gxe.ExpectColumnValuesToNotBeInSet(
                column=c.column, value_set=[UNKNOWN_TERRITORY], **_mostly(c)
            ),
        ),
        MartKind(
            "at_least_one",
            "`{column}` is at least 1",
            lambda c: gxe.ExpectColumnValuesToBeBetween(column=c.column, min_value=1),
        ),
        MartKind(
            "matches_questions",
            "every appeal's `{column}` equals its rows in `{other}`",
            _across(MATCHES_QUESTIONS_SQL),
        ),
        MartKind(
            "every_appeal",
            "every appeal has its questions: as many distinct `{column}` as rows of `{other}`",
            _across(EVERY_APPEAL_SQL),
        ),
        MartKind(
            "sums_to",
            "the sum of `{column}` equals the rows of `{other}`",
            _across(SUMS_TO_SQL),
        ),
        MartKind(
            "publish_guard",
            "at least {keep} of the appeals published in `{published}` are still there, or fewer than"
            f" {LOSS_FLOOR} are missing (passes when nothing is published yet)",
            _published_appeals("c.appeals < {keep} * p.appeals and p.appeals - c.appeals >= {floor}"),
        ),
        MartKind(
            "appeals_lost",
            "no appeal published in `{published}` is missing (a small loss is reported; a larger one fails"
            " publish_guard)",
            _published_appeals(
                "c.appeals < p.appeals and (c.appeals >= {keep} * p.appeals or p.appeals - c.appeals < {floor})"
            ),
        ),
    )
}

MART_MEANS: dict[str, str] = {
    "dim_territory.territory_key.members": "the unknown member (`md5('unknown')`, «Территория не определена») is there",
    "dim_topic.topic_code.members": "the `unclassified` member is there",
}


def describe_mart(check: MartCheck) -> str:
    """What passes, in words."""
    if check.name in MART_MEANS:
        return MART_MEANS[check.name]
    if check.check == "unique" and len(check.columns) > 1:
        return "no two rows share (" + ", ".join(f"`{c}`" for c in check.columns) + ")"
    return MART_KINDS[check.check].describe(check)


def build_mart_expectation(check: MartCheck) -> Expectation:
    """The GX expectation of a mart check, with its severity and a description for Data Docs."""
    expectation = MART_KINDS[check.check].build(check)
    expectation.severity = "critical" if check.severity == ERROR else "warning"
    expectation.description = f"{check.severity}: {describe_mart(check)}"
    expectation.meta = {"check": check.name, "severity": check.severity, "threshold": check.threshold}
    return expectation


def mart_expectation_configuration(check: MartCheck):  # -> ExpectationConfiguration
    """The expectation of a mart check as a configuration with its stable id, as suites store it."""
    configuration = build_mart_expectation(check).configuration
    configuration.id = expectation_id(check)
    return configuration

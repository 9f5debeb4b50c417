"""The mart suites' checks, as a table: one row per check of a published mart.

The marts are checked before they are published (``ingestion.quality.marts_gate``): dbt builds a candidate
copy of them into a schema of its own, its dbt tests run, and then these checks run as SQL inside
PostgreSQL on that schema. The GX table assets name the marts without a schema and the connection's
``search_path`` is the schema checked, so one suite validates whichever schema it is pointed at.

Each check looks at one column of one mart (``*``: at the mart as a whole; ``a+b``: at a compound key) and
has a severity: ``error`` stops the publication, ``warning`` is reported and the marts are published.
``threshold`` is the share of rows that must pass (GX ``mostly``), or for the publish guard the share of the
published appeals the candidate may lose. ``other`` is what the check compares with: the dimension and key
of a foreign key (``dim_territory.territory_key``), a vocabulary of codes (``sources``: the codes of
``dbt_project/seeds/labels/sources.csv``, see :data:`VOCABULARIES`), or the mart whose rows a total must
equal. ``members`` are the rows a dimension must have.

The GX suites in ``expectations/`` are built from this table (``python -m ingestion.quality.build``; a test
keeps them in step), and ``docs/quality.md`` shows it (``python -m ingestion.quality.docs``). What each kind
of check means, in words and as a GX expectation, is in :mod:`ingestion.quality.kinds` (``MART_KINDS``).
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from functools import cache

from ingestion.quality.checks import ERROR, SEVERITIES, WARNING
from ingestion.settings import load_settings

TABLE = "*"
"""The ``column`` of checks on a mart as a whole (not empty, totals, the publish guard)."""
KEY_SEPARATOR = "+"
"""Joins the columns of a compound key in ``column`` (``appeal_id+question_no``)."""

PUBLISHED_SCHEMA = "marts"
"""Where analysts read the marts: the publish guard compares the candidate with this schema's appeals."""

MARTS = (
    "fct_appeals",
    "fct_appeal_questions",
    "agg_appeals_monthly",
    "agg_questions_monthly",
    "agg_appeal_profile_monthly",
    "agg_question_topics_monthly",
    "agg_personal_reception_monthly",
    "agg_appeal_outcomes_monthly",
    "agg_incident_response_monthly",
    "dim_territory",
    "dim_topic",
    "dim_date",
    "dim_source",
    "dim_channel",
    "dim_result",
)
"""The published marts with a suite of their own (``docs/marts.md``), in the order they are checked."""

UNKNOWN_TERRITORY = hashlib.md5(b"unknown").hexdigest()
"""``territory_key`` of the unknown member of ``dim_territory`` (the dbt macro ``unknown_territory_key``)."""
UNCLASSIFIED_TOPIC = "unclassified"

LOSS_TOLERATED = 0.01
"""The candidate may hold up to 1 % fewer appeals than the published marts (reported); more stops it."""
LOSS_FLOOR = 20
"""…unless fewer than this many appeals are missing: in a small warehouse, one re-export that flags a few
incidents as spam removes more than 1 % of the appeals, and that is the data, not a defect."""
STRAGGLERS = 0.99


@dataclass(frozen=True)
class Vocabulary:
    """Codes of a label seed: ``column`` of ``dbt_project/seeds/labels/<seed>.csv`` (rows of ``vocabulary``)."""

    seed: str
    column: str
    vocabulary: str | None = None

    @property
    def source(self) -> str:
        where = f" where vocabulary = {self.vocabulary}" if self.vocabulary else ""
        return f"`labels/{self.seed}.csv`{where}"


VOCABULARIES: dict[str, Vocabulary] = {
    "sources": Vocabulary("sources", "source_code"),
    "channels": Vocabulary("channels", "channel_code"),
    "results": Vocabulary("results", "result_code"),
    **{
        name: Vocabulary("code_labels", "code", name)
        for name in ("origin_code", "appeal_type", "form", "satisfaction")
    },
    "received_by": Vocabulary("code_labels", "code", "received_by"),
}
"""The code vocabularies of the marts, read from the label seeds dbt builds the dimensions from."""


@cache
def codes_of(vocabulary: str) -> tuple[str, ...]:
    """The codes of a vocabulary, sorted (read when the suites are built, not at run time)."""
    spec = VOCABULARIES[vocabulary]
    path = load_settings().dbt_project_dir / "seeds" / "labels" / f"{spec.seed}.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    codes = {
        row[spec.column].strip()
        for row in rows
        if spec.vocabulary is None or row.get("vocabulary", "").strip() == spec.vocabulary
    }
    if not codes:
        raise ValueError(f"no codes for vocabulary {vocabulary!r} in {path}")
    return tuple(sorted(codes))


@dataclass(frozen=True)
class MartCheck:
    mart: str
    column: str
    check: str
    severity: str
    threshold: float | None = None
    other: str | None = None
    """What the column is compared with: ``dim.key`` (references), a vocabulary (known_code, members), a
    mart (sums_to)."""
    members: tuple[str, ...] = ()
    """The rows a dimension must have (members), when not a vocabulary's codes."""

    @property
    def name(self) -> str:
        """``<mart>.<column>.<check>``, e.g. ``fct_appeals.appeal_id.unique``: stable, shown in messages."""
        return f"{self.mart}.{'table' if self.column == TABLE else self.column}.{self.check}"

    @property
    def columns(self) -> tuple[str, ...]:
        """The columns of a compound key; the one column otherwise."""
        return tuple(self.column.split(KEY_SEPARATOR))

    @property
    def subject(self) -> str:
        """How messages name what was checked: ``fct_appeals.territory_key``, ``fct_appeals``,
        ``fct_appeal_questions (appeal_id, question_no)``."""
        if self.column == TABLE:
            return self.mart
        if KEY_SEPARATOR in self.column:
            return f"{self.mart} ({', '.join(self.columns)})"
        return f"{self.mart}.{self.column}"

    def expected_members(self) -> tuple[str, ...]:
        return self.members or (codes_of(self.other) if self.other else ())


def _dimension(mart: str, key: str, vocabulary: str | None = None, *members: str) -> tuple[MartCheck, ...]:
    """A dimension: not empty, its key unique and present, its codes known and all there (or its members)."""
    checks = [
        MartCheck(mart, TABLE, "not_empty", ERROR),
        MartCheck(mart, key, "unique", ERROR),
        MartCheck(mart, key, "not_null", ERROR),
    ]
    if vocabulary:
        checks.append(MartCheck(mart, key, "known_code", ERROR, other=vocabulary))
    if vocabulary or members:
        checks.append(MartCheck(mart, key, "members", ERROR, other=vocabulary, members=members))
    return tuple(checks)


# fmt: off
MART_CHECKS: tuple[MartCheck, ...] = (
    # ---- fct_appeals: one row per appeal, ПОС message or incident -----------------------------------------
    #          mart            column                check                severity threshold  other
    MartCheck("fct_appeals", TABLE,                "not_empty",          ERROR),
    MartCheck("fct_appeals", TABLE,                "publish_guard",      ERROR,   LOSS_TOLERATED),
    MartCheck("fct_appeals", TABLE,                "appeals_lost",       WARNING, LOSS_TOLERATED),
    MartCheck("fct_appeals", "appeal_id",          "unique",             ERROR),
    MartCheck("fct_appeals", "appeal_id",          "not_null",           ERROR),
    MartCheck("fct_appeals", "source_code",        "known_code",         ERROR,   None, "sources"),
    MartCheck("fct_appeals", "territory_key",      "not_null",           ERROR),
    MartCheck("fct_appeals", "territory_key",      "references",         ERROR,   None, "dim_territory.territory_key"),
    MartCheck("fct_appeals", "territory_key",      "resolved",           WARNING, STRAGGLERS),
    MartCheck("fct_appeals", "primary_topic_code", "not_null",           ERROR),
    MartCheck("fct_appeals", "primary_topic_code", "references",         ERROR,   None, "dim_topic.topic_code"),
    MartCheck("fct_appeals", "received_date",      "not_null",           ERROR),
    MartCheck("fct_appeals", "received_date",      "references",         ERROR,   None, "dim_date.date_key"),
    MartCheck("fct_appeals", "channel_code",       "known_code",         ERROR,   None, "channels"),
    MartCheck("fct_appeals", "origin_code",        "known_code",         ERROR,   None, "origin_code"),
    MartCheck("fct_appeals", "appeal_type",        "known_code",         ERROR,   None, "appeal_type"),
    MartCheck("fct_appeals", "form",               "known_code",         ERROR,   None, "form"),
    MartCheck("fct_appeals", "satisfaction",       "known_code",         ERROR,   None, "satisfaction"),
    MartCheck("fct_appeals", "final_result_code",  "known_code",         ERROR,   None, "results"),
    MartCheck("fct_appeals", "final_result_code",  "not_null",           WARNING),
    MartCheck("fct_appeals", "question_count",     "not_null",           ERROR),
    MartCheck("fct_appeals", "question_count",     "at_least_one",       ERROR),
    MartCheck("fct_appeals", "question_count",     "matches_questions",  ERROR,   None, "fct_appeal_questions"),

    # ---- fct_appeal_questions: one row per question ---------------------------------------------------------
    MartCheck("fct_appeal_questions", TABLE,       "not_empty",          ERROR),
    MartCheck("fct_appeal_questions", "appeal_id+question_no", "unique", ERROR),
    MartCheck("fct_appeal_questions", "appeal_id", "not_null",           ERROR),
    MartCheck("fct_appeal_questions", "appeal_id", "references",         ERROR,   None, "fct_appeals.appeal_id"),
    MartCheck("fct_appeal_questions", "appeal_id", "every_appeal",       ERROR,   None, "fct_appeals"),
    MartCheck("fct_appeal_questions", "question_no", "not_null",         ERROR),
    MartCheck("fct_appeal_questions", "question_no", "at_least_one",     ERROR),
    MartCheck("fct_appeal_questions", "topic_code", "not_null",          ERROR),
    MartCheck("fct_appeal_questions", "topic_code", "references",        ERROR,   None, "dim_topic.topic_code"),
    MartCheck("fct_appeal_questions", "result_code", "known_code",       ERROR,   None, "results"),
    MartCheck("fct_appeal_questions", "source_code", "known_code",       ERROR,   None, "sources"),
    MartCheck("fct_appeal_questions", "territory_key", "not_null",       ERROR),
    MartCheck("fct_appeal_questions", "received_date", "not_null",       ERROR),

    # ---- agg_appeals_monthly: the dashboards' monthly counts -------------------------------------------------
    MartCheck("agg_appeals_monthly", TABLE,        "not_empty",          ERROR),
    MartCheck("agg_appeals_monthly",
              "month_start+territory_key+source_code+channel_code+section_code+theme_code", "unique", ERROR),
    MartCheck("agg_appeals_monthly", "appeals",    "sums_to",            ERROR,   None, "fct_appeals"),
    MartCheck("agg_appeals_monthly", "questions",  "sums_to",            ERROR,   None, "fct_appeal_questions"),
    MartCheck("agg_appeals_monthly", "territory_key", "references",      ERROR,   None, "dim_territory.territory_key"),
    MartCheck("agg_appeals_monthly", "source_code", "known_code",        ERROR,   None, "sources"),
    MartCheck("agg_appeals_monthly", "channel_code", "known_code",       ERROR,   None, "channels"),

    # ---- agg_questions_monthly: questions by result, form, section and theme ---------------------------------
    MartCheck("agg_questions_monthly", TABLE,      "not_empty",          ERROR),
    MartCheck("agg_questions_monthly", "questions", "sums_to",           ERROR,   None, "fct_appeal_questions"),
    MartCheck("agg_questions_monthly", "territory_key", "references",    ERROR,   None, "dim_territory.territory_key"),
    MartCheck("agg_questions_monthly", "result_code", "known_code",      ERROR,   None, "results"),
    MartCheck("agg_questions_monthly", "source_code", "known_code",      ERROR,   None, "sources"),

    # ---- agg_appeal_profile_monthly: appeals by origin, type, satisfaction and on control --------------------
    MartCheck("agg_appeal_profile_monthly", TABLE, "not_empty",          ERROR),
    MartCheck("agg_appeal_profile_monthly", "appeals", "sums_to",        ERROR,   None, "fct_appeals"),
    MartCheck("agg_appeal_profile_monthly", "territory_key", "references", ERROR, None, "dim_territory.territory_key"),
    MartCheck("agg_appeal_profile_monthly", "source_code", "known_code", ERROR,   None, "sources"),

    # ---- agg_question_topics_monthly: questions by classifier question (the top questions table) ------------
    MartCheck("agg_question_topics_monthly", TABLE, "not_empty",         ERROR),
    MartCheck("agg_question_topics_monthly", "questions", "sums_to",     ERROR,   None, "fct_appeal_questions"),
    MartCheck("agg_question_topics_monthly", "territory_key", "references", ERROR, None, "dim_territory.territory_key"),
    MartCheck("agg_question_topics_monthly", "question_code", "references", ERROR, None, "dim_topic.topic_code"),
    MartCheck("agg_question_topics_monthly", "source_code", "known_code", ERROR,  None, "sources"),

    # ---- agg_personal_reception_monthly: register appeals received in person (a part of the facts) ---------
    # not_empty warns: a warehouse without personal reception appeals is legitimate, though unusual
    MartCheck("agg_personal_reception_monthly", TABLE, "not_empty",      WARNING),
    MartCheck("agg_personal_reception_monthly", "territory_key", "references", ERROR, None,
              "dim_territory.territory_key"),
    MartCheck("agg_personal_reception_monthly", "channel_code", "known_code", ERROR, None, "channels"),
    MartCheck("agg_personal_reception_monthly", "received_by", "known_code", ERROR, None, "received_by"),

    # ---- agg_appeal_outcomes_monthly: appeals by 59-ФЗ or not and final result (the ПОС table) -------------
    MartCheck("agg_appeal_outcomes_monthly", TABLE, "not_empty",         ERROR),
    MartCheck("agg_appeal_outcomes_monthly", "appeals", "sums_to",       ERROR,   None, "fct_appeals"),
    MartCheck("agg_appeal_outcomes_monthly", "territory_key", "references", ERROR, None, "dim_territory.territory_key"),
    MartCheck("agg_appeal_outcomes_monthly", "source_code", "known_code", ERROR,  None, "sources"),
    MartCheck("agg_appeal_outcomes_monthly", "final_result_code", "known_code", ERROR, None, "results"),

    # ---- agg_incident_response_monthly: incidents by network, result and response time (a part of the facts) -
    # not_empty warns: a warehouse without the incident feed is legitimate
    MartCheck("agg_incident_response_monthly", TABLE, "not_empty",       WARNING),
    MartCheck("agg_incident_response_monthly", "territory_key", "references", ERROR, None,
              "dim_territory.territory_key"),
    MartCheck("agg_incident_response_monthly", "final_result_code", "known_code", ERROR, None, "results"),

    # ---- the dimensions ---------------------------------------------------------------------------------------
    *_dimension("dim_territory", "territory_key", None, UNKNOWN_TERRITORY),
    *_dimension("dim_topic", "topic_code", None, UNCLASSIFIED_TOPIC),
    *_dimension("dim_date", "date_key"),
    *_dimension("dim_source", "source_code", "sources"),
    *_dimension("dim_channel", "channel_code", "channels"),
    *_dimension("dim_result", "result_code", "results"),
)
# fmt: on

MART_KIND_NAMES = (
    "not_empty",
    "unique",
    "not_null",
    "known_code",
    "members",
    "references",
    "resolved",
    "at_least_one",
    "matches_questions",
    "every_appeal",
    "sums_to",
    "publish_guard",
    "appeals_lost",
)


def checks_of_mart(mart: str) -> tuple[MartCheck, ...]:
    if mart not in MARTS:
        raise KeyError(f"no checks for mart {mart!r} (marts: {', '.join(MARTS)})")
    return tuple(c for c in MART_CHECKS if c.mart == mart)


def _validate(checks: tuple[MartCheck, ...]) -> None:
    names = [c.name for c in checks]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"mart checks listed twice: {duplicates}")
    for c in checks:
        if c.mart not in MARTS or c.severity not in SEVERITIES or c.check not in MART_KIND_NAMES:
            raise ValueError(f"{c.name}: unknown mart, severity or kind")
        if c.threshold is not None and c.threshold <= 0:
            raise ValueError(f"{c.name}: threshold must be positive")
        if c.check == "references" and (not c.other or c.other.count(".") != 1):
            raise ValueError(f"{c.name}: references needs other = 'mart.key'")
        if c.check == "known_code" and c.other not in VOCABULARIES:
            raise ValueError(f"{c.name}: known_code needs a vocabulary as other")
        if c.check in ("sums_to", "every_appeal", "matches_questions") and c.other not in MARTS:
            raise ValueError(f"{c.name}: {c.check} needs a mart as other")
    for mart in MARTS:
        if not any(c.mart == mart and c.check == "not_empty" for c in checks):
            raise ValueError(f"{mart}: every mart is checked for rows")


_validate(MART_CHECKS)

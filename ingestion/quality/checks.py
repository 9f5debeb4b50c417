"""The quality gate's checks, as a table: one row per check of a feed batch.

Each check looks at one column of the feed's batch view ``quality.<feed>_batch`` (``*``: at the batch as
a whole; ``required_columns``: at all the feed's required columns at once) and has a severity: ``error`` fails the batch (status ``rejected``), ``warning`` is
reported and the batch passes. ``threshold`` is the share of rows that must pass (GX ``mostly``: a few
stragglers are normal in real exports, and they are still reported, as *tolerated*), or for the volume
checks the ratio to the usual number of rows.

The GX suites in ``expectations/`` are built from this table (``python -m ingestion.quality.build``;
a test keeps them in step), and ``docs/quality.md`` shows it. What each kind of check means, in words
and as a GX expectation, is in :mod:`ingestion.quality.kinds`.
"""

from __future__ import annotations

from dataclasses import dataclass

ERROR = "error"
WARNING = "warning"
SEVERITIES = (ERROR, WARNING)

FEEDS = ("pos", "incident", "register", "organizations")
BATCH = "*"
"""The ``column`` of checks on the batch as a whole (row count, volume, headers)."""

EARLIEST_PLAUSIBLE = "earliest_plausible"
LATEST_PLAUSIBLE = "latest_plausible"
"""Suite parameters of the date checks, given at run time (see ``ingestion.quality.gate``)."""

STRAGGLERS = 0.99
"""The usual ``mostly``: up to 1 % of rows may fail a row check before it fails the batch."""


@dataclass(frozen=True)
class Check:
    feed: str
    column: str
    check: str
    severity: str
    threshold: float | None = None
    other: str | None = None
    """The column compared with, for order checks (``not_before``, ``not_after``)."""

    @property
    def name(self) -> str:
        """``<feed>.<column>.<check>``, e.g. ``register.channel_code.known_code``: stable, used in the audit."""
        return f"{self.feed}.{'batch' if self.column == BATCH else self.column}.{self.check}"


def _batch_checks(feed: str) -> tuple[Check, ...]:
    return (
        Check(feed, BATCH, "rows_present", ERROR),
        Check(feed, BATCH, "volume_excess", ERROR, 10),
        Check(feed, BATCH, "volume_spike", WARNING, 3),
        Check(feed, BATCH, "volume_drop", WARNING, 1 / 3),
        Check(feed, BATCH, "extra_headers", WARNING),
    )


REQUIRED: dict[str, tuple[str, ...]] = {
    "register": (
        "body_oktmo",
        "reg_number",
        "registered_at",
        "appeal_type",
        "form",
        "channel_code",
        "origin_code",
        "oktmo",
        "topic_code",
        "result_code",
    ),
    "pos": ("message_id", "category", "receiving_org", "received_at", "stage"),
    "incident": ("incident_id", "published_at", "social_network", "rubric", "municipality_name", "status"),
    "organizations": ("name", "oktmo", "level"),
}
"""The required columns of each feed (its contract's, and the register's body): one check covers them all,
through the batch view's ``missing_required`` column, so that GX counts them in one sum."""
REQUIRED_COLUMNS = "required_columns"


# fmt: off
CHECKS: tuple[Check, ...] = (
    # ---- register: one row per question -----------------------------------------------------------------
    *_batch_checks("register"),
    Check("register", REQUIRED_COLUMNS, "required", ERROR),
    #     feed        column           check                    severity  threshold    other
    Check("register", "reg_number",    "one_registration_date", ERROR),
    Check("register", "registered_at", "plausible_date",        ERROR,    STRAGGLERS),
    Check("register", "received_at",   "plausible_date",        ERROR,    STRAGGLERS),
    Check("register", "answered_at",   "plausible_date",        ERROR,    STRAGGLERS),
    Check("register", "received_at",   "not_after",             ERROR,    STRAGGLERS, "registered_at"),
    Check("register", "answered_at",   "not_before",            ERROR,    STRAGGLERS, "registered_at"),
    Check("register", "topic_code",    "in_classifier",         ERROR,    STRAGGLERS),
    Check("register", "appeal_type",   "known_code",            ERROR,    STRAGGLERS),
    Check("register", "form",          "known_code",            ERROR,    STRAGGLERS),
    Check("register", "channel_code",  "known_code",            ERROR,    STRAGGLERS),
    Check("register", "origin_code",   "known_code",            ERROR,    STRAGGLERS),
    Check("register", "result_code",   "known_code",            ERROR,    STRAGGLERS),
    Check("register", "satisfaction",  "known_code",            ERROR,    STRAGGLERS),
    Check("register", "received_by",   "known_code",            ERROR,    STRAGGLERS),
    Check("register", "oktmo",         "territory",             ERROR,    STRAGGLERS),
    Check("register", "body_oktmo",    "territory",             WARNING),

    # ---- ПОС: one row per message --------------------------------------------------------------------------
    *_batch_checks("pos"),
    Check("pos", REQUIRED_COLUMNS, "required", ERROR),
    Check("pos",      "message_id",    "unique",                ERROR),
    Check("pos",      "received_at",   "plausible_date",        ERROR,    STRAGGLERS),
    Check("pos",      "closed_at",     "plausible_date",        ERROR,    STRAGGLERS),
    Check("pos",      "closed_at",     "not_before",            ERROR,    STRAGGLERS, "received_at"),
    Check("pos",      "stage",         "known_value",           ERROR,    STRAGGLERS),
    Check("pos",      "decision_type", "known_value",           ERROR,    STRAGGLERS),
    Check("pos",      "category",      "mapped",                WARNING),
    Check("pos",      "receiving_org", "territory",             ERROR,    STRAGGLERS),

    # ---- incidents: one row per incident --------------------------------------------------------------------
    *_batch_checks("incident"),
    Check("incident", REQUIRED_COLUMNS, "required", ERROR),
    Check("incident", "incident_id",   "unique",                ERROR),
    Check("incident", "published_at",  "plausible_date",        ERROR,    STRAGGLERS),
    Check("incident", "registered_at", "plausible_date",        ERROR,    STRAGGLERS),
    Check("incident", "answered_at",   "plausible_date",        ERROR,    STRAGGLERS),
    Check("incident", "registered_at", "not_before",            ERROR,    STRAGGLERS, "published_at"),
    Check("incident", "answered_at",   "not_before",            ERROR,    STRAGGLERS, "published_at"),
    Check("incident", "status",        "known_value",           ERROR,    STRAGGLERS),
    Check("incident", "message_type",  "known_code",            ERROR,    STRAGGLERS),
    Check("incident", "rubric",        "mapped",                WARNING),
    Check("incident", "municipality_name", "territory",         ERROR,    STRAGGLERS),

    # ---- the directory of organisations ---------------------------------------------------------------------
    *_batch_checks("organizations"),
    Check("organizations", REQUIRED_COLUMNS, "required", ERROR),
    Check("organizations", "level",    "known_code",            ERROR,    STRAGGLERS),
    Check("organizations", "oktmo",    "territory",             ERROR,    STRAGGLERS),
    Check("organizations", "name_key", "unique",                WARNING),
)
# fmt: on


def checks_of(feed: str) -> tuple[Check, ...]:
    if feed not in FEEDS:
        raise KeyError(f"no checks for feed {feed!r} (feeds: {', '.join(FEEDS)})")
    return tuple(c for c in CHECKS if c.feed == feed)


def _validate(checks: tuple[Check, ...]) -> None:
    names = [c.name for c in checks]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"checks listed twice: {duplicates}")
    for c in checks:
        if c.feed not in FEEDS or c.severity not in SEVERITIES:
            raise ValueError(f"{c.name}: unknown feed or severity")
        if c.threshold is not None and c.threshold <= 0:
            raise ValueError(f"{c.name}: threshold must be positive")


_validate(CHECKS)

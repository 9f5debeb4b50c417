"""The checks tables as Markdown, for ``docs/quality.md`` (tests keep them in step).

python -m ingestion.quality.docs           # the feed checks
python -m ingestion.quality.docs --marts   # the mart checks
"""

from __future__ import annotations

from ingestion.quality.checks import BATCH, CHECKS, REQUIRED_COLUMNS, Check
from ingestion.quality.kinds import KINDS, build_mart_expectation, describe, describe_mart, lookup_column
from ingestion.quality.mart_checks import LOSS_FLOOR, MART_CHECKS, TABLE, MartCheck

FEED_TITLES = {"register": "register", "pos": "ПОС", "incident": "incident", "organizations": "organizations"}
_LOOKUPS = {
    "one_registration_date",
    "not_before",
    "not_after",
    "in_classifier",
    "known_value",
    "mapped",
    "territory",
}


def _threshold(check: Check) -> str:
    if check.check.startswith("volume_"):
        return f"{check.threshold:g}×" if check.threshold >= 1 else f"1/{round(1 / check.threshold)}"
    if check.threshold is None or check.threshold >= 1:
        return "—" if check.column == BATCH or check.check == "rows_present" else "every row"
    return f"{check.threshold:.0%} of rows"


def _expectation(check: Check) -> str:
    name = type(KINDS[check.check].build(check)).__name__
    return f"`{name}` on `{lookup_column(check)}`" if check.check in _LOOKUPS else f"`{name}`"


def checks_table() -> str:
    lines = [
        "| feed | column | check | passes when | severity | threshold | GX expectation |",
        "|---|---|---|---|---|---|---|",
    ]
    for c in CHECKS:
        column = {BATCH: "(batch)", REQUIRED_COLUMNS: "(required columns)"}.get(c.column, f"`{c.column}`")
        lines.append(
            f"| {FEED_TITLES[c.feed]} | {column} | {c.check} | {describe(c)} | {c.severity} | {_threshold(c)}"
            f" | {_expectation(c)} |"
        )
    return "\n".join(lines) + "\n"


def _mart_threshold(check: MartCheck) -> str:
    if check.check == "publish_guard":
        return f"at most {100 * check.threshold:g} % or {LOSS_FLOOR} appeals lost"
    if check.check == "appeals_lost":
        return f"a loss of up to {100 * check.threshold:g} %"
    if check.threshold is None or check.threshold >= 1:
        return "—" if check.column == TABLE or check.check not in ROW_CHECKS else "every row"
    return f"{check.threshold:.0%} of rows"


ROW_CHECKS = {"unique", "not_null", "known_code", "resolved", "at_least_one"}
"""Mart checks of each row (GX column expectations); the others look at a mart as a whole, or across marts."""


def mart_checks_table() -> str:
    """The mart checks (``ingestion.quality.mart_checks``) as Markdown, for docs/quality.md."""
    lines = [
        "| mart | column | check | passes when | severity | threshold | GX expectation |",
        "|---|---|---|---|---|---|---|",
    ]
    for c in MART_CHECKS:
        column = "(table)" if c.column == TABLE else ", ".join(f"`{name}`" for name in c.columns)
        expectation = type(build_mart_expectation(c)).__name__
        lines.append(
            f"| {c.mart} | {column} | {c.check} | {describe_mart(c)} | {c.severity} | {_mart_threshold(c)}"
            f" | `{expectation}` |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    import sys

    print(mart_checks_table() if "--marts" in sys.argv[1:] else checks_table(), end="")

"""The checks table as Markdown, for ``docs/quality.md`` (a test keeps the two in step).

python -m ingestion.quality.docs
"""

from __future__ import annotations

from ingestion.quality.checks import BATCH, CHECKS, REQUIRED_COLUMNS, Check
from ingestion.quality.kinds import KINDS, describe, lookup_column

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


if __name__ == "__main__":
    print(checks_table(), end="")

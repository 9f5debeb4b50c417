"""Territory look-ups the loader needs before dbt runs: the body of a register folder, a file's time zone.

Local times in exports are the territory's wall-clock time. The loader reads each file in the zone of its
territory (a register body's region; the ОКТМО or receiving organisation of a ПОС or incident export),
falling back to ``APPEALS_TIMEZONE`` (default ``Europe/Moscow``), and records the zone in
``audit.load_batches.timezone`` so that local dates can be derived consistently downstream.
"""

from __future__ import annotations

import csv
import os
import re
from functools import cache

from ingestion.parse.values import normalise_key
from ingestion.settings import load_settings

_OKTMO = re.compile(r"^\d{8}(\d{3})?$")


def default_timezone() -> str:
    return os.environ.get("APPEALS_TIMEZONE", "Europe/Moscow")


@cache
def region_timezones() -> dict[str, str]:
    """Two-digit ОКТМО region prefix → IANA time zone."""
    path = load_settings().reference_dir / "region_timezones.csv"
    with path.open(encoding="utf-8") as handle:
        return {row["region_prefix"]: row["timezone"] for row in csv.DictReader(handle)}


def timezone_of(oktmo: str | None) -> str | None:
    if not oktmo or not oktmo[:2].isdigit():
        return None
    return region_timezones().get(oktmo[:2])


def is_oktmo(text: str) -> bool:
    return bool(_OKTMO.match(text))


class Organizations:
    """Body and organisation names → ОКТМО, from the latest loaded ``reference/organizations.csv``."""

    def __init__(self, names: dict[str, str]) -> None:
        self._by_name = {normalise_key(name): oktmo for name, oktmo in names.items()}

    def oktmo(self, name_or_code: str | None) -> str | None:
        if not name_or_code:
            return None
        text = name_or_code.strip()
        if is_oktmo(text):
            return text[:8]
        return self._by_name.get(normalise_key(text))

    def __len__(self) -> int:
        return len(self._by_name)

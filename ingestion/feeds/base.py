"""The shape of a feed contract: which columns an export carries, how they are spelled, what they hold.

A feed module (``pos.py``, ``register.py``…) declares its contract as data with these classes; the
parsing layer (``ingestion.parse``) applies it. Nothing here reads files.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType

from ingestion.parse.values import normalise_header, normalise_key

KINDS: frozenset[str] = frozenset(
    {"text", "int", "smallint", "bool", "timestamp", "code", "oktmo", "topic_code", "rating"}
)
"""Value kinds a column may have; ``ingestion.parse.convert`` has one converter per kind."""


@dataclass(frozen=True)
class Column:
    """One column of a feed.

    ``name`` is the target (raw table) column; ``headers`` are the accepted Russian header spellings, the
    first being canonical (used in messages). For ``kind="code"``, ``values`` maps Russian spellings to
    canonical codes; keys are normalised with :func:`~ingestion.parse.values.normalise_key` on
    construction, and every canonical code is also accepted as its own spelling.
    """

    name: str
    headers: tuple[str, ...]
    kind: str
    required: bool = False
    values: Mapping[str, str] | None = field(default=None, hash=False)
    personal: bool = False

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(
                f"column {self.name!r}: unknown kind {self.kind!r} (expected one of {sorted(KINDS)})"
            )
        if not self.headers or not all(h.strip() for h in self.headers):
            raise ValueError(f"column {self.name!r}: needs at least one non-empty header spelling")
        if (self.kind == "code") != (self.values is not None):
            raise ValueError(f"column {self.name!r}: 'values' is required for kind 'code' and only for it")
        if self.values is not None:
            object.__setattr__(self, "values", MappingProxyType(_normalised_codes(self.name, self.values)))

    @property
    def header(self) -> str:
        """The canonical header spelling."""
        return self.headers[0]

    @property
    def codes(self) -> frozenset[str]:
        """The canonical codes a ``code`` column maps onto (empty for other kinds)."""
        return frozenset(self.values.values()) if self.values else frozenset()


def _normalised_codes(column: str, spellings: Mapping[str, str]) -> dict[str, str]:
    codes: dict[str, str] = {}
    for spelling, code in [*((c, c) for c in spellings.values()), *spellings.items()]:
        key = normalise_key(spelling)
        if codes.get(key, code) != code:
            raise ValueError(f"column {column!r}: {spelling!r} maps to both {codes[key]!r} and {code!r}")
        codes[key] = code
    return codes


@dataclass(frozen=True)
class FeedSpec:
    """The contract of one feed: its raw table, columns, natural key and applicant-identifying columns."""

    name: str
    table: str
    columns: tuple[Column, ...]
    natural_key: tuple[str, ...]
    applicant_columns: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        names = [c.name for c in self.columns]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"feed {self.name!r}: duplicate column names {duplicates}")
        for role, subset in (
            ("natural_key", self.natural_key),
            ("applicant_columns", self.applicant_columns),
        ):
            unknown = [n for n in subset if n not in names]
            if unknown:
                raise ValueError(f"feed {self.name!r}: {role} names unknown columns {unknown}")
        optional_keys = [n for n in self.natural_key if not self.column(n).required]
        if optional_keys:
            raise ValueError(f"feed {self.name!r}: natural key columns must be required: {optional_keys}")
        self.header_lookup  # noqa: B018 — builds the look-up now, so a spelling clash fails at import time

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def required_columns(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.required)

    @property
    def personal_columns(self) -> tuple[str, ...]:
        """Columns holding personal data: they stay in the raw layer."""
        return tuple(c.name for c in self.columns if c.personal)

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"feed {self.name!r} has no column {name!r}")

    @cached_property
    def header_lookup(self) -> Mapping[str, str]:
        """Normalised header spelling → column name, for matching a file's header row."""
        lookup: dict[str, str] = {}
        for column in self.columns:
            for header in column.headers:
                key = normalise_header(header)
                if lookup.get(key, column.name) != column.name:
                    raise ValueError(
                        f"feed {self.name!r}: header {header!r} is claimed by "
                        f"{lookup[key]!r} and {column.name!r}"
                    )
                lookup[key] = column.name
        return MappingProxyType(lookup)

"""The quality gate: GX suites per feed batch, run as SQL inside PostgreSQL on exactly the batch.

    from ingestion.quality import validate_pending, validate_batch, validate_marts
    for result in validate_pending(dsn):          # every batch with status 'loaded'
        print(result.summary())
    print(validate_marts(dsn, "marts_next").summary())   # built marts, before they are published

Modules: ``checks`` (the checks, as a table), ``mart_checks`` (the mart suites' checks, as a table),
``kinds`` (what each kind of check means, as a GX expectation), ``build`` (writes the GX project
``expectations/`` from the checks), ``reference`` (reference values the batch views look up), ``gate`` (runs
the suites, records the outcome), ``marts_gate`` (runs the mart suites on a schema of built marts),
``outcomes`` (results → messages), ``docs`` (the checks tables for docs/quality.md), ``bench`` (gate time vs
load time). See docs/quality.md.

Importing this package does not import GX (slow); the gate functions do, when called.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ingestion.quality.gate import GateResult, QualityGate, validate_batch, validate_pending
    from ingestion.quality.marts_gate import MartGateResult, validate_marts

__all__ = [
    "GateResult",
    "MartGateResult",
    "QualityGate",
    "validate_batch",
    "validate_marts",
    "validate_pending",
]
_MARTS_GATE = ("MartGateResult", "validate_marts")


def __getattr__(name: str) -> Any:
    if name in _MARTS_GATE:
        from ingestion.quality import marts_gate

        return getattr(marts_gate, name)
    if name in __all__:
        from ingestion.quality import gate

        return getattr(gate, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

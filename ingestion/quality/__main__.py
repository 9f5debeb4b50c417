"""Run the quality gate from the command line.

    python -m ingestion.quality                    # every batch with status 'loaded'
    python -m ingestion.quality --batch 12 --batch 13
    python -m ingestion.quality --data-docs        # and build Data Docs (<state dir>/data_docs by default)

Prints one line per batch; the exit code is 1 when a batch was rejected.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from ingestion.warehouse.connection import redact, warehouse_dsn


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ingestion.quality", description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, action="append", help="validate this batch (repeatable)")
    parser.add_argument("--data-docs", action="store_true", help="build GX Data Docs after validating")
    parser.add_argument("--data-docs-dir", type=Path, default=None)
    parser.add_argument(
        "--dsn", default=None, help="warehouse DSN (default: WAREHOUSE_DSN or the embedded server)"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    from ingestion.quality.gate import QualityGate

    dsn = args.dsn or warehouse_dsn()
    gate = QualityGate(data_docs=args.data_docs, data_docs_dir=args.data_docs_dir)
    if args.batch:
        results = [gate.validate_batch(dsn, batch_id) for batch_id in args.batch]
        if args.data_docs:
            gate.build_data_docs()
    else:
        results = gate.validate_pending(dsn)
    for result in results:
        print(result.summary())
        for outcome in result.failures + result.warnings:
            print(f"    {outcome.outcome:<9} {outcome.message}")
    rejected = sum(not r.passed for r in results)
    print(
        f"{len(results)} batch(es) validated on {redact(dsn)}: {len(results) - rejected} passed, {rejected} rejected"
    )
    if args.data_docs:
        print(f"Data Docs: {gate.data_docs_dir / 'index.html'}")
    return 1 if rejected else 0


if __name__ == "__main__":
    sys.exit(main())

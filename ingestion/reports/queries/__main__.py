"""Print a report query with its parameters filled in, to run it by hand in psql::

python -m ingestion.reports.queries top_topics --year 2024 --territory 69701000 | appeals warehouse psql
python -m ingestion.reports.queries --list
"""

from __future__ import annotations

import argparse
import sys

from ingestion.reports.queries import (
    DEFAULT_TOP_N,
    load_queries,
    query_names,
    report_params,
    with_values,
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ingestion.reports.queries", description=__doc__)
    parser.add_argument("name", nargs="?", help="the query (file name without .sql)")
    parser.add_argument("--list", action="store_true", help="list the queries")
    parser.add_argument("--year", type=int, help="report year")
    parser.add_argument("--compare", type=int, default=None, help="comparison year (default year - 1)")
    parser.add_argument(
        "--quarter", type=int, choices=[1, 2, 3, 4], default=None, help="period: quarters 1..N"
    )
    parser.add_argument("--sources", default="register", help="comma-separated source codes")
    parser.add_argument("--territory", default=None, help="ОКТМО (default: every territory)")
    parser.add_argument("--top", type=int, default=DEFAULT_TOP_N, help="top N questions")
    args = parser.parse_args(argv)
    if args.list or not args.name:
        print("\n".join(query_names()))
        return 0
    if args.year is None:
        parser.error("--year is required")
    queries = load_queries()
    if args.name not in queries:
        parser.error(f"no query {args.name!r}; known: {', '.join(queries)}")
    params = report_params(
        args.year,
        compare_year=args.compare,
        quarter=args.quarter,
        sources=[s.strip() for s in args.sources.split(",") if s.strip()],
        territory=args.territory,
        top_n=args.top,
    )
    print(with_values(queries[args.name], params).rstrip() + ";")
    return 0


if __name__ == "__main__":
    sys.exit(main())

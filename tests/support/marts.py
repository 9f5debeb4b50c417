"""What analysts see: the published marts read as the ``analyst`` role."""

from __future__ import annotations

import psycopg
from psycopg import sql


def marts_seen_by_analyst(dsn: str) -> dict[str, str]:
    """Every table of ``marts`` as ``analyst`` reads it: name → row count and md5 of all rows in order."""
    with psycopg.connect(dsn) as conn:
        conn.execute("set role analyst")
        tables = [
            r[0]
            for r in conn.execute(
                "select table_name from information_schema.tables where table_schema = 'marts' order by 1"
            )
        ]
        return {
            table: conn.execute(
                sql.SQL(
                    "select count(*)::text || ':' || md5(coalesce(string_agg(t::text, E'\\n' order by t::text), ''))"
                    " from marts.{} as t"
                ).format(sql.Identifier(table))
            ).fetchone()[0]
            for table in tables
        }

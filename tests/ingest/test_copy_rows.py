"""The binary COPY rows the loader writes: byte for byte what psycopg makes of the typed values."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from psycopg import postgres, pq
from psycopg._copy_base import format_row_binary
from psycopg.adapt import Transformer

from ingestion.feeds import FEEDS
from ingestion.load import INT8_OID, _RowWriter
from ingestion.pseudonymise import Pseudonymiser
from ingestion.territory import Organizations

ZONE = ZoneInfo("Europe/Moscow")


def binary(value: object, type_name: str) -> bytes:
    transformer = Transformer()
    transformer.set_dumper_types([postgres.types[type_name].oid], pq.Format.BINARY)
    out = bytearray()
    format_row_binary((value,), transformer, out)
    return bytes(out)


@pytest.mark.parametrize(
    "value",
    [
        datetime(2024, 1, 15, 10, 30),
        datetime(2024, 1, 15, 8, 0, tzinfo=timezone(timedelta(hours=7))),  # an offset given is kept
        datetime(2010, 7, 1, 12, 0),  # Moscow summer time (UTC+4) back then
        datetime(2011, 3, 27, 2, 30),  # a local time skipped by the clock change
        datetime(1999, 12, 31, 23, 59, 59, 999_999),  # before the PostgreSQL epoch
        datetime(1950, 1, 1),
    ],
)
def test_times_go_as_the_int8_that_timestamptz_is_in_binary_copy(value: datetime) -> None:
    spec = FEEDS["register"]
    writer = _RowWriter(spec, 1, "0" * 64, "87725000", Pseudonymiser(b"k" * 32), Organizations({}), ZONE)
    aware = value if value.tzinfo else value.replace(tzinfo=ZONE)
    assert binary(writer._in_zone(value), "int8") == binary(aware, "timestamptz")
    types = writer.copy_types({c: postgres.types["text"].oid for c in writer.target_columns})
    assert types[writer.target_columns.index("registered_at")] == INT8_OID

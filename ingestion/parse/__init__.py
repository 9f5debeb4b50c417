"""Reading export files and parsing their values.

- :mod:`ingestion.parse.reader` — ``open_export(path, spec)``: detect format, encoding, delimiter and the
  header row, then stream typed rows.
- :mod:`ingestion.parse.values` — pure value parsers (timestamps, yes/no, numbers, codes).
- :mod:`ingestion.parse.convert` — one converter per column, built once from the feed contract.
- :mod:`ingestion.parse.errors` — ``ExportError`` and ``MissingColumnsError``.

The modules are imported explicitly (no re-exports here): ``ingestion.feeds`` depends on
``ingestion.parse.values``, and ``ingestion.parse.reader`` depends on ``ingestion.feeds``.
"""

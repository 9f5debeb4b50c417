"""Versioned SQL migrations, applied in order by :mod:`ingestion.warehouse.migrate`."""

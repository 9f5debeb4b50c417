"""The dbt test fixtures (a generated year, loaded and built by real dbt) for the report tests."""

from tests.dbt.conftest import built_year, warehouse_factory  # noqa: F401

"""The dbt test fixtures (a migrated database per module, built by real dbt) for the access tests."""

from tests.dbt.conftest import warehouse_factory  # noqa: F401

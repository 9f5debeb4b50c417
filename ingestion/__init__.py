"""Appeals warehouse: ingestion, warehouse management and the command line."""

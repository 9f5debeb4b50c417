"""Reports analysts publish, built from ``marts``: queries, the report model, and its renderers."""

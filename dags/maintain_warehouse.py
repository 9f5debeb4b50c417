"""Airflow DAG maintain_warehouse: see ingestion/orchestration/dags.py and docs/orchestration.md."""

from ingestion.orchestration.dags import maintain_warehouse_dag

maintain_warehouse_dag()

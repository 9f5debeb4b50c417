"""Airflow DAG ingest_organizations: see ingestion/orchestration/dags.py and docs/orchestration.md."""

from ingestion.orchestration.dags import ingest_dag

ingest_dag("organizations")

"""Airflow DAG ingest_incident: see ingestion/orchestration/dags.py and docs/orchestration.md."""

from ingestion.orchestration.dags import ingest_dag

ingest_dag("incident")

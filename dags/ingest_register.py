"""Airflow DAG ingest_register: see ingestion/orchestration/dags.py and docs/orchestration.md."""

from ingestion.orchestration.dags import ingest_dag

ingest_dag("register")

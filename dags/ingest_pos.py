"""Airflow DAG ingest_pos: see ingestion/orchestration/dags.py and docs/orchestration.md."""

from ingestion.orchestration.dags import ingest_dag

ingest_dag("pos")

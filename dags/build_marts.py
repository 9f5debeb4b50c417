"""Airflow DAG build_marts: see ingestion/orchestration/dags.py and docs/orchestration.md."""

from ingestion.orchestration.dags import build_marts_dag

build_marts_dag()

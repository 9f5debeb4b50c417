"""Airflow orchestration of the nightly pipeline: what the DAGs in ``dags/`` are made of.

The DAG files are a few lines each; everything they do lives here, as plain functions that the command
line and the tests call too (docs/orchestration.md):

- ``config``       where the warehouse, the pseudonym key and the landing folder come from (Airflow
                   connections, then the same environment variables as the CLI); schedules, deadline,
                   retention periods, the database pool.
- ``policy``       retries: transient failures (connection lost, lock timeout, a busy publish) are retried
                   with exponential backoff; bad data never is.
- ``alerts``       failure callbacks and the deadline alert: always logged; e-mail and webhook when
                   configured.
- ``tasks``        what the tasks call: ``ingest_feed``, ``validate_feed``, ``publish``, the maintenance steps.
- ``maintenance``  ANALYZE, the retention policy, the docs refresh.
- ``dags``         the DAG factories the files in ``dags/`` call.
- ``dag_runs``     run the DAGs in-process (``dag.test()``, clear and re-run, backfill) for the demo and tests.

Importing this package (and ``config``, ``policy``, ``alerts``, ``dags``) stays cheap: DAG files are parsed
often and must parse in well under two seconds. The heavy imports (psycopg, GX, dbt) happen inside tasks.
"""

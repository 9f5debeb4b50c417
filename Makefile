# The two commands: `make demo` (the nightly job end to end on sample data) and `make test` (the suite).
# Both set everything up themselves: uv, the locked virtualenv, the Airflow home, the embedded warehouse.

SHELL := /bin/bash
UV_VERSION := 0.13.8
PYTHON ?= python3
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(CURDIR)/.venv

UV := $(shell command -v uv 2>/dev/null || echo $(CURDIR)/.tools/bin/uv)
VENV := .venv/bin
# Two workers (pytest-xdist), each test module on one worker: its module fixtures (a built warehouse) once.
PYTEST_ARGS ?= -n 2 --dist loadfile
DAG_FILES := $(wildcard dags/*.py)

.PHONY: setup demo test test-external bench bench-ingest lint format airflow clean help

help:
	@echo "make demo     run the nightly job end to end on bundled sample data (embedded PostgreSQL)"
	@echo "make test     run the whole test suite"
	@echo "make test-external  the suite against another PostgreSQL server through WAREHOUSE_DSN"
	@echo "make bench    benchmark suite: ingest, gate, build, nightly refresh, queries (BENCH_APPEALS=1000000) -> docs/benchmarks/"
	@echo "make bench-ingest  ingestion benchmark (BENCH_ROWS=1000000) -> docs/benchmarks/"
	@echo "make airflow  start Airflow locally (UI on http://127.0.0.1:8080) with the project's DAGs"
	@echo "make lint     ruff check and format check"
	@echo "make clean    stop the embedded warehouse and delete local state (data, Airflow home)"

setup: .venv/.synced .airflow/.ready

$(CURDIR)/.tools/bin/uv:
	@echo "== installing uv $(UV_VERSION) into .tools/"
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

.venv/.synced: pyproject.toml uv.lock | $(UV)
	@echo "== installing locked dependencies into .venv/"
	$(UV) sync --frozen --python $(PYTHON)
	@touch $@

.airflow/.ready: .venv/.synced $(DAG_FILES)
	@echo "== preparing the Airflow home in .airflow/"
	$(VENV)/appeals airflow prepare
	@touch $@

demo: setup
	$(VENV)/appeals demo

# The report browser test needs headless Chromium: Debian's package, installed if missing (root + apt-get).
test: setup
	tests/support/ensure_chromium.sh
	$(VENV)/pytest $(PYTEST_ARGS)

# The same suite against a second, independent PostgreSQL (Debian's) through WAREHOUSE_DSN.
test-external: setup
	tests/support/ensure_chromium.sh
	tests/support/with_external_postgres.sh $(VENV)/pytest $(PYTEST_ARGS)

# The benchmark suite at BENCH_APPEALS appeals (docs/performance.md): ingest, gate, build, nightly refresh, queries.
BENCH_APPEALS ?= 1000000
bench: setup
	$(VENV)/python -m ingestion.bench --appeals $(BENCH_APPEALS) --docs

# Ingestion throughput and memory: this loader vs plain COPY vs pandas to_sql (BENCH_ROWS rows).
BENCH_ROWS ?= 1000000
bench-ingest: setup
	$(VENV)/python -m ingestion.bench.ingest --rows $(BENCH_ROWS)

lint: .venv/.synced
	$(VENV)/ruff check .
	$(VENV)/ruff format --check .

format: .venv/.synced
	$(VENV)/ruff check --fix .
	$(VENV)/ruff format .

airflow: setup
	$(VENV)/appeals airflow standalone

clean:
	-$(VENV)/appeals warehouse down
	rm -rf .warehouse .airflow

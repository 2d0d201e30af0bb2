# One-command setup, run and test. Everything lands in .venv; Java comes from apt when missing; the Node tools
# the orchestration tests use land in orchestration/node_modules (Node.js from apt when missing).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
LAKE ?= lake
STAMP := $(VENV)/.installed
# Setup's four parts, each with its own stamp: the system packages (apt, npm) and the three Python environments
# install side by side (`setup` runs them with -j4), about a minute less than one after the other on a fresh machine.
SYSTEM_STAMP := $(VENV)/.installed-system
PROJECT_STAMP := $(VENV)/.installed-project
# checkov pins boto3 and packaging below what dbt and pytest need: it gets an environment of its own.
CHECKOV_VERSION := 3.3.30
CHECKOV_VENV := $(VENV)/tools/checkov
# Glue 5.0's Spark (3.5.4) beside the project's 4.x: the `glue` tests run the ingestion suite in it.
GLUE5_VENV := $(VENV)/tools/glue5
export PYSPARK_PYTHON := $(abspath $(BIN)/python)
export PYSPARK_DRIVER_PYTHON := $(abspath $(BIN)/python)
# dbt finds the project's profiles (DuckDB by default; PostgreSQL/Redshift from SUPPLYCHAIN_* variables).
export DBT_PROFILES_DIR := $(abspath profiles)
# stockpyl (a test-only dependency) pulls in sphinx-jinja2-compat, whose .pth imports Sphinx into every Python
# process the venv starts (0.2 s CPU each: the CLI children, dbt, Spark's workers); nothing here uses Sphinx.
export NO_SPHINX_JINJA2_COMPAT := 1

# Two pytest workers keep both cores busy between the tests' Spark and dbt runs (BENCHMARKS.md, session 39).
TEST_WORKERS ?= 2

.PHONY: setup run test lint lint-sql docs report metrics bench evaluate faults clean

# The local Spark driver's class archive (README, Configuration): built once per venv, at once when up to date.
setup:
	$(MAKE) --no-print-directory -j4 $(STAMP)
	$(BIN)/python scripts/build_jvm_archive.py

$(STAMP): $(SYSTEM_STAMP) $(PROJECT_STAMP) $(CHECKOV_VENV)/.installed $(GLUE5_VENV)/.installed
	touch $(STAMP)

$(SYSTEM_STAMP): scripts/ensure_java.sh scripts/ensure_postgres.sh scripts/ensure_node_tools.sh scripts/ensure_chromium.sh orchestration/package-lock.json
	./scripts/ensure_java.sh
	./scripts/ensure_postgres.sh
	./scripts/ensure_node_tools.sh
	./scripts/ensure_chromium.sh
	mkdir -p $(VENV) && touch $(SYSTEM_STAMP)

$(PROJECT_STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(PROJECT_STAMP)

$(CHECKOV_VENV)/.installed:
	test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet "checkov==$(CHECKOV_VERSION)"
	touch $@

$(GLUE5_VENV)/.installed: ci/glue5-requirements.txt
	test -x $(GLUE5_VENV)/bin/python || $(PYTHON) -m venv $(GLUE5_VENV)
	$(GLUE5_VENV)/bin/python -m pip install --quiet -r ci/glue5-requirements.txt
	touch $@

## Generate the sample data if the lake has none, then run every stage that exists.
run: setup
	$(BIN)/supplychain --lake-root $(LAKE) run

## Every test, lint and check (dbt on DuckDB and PostgreSQL, the offline Redshift compile and SQL lint included).
test: setup lint
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile

lint: setup
	$(BIN)/ruff check .

## SQL lint of the dbt models alone (also part of `make test`).
lint-sql: setup
	$(BIN)/sqlfluff lint models tests/dbt

## The dbt docs site for analysts: generate target/index.html and serve it on http://127.0.0.1:$(DOCS_PORT).
DOCS_PORT ?= 8080
docs: setup
	$(BIN)/supplychain docs --port $(DOCS_PORT)

## The self-contained planning report from the warehouse marts: reports/planning_report.html.
report: setup
	$(BIN)/supplychain report

## The semantic layer after `make run`: every metric listed, then every metric queried by week (README, "Metrics").
## dbt parse writes target/semantic_manifest.json, where `mf` reads the metric definitions.
metrics: setup
	$(BIN)/dbt parse --quiet
	$(BIN)/mf list metrics
	$(BIN)/mf query --order metric_time__week --group-by metric_time__week --metrics \
		$$($(BIN)/python -c "import json; print(','.join(m['name'] for m in json.load(open('target/semantic_manifest.json'))['metrics']))")

# Sales lines per size of the scale benchmark; BENCHMARKS.md keeps SCALE_LINES=1000000,10000000 (about an hour).
SCALE_LINES ?= 100000,1000000

## Throughput and memory figures for BENCHMARKS.md (takes several minutes).
bench: setup
	$(BIN)/python benchmarks/ingest_benchmark.py --scales 1,10
	$(BIN)/python benchmarks/warehouse_benchmark.py --scales 1,10
	$(BIN)/python benchmarks/optimize_benchmark.py --products 1000,10000
	$(BIN)/python benchmarks/scale_benchmark.py --lines $(SCALE_LINES) --reuse
	$(BIN)/python benchmarks/pipeline_benchmark.py

## The hold-out proof the targets are judged on (after `make run`; 20-40 minutes on 2 cores): a fresh forecast every
## week over 24 weeks, the length the opening stock's cover asks for on the sample (README, optimisation section).
evaluate: setup
	$(BIN)/supplychain --lake-root $(LAKE) optimize --evaluate --holdout-weeks 24 --evaluate-service-levels cost,0.99

## The fault report: every fault case (bad input, kills, locks, permissions, servers, secrets) on a tiny lake.
faults: setup
	$(BIN)/python scripts/fault_report.py

clean:
	rm -rf $(LAKE) data target runs reports test-artifacts .pytest_cache .ruff_cache orchestration/node_modules

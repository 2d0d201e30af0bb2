# One-command setup, run and test. Everything lands in .venv; Java comes from apt when missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
LAKE ?= lake
STAMP := $(VENV)/.installed
export PYSPARK_PYTHON := $(abspath $(BIN)/python)
export PYSPARK_DRIVER_PYTHON := $(abspath $(BIN)/python)

.PHONY: setup run test lint bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml scripts/ensure_java.sh
	./scripts/ensure_java.sh
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

## Generate the sample data if the lake has none, then run every stage that exists.
run: setup
	$(BIN)/supplychain --lake-root $(LAKE) run

## Every test, lint and check.
test: setup lint
	$(BIN)/python -m pytest

lint: setup
	$(BIN)/ruff check .

## Throughput and memory figures for BENCHMARKS.md (takes several minutes).
bench: setup
	$(BIN)/python benchmarks/ingest_benchmark.py --scales 1,10

clean:
	rm -rf $(LAKE) .pytest_cache .ruff_cache

#!/bin/bash
# Interval coverage on generated scenarios (issue 23, BENCHMARKS.md session 33): builds one scenario's lake and DuckDB
# warehouse, then captures the forecast stage's inputs to held_out_accuracy, so interval code can be replayed on
# them (coverage_replay.py) without rebuilding or re-running the backtest.
#   benchmarks/coverage_scenarios.sh OUT NAME [supplychain generate options]     (run from the repository root)
# Session 31's seven: A (default), B --seed 7 --products 400 --warehouses 5 --sales-rows 60000 --start 2023-07-01
# --end 2025-08-31, C --seed 11, D --seed 3 --start 2022-07-01 --end 2025-05-31, E --seed 19 --end 2025-03-31
# --products 150 --warehouses 6, F --seed 23 --products 250 --sales-rows 120000, G --seed 31 --start 2023-03-01
# --end 2025-10-15 --warehouses 8.
set -e
OUT=$1; NAME=$2; shift 2
D=$OUT/$NAME
mkdir -p "$D"
export PYTHONPATH=$PWD DBT_PROFILES_DIR=$PWD/profiles PYSPARK_PYTHON=$PWD/.venv/bin/python
export SUPPLYCHAIN_LAKE_ROOT=$D/lake SUPPLYCHAIN_DUCKDB_PATH=$D/warehouse.duckdb DBT_TARGET_PATH=$D/dbt_target
PY="nice -n 5 $PWD/.venv/bin/python"
$PY -m supplychain.cli generate "$@" > "$D/build.log" 2>&1
$PY -m supplychain.cli ingest >> "$D/build.log" 2>&1
$PY -m supplychain.cli build >> "$D/build.log" 2>&1
$PY benchmarks/coverage_capture.py "$D" >> "$D/build.log" 2>&1
echo "done $NAME $(date -u +%T)"

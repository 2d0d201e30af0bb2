#!/bin/bash
# Ingestion beside the bare Spark job on the same raw drops, in one invocation:
#   benchmarks/ingest_vs_bare.sh LAKE_WITH_RAW WORKDIR [OTHER_CODE_DIR]
# Runs the bare job of pipeline_benchmark.py, `supplychain ingest` with this checkout's code on a fresh copy of
# LAKE_WITH_RAW/raw, then (optional) with the code in OTHER_CODE_DIR (e.g. `git archive main | tar -x -C DIR`) on
# the same venv, then the bare job again. Prints seconds; each ingest's phase log is kept in WORKDIR.
set -u
SRC=$1; W=$2; OTHER=${3:-}
REPO=$(cd "$(dirname "$0")/.." && pwd); PY=$REPO/.venv/bin/python
export PYSPARK_PYTHON=$PY PYSPARK_DRIVER_PYTHON=$PY
rm -rf "$W"; mkdir -p "$W"
bare() {
  (cd "$REPO/benchmarks" && "$PY" -c 'import os, sys; from pathlib import Path; from pipeline_benchmark import bare_spark
print(f"bare {bare_spark(Path(sys.argv[1]), Path(sys.argv[2]), dict(os.environ)):.1f}")' "$SRC" "$W/bare_out")
  rm -rf "$W/bare_out"
}
ingest() {  # $1: the code to run, $2: a label
  rm -rf "$W/lake" && mkdir -p "$W/lake" && cp -r "$SRC/raw" "$W/lake/"
  local began; began=$(date +%s.%N)
  (cd "$1" && PYTHONPATH=$1 "$PY" -m supplychain.cli --lake-root "$W/lake" ingest > "$W/ingest_$2.log" 2>&1)
  echo "ingest $2 rc=$? $(echo "$(date +%s.%N) - $began" | bc)"
}
uptime; bare; ingest "$REPO" this; [ -n "$OTHER" ] && ingest "$OTHER" other; bare; uptime

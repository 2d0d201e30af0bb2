"""The forecast stage on a built warehouse's weekly demand: wall time per phase, CPU time (workers included), and a
digest of every output, so two versions of the code can be compared on the same input (same digest: same outputs).

    .venv/bin/python benchmarks/forecast_stage_benchmark.py --duckdb /tmp/pipebench/warehouse.duckdb [--runs 2]

Profile it with py-spy (`pip install py-spy` into .venv):
    .venv/bin/py-spy record --subprocesses -f speedscope -o forecast.speedscope -- \
        .venv/bin/python benchmarks/forecast_stage_benchmark.py --duckdb ...
"""

from __future__ import annotations

import argparse
import hashlib
import resource
import time
from pathlib import Path

import pandas as pd

from forecasting.pipeline import ForecastOptions, run_forecast
from foundation.warehouse.io import read_demand

OUTPUTS = ("forecasts", "selection", "backtest_metrics", "accuracy", "backtest_forecasts")


def digest(frame: pd.DataFrame) -> str:
    """Order-free digest of a frame, floats rounded to 9 significant digits (summation order cannot move them)."""
    keys = [c for c in ("unique_id", "level", "model", "cutoff", "ds") if c in frame]
    rounded = frame.sort_values(keys).reset_index(drop=True)
    for column in rounded.select_dtypes("float").columns:
        rounded[column] = rounded[column].map(lambda v: f"{v:.9g}")
    return hashlib.sha256(rounded.to_csv(index=False).encode()).hexdigest()[:16]


def cpu_seconds() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duckdb", type=Path, required=True, help="a warehouse built by `supplychain run`")
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    history, attributes = read_demand("local", args.duckdb)
    for run in range(1, args.runs + 1):
        began, cpu = time.perf_counter(), cpu_seconds()
        result = run_forecast(history, attributes, ForecastOptions())
        wall, cpu = time.perf_counter() - began, cpu_seconds() - cpu
        timings = result.report["timings"]
        between = timings["total_seconds"] - sum(v for k, v in timings.items() if k != "total_seconds")
        print(f"run {run}: {wall:.1f} s wall, {cpu:.1f} s CPU (workers included); prepare "
              f"{timings['prepare_seconds']} s, backtest {timings['backtest_seconds']} s, reconcile and choice "
              f"{between:.1f} s, final forecast {timings['forecast_seconds']} s", flush=True)  # fmt: skip
    print("outputs: " + ", ".join(f"{name} {digest(getattr(result, name))}" for name in OUTPUTS))


if __name__ == "__main__":
    main()

"""The hold-out replay on a built warehouse, as every `supplychain optimize` runs it and at the length the opening
stock's cover asks for: stock-outs, overstock (hindsight yardstick), fill rate, units on hand and transfer cost per
policy, changes against no reallocation, and the wall time of each.

    .venv/bin/python benchmarks/replay_benchmark.py [--duckdb data/warehouse.duckdb] [--windows 1,rule]
    .venv/bin/python benchmarks/replay_benchmark.py --duckdb data/warehouse.duckdb --sweep-weeks 24

--parts replays the run's policy taken apart (the computed reorder points alone, with the surplus pulls, with the
weekly transfer model, with both), to see which part wins or loses units and value.

--sweep-weeks N runs the sweep's way instead (`make evaluate`): a fresh forecast every held-out week, N weeks, the
same three policies, the cost-chosen levels. --forecast-cache DIR keeps each week's forecast there (keyed by the
warehouse's history and the forecast's origin), so a second sweep on the same warehouse replays in minutes, not
forty: the forecasts do not depend on the optimisation code being measured.

The warehouse needs a forecast run that kept its backtest forecasts (`supplychain forecast`). `1` is the daily
replay (the last backtest window); `rule` is as many windows as the stock-weighted days of cover on the day before
the earliest replayable window ask for (optimization/backtest_replay.py).
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import pickle
import time
from pathlib import Path

import numpy as np
import pandas as pd

import optimization.evaluate
from forecasting.forecaster import StatsForecaster
from optimization.evaluate import Policy
from optimization.holdout import HoldoutOptions, evaluate_holdout
from optimization.reallocation import SolverOptions
from optimization.run import REPLAY_POLICIES

COLUMNS = [
    "policy", "stockout_units", "stockout_units_change", "lost_sales_value", "lost_sales_value_change",
    "avg_overstock_units", "avg_overstock_units_change", "fill_rate", "avg_on_hand_units", "avg_on_hand_units_change",
    "transfer_units", "transfer_cost",
]  # fmt: skip


# The run's policy taken apart: replenishment by the computed reorder points, then each transfer mechanism on top.
PARTS = [
    Policy("no_reallocation", "none", "actual"),
    Policy("reorder_policy", "none", "reorder_point"),
    Policy("reorder_policy_pulls", "none", "reorder_point", nets_surplus=True),
    Policy("reorder_policy_transfers", "optimised", "reorder_point"),
    Policy("optimised", "optimised", "reorder_point", nets_surplus=True),
]


class CachedForecaster(StatsForecaster):
    """The forecast stage's forecaster, each result kept on disk by a digest of the history and the call."""

    def __init__(self, folder: Path):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    def forecast(self, history, attributes, horizon, n_windows):
        # The rows' hashes in sorted order: the warehouse returns the history in no fixed order (a DuckDB scan is
        # parallel), and a key that depended on it missed every week of a second sweep on the same warehouse.
        rows = np.sort(pd.util.hash_pandas_object(history, index=False).to_numpy())
        digest = hashlib.sha256(rows.tobytes())
        digest.update(f"{horizon}/{n_windows}/{len(attributes)}".encode())
        path = self.folder / f"{digest.hexdigest()[:24]}.pkl"
        if path.exists():
            return pickle.loads(path.read_bytes())
        result = super().forecast(history, attributes, horizon, n_windows)
        path.write_bytes(pickle.dumps(result))
        return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duckdb", type=Path, default=Path("data/warehouse.duckdb"))
    parser.add_argument("--windows", default="1,rule", help="comma-separated: a number of windows, or rule")
    parser.add_argument("--sweep-weeks", type=int, default=None, help="a fresh forecast every week, N weeks")
    parser.add_argument("--source-keeps", default=SolverOptions.source_keeps, choices=["reorder_point", "target_level"],
                        help="the level a transfer's source keeps (default: the solver's)")
    parser.add_argument("--parts", action="store_true", help="the run's policy taken apart (PARTS)")
    parser.add_argument("--forecast-cache", type=Path, default=None, help="keep each week's forecast here (sweep)")
    args = parser.parse_args()
    policies = None if args.parts else REPLAY_POLICIES
    if args.parts:
        optimization.evaluate.policies = lambda with_actual_receipts: PARTS
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("optimization.holdout").setLevel(logging.WARNING)
    choices = [f"sweep{args.sweep_weeks}"] if args.sweep_weeks else args.windows.split(",")
    for choice in choices:
        if args.sweep_weeks:
            options = HoldoutOptions(holdout_weeks=args.sweep_weeks, service_levels=(None,), policies=policies,
                                     solver=SolverOptions(source_keeps=args.source_keeps))
        else:
            windows = None if choice == "rule" else int(choice)
            options = HoldoutOptions(service_levels=(None,), rolling=False, forecasts_from="backtest",
                                     replay_windows=windows, policies=policies,
                                     solver=SolverOptions(source_keeps=args.source_keeps))  # fmt: skip
        started = time.perf_counter()
        forecaster = CachedForecaster(args.forecast_cache) if args.forecast_cache else StatsForecaster()
        result = evaluate_holdout(args.duckdb, options, forecaster=forecaster)
        seconds = time.perf_counter() - started
        print(f"\nwindows={choice}: {result.weeks} weeks from {result.first_day.date()}, {seconds:.0f} s")
        print(result.table[COLUMNS].round(3).to_markdown(index=False))


if __name__ == "__main__":
    main()

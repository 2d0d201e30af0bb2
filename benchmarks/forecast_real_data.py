"""Accuracy on real sales series (benchmarks/real_data.py) through the same file mode a user runs, beside
SeasonalNaive, Naive, AutoETS and AutoTheta fitted on the same history.

    .venv/bin/python benchmarks/forecast_real_data.py [--horizon 12]

The last `horizon` months of each series are held out; `supplychain forecast --input train.csv --output f.csv`
forecasts them, and every model is scored on them: 1 - WAPE, MASE and RMSSE (scaled by the in-sample one-step
naive error, as in forecast_accuracy), and, for ours, how often the actual fell inside the 80% and 95% intervals.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from statsforecast import StatsForecast
from statsforecast.models import AutoETS, AutoTheta, Naive, SeasonalNaive

sys.path.insert(0, str(Path(__file__).resolve().parent))
from real_data import real_monthly_sales

from supplychain.cli import main

REFERENCES = ("SeasonalNaive", "Naive", "AutoETS", "AutoTheta")


def split(frame: pd.DataFrame, horizon: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    last = frame.groupby("unique_id")["ds"].transform("max")
    cut = last - pd.DateOffset(months=horizon)
    return frame[frame["ds"] <= cut], frame[frame["ds"] > cut]


def ours(train: pd.DataFrame, horizon: int, windows: int) -> pd.DataFrame:
    with tempfile.TemporaryDirectory() as folder:
        source, output = Path(folder) / "train.csv", Path(folder) / "forecasts.csv"
        train.to_csv(source, index=False)
        code = main(["forecast", "--input", str(source), "--output", str(output), "--horizon", str(horizon),
                     "--windows", str(windows)])  # fmt: skip
        if code != 0:
            raise SystemExit(f"supplychain forecast exited {code}")
        return pd.read_csv(output, parse_dates=["ds"])


def references(train: pd.DataFrame, horizon: int) -> pd.DataFrame:
    models = [SeasonalNaive(12), Naive(), AutoETS(season_length=12), AutoTheta(season_length=12)]
    wide = StatsForecast(models=models, freq="MS", n_jobs=1).forecast(df=train, h=horizon)
    return wide.melt(id_vars=["unique_id", "ds"], var_name="model", value_name="forecast")


def scores(forecasts: pd.DataFrame, test: pd.DataFrame, train: pd.DataFrame) -> pd.DataFrame:
    """Per model: 1 - WAPE over all series, mean MASE and mean RMSSE over series."""
    joined = forecasts.merge(test, on=["unique_id", "ds"])
    joined["error"] = joined["forecast"] - joined["y"]
    steps = train.sort_values("ds").groupby("unique_id")["y"].diff()
    scale = train.assign(a=steps.abs(), s=steps**2).groupby("unique_id")[["a", "s"]].mean()
    per_series = joined.groupby(["model", "unique_id"]).agg(
        mae=("error", lambda e: e.abs().mean()), mse=("error", lambda e: (e**2).mean())
    )
    per_series = per_series.join(scale, on="unique_id")
    per_series["mase"] = per_series["mae"] / per_series["a"]
    per_series["rmsse"] = np.sqrt(per_series["mse"] / per_series["s"])
    totals = joined.groupby("model").apply(lambda g: 1 - g["error"].abs().sum() / g["y"].sum(), include_groups=False)
    table = per_series.groupby("model")[["mase", "rmsse"]].mean()
    table.insert(0, "accuracy", totals)
    return table


def benchmark(horizon: int = 12, windows: int = 3) -> tuple[pd.DataFrame, dict]:
    frame = real_monthly_sales()
    train, test = split(frame, horizon)
    mine = ours(train, horizon, windows)
    chosen = ", ".join(f"{u}: {m}" for u, m in mine.groupby("unique_id")["model"].first().items())
    table = scores(pd.concat([mine.assign(model="supplychain forecast"), references(train, horizon)]), test, train)
    inside = mine.merge(test, on=["unique_id", "ds"])
    coverage = {
        level: float(((inside[f"lo_{level}"] <= inside["y"]) & (inside["y"] <= inside[f"hi_{level}"])).mean())
        for level in (80, 95)
    }
    return table.loc[["supplychain forecast", *REFERENCES]], {"chosen": chosen, "coverage": coverage}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--horizon", type=int, default=12)
    parser.add_argument("--windows", type=int, default=3)
    args = parser.parse_args()
    table, extra = benchmark(args.horizon, args.windows)
    print(f"held-out last {args.horizon} months of wineind and airpassengers (pmdarima); chosen: {extra['chosen']}")
    print(table.to_string(formatters={"accuracy": "{:.1%}".format, "mase": "{:.3f}".format, "rmsse": "{:.3f}".format}))
    coverage = ", ".join(f"{level}%: {share:.0%}" for level, share in extra["coverage"].items())
    print(f"interval coverage of supplychain forecast: {coverage}")

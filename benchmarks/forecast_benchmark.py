"""Forecasting throughput: series per second for the full run (backtest, choice, forecast with intervals) at
1,000 and 10,000 series, and the share of the time spent in our code rather than inside statsforecast.

    .venv/bin/python benchmarks/forecast_benchmark.py [--series 1000,10000] [--weeks 156]

Series are drawn like the sample's product x warehouse demand (mostly intermittent, some steady, with a yearly
season), with no hierarchy attributes so every scale runs the same steps. "statsforecast" time is measured by
wrapping StatsForecast.cross_validation and StatsForecast.forecast; everything else in the run is ours
(preparation, classification, selection, ensembles, scoring, output shaping).
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import pandas as pd
from statsforecast import StatsForecast

from forecasting.pipeline import ForecastOptions, run_forecast


def synthetic(series: int, weeks: int, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    ds = pd.date_range("2023-01-02", periods=weeks, freq="7D")
    season = 1 + 0.4 * np.sin(2 * np.pi * np.arange(weeks) / 52)
    level = rng.gamma(0.6, 3.0, series)[:, None]
    occurs = rng.random((series, weeks)) < np.clip(level / 4, 0.05, 0.95)
    values = rng.poisson(np.maximum(level, 0.2) * season) * occurs
    return pd.DataFrame(
        {"unique_id": np.repeat([f"S{i:05d}" for i in range(series)], weeks), "ds": np.tile(ds, series),
         "y": values.ravel().astype(float)}
    )  # fmt: skip


class StatsforecastClock:
    """Adds up the wall time spent inside statsforecast's entry points."""

    def __init__(self):
        self.seconds = 0.0
        self.originals = {name: getattr(StatsForecast, name) for name in ("cross_validation", "forecast")}

    def __enter__(self):
        for name, original in self.originals.items():
            setattr(StatsForecast, name, self._timed(original))
        return self

    def __exit__(self, *exc):
        for name, original in self.originals.items():
            setattr(StatsForecast, name, original)

    def _timed(self, original):
        def wrapper(engine, *args, **kwargs):
            began = time.perf_counter()
            try:
                return original(engine, *args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - began

        return wrapper


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--series", default="1000,10000")
    parser.add_argument("--weeks", type=int, default=156)
    args = parser.parse_args()
    results = []
    for count in (int(s) for s in args.series.split(",")):
        history = synthetic(count, args.weeks)
        with StatsforecastClock() as clock:
            began = time.perf_counter()
            result = run_forecast(history, None, ForecastOptions())
            seconds = time.perf_counter() - began
        figures = {
            "series": count,
            "seconds": round(seconds, 1),
            "series_per_second": round(count / seconds, 1),
            "statsforecast_seconds": round(clock.seconds, 1),
            "our_share": round(1 - clock.seconds / seconds, 3),
            "chosen_models": result.report["chosen_models"],
        }
        results.append(figures)
        print(
            f"{count:>6} series: {seconds:.1f} s, {figures['series_per_second']} series/s, "
            f"statsforecast {clock.seconds:.1f} s, our code {figures['our_share']:.1%}",
            flush=True,
        )
    for result in results[1:]:
        print(f"{result['series']}/{results[0]['series']} time ratio: {result['seconds'] / results[0]['seconds']:.2f}")
    print(json.dumps(results))


if __name__ == "__main__":
    main()

"""Interval coverage on the real sets, replayed: capture each origin's final calibration once, then replay only
intervals.calibrate and apply_intervals (the code on PYTHONPATH) and count coverage as forecast_real_data.py does.

    PYTHONPATH=$PWD .venv/bin/python benchmarks/real_intervals_replay.py capture DIR quarterly:6 monthly_more:3 ...
    PYTHONPATH=$PWD .venv/bin/python benchmarks/real_intervals_replay.py replay DIR/quarterly.pkl ...

capture runs `supplychain forecast` per origin exactly as forecast_real_data.py does (no reference models: seconds
per origin) and pickles the final calibrate() and apply_intervals() inputs, the file the user gets and the held-out
actuals. replay says whether the code's bounds equal those of that file ("as captured": run it with the capturing
code first; with main 04ed5db the replay gave sessions 35-37's real-run coverage: quarterly 72.1% / 89.8%).
"""

from __future__ import annotations

import pickle
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
import forecast_real_data
from real_data import REAL_SETS

import forecasting.final_forecast as final_forecast
import forecasting.pipeline as pipeline
from forecasting.intervals import apply_intervals, calibrate

KEYS = ["unique_id", "ds"]
LEVELS = (80, 95)
BOUNDS = [f"{side}_{level}" for level in LEVELS for side in ("lo", "hi")]


def capture(folder: Path, name: str, origins: int) -> None:
    calls = {}

    def spy_calibrate(*args):
        calls["calibrate"] = args
        return calibrate(*args)

    def spy_apply(*args):
        calls["apply"] = (args, apply_intervals(*args))
        return calls["apply"][1]

    pipeline.calibrate, final_forecast.apply_intervals = spy_calibrate, spy_apply
    loader, _, horizon, freq = REAL_SETS[name]
    raw = loader()
    history = forecast_real_data.periods(raw)
    ranks = history.groupby("unique_id").cumcount(ascending=False)
    captured = []
    for k in range(origins, 0, -1):  # the origins and the file handed in as forecast_real_data.benchmark_set
        test = history[(ranks >= (k - 1) * horizon) & (ranks < k * horizon)]
        last = history[ranks >= k * horizon].groupby("unique_id")["ds"].max()
        week_end = pd.Timedelta(days=6) if freq == "W-MON" else pd.Timedelta(0)
        output = forecast_real_data.ours(raw[raw["ds"] <= raw["unique_id"].map(last) + week_end], horizon)
        captured.append({"origin": k, "calibrate": calls["calibrate"], "apply": calls["apply"], "output": output,
                         "test": test})  # fmt: skip
    with open(folder / f"{name}.pkl", "wb") as file:
        pickle.dump(captured, file)


def replay(path: Path) -> str:
    with open(path, "rb") as file:
        captured = pickle.load(file)
    inside, weeks, same, per_origin = dict.fromkeys(LEVELS, 0), 0, True, []
    for origin in captured:
        (forecasts, _, *rest), _ = origin["apply"]
        fresh = apply_intervals(forecasts, calibrate(*origin["calibrate"]), *rest)
        fresh = fresh.assign(ds=pd.to_datetime(fresh["ds"]))
        output = origin["output"]
        kept = output[KEYS + BOUNDS].merge(fresh[KEYS + BOUNDS], on=KEYS, suffixes=("_captured", ""))
        same &= len(kept) == len(output) and all(np.allclose(kept[c], kept[f"{c}_captured"]) for c in BOUNDS)
        scored = output.drop(columns=BOUNDS).merge(fresh[KEYS + BOUNDS], on=KEYS).merge(origin["test"], on=KEYS)
        shares = []
        for level in LEVELS:
            hits = int(((scored[f"lo_{level}"] <= scored["y"]) & (scored["y"] <= scored[f"hi_{level}"])).sum())
            inside[level] += hits
            shares.append(f"{hits / len(scored):.0%}")
        weeks += len(scored)
        per_origin.append(f"{origin['origin']}: {' / '.join(shares)}")
    held = " / ".join(f"{inside[level] / weeks:.1%}" for level in LEVELS)
    return f"{path.stem}: 80% / 95% {held} of {weeks}; as captured: {same}; per origin {', '.join(per_origin)}"


if __name__ == "__main__":
    if sys.argv[1] == "capture":
        target = Path(sys.argv[2])
        target.mkdir(parents=True, exist_ok=True)
        for spec in sys.argv[3:]:
            set_name, count = spec.split(":")
            capture(target, set_name, int(count))
    else:
        for name in sys.argv[2:]:
            print(replay(Path(name)))

"""The total's choice judged on many forecast origins instead of one held-out window: every statistical candidate
(LightGBM, a global model, left out) forecasts the total node 8 weeks ahead from every weekly cutoff; at each origin
with MIN_WEEKS of history the stage's rule (add_ensembles + choose_models, code on PYTHONPATH) chooses on the windows
the final forecast is chosen on (rolling cutoffs 8, 16 and 24 weeks back, season windows 52 and 60 back), and is
scored on the 8 weeks after the origin, alone and anchored (its mean with SeasonalNaive, forecasting.anchor).
Mean scaled error (the node's naive scale) per scenario, and per origin against the better of the two baselines.

    PYTHONPATH=$PWD .venv/bin/python benchmarks/total_origins.py OUT /work/scratch/s33/iv/{A,B,C,D,E,F,G}

Scenario folders hold coverage_capture.py's cap.pkl (its node history); OUT keeps the backtests (cv_<name>.pkl).
"""

from __future__ import annotations

import pickle
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from statsforecast import StatsForecast

from forecasting.anchor import anchor_choice
from forecasting.backtest import add_ensembles, choose_models, naive_scales, selected_backtest
from forecasting.models import continuous_models, fallback_model

H, MIN_WEEKS, FIRST_CUTOFF = 8, 104, 20
WINDOWS_BACK = (8, 16, 24, 52, 60)  # the final choice's windows, as cutoffs before the origin
SINGLES = ("SeasonalNaive", "MovingAverage7d", "WindowAverage4", "AutoETS", "DampedTrend", "AutoTheta", "MSTL")


def backtests(folder: Path, out: Path) -> pd.DataFrame:
    cached = out / f"cv_{folder.name}.pkl"
    if cached.exists():
        return pd.read_pickle(cached)
    with open(folder / "cap.pkl", "rb") as file:
        history = pickle.load(file)["node_history"]
    total = history[history["unique_id"] == "total"].sort_values("ds")
    models = [m for m in continuous_models(52, True, 99) if repr(m) != "AutoARIMA"]
    engine = StatsForecast(models=models, freq="W-MON", n_jobs=1, fallback_model=fallback_model())
    cv = engine.cross_validation(df=total[["unique_id", "ds", "y"]], h=H, step_size=1,
                                 n_windows=len(total) - H - FIRST_CUTOFF)  # fmt: skip
    cv = cv.drop(columns="y").melt(id_vars=["unique_id", "ds", "cutoff"], var_name="model", value_name="forecast")
    cv = cv.merge(total[["ds", "y_observed", "is_censored"]], on="ds").assign(forecast=lambda f: f["forecast"].clip(0))
    cv["scale"] = float(naive_scales(total)["total"])
    cv.to_pickle(cached)
    return cv


def origins(cv: pd.DataFrame) -> pd.DataFrame:
    segments, scale = pd.Series({"total": "level_0"}), float(cv["scale"].iloc[0])
    index = {c: i for i, c in enumerate(sorted(cv["cutoff"].unique()))}
    cv = cv.assign(o=cv["cutoff"].map(index))
    rows = []
    for o in range(MIN_WEEKS - FIRST_CUTOFF, len(index)):
        numbers = {o: 0, **{o - back: k + 1 for k, back in enumerate(WINDOWS_BACK)}}
        frame = cv[cv["o"].isin(numbers)]
        frame = frame.assign(window=frame["o"].map(numbers)).drop(columns=["o", "scale"])
        choosing = list(range(1, len(WINDOWS_BACK) + 1))
        ensembles, _ = add_ensembles(frame, choosing, segments, pd.Series({"total": scale}))
        choice = choose_models(ensembles, choosing, segments, pd.Series({"total": scale}))
        target = ensembles[ensembles["window"] == 0]
        chosen = selected_backtest(target, choice).set_index("ds")
        wide = target.pivot_table(index="ds", columns="model", values="forecast")
        actual = chosen["y_observed"]
        error = {m: (wide[m] - actual).abs().mean() / scale for m in SINGLES}
        error["chosen"] = (chosen["forecast"] - actual).abs().mean() / scale
        with_anchor, anchored = anchor_choice(ensembles, choice, segments)
        anchored = selected_backtest(with_anchor[with_anchor["window"] == 0], anchored).set_index("ds")["forecast"]
        error["anchored"] = (anchored - actual).abs().mean() / scale
        rows.append({"origin": o, "pick": choice["total"], **error})
    return pd.DataFrame(rows)


def main() -> None:
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    table = pd.concat([origins(backtests(Path(f), out)).assign(scenario=Path(f).name) for f in sys.argv[2:]])
    columns = ["chosen", "anchored", *SINGLES]
    bar = table[["SeasonalNaive", "MovingAverage7d"]].min(axis=1)
    print(table.groupby("scenario")[columns].mean().T.round(3).to_string())
    summary = pd.DataFrame({"mean": table[columns].mean(),
                            "geo_mean_over_better_baseline": np.exp(np.log(table[columns].div(bar, axis=0)).mean()),
                            "share_at_most_both_baselines": table[columns].le(bar + 1e-12, axis=0).mean()})  # fmt: skip
    print(summary.round(3).to_string())
    print("origins per scenario:", table.groupby("scenario").size().to_dict())


if __name__ == "__main__":
    main()

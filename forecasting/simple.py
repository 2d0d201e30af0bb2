"""The stated rules for series no model can be chosen for: too short to backtest, or never sold.

Recent mean: the point forecast is the mean of the last RECENT_WEEKS periods (all of them when fewer). Its error is
measured on the series itself, as the one-step error of that same rule over its own history, when the series has at
least MIN_OWN_ERRORS such errors; otherwise it is pooled: the median, over series with enough history, of that
error relative to the series' level, times this series' level (POOLED_RATIO_DEFAULT when no series has enough).
Intervals are point +- z * error, the same for every step ahead (a mean does not drift), cut at zero.
Never sold: zero, with zero-width intervals.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import norm

RECENT_WEEKS = 4
MIN_OWN_ERRORS = 4
POOLED_RATIO_DEFAULT = 0.5
MODEL = "RecentMean"


def _one_step_errors(values: np.ndarray) -> np.ndarray:
    """Errors of the recent-mean rule forecasting each period from the ones before it."""
    errors = [values[t] - values[max(0, t - RECENT_WEEKS) : t].mean() for t in range(1, values.size)]
    return np.asarray(errors, dtype=float)


def future_dates(last: pd.Series, horizon: int, freq: str) -> pd.DataFrame:
    """unique_id, ds for the horizon after each series' last period."""
    rows = [
        pd.DataFrame({"unique_id": uid, "ds": pd.date_range(end, periods=horizon + 1, freq=freq)[1:]})
        for uid, end in last.items()
    ]
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=["unique_id", "ds"])


def recent_mean_forecasts(
    history: pd.DataFrame, horizon: int, levels: tuple[int, ...], freq: str, pool: pd.DataFrame | None = None
) -> pd.DataFrame:
    """unique_id, ds, model, forecast, lo_*, hi_* for every series of history (unique_id, ds, y).

    pool: the histories whose relative errors are pooled for series too short to have their own (default: history).
    """
    if history.empty:
        return pd.DataFrame()
    ordered = history.sort_values(["unique_id", "ds"])
    pool = ordered if pool is None else pool.sort_values(["unique_id", "ds"])
    ratios = []
    for _, values in pool.groupby("unique_id")["y"]:
        values = values.to_numpy(dtype=float)
        errors = _one_step_errors(values)
        level = values[-RECENT_WEEKS * 3 :].mean()
        if errors.size >= MIN_OWN_ERRORS and level > 0:
            ratios.append(np.sqrt(np.mean(errors**2)) / level)
    pooled_ratio = float(np.median(ratios)) if ratios else POOLED_RATIO_DEFAULT
    rows = []
    for uid, values in ordered.groupby("unique_id")["y"]:
        values = values.to_numpy(dtype=float)
        point = values[-RECENT_WEEKS:].mean()
        errors = _one_step_errors(values)
        spread = np.sqrt(np.mean(errors**2)) if errors.size >= MIN_OWN_ERRORS else pooled_ratio * point
        rows.append({"unique_id": uid, "forecast": point, "spread": spread})
    points = pd.DataFrame(rows)
    frame = future_dates(ordered.groupby("unique_id")["ds"].max(), horizon, freq).merge(points, on="unique_id")
    for level in levels:
        z = norm.ppf(0.5 + level / 200)
        frame[f"lo_{level}"] = (frame["forecast"] - z * frame["spread"]).clip(lower=0)
        frame[f"hi_{level}"] = frame["forecast"] + z * frame["spread"]
    return frame.drop(columns="spread").assign(model=MODEL)


def zero_forecasts(last: pd.Series, horizon: int, levels: tuple[int, ...], freq: str) -> pd.DataFrame:
    frame = future_dates(last, horizon, freq).assign(forecast=0.0, model="Zero")
    for level in levels:
        frame[f"lo_{level}"] = 0.0
        frame[f"hi_{level}"] = 0.0
    return frame

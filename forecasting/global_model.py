"""A global machine-learning candidate: one LightGBM trained across every series (mlforecast), beside the
statistical models that fit each series alone.

The approach that won M5: recursive one-model-for-all with lags, rolling means of the target and calendar features,
a Tweedie objective for non-negative, often-zero sales. It is kept cheap on purpose (few trees, bounded threads) so a
run on the sample stays close to the statistical set's time. Promotions are not used: the history carries only past
promotions, and a feature unknown for the weeks ahead cannot be used to forecast them.
If the global model fails on some input, the run goes on with the statistical models alone (logged).
"""

from __future__ import annotations

import logging

import lightgbm as lgb
import numpy as np
import pandas as pd
from mlforecast import MLForecast
from mlforecast.lag_transforms import RollingMean
from mlforecast.utils import PredictionIntervals

log = logging.getLogger(__name__)
MODEL = "LightGBM"
LGBM_PARAMS = {
    "n_estimators": 80,
    "learning_rate": 0.08,
    "num_leaves": 31,
    "min_child_samples": 20,
    "objective": "tweedie",
    "num_threads": 1,  # one thread: on a busy host OpenMP threads spin-wait (2 threads cost 20x the CPU here)
    "verbosity": -1,
    "random_state": 7,
}


def week_of_year(dates: pd.DatetimeIndex) -> np.ndarray:
    return pd.DatetimeIndex(dates).isocalendar().week.to_numpy(dtype=int)


def _engine(freq: str, season_length: int) -> MLForecast:
    monthly = not freq.startswith("W-")
    return MLForecast(
        models={MODEL: lgb.LGBMRegressor(**LGBM_PARAMS)},
        freq=freq,
        lags=[1, 2, 3, 4, 8, 13, season_length] if not monthly else [1, 2, 3, 6, season_length],
        lag_transforms={1: [RollingMean(window_size=4), RollingMean(window_size=13)]},
        date_features=["month"] if monthly else ["month", week_of_year],
        num_threads=1,
    )


def ml_cross_validate(history: pd.DataFrame, freq: str, season_length: int, h: int, n_windows: int) -> pd.DataFrame:
    """Backtest forecasts in long form (unique_id, ds, cutoff, model, forecast), or empty if the model fails."""
    if history.empty:
        return pd.DataFrame(columns=["unique_id", "ds", "cutoff", "model", "forecast"])
    try:
        wide = _engine(freq, season_length).cross_validation(
            df=history[["unique_id", "ds", "y"]], n_windows=n_windows, h=h, step_size=h, dropna=False
        )
    except Exception as failure:
        log.warning("LightGBM candidate left out of the backtest: %s", failure)
        return pd.DataFrame(columns=["unique_id", "ds", "cutoff", "model", "forecast"])
    long = wide.drop(columns=["y"]).melt(id_vars=["unique_id", "ds", "cutoff"], var_name="model", value_name="forecast")
    long["forecast"] = long["forecast"].clip(lower=0)
    return long.dropna(subset=["forecast"])


def ml_forecast(history: pd.DataFrame, freq: str, season_length: int, h: int, levels: tuple[int, ...]):
    """Wide forecasts with conformal intervals (LightGBM, LightGBM-lo-80, ...), or None if the model fails."""
    if history.empty:
        return None
    try:
        engine = _engine(freq, season_length)
        intervals = PredictionIntervals(2, h) if levels else None  # the stage calibrates its own (intervals.py)
        engine.fit(history[["unique_id", "ds", "y"]], dropna=False, prediction_intervals=intervals)
        wide = engine.predict(h, level=list(levels) or None)
    except Exception as failure:
        log.warning("LightGBM candidate left out of the forecast: %s", failure)
        return None
    numbers = [c for c in wide if c.startswith(MODEL)]
    wide[numbers] = wide[numbers].clip(lower=0)
    return wide

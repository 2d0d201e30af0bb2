"""SeasonalDrift, the seasonal random walk with drift: last season's same period plus the mean seasonal change, a
candidate for series with two seasons of history."""

from __future__ import annotations

import numpy as np
import pandas as pd
from statsforecast import StatsForecast

from forecasting.models import continuous_models
from forecasting.seasonal_drift import MODEL, SeasonalDriftModel, seasonal_drift


def growing(seasons: int = 3, growth: float = 10.0) -> pd.DataFrame:
    """A weekly series with a yearly peak whose level rises by `growth` a season."""
    weeks = np.arange(52 * seasons)
    y = 100 + growth * weeks / 52 + 40 * (weeks % 52 >= 44)
    return pd.DataFrame({"unique_id": "G", "ds": pd.date_range("2022-01-03", periods=len(y), freq="W-MON"), "y": y})


def test_the_forecast_is_last_season_plus_the_mean_seasonal_change():
    frame = growing()
    engine = StatsForecast(models=[SeasonalDriftModel(52), SeasonalDriftModel(52, alias="plain")], freq="W-MON")
    forecast = engine.forecast(df=frame, h=8)
    last_season = frame["y"].to_numpy()[-52:-44]
    np.testing.assert_allclose(forecast[MODEL].to_numpy(), last_season + 10.0)
    assert seasonal_drift(frame["y"].to_numpy(), 52) == np.float64(10.0)


def test_it_beats_seasonal_naive_on_a_growing_peak_in_a_backtest():
    # SeasonalNaive repeats last year's peak at last year's level; the drift adds the year's growth.
    from statsforecast.models import SeasonalNaive

    engine = StatsForecast(models=[SeasonalDriftModel(52), SeasonalNaive(52)], freq="W-MON")
    cv = engine.cross_validation(df=growing(), h=8, step_size=8, n_windows=3)
    errors = {m: (cv[m] - cv["y"]).abs().sum() for m in (MODEL, "SeasonalNaive")}
    assert errors[MODEL] < 0.1 * errors["SeasonalNaive"]


def test_less_than_two_seasons_adds_no_drift_and_only_the_seasonal_rule_gets_it():
    assert seasonal_drift(np.arange(80.0), 52) == 0.0
    assert MODEL in [repr(m) for m in continuous_models(52, seasonal=True)]
    assert MODEL not in [repr(m) for m in continuous_models(52, seasonal=False)]

"""The final forecast fits only the models some series uses (its chosen one, or its ensemble's members): the
forecasts are the same as when every candidate is fitted, and the unused candidates are not fitted at all."""

from __future__ import annotations

import numpy as np
import pandas as pd
from statsforecast import StatsForecast

from forecasting import final_forecast as pipeline
from forecasting.backtest import ENSEMBLE
from forecasting.contract import ForecastOptions
from forecasting.models import intermittent_models


def history() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    weeks = pd.date_range("2024-01-01", periods=40, freq="W-MON")
    return pd.DataFrame(
        {"unique_id": np.repeat(["A", "B", "C"], len(weeks)), "ds": np.tile(weeks, 3),
         "y": rng.poisson(2.0, 3 * len(weeks)).astype(float)}
    )  # fmt: skip


def test_only_chosen_models_and_ensemble_members_are_fitted_and_the_forecasts_are_unchanged(monkeypatch):
    choice = pd.Series({"A": "ADIDA", "B": ENSEMBLE, "C": "ADIDA"})
    members = pd.DataFrame({"unique_id": ["B", "B", "A"], "model": ["TSB", "MovingAverage7d", "IMAPA"],
                            "weight": [2.0, 1.0, 1.0], "combination": ENSEMBLE})  # fmt: skip
    # A's member (IMAPA) is not needed: A is forecast by ADIDA, not by its segment's ensemble.
    assert pipeline.needed_models(choice, members) == {"ADIDA", "TSB", "MovingAverage7d"}

    fitted: list[list[str]] = []
    real_forecast = StatsForecast.forecast

    def recording(engine, *args, **kwargs):
        fitted.append([repr(model) for model in engine.models])
        return real_forecast(engine, *args, **kwargs)

    monkeypatch.setattr(StatsForecast, "forecast", recording)
    options = ForecastOptions(horizon=4, n_jobs=1, freq="W-MON")
    models = intermittent_models(season_length=52)
    kept = pipeline.forecast_group(history(), models, choice, members, options)

    monkeypatch.setattr(pipeline, "needed_models", lambda choice, members: {repr(m) for m in models})
    every = pipeline.forecast_group(history(), models, choice, members, options)

    assert fitted[0] == ["MovingAverage7d", "ADIDA", "TSB"] and len(fitted[1]) == len(models)
    order = ["unique_id", "ds", "model"]
    pd.testing.assert_frame_equal(kept.sort_values(order).reset_index(drop=True),
                                  every.sort_values(order).reset_index(drop=True))  # fmt: skip
    assert set(kept["model"]) == {"ADIDA", ENSEMBLE}

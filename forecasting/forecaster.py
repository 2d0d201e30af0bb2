"""The forecast stage as another stage calls it (foundation.stage.Forecaster): the hold-out replay of the
optimisation stage re-forecasts every held-out week with it, handed over by the pipeline or the CLI."""

from __future__ import annotations

import pandas as pd

from forecasting.pipeline import ForecastOptions, ForecastResult, run_forecast
from forecasting.prepare import prepare_history


class StatsForecaster:
    def forecast(self, history: pd.DataFrame, attributes: pd.DataFrame, horizon: int, n_windows: int) -> ForecastResult:
        return run_forecast(history, attributes, ForecastOptions(horizon=horizon, n_windows=n_windows))

    def demand_history(self, history: pd.DataFrame) -> pd.DataFrame:
        return prepare_history(history, min_weeks=1).history

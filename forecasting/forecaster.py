"""The forecast stage as another stage calls it (foundation.stage.Forecaster): the hold-out replay of the
optimisation stage re-forecasts every held-out week with it, handed over by the pipeline or the CLI.

The forecasting pipeline (statsforecast, statsmodels, numba: seconds to import) is imported when the forecaster
first forecasts, not when it is made: a daily run whose replay is reused (optimization/replay_reuse.py) never
calls it, and the forecast step was skipped, so it pays none of that import."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

    from forecasting.pipeline import ForecastResult


class StatsForecaster:
    def forecast(self, history: pd.DataFrame, attributes: pd.DataFrame, horizon: int, n_windows: int) -> ForecastResult:
        from forecasting.pipeline import ForecastOptions, run_forecast

        return run_forecast(history, attributes, ForecastOptions(horizon=horizon, n_windows=n_windows))

    def demand_history(self, history: pd.DataFrame) -> pd.DataFrame:
        from forecasting.prepare import prepare_history

        return prepare_history(history, min_weeks=1).history

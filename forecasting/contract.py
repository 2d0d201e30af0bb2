"""What a forecasting run takes (ForecastOptions) and gives back (ForecastResult, its forecast columns)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd


@dataclass(frozen=True)
class ForecastOptions:
    horizon: int = 8  # weeks ahead
    n_windows: int = 3  # at most this many rolling windows (as many as the history allows), plus two season windows
    levels: tuple[int, ...] = (80, 95)
    n_jobs: int = -1
    spark: object | None = None  # a SparkSession: statsforecast runs on Spark through Fugue
    freq: str | None = None  # pandas weekly frequency; inferred from the dates when not given
    global_model: bool = True  # the LightGBM candidate trained across all series (forecasting.global_model)

    @property
    def min_weeks(self) -> int:
        """Shortest history a model is fitted to: two horizons (one to fit on, one to test on); shorter series get
        the recent-mean rule (forecasting.windows)."""
        return 2 * self.horizon


@dataclass
class ForecastResult:
    forecasts: pd.DataFrame  # unique_id, ds, model, forecast, lo_<level>, hi_<level> (forecast_columns)
    selection: pd.DataFrame  # unique_id, demand_pattern, treatment, model, history_weeks
    backtest_metrics: pd.DataFrame  # unique_id, model, abs_error, actual, weeks, wape, bias, mase
    accuracy: pd.DataFrame  # level, model, series, wape, accuracy, bias, mase, rmsse, is_chosen (held-out window)
    report: dict = field(default_factory=dict)
    # unique_id, cutoff, ds, forecast: every backtest window's forecast per bottom series by the models chosen on
    # the windows before it (backtest.out_of_sample_windows), not reconciled (the reconciliation is chosen on
    # windows the optimiser's replay holds out); the replay plans its weeks with them (optimization/backtest_replay.py)
    backtest_forecasts: pd.DataFrame | None = None


def forecast_columns(levels: tuple[int, ...]) -> list[str]:
    """A result's forecast columns: the point forecast and one interval per configured level (lo_80, hi_80, ...)."""
    return ["unique_id", "ds", "model", "forecast", *[f"{side}_{level}" for level in levels for side in ("lo", "hi")]]

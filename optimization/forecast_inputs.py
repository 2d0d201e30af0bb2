"""The forecast as the policy reads it: one row per product x warehouse and week with the point forecast, its
80% interval, the series' backtest error and its measured lead time."""

from __future__ import annotations

import pandas as pd

from optimization.policy import PolicyOptions, with_lead_times

KEYS = ["product_id", "warehouse_id"]


def policy_forecasts(
    result, attributes: pd.DataFrame, lead_times: pd.DataFrame, options: PolicyOptions
) -> pd.DataFrame:
    """product_id, warehouse_id, category, week_start, forecast_units, lo_80, hi_80, backtest_mae,
    lead_time_days. backtest_mae is the chosen model's mean absolute weekly error in the backtest: conformal
    intervals come from the same errors, but a reconciled forecast keeps its base model's width, so the policy
    takes whichever spread is wider. `result` is a forecast stage result (foundation.stage.Forecaster)."""
    chosen = result.selection[["unique_id", "model"]].merge(result.backtest_metrics, on=["unique_id", "model"])
    mae = (chosen["abs_error"] / chosen["weeks"].where(chosen["weeks"] > 0)).groupby(chosen["unique_id"]).first()
    forecasts = result.forecasts.merge(attributes, on="unique_id").rename(
        columns={"ds": "week_start", "forecast": "forecast_units"}
    )
    forecasts["backtest_mae"] = forecasts["unique_id"].map(mae).fillna(0.0)
    return with_lead_times(forecasts, lead_times, options)

"""The run's results as the tables the warehouse declares (models/staging/forecasts/_forecasts__sources.yml)."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from forecasting.models import BASELINES
from forecasting.pipeline import ForecastResult

# The warehouse declares these interval columns (models/staging/forecasts/_forecasts__sources.yml).
WAREHOUSE_INTERVALS = ["lo_80", "hi_80", "lo_95", "hi_95"]
# Held-out window, then every honest rolling window (held_out.rolling_intervals); *_weeks: how many actuals each is of.
COVERAGE_COLUMNS = ["coverage_80", "coverage_95", "coverage_weeks",
                    "rolling_coverage_80", "rolling_coverage_95", "rolling_coverage_weeks"]  # fmt: skip


def file_forecasts(result: ForecastResult) -> pd.DataFrame:
    """File mode answers in the input's own terms: unique_id and ds join back to the history it was given, with an
    interval for each level the run was asked for."""
    forecasts = result.forecasts.sort_values(["unique_id", "ds"]).reset_index(drop=True)
    return forecasts.assign(ds=pd.to_datetime(forecasts["ds"]).dt.date)


def output_tables(result: ForecastResult, attributes: pd.DataFrame | None, run_at: dt.datetime) -> dict:
    forecasts = result.forecasts.rename(
        columns={"unique_id": "series_id", "ds": "week_start", "forecast": "forecast_units"}
    )
    if attributes is not None:
        forecasts = forecasts.merge(attributes.rename(columns={"unique_id": "series_id"}), on="series_id", how="left")
    else:
        for column in ("product_id", "warehouse_id", "region_code", "category"):
            forecasts[column] = None
    forecasts["week_start"] = pd.to_datetime(forecasts["week_start"]).dt.date
    forecasts["forecast_run_at"] = run_at
    missing = [column for column in WAREHOUSE_INTERVALS if column not in forecasts]
    if missing:
        raise ValueError(f"the warehouse's forecast table needs the 80% and 95% intervals; this run lacks {missing}")
    demand_forecast = forecasts[
        ["series_id", "product_id", "warehouse_id", "region_code", "category", "model", "forecast_units",
         *WAREHOUSE_INTERVALS, "week_start", "forecast_run_at"]
    ]  # fmt: skip

    backtest = result.backtest_metrics.rename(
        columns={"unique_id": "series_id", "actual": "actual_units", "weeks": "scored_weeks"}
    )
    backtest = backtest[
        ["series_id", "model", "abs_error", "actual_units", "bias_units", "wape", "mase", "scored_weeks"]
    ]
    backtest = backtest.assign(scored_weeks=backtest["scored_weeks"].astype("int32"))

    selection = result.selection.rename(columns={"unique_id": "series_id"})
    if "message" not in selection:
        selection["message"] = None
    selection = selection[
        ["series_id", "demand_pattern", "treatment", "model", "reconciliation", "message", "history_weeks"]
    ].assign(history_weeks=lambda f: f["history_weeks"].astype("int32"))

    accuracy = result.accuracy.assign(
        is_baseline=result.accuracy["model"].isin(BASELINES),
        series=result.accuracy["series"].astype("int32"),
    )
    for column in COVERAGE_COLUMNS:  # measured for the chosen method only (absent when nothing was backtested)
        if column not in accuracy:
            accuracy[column] = float("nan")
    for column in ("coverage_weeks", "rolling_coverage_weeks"):
        accuracy[column] = accuracy[column].astype("Int32")
    accuracy = accuracy[
        ["level", "model", "series", "wape", "accuracy", "bias", "mase", "rmsse", *COVERAGE_COLUMNS, "is_baseline",
         "is_chosen"]
    ]  # fmt: skip
    weeks = result.backtest_forecasts
    if weeks is None:
        weeks = pd.DataFrame(columns=["unique_id", "cutoff", "ds", "forecast"])
    backtest_weeks = weeks.rename(
        columns={"unique_id": "series_id", "ds": "week_start", "forecast": "forecast_units"}
    ).assign(
        cutoff=lambda f: pd.to_datetime(f["cutoff"]).dt.date,
        week_start=lambda f: pd.to_datetime(f["week_start"]).dt.date,
        forecast_units=lambda f: f["forecast_units"].astype(float),
    )[["series_id", "cutoff", "week_start", "forecast_units"]]
    return {
        "demand_forecast": demand_forecast,
        "forecast_backtest_weeks": backtest_weeks,
        "forecast_backtest": backtest,
        "forecast_model_selection": selection,
        "forecast_accuracy": accuracy,
    }

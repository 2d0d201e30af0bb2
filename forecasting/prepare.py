"""Weekly demand history -> clean statsforecast input (`unique_id`, `ds`, `y`), one rule per defect.

Rules, each counted in the run report and never failing the whole run:
- duplicate_week:   a series with two rows for one week is rejected (which row is right is unknowable);
- negative_value:   a series with a negative quantity is rejected;
- off_calendar:     a series with a date off the inferred weekly calendar is rejected;
- gap_filled:       missing weeks inside a series are filled with 0 and flagged (`is_filled`);
- all_zero:         a series that never sold gets a zero forecast, no model;
- short_history:    a series shorter than the backtest needs is forecast by the fallback model, unselected;
- censored:         a stock-out week's sales understate demand: the model sees max(sales, the mean of the
                    previous uncensored weeks) instead, and accuracy is measured on uncensored weeks only.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
CENSOR_LOOKBACK_WEEKS = 8


@dataclass
class PreparedHistory:
    history: pd.DataFrame  # unique_id, ds, y (model input), y_observed, is_censored, is_filled
    freq: str
    modelled: list[str]  # series that get the backtest and selection
    short: list[str]  # series forecast by the fallback model only
    all_zero: list[str]  # series forecast as zero
    rejected: dict[str, str] = field(default_factory=dict)  # series -> message
    counts: Counter = field(default_factory=Counter)  # rule -> series affected


def infer_weekly_freq(ds: pd.Series) -> str:
    """The pandas weekly frequency whose anchor is the weekday the dates fall on (weeks may end on any day)."""
    weekdays = pd.to_datetime(ds).dt.dayofweek.value_counts()
    if weekdays.empty:
        raise ValueError("no dates to infer a weekly frequency from")
    return f"W-{WEEKDAYS[int(weekdays.idxmax())]}"


def _complete_weeks(data: pd.DataFrame) -> pd.DataFrame:
    """Every week from each series' first to last, missing ones filled with 0 and flagged is_filled."""
    bounds = data.groupby("unique_id")["ds"].agg(["min", "max"])
    counts = ((bounds["max"] - bounds["min"]).dt.days // 7 + 1).to_numpy()
    offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    grid = pd.DataFrame(
        {
            "unique_id": np.repeat(bounds.index.to_numpy(), counts),
            "ds": np.repeat(bounds["min"].to_numpy(), counts) + pd.to_timedelta(offsets * 7, unit="D"),
        }
    )
    grid = grid.merge(data[["unique_id", "ds", "y", "is_censored"]], on=["unique_id", "ds"], how="left")
    grid["is_filled"] = grid["y"].isna()
    grid["y"] = grid["y"].fillna(0.0).astype(float)
    grid["is_censored"] = grid["is_censored"].astype("boolean").fillna(False).astype(bool)
    return grid


def _censored_demand(grid: pd.DataFrame) -> pd.Series:
    """Sales in stock-out weeks raised to the mean uncensored sales of the previous weeks, never lowered."""
    uncensored = grid["y"].where(~grid["is_censored"])
    recent = uncensored.groupby(grid["unique_id"]).transform(
        lambda s: s.shift(1).rolling(CENSOR_LOOKBACK_WEEKS, min_periods=1).mean()
    )
    raised = np.maximum(grid["y"], recent.fillna(grid["y"]))
    return grid["y"].where(~grid["is_censored"], raised)


def prepare_history(frame: pd.DataFrame, min_weeks: int, freq: str | None = None) -> PreparedHistory:
    """Checks and completes every series; min_weeks is the shortest history the backtest can use."""
    missing = {"unique_id", "ds", "y"} - set(frame.columns)
    if missing:
        raise ValueError(f"demand history lacks column(s) {sorted(missing)}; expected unique_id, ds, y")
    data = frame.copy()
    data["unique_id"] = data["unique_id"].astype(str)
    data["ds"] = pd.to_datetime(data["ds"])
    data["y"] = pd.to_numeric(data["y"], errors="coerce")
    if "is_censored" not in data:
        data["is_censored"] = False
    data["is_censored"] = data["is_censored"].fillna(False).astype(bool)
    freq = freq or infer_weekly_freq(data["ds"])
    anchor = WEEKDAYS.index(freq.split("-")[1])
    result = PreparedHistory(pd.DataFrame(), freq, [], [], [])

    duplicated = data[data.duplicated(["unique_id", "ds"], keep=False)]
    for uid, rows in duplicated.groupby("unique_id"):
        weeks = sorted(rows["ds"].dt.date.astype(str).unique())[:3]
        result.rejected[uid] = f"series {uid}: {len(rows)} rows for week(s) {weeks} (duplicate_week)"
        result.counts["duplicate_week"] += 1
    for uid, rows in data[data["y"] < 0].groupby("unique_id"):
        if uid not in result.rejected:
            week = rows["ds"].iloc[0].date()
            result.rejected[uid] = f"series {uid}: negative quantity {rows['y'].min()} in week {week} (negative_value)"
            result.counts["negative_value"] += 1
    for uid, rows in data[data["ds"].dt.dayofweek != anchor].groupby("unique_id"):
        if uid not in result.rejected:
            result.rejected[uid] = f"series {uid}: date {rows['ds'].iloc[0].date()} is not a {freq} week (off_calendar)"
            result.counts["off_calendar"] += 1
    data = data[~data["unique_id"].isin(result.rejected)]

    if data.empty:
        result.history = pd.DataFrame(columns=["unique_id", "ds", "y", "y_observed", "is_censored", "is_filled"])
        return result
    grid = _complete_weeks(data)
    filled = grid.groupby("unique_id")["is_filled"].any()
    result.counts["gap_filled"] += int(filled.sum())
    result.counts["censored"] += int(grid.groupby("unique_id")["is_censored"].any().sum())
    grid["y_observed"] = grid["y"]
    grid["y"] = _censored_demand(grid)
    sold = grid.groupby("unique_id")["y_observed"].sum()
    weeks = grid.groupby("unique_id").size()
    for uid in weeks.index:
        if sold[uid] == 0:
            result.all_zero.append(uid)
        elif weeks[uid] < min_weeks:
            result.short.append(uid)
        else:
            result.modelled.append(uid)
    result.counts["all_zero"] += len(result.all_zero)
    result.counts["short_history"] += len(result.short)
    result.history = grid[["unique_id", "ds", "y", "y_observed", "is_censored", "is_filled"]]
    return result

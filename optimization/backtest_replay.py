"""The forecasts the per-run replay plans with: the forecast stage's own backtest, not a refit.

The forecast stage keeps every backtest window's weekly forecast by the model it chose on the windows before the
last (fct_backtest_forecasts). The last window is therefore out of sample twice over: its forecast was made
from the weeks before its origin, and its model was chosen without it. The replay holds out exactly that window's
weeks and plans them with that forecast; its spread is the series' mean absolute error on the earlier windows
(their actuals are history by then), never on the weeks it is scored on. Reading it costs a query, not a fit.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from foundation.warehouse.io import MART_SCHEMA, read_sql

log = logging.getLogger(__name__)
BACKTEST_WEEKS_SQL = f"""
select series_id, backtest_cutoff, week_start, forecast_units
from {MART_SCHEMA}.fct_backtest_forecasts
"""


class NoBacktestForecasts(ValueError):
    """The forecast stage has kept no backtest forecasts (never run, or too little history to backtest)."""


@dataclass
class ReplayForecasts:
    windows: list[pd.DataFrame]  # per replayed window, in order: policy_forecasts' shape less lead times
    first_week: pd.Timestamp  # the first held-out week (history's week start)
    weeks: int  # held-out weeks in all
    window_weeks: int  # weeks per window


def read_backtest_weeks(target: str, duckdb_path: Path) -> pd.DataFrame:
    try:
        frame = read_sql(target, duckdb_path, BACKTEST_WEEKS_SQL)
    except Exception as error:  # a warehouse built before the forecast stage kept them has no such model
        if "fct_backtest_forecasts" not in str(error):
            raise
        frame = pd.DataFrame(columns=["series_id", "backtest_cutoff", "week_start", "forecast_units"])
    frame = frame.assign(backtest_cutoff=pd.to_datetime(frame["backtest_cutoff"]),
                         week_start=pd.to_datetime(frame["week_start"]))  # fmt: skip
    return frame


def replayable_origins(backtest: pd.DataFrame) -> list[pd.Timestamp]:
    """The origins of the windows a replay may hold out: those of the series the last window forecasts, less the
    first (its model was chosen on itself, see forecasting.backtest.out_of_sample_windows)."""
    if backtest.empty:
        raise NoBacktestForecasts("the forecast stage kept no backtest forecasts: run `supplychain forecast` first")
    last = backtest["backtest_cutoff"].max()
    current = backtest.loc[backtest["backtest_cutoff"] == last, "series_id"].unique()
    origins = sorted(backtest.loc[backtest["series_id"].isin(current), "backtest_cutoff"].unique())
    return [pd.Timestamp(origin) for origin in (origins[1:] or origins)]


def replay_forecasts(
    backtest: pd.DataFrame, history: pd.DataFrame, attributes: pd.DataFrame, windows: int = 1
) -> ReplayForecasts:
    """The last `windows` backtest windows as the replay's forecasts. backtest: series_id, backtest_cutoff,
    week_start, forecast_units; history: unique_id, ds, y, is_censored (read_demand); attributes: unique_id ->
    product_id, warehouse_id, region_code, category."""
    origins = replayable_origins(backtest)[-windows:]
    later = history.loc[history["ds"] > origins[0], "ds"]
    if later.empty:
        raise NoBacktestForecasts(f"no history after the backtest origin {origins[0].date()}")
    first_week = pd.Timestamp(later.min())
    frames, week_offset, size = [], 0, 0
    for origin in origins:
        window = backtest[backtest["backtest_cutoff"] == origin].sort_values(["series_id", "week_start"])
        # Weeks are counted from the origin, not matched by date: a series' own weekday may differ from the engine's.
        window = window.assign(week=window.groupby("series_id").cumcount())
        size = int(window["week"].max()) + 1
        window = window[window.groupby("series_id")["week"].transform("size") == size]
        spread = earlier_error(backtest[backtest["backtest_cutoff"] < origin], history)
        forecasts = window.rename(columns={"series_id": "unique_id"}).merge(attributes, on="unique_id")
        forecasts = forecasts.assign(
            week_start=first_week + pd.to_timedelta(7 * (week_offset + forecasts["week"]), unit="D"),
            forecast_units=forecasts["forecast_units"].clip(lower=0),
            backtest_mae=forecasts["unique_id"].map(spread).fillna(0.0),
        )
        # A point forecast only: its spread is the earlier windows' error (policy.daily_rates takes the wider).
        forecasts["lo_80"] = forecasts["hi_80"] = forecasts["forecast_units"]
        frames.append(forecasts.drop(columns=["week", "backtest_cutoff"]))
        week_offset += size
    return ReplayForecasts(frames, first_week, week_offset, size)


def earlier_error(backtest: pd.DataFrame, history: pd.DataFrame) -> pd.Series:
    """unique_id -> mean absolute weekly error of the backtest forecasts against uncensored actuals."""
    ordered = backtest.sort_values(["series_id", "backtest_cutoff", "week_start"])
    ordered = ordered.assign(step=ordered.groupby(["series_id", "backtest_cutoff"]).cumcount())
    actual = history.sort_values(["unique_id", "ds"])
    scored = []
    for cutoff, group in ordered.groupby("backtest_cutoff"):
        # The backtest's week k after an origin is history's k-th week after it; censored weeks are not scored.
        after = actual[actual["ds"] > cutoff]
        after = after.assign(step=after.groupby("unique_id").cumcount())
        after = after[~after["is_censored"].fillna(False).astype(bool)][["unique_id", "step", "y"]]
        scored.append(group.merge(after, left_on=["series_id", "step"], right_on=["unique_id", "step"]))
    if not scored:
        return pd.Series(dtype=float)
    joined = pd.concat(scored, ignore_index=True)
    return (joined["forecast_units"] - joined["y"]).abs().groupby(joined["series_id"]).mean()


# How far a week's correction may move the forecast: the ratio of a few weeks of a pooled group is still noisy.
RELEVEL_BOUNDS = (0.67, 1.5)
RELEVEL_KEYS = ["category", "region_code"]
# The daily replay relevels each week by the latest closed week only, as the re-forecast made that week would weigh
# it: a ratio over every week since the origin lags a ramp. On A's holiday peak it did: relevelled since the origin
# the same 8 weeks gave -0.5% stock-outs and +29% lost sales value against the ERP, where a fresh forecast every
# week gave -16.5% / -2.8%; by the latest week, -14.1% / -10.8% (two weeks: -13.0% / -3.8%; three: +28%), and B
# -57.2% / -45.4% (since the origin: -55.2% / -41.1%). Still pooled per category x region and bounded.
RELEVEL_RECENT_WEEKS = 1


def weekly_relevelled(
    forecasts: pd.DataFrame, actual: pd.DataFrame, weeks: int, recent: int | None = None
) -> list[pd.DataFrame]:
    """One forecast per held-out week, as the weekly pipeline would have it without paying for a refit: week w's
    forecast is the origin's forecast of weeks w onwards (past its last week, that week repeats), scaled per
    category x region by what actually sold over weeks 0..w-1 against what the origin forecast for them. Only
    weeks already past move it: week 0 is the origin's forecast as it was.
    forecasts: replay_forecasts' rows with week_start; actual: unique_id, week (0-based), units."""
    forecasts = forecasts.sort_values(["unique_id", "week_start"]).copy()
    forecasts["week"] = forecasts.groupby("unique_id").cumcount()
    sold = forecasts.merge(actual[["unique_id", "week", "units"]], on=["unique_id", "week"], how="left")
    sold["units"] = sold["units"].fillna(0.0)
    out = []
    for week in range(weeks):
        first = 0 if recent is None else max(week - recent, 0)
        past = sold[sold["week"].between(first, week - 1)].groupby(RELEVEL_KEYS)[["units", "forecast_units"]].sum()
        ratio = (past["units"] / past["forecast_units"].where(past["forecast_units"] > 0)).clip(*RELEVEL_BOUNDS)
        ahead = forecasts[forecasts["week"] >= week]
        last = ahead[ahead["week"] == weeks - 1]
        padding = [last.assign(week=weeks + k) for k in range(week)]
        ahead = pd.concat([ahead, *padding], ignore_index=True).sort_values(["unique_id", "week"])
        factor = pd.MultiIndex.from_frame(ahead[RELEVEL_KEYS]).map(ratio.to_dict()) if week else None
        scale = pd.Series(factor, index=ahead.index).astype(float).fillna(1.0) if week else 1.0
        out.append(ahead.assign(
            forecast_units=ahead["forecast_units"] * scale, lo_80=ahead["lo_80"] * scale,
            hi_80=ahead["hi_80"] * scale, backtest_mae=ahead["backtest_mae"],
            week_start=ahead["week_start"].min() + pd.to_timedelta(7 * (ahead["week"] - week), unit="D"),
        ).drop(columns="week"))  # fmt: skip
    return out


# The replay's length: as long as the average unit on hand at its start takes to sell at the rate of the 8 weeks
# before (stock-weighted days of cover), so what it measures is the policy's stock, not the stock it was handed.
# A site that sold nothing counts a year.
COVER_SQL = f"""
with sites as (
    select
        product_id, warehouse_id,
        sum(case when snapshot_date = date '{{cutoff}}' then on_hand_qty else 0 end) as on_hand,
        sum(units_sold) / 56.0 as daily_rate
    from {MART_SCHEMA}.fct_inventory_daily
    where snapshot_date > date '{{cutoff}}' - 56 and snapshot_date <= date '{{cutoff}}'
    group by product_id, warehouse_id
)
select
    sum(on_hand * least(coalesce(on_hand / nullif(daily_rate, 0), 365), 365)) / nullif(sum(on_hand), 0) as cover_days
from sites
where on_hand > 0
"""
MAX_COVER_DAYS = 365


def opening_cover_days(target: str, duckdb_path: Path, cutoff) -> float:
    """Stock-weighted days of cover on the cutoff day, from that day's stock and the 8 weeks of sales before it."""
    frame = read_sql(target, duckdb_path, COVER_SQL.format(cutoff=cutoff))
    value = frame["cover_days"].iloc[0] if not frame.empty else None
    return float(value) if value is not None and value == value else 0.0


def backtest_replay(
    target: str, duckdb_path: Path, history: pd.DataFrame, attributes: pd.DataFrame, windows: int | None = None
) -> ReplayForecasts:
    """The replay's forecasts: `windows` backtest windows, or as many as the opening cover rule asks for, measured
    on the day before the earliest window the replay could start (nothing held out measures it)."""
    backtest = read_backtest_weeks(target, duckdb_path)
    origins = replayable_origins(backtest)
    if windows is None:
        size = int(backtest[backtest["backtest_cutoff"] == origins[-1]].groupby("series_id").size().max())
        before = (origins[0] + pd.Timedelta(days=6)).date()  # the origin is the last training week's start
        cover = opening_cover_days(target, duckdb_path, before)
        windows = windows_for(cover, size, len(origins))
        log.info("replay: %.0f days of stock-weighted cover on %s: %d window(s) of %d weeks", cover, before,
                 windows, size)  # fmt: skip
    return replay_forecasts(backtest, history, attributes, windows)


def windows_for(cover_days: float, window_weeks: int, available: int) -> int:
    """Whole backtest windows covering cover_days, at least one, at most the windows the backtest holds out of
    sample."""
    return int(min(max(math.ceil(cover_days / (7 * window_weeks)), 1), available))

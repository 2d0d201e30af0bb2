"""Demand history -> clean statsforecast input (`unique_id`, `ds`, `y`), one rule per defect.

Whatever a file looks like, each series either gets a forecast or is rejected by name with the reason; nothing
here fails the whole run except a file with no usable series at all.

Rules, each counted in the run report:
- bad_date:         a series with a date that does not parse is rejected;
- non_numeric:      a series with a quantity that is not a number (text, inf) is rejected;
- negative_value:   a series with a negative quantity is rejected;
- duplicate_week:   a series with two rows for one period is rejected (which row is right is unknowable);
- off_calendar:     a weekly series whose own rows fall on different weekdays is rejected;
- missing_value:    an empty quantity is a week without sales, like a missing row;
- gap_filled:       missing periods inside a series are filled with 0 and flagged (`is_filled`); a series with such
                    gaps (rows only when it sold) also runs with zeros to the file's last period;
- own_weekday:      weekly series labelled on another weekday than most keep their own weekday (they are modelled
                    on the common calendar and shifted back);
- daily_input:      daily rows are summed into weeks starting on Monday;
- all_zero:         a series that never sold gets a zero forecast, no model;
- short_history:    a series shorter than the backtest needs is forecast by the recent-mean rule (forecasting.simple);
- censored:         a stock-out week's sales understate demand: the model sees max(sales, the mean of the
                    previous uncensored weeks) instead, and accuracy is measured on uncensored weeks only.
Monthly input (one row per month) is modelled monthly with a 12-month season; quarterly input (one row per quarter,
dated on any one month of it) quarterly with a 4-quarter season. Read as months, a quarterly file would show two
empty months between every two rows and be filled with zero sales.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
CENSOR_LOOKBACK_WEEKS = 8
MONTHLY = "MS"
QUARTERLY = "QS"
SEASONS = {MONTHLY: 12, QUARTERLY: 4}  # periods per year; weekly: 52
PERIOD_NAMES = {MONTHLY: "month", QUARTERLY: "quarter"}


@dataclass
class PreparedHistory:
    history: pd.DataFrame  # unique_id, ds, y (model input), y_observed, is_censored, is_filled
    freq: str
    modelled: list[str]  # series that get the backtest and selection
    short: list[str]  # series forecast by the recent-mean rule only
    all_zero: list[str]  # series forecast as zero
    rejected: dict[str, str] = field(default_factory=dict)  # series -> message
    counts: Counter = field(default_factory=Counter)  # rule -> series (or rows) affected
    offsets: dict[str, int] = field(default_factory=dict)  # series -> days its own weekday lies after the calendar's
    notes: list[str] = field(default_factory=list)  # what was done to the input, in sentences for the report

    @property
    def season_length(self) -> int:
        return SEASONS.get(self.freq, 52)

    @property
    def period(self) -> str:
        return PERIOD_NAMES.get(self.freq, "week")


def infer_weekly_freq(ds: pd.Series) -> str:
    """The pandas weekly frequency whose anchor is the weekday the dates fall on (weeks may end on any day)."""
    weekdays = pd.to_datetime(ds).dt.dayofweek.value_counts()
    if weekdays.empty:
        raise ValueError("no dates to infer a weekly frequency from")
    return f"W-{WEEKDAYS[int(weekdays.idxmax())]}"


def infer_spacing(data: pd.DataFrame) -> str:
    """daily, weekly, monthly or quarterly, from the typical gap between a series' consecutive dates."""
    ordered = data[["unique_id", "ds"]].drop_duplicates().sort_values(["unique_id", "ds"]).reset_index(drop=True)
    gaps = ordered.groupby("unique_id")["ds"].diff().dt.days.dropna()
    if gaps.empty:
        return "weekly"  # one date per series: nothing to tell, weekly is this platform's grain
    # The smallest gap each series shows (sparse weekly series skip weeks, never days), then the commonest.
    typical = gaps.groupby(ordered.loc[gaps.index, "unique_id"]).min().median()
    if typical < 5:
        return "daily"
    # Monthly only when the dates are calendar months (one day of the month, or month ends): a sparse weekly series
    # whose rows lie five weeks apart must not be read as monthly.
    days = ordered["ds"].dt.day
    if typical >= 28 and (days.nunique() == 1 or ordered["ds"].dt.is_month_end.all()):
        # Quarterly when rows lie a quarter apart and every date falls on the same month of its quarter.
        if typical >= 85 and (ordered["ds"].dt.month % 3).nunique() == 1:
            return "quarterly"
        return "monthly"
    return "weekly"


def _period_index(ds: pd.Series, freq: str) -> np.ndarray:
    if freq == MONTHLY:
        return (ds.dt.year * 12 + ds.dt.month - 1).to_numpy()
    if freq == QUARTERLY:
        return (ds.dt.year * 4 + (ds.dt.month - 1) // 3).to_numpy()
    return ((ds - pd.Timestamp("1970-01-05")).dt.days // 7).to_numpy()  # Monday-based week numbers


def _period_dates(index: np.ndarray, anchor: pd.Timestamp, freq: str) -> pd.Series:
    if freq == MONTHLY:
        return pd.to_datetime(pd.DataFrame({"year": index // 12, "month": index % 12 + 1, "day": 1}))
    if freq == QUARTERLY:
        return pd.to_datetime(pd.DataFrame({"year": index // 4, "month": index % 4 * 3 + 1, "day": 1}))
    base = (anchor - pd.Timestamp("1970-01-05")).days // 7
    return pd.Series(anchor + pd.to_timedelta((index - base) * 7, unit="D"))


def _complete_periods(data: pd.DataFrame, freq: str) -> pd.DataFrame:
    """Every period from each series' first to last, missing ones filled with 0 and flagged is_filled."""
    data = data.assign(period=_period_index(data["ds"], freq))
    bounds = data.groupby("unique_id")["period"].agg(["min", "max", "size"])
    # A series with rows only in the periods it sold (gaps inside it) did not sell after its last row either: it
    # runs to the file's last period, so its forecast starts where everyone's does. A gapless series keeps its end
    # (competition files hold series that end on different dates).
    sparse = bounds["size"] < bounds["max"] - bounds["min"] + 1
    bounds["max"] = bounds["max"].where(~sparse, data["period"].max())
    counts = (bounds["max"] - bounds["min"] + 1).to_numpy()
    offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    grid = pd.DataFrame(
        {
            "unique_id": np.repeat(bounds.index.to_numpy(), counts),
            "period": np.repeat(bounds["min"].to_numpy(), counts) + offsets,
        }
    )
    grid["ds"] = _period_dates(grid["period"].to_numpy(), data["ds"].iloc[0], freq).to_numpy()
    grid = grid.merge(data[["unique_id", "period", "y", "is_censored"]], on=["unique_id", "period"], how="left")
    grid["is_filled"] = grid["y"].isna()
    grid["y"] = grid["y"].fillna(0.0).astype(float)
    grid["is_censored"] = grid["is_censored"].astype("boolean").fillna(False).astype(bool)
    return grid.drop(columns="period")


def _censored_demand(grid: pd.DataFrame) -> pd.Series:
    """Sales in stock-out weeks raised to the mean uncensored sales of the previous weeks, never lowered."""
    uncensored = grid["y"].where(~grid["is_censored"])
    recent = uncensored.groupby(grid["unique_id"]).transform(
        lambda s: s.shift(1).rolling(CENSOR_LOOKBACK_WEEKS, min_periods=1).mean()
    )
    raised = np.maximum(grid["y"], recent.fillna(grid["y"]))
    return grid["y"].where(~grid["is_censored"], raised)


def _reject(result: PreparedHistory, rows: pd.DataFrame, rule: str, describe) -> None:
    for uid, group in rows.groupby("unique_id"):
        if uid not in result.rejected:
            result.rejected[uid] = f"series {uid}: {describe(group)} ({rule})"
            result.counts[rule] += 1


def _parse(frame: pd.DataFrame, result: PreparedHistory) -> pd.DataFrame:
    """Types every column; rows a series cannot be trusted with reject that series."""
    data = frame.copy()
    unnamed = data["unique_id"].isna() | data["unique_id"].astype(str).str.strip().eq("")
    if unnamed.any():
        result.counts["no_unique_id"] += int(unnamed.sum())
        result.notes.append(f"{int(unnamed.sum())} row(s) without a unique_id were left out")
        data = data[~unnamed]
    data["unique_id"] = data["unique_id"].astype(str).str.strip()
    raw_ds, raw_y = data["ds"], data["y"]
    data["ds"] = pd.to_datetime(raw_ds, errors="coerce", format="mixed")
    if getattr(data["ds"].dt, "tz", None) is not None:
        data["ds"] = data["ds"].dt.tz_localize(None)
    data["ds"] = data["ds"].dt.normalize()
    data["y"] = pd.to_numeric(raw_y, errors="coerce")
    _reject(result, data[data["ds"].isna()].assign(raw=raw_ds), "bad_date",
            lambda g: f"date {str(g['raw'].iloc[0])!r} is not a date; write dates as YYYY-MM-DD")  # fmt: skip
    blank = raw_y.isna() | raw_y.astype(str).str.strip().eq("")
    text = data["y"].isna() & ~blank
    infinite = np.isinf(data["y"].fillna(0).to_numpy(dtype=float))
    _reject(result, data[text | infinite].assign(raw=raw_y), "non_numeric",
            lambda g: f"quantity {str(g['raw'].iloc[0])!r} on {g['ds'].iloc[0]} is not a number; "
                      "write plain numbers")  # fmt: skip
    _reject(result, data[data["y"] < 0], "negative_value",
            lambda g: f"negative quantity {g['y'].min()} in week {g['ds'].iloc[0].date()}; "
                      "net returns out or set them to 0")  # fmt: skip
    missing = data["y"].isna() & blank
    if missing.any():
        result.counts["missing_value"] += int(missing.sum())
        result.notes.append(f"{int(missing.sum())} empty quantity cell(s) read as 0 sales")
    data["y"] = data["y"].fillna(0.0)
    if "is_censored" not in data:
        data["is_censored"] = False
    data["is_censored"] = data["is_censored"].astype("boolean").fillna(False).astype(bool)
    return data[~data["unique_id"].isin(result.rejected)]


def _duplicates(data: pd.DataFrame, result: PreparedHistory, period: str) -> pd.DataFrame:
    dup = data[data.duplicated(["unique_id", "ds"], keep=False)]
    _reject(result, dup, "duplicate_week",
            lambda g: f"{len(g)} rows for {period}(s) {sorted(g['ds'].dt.date.astype(str).unique())[:3]}; "
                      "keep one row per series and " + period)  # fmt: skip
    return data[~data["unique_id"].isin(result.rejected)]


def _to_weeks(data: pd.DataFrame, result: PreparedHistory) -> pd.DataFrame:
    """Daily rows summed into weeks labelled by their Monday."""
    days = len(data)
    data = data.assign(ds=data["ds"] - pd.to_timedelta(data["ds"].dt.dayofweek, unit="D"))
    data = data.groupby(["unique_id", "ds"], as_index=False).agg(
        y=("y", "sum"), is_censored=("is_censored", "any"), days=("y", "size")
    )
    # A series' first or last week with fewer days than its usual week would read as a drop in demand: it is left
    # out, unless it is all the series has. Usual, not seven: a series sold (or traded) on weekdays only has five
    # days in every full week, and its complete last week is the one a forecast most needs.
    first = data.groupby("unique_id")["ds"].transform("min")
    last = data.groupby("unique_id")["ds"].transform("max")
    weeks = data.groupby("unique_id")["ds"].transform("size")
    usual = data.groupby("unique_id")["days"].transform("median")
    partial = (data["days"] < usual) & ((data["ds"] == first) | (data["ds"] == last)) & (weeks > 2)
    data = data[~partial].drop(columns="days")
    result.counts["daily_input"] += days
    result.notes.append(
        f"daily input: {days} daily rows summed into {len(data)} weeks starting on Monday"
        + (f" ({int(partial.sum())} partial first or last week(s) left out)" if partial.any() else "")
    )
    return data


def _own_weekdays(data: pd.DataFrame, result: PreparedHistory, freq: str) -> pd.DataFrame:
    """Moves each series labelled on another weekday onto the common calendar, remembering how far."""
    if data.empty:  # every series was rejected before
        return data
    anchor = WEEKDAYS.index(freq.split("-")[1])
    weekdays = data.groupby("unique_id")["ds"].agg(lambda d: d.dt.dayofweek.nunique())
    mixed = data[data["unique_id"].isin(weekdays[weekdays > 1].index)]
    _reject(result, mixed, "off_calendar",
            lambda g: f"its weeks fall on {g['ds'].dt.day_name().nunique()} different weekdays "
                      f"({', '.join(sorted(g['ds'].dt.day_name().unique()))}); label every week of a series "
                      "on the same weekday")  # fmt: skip
    data = data[~data["unique_id"].isin(result.rejected)]
    own = data.groupby("unique_id")["ds"].first().dt.dayofweek
    shift = ((own - anchor) % 7).astype(int)
    result.offsets = {uid: int(days) for uid, days in shift.items() if days}
    if result.offsets:
        labels = own[shift > 0].map(lambda d: WEEKDAYS[d]).value_counts()
        result.counts["own_weekday"] += len(result.offsets)
        result.notes.append(
            f"{len(result.offsets)} series labelled on another weekday than {WEEKDAYS[anchor]} "
            f"({', '.join(f'{n} on {day}' for day, n in labels.items())}) keep their own weekday in the forecast"
        )
    return data.assign(ds=data["ds"] - pd.to_timedelta(data["unique_id"].map(shift).fillna(0), unit="D"))


def prepare_history(frame: pd.DataFrame, min_weeks: int, freq: str | None = None) -> PreparedHistory:
    """Checks and completes every series; min_weeks is the shortest history (in periods) the backtest can use."""
    missing = {"unique_id", "ds", "y"} - set(frame.columns)
    if missing:
        raise ValueError(f"demand history lacks column(s) {sorted(missing)}; expected unique_id, ds, y")
    result = PreparedHistory(pd.DataFrame(), freq or "W-SUN", [], [], [])
    data = _parse(frame, result)
    if data.empty:
        result.history = pd.DataFrame(columns=["unique_id", "ds", "y", "y_observed", "is_censored", "is_filled"])
        return result
    spacing = "weekly" if freq and freq.startswith("W-") else {MONTHLY: "monthly", QUARTERLY: "quarterly"}.get(freq)
    spacing = spacing or infer_spacing(data)
    if spacing == "daily":
        data = _duplicates(data, result, "day")
        data = _to_weeks(data, result) if not data.empty else data
    if spacing == "monthly":
        result.freq = MONTHLY
        data = data.assign(ds=data["ds"].dt.to_period("M").dt.start_time)
        data = _duplicates(data, result, "month")
    elif spacing == "quarterly":
        result.freq = QUARTERLY
        data = data.assign(ds=data["ds"].dt.to_period("Q").dt.start_time)
        data = _duplicates(data, result, "quarter")
    else:
        result.freq = freq or (infer_weekly_freq(data["ds"]) if not data.empty else "W-SUN")
        data = _duplicates(data, result, "week")
        data = _own_weekdays(data, result, result.freq)

    if data.empty:
        result.history = pd.DataFrame(columns=["unique_id", "ds", "y", "y_observed", "is_censored", "is_filled"])
        return result
    grid = _complete_periods(data, result.freq)
    filled = grid.groupby("unique_id")["is_filled"].any()
    result.counts["gap_filled"] += int(filled.sum())
    result.counts["filled_weeks"] += int(grid["is_filled"].sum())
    if grid["is_filled"].any():
        result.notes.append(
            f"{int(grid['is_filled'].sum())} missing {result.period}(s) in {int(filled.sum())} series "
            "filled with 0 sales"
        )
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

"""Inventory policy per product x warehouse from the weekly demand forecast: reorder point and target level for
a cycle service level, the safety stock between them and the forecast, and the overstock and deficit they reveal.

Days are the unit: a weekly forecast is spread evenly over its days, its spread (from the 80% interval, sigma =
(hi_80 - lo_80) / 2.563) split so the days' variances add up to the week's. The reorder point covers demand over
the lead time, the target level over the lead time plus the review period (the order cycle). Quantiles are
negative binomial, or Poisson where the forecast spread is narrower: most series sell a few units a week, where a
normal quantile runs short. Levels are time-phased, one per day of the horizon, so a seasonal peak raises them
before it arrives; past the horizon the last week's forecast holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.stats import nbinom, norm, poisson

from optimization.options import check_service_level

Z_80_TWO_SIDED = 2 * norm.ppf(0.9)
MAE_TO_SIGMA = (np.pi / 2) ** 0.5
KEYS = ["product_id", "warehouse_id"]


@dataclass(frozen=True)
class PolicyOptions:
    # "cost": each product x warehouse's level is its critical ratio (optimization/service_levels.py); "fixed":
    # service_level (or the category's) for every one.
    level_rule: str = "cost"
    service_level: float = 0.95  # cycle service level under the fixed rule: chance a cycle sees no stock-out
    service_level_by_category: dict[str, float] = field(default_factory=dict)
    lead_time_days: int = 14  # supplier lead time where a series has none measured
    review_days: int = 7  # the order cycle: an order brings the position up to cover this much beyond lead time
    # Under the cost rule, price an order's excess over the days it would sit before it sells, not one review
    # period (service_levels.sitting_levels); False is the one-period newsvendor.
    excess_sits: bool = True

    def level_for(self, category: str | None) -> float:
        level = self.service_level_by_category.get(category or "", self.service_level)
        check_service_level(level, where=f" for category {category!r}")
        return level


def measured_lead_times(series: pd.DataFrame, lead_times: pd.DataFrame, options: PolicyOptions) -> pd.Series:
    """Whole days of replenishment lead time per series (product_id, warehouse_id rows) from the measured
    lead_time_days; a series with none measured takes its warehouse's median, then the options' default."""
    measured = series[KEYS].merge(lead_times, on=KEYS, how="left")["lead_time_days"]
    by_warehouse = lead_times.groupby("warehouse_id")["lead_time_days"].median()
    days = measured.fillna(series["warehouse_id"].map(by_warehouse).reset_index(drop=True))
    return days.round().clip(lower=1).fillna(options.lead_time_days).astype(int).set_axis(series.index)


def with_lead_times(forecasts: pd.DataFrame, lead_times: pd.DataFrame, options: PolicyOptions) -> pd.DataFrame:
    """forecasts with each series' lead_time_days (see measured_lead_times)."""
    series = forecasts[KEYS].drop_duplicates()
    return forecasts.merge(series.assign(lead_time_days=measured_lead_times(series, lead_times, options)), on=KEYS)


def series_levels(series: pd.DataFrame, options: PolicyOptions) -> pd.Series:
    """The service level per row: a service_level column (chosen by cost, service_levels.with_service_levels)
    where there is one, else the options' level for the category."""
    fixed = series["category"].map(options.level_for)
    return series["service_level"].fillna(fixed) if "service_level" in series else fixed


def demand_quantile(mean: np.ndarray, sd: np.ndarray, level: np.ndarray) -> np.ndarray:
    """Whole units covering `level` of demand with this mean and spread: negative binomial when the spread
    exceeds Poisson's, else Poisson."""
    mean = np.maximum(np.asarray(mean, dtype=float), 0.0)
    variance = np.maximum(np.asarray(sd, dtype=float) ** 2, mean)
    positive = mean > 0
    safe_mean = np.where(positive, mean, 1.0)
    dispersed = positive & (variance > mean * (1 + 1e-6))
    safe_var = np.where(dispersed, variance, safe_mean * 2)
    size = safe_mean**2 / (safe_var - safe_mean)
    quantile = np.where(dispersed, nbinom.ppf(level, size, safe_mean / safe_var), poisson.ppf(level, safe_mean))
    return np.where(positive, quantile, 0.0)


def daily_rates(forecasts: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Series (product_id, warehouse_id, category[, lead_time_days]) and their daily forecast mean and variance,
    one column per day of the horizon."""
    ordered = forecasts.sort_values([*KEYS, "week_start"])
    weeks = ordered.groupby(KEYS, sort=False).size()
    if weeks.nunique() != 1:
        raise ValueError("every product x warehouse needs the same number of forecast weeks")
    horizon = int(weeks.iloc[0])
    extra = [column for column in ("lead_time_days", "service_level", "order_level") if column in ordered]
    series = ordered[[*KEYS, "category", *extra]].drop_duplicates(KEYS).reset_index(drop=True)
    sigma = ((ordered["hi_80"] - ordered["lo_80"]) / Z_80_TWO_SIDED).clip(lower=0)
    if "backtest_mae" in ordered:
        # For a normal error the mean absolute error is 0.8 sigma.
        sigma = sigma.clip(lower=ordered["backtest_mae"] * MAE_TO_SIGMA)
    sigma = sigma.to_numpy(dtype=float)
    mean = np.repeat(ordered["forecast_units"].to_numpy(dtype=float).reshape(-1, horizon) / 7, 7, axis=1)
    variance = np.repeat((sigma**2).reshape(-1, horizon) / 7, 7, axis=1)
    return series, mean, variance


def phased_levels(forecasts: pd.DataFrame, options: PolicyOptions) -> pd.DataFrame:
    """Levels per product x warehouse for each day of the horizon: product_id, warehouse_id, category,
    lead_time_days, day (0-based), lead_time_demand, cover_demand, cover_sigma, safety_stock, reorder_point,
    target_level. A lead_time_days column in forecasts (measured per series) overrides the default."""
    series, mean, variance = daily_rates(forecasts)
    if "lead_time_days" not in series:
        series["lead_time_days"] = options.lead_time_days
    days = mean.shape[1]
    lead = series["lead_time_days"].to_numpy(dtype=int)[:, None]
    cover = lead + options.review_days
    longest = int(cover.max())

    def window_sums(values: np.ndarray, length: np.ndarray) -> np.ndarray:
        """Sum over the next `length` days from each day (past the horizon, its last week repeats)."""
        tail = np.tile(values[:, -7:], (1, longest // 7 + 1))
        running = np.concatenate([np.zeros((len(values), 1)), np.concatenate([values, tail], axis=1).cumsum(axis=1)],
                                 axis=1)  # fmt: skip
        return np.take_along_axis(running, np.arange(days)[None, :] + length, axis=1) - running[:, :days]

    level = series_levels(series, options).to_numpy()[:, None] * np.ones((1, days))
    lead_demand, cover_demand = window_sums(mean, lead), window_sums(mean, cover)
    lead_sigma, cover_sigma = np.sqrt(window_sums(variance, lead)), np.sqrt(window_sums(variance, cover))
    protect = demand_quantile(lead_demand, lead_sigma, level)
    if "order_level" in series:
        # How much an order brings: the level whose excess pays for the days it sits (service_levels.sitting_levels),
        # never below what protects the lead time.
        order_level = series["order_level"].fillna(series_levels(series, options)).to_numpy()[:, None]
        order_level = order_level * np.ones((1, days))
        target = np.maximum(demand_quantile(cover_demand, cover_sigma, order_level), protect)
    else:
        target = demand_quantile(cover_demand, cover_sigma, level)
    levels = {
        "lead_time_demand": lead_demand, "lead_sigma": lead_sigma, "cover_demand": cover_demand,
        "cover_sigma": cover_sigma,
        "safety_stock": np.maximum(target - np.ceil(cover_demand), 0),
        "reorder_point": np.minimum(protect, target),
        "target_level": target,
    }  # fmt: skip
    frame = series.loc[series.index.repeat(days)].reset_index(drop=True)
    frame["day"] = np.tile(np.arange(days), len(series))
    for name, values in levels.items():
        frame[name] = values.reshape(-1)
    return frame


def inventory_policy(forecasts: pd.DataFrame, positions: pd.DataFrame, options: PolicyOptions) -> pd.DataFrame:
    """The policy in force today (the first day's levels) and the position it judges.
    forecasts: product_id, warehouse_id, category, week_start, forecast_units, lo_80, hi_80 and optionally
    lead_time_days; positions: product_id, warehouse_id, on_hand_qty, on_order_qty, in_transit_qty."""
    today = phased_levels(forecasts, options).query("day == 0").drop(columns="day")
    whole = forecasts.groupby(KEYS).agg(
        horizon_demand=("forecast_units", "sum"), weekly_demand=("forecast_units", "mean")
    )
    policy = today.merge(whole.reset_index(), on=KEYS)
    policy["service_level"] = series_levels(policy, options)
    stock = positions[[*KEYS, "on_hand_qty", "on_order_qty", "in_transit_qty"]]
    policy = policy.merge(stock, on=KEYS, how="left")
    policy[stock.columns[2:]] = policy[stock.columns[2:]].fillna(0)
    policy["inventory_position"] = policy["on_hand_qty"] + policy["on_order_qty"] + policy["in_transit_qty"]
    weekly = policy["weekly_demand"].where(policy["weekly_demand"] > 0)
    policy["days_of_cover"] = (7 * policy["on_hand_qty"] / weekly).fillna(np.inf)
    policy["overstock_units"] = (policy["on_hand_qty"] - policy["target_level"]).clip(lower=0)
    policy["deficit_units"] = (policy["reorder_point"] - policy["inventory_position"]).clip(lower=0)
    return policy


def protect_lead_time(sites: pd.DataFrame) -> pd.DataFrame:
    """What a transfer protects: demand until an order placed today would land (the lead time), with at least
    Poisson's spread."""
    sigma = sites["lead_sigma"].where(sites["lead_sigma"] ** 2 > sites["lead_time_demand"])
    return sites.assign(
        protected_demand=sites["lead_time_demand"], protected_sigma=sigma.fillna(sites["lead_time_demand"] ** 0.5)
    )

"""Inventory policy per product x warehouse from the demand forecast: safety stock for a cycle service level,
reorder point, target level, and the overstock and deficit they reveal.

Weekly forecast spread comes from the 80% interval (a normal approximation: sigma = (hi_80 - lo_80) / 2.563);
lead-time demand and its spread add up over the lead time's weeks, the weeks taken as independent.
Levels are time-phased: the review at the start of week p protects the forecast of weeks p.. onwards, so a
seasonal peak raises the reorder point before it arrives (past the horizon the last week's forecast holds).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.stats import nbinom, norm, poisson

Z_80_TWO_SIDED = 2 * norm.ppf(0.9)


@dataclass(frozen=True)
class PolicyOptions:
    service_level: float = 0.95  # cycle service level: chance a replenishment cycle sees no stock-out
    service_level_by_category: dict[str, float] = field(default_factory=dict)
    lead_time_weeks: int = 2  # supplier replenishment lead time
    review_weeks: int = 1  # how often stock is reviewed and reordered

    def level_for(self, category: str | None) -> float:
        level = self.service_level_by_category.get(category or "", self.service_level)
        if not 0.5 <= level < 1:
            raise ValueError(f"service level {level} for category {category!r} must be in [0.5, 1)")
        return level


def lead_time_weeks(series: pd.DataFrame, lead_times: pd.DataFrame, options: PolicyOptions) -> pd.Series:
    """Whole weeks of replenishment lead time per series (product_id, warehouse_id rows) from measured
    lead_time_days: a series with none measured takes its warehouse's median, then the options' default."""
    keys = ["product_id", "warehouse_id"]
    measured = series[keys].merge(lead_times, on=keys, how="left")["lead_time_days"]
    by_warehouse = lead_times.groupby("warehouse_id")["lead_time_days"].median()
    days = measured.fillna(series["warehouse_id"].map(by_warehouse).reset_index(drop=True))
    weeks = (days / 7).round().clip(lower=1).fillna(options.lead_time_weeks).astype(int)
    return weeks.set_axis(series.index)


def demand_quantile(mean: np.ndarray, sd: np.ndarray, level: np.ndarray) -> np.ndarray:
    """Whole units covering `level` of demand with this mean and spread: negative binomial when the spread exceeds
    Poisson's (most series here sell a few units a week, where a normal quantile runs short), else Poisson."""
    mean = np.maximum(np.asarray(mean, dtype=float), 0.0)
    variance = np.maximum(np.asarray(sd, dtype=float) ** 2, mean * (1 + 1e-6))
    positive = mean > 0
    safe_mean, safe_var = np.where(positive, mean, 1.0), np.where(positive, variance, 2.0)
    dispersed = safe_var > safe_mean * (1 + 1e-6)
    size = np.where(dispersed, safe_mean**2 / np.maximum(safe_var - safe_mean, 1e-12), 1.0)
    quantile = np.where(
        dispersed, nbinom.ppf(level, size, safe_mean / safe_var), poisson.ppf(level, safe_mean)
    )
    return np.where(positive, quantile, 0.0)


def phased_levels(forecasts: pd.DataFrame, options: PolicyOptions) -> pd.DataFrame:
    """Reorder point and target level per product x warehouse for the review at the start of each forecast week:
    product_id, warehouse_id, category, lead_time_weeks, week (0-based), lead_time_demand, cover_demand,
    cover_sigma, safety_stock, reorder_point, target_level. A `lead_time_weeks` column in forecasts (measured per
    series) overrides the options' default."""
    keys = ["product_id", "warehouse_id"]
    ordered = forecasts.sort_values([*keys, "week_start"])
    if "lead_time_weeks" not in ordered:
        ordered = ordered.assign(lead_time_weeks=options.lead_time_weeks)
    sigma = ((ordered["hi_80"] - ordered["lo_80"]) / Z_80_TWO_SIDED).clip(lower=0)
    series = ordered[[*keys, "category", "lead_time_weeks"]].drop_duplicates(keys).reset_index(drop=True)
    weeks = ordered.groupby(keys).size()
    if weeks.nunique() != 1:
        raise ValueError("every product x warehouse needs the same number of forecast weeks")
    horizon = int(weeks.iloc[0])
    lead = series["lead_time_weeks"].to_numpy(dtype=int)[:, None]
    cover = lead + options.review_weeks
    mean = ordered["forecast_units"].to_numpy(dtype=float).reshape(-1, horizon)
    variance = (sigma.to_numpy(dtype=float) ** 2).reshape(-1, horizon)
    longest = int(cover.max())

    def window_sums(values: np.ndarray, length: np.ndarray) -> np.ndarray:
        padded = np.concatenate([values, np.repeat(values[:, -1:], longest, axis=1)], axis=1)
        running = np.concatenate([np.zeros((len(values), 1)), padded.cumsum(axis=1)], axis=1)
        starts = np.arange(horizon)[None, :]
        return np.take_along_axis(running, starts + length, axis=1) - running[:, :horizon]

    level = series["category"].map(options.level_for).to_numpy()[:, None] * np.ones((1, horizon))
    lead_demand, cover_demand = window_sums(mean, lead), window_sums(mean, cover)
    lead_sigma, cover_sigma = np.sqrt(window_sums(variance, lead)), np.sqrt(window_sums(variance, cover))
    target = demand_quantile(cover_demand, cover_sigma, level)
    reorder_point = np.minimum(demand_quantile(lead_demand, lead_sigma, level), target)
    levels = {
        "lead_time_demand": lead_demand, "cover_demand": cover_demand, "cover_sigma": cover_sigma,
        "safety_stock": np.maximum(target - np.ceil(cover_demand), 0), "reorder_point": reorder_point,
        "target_level": target,
    }  # fmt: skip
    frame = series.loc[series.index.repeat(horizon)].reset_index(drop=True)
    frame["week"] = np.tile(np.arange(horizon), len(series))
    for name, values in levels.items():
        frame[name] = values.reshape(-1)
    return frame


def inventory_policy(forecasts: pd.DataFrame, positions: pd.DataFrame, options: PolicyOptions) -> pd.DataFrame:
    """The policy in force now (the first forecast week's levels) and the position it judges.
    forecasts: product_id, warehouse_id, category, week_start, forecast_units, lo_80, hi_80 and optionally
    lead_time_weeks; positions: product_id, warehouse_id, on_hand_qty, on_order_qty, in_transit_qty."""
    keys = ["product_id", "warehouse_id"]
    now = phased_levels(forecasts, options).query("week == 0").drop(columns="week")
    whole = forecasts.groupby(keys).agg(
        horizon_demand=("forecast_units", "sum"), weekly_demand=("forecast_units", "mean")
    )
    policy = now.merge(whole.reset_index(), on=keys)
    policy["service_level"] = policy["category"].map(options.level_for)
    policy = policy.merge(positions, on=keys, how="left").fillna(
        {"on_hand_qty": 0, "on_order_qty": 0, "in_transit_qty": 0}
    )
    policy["inventory_position"] = policy["on_hand_qty"] + policy["on_order_qty"] + policy["in_transit_qty"]
    weekly = policy["weekly_demand"].where(policy["weekly_demand"] > 0)
    policy["days_of_cover"] = (7 * policy["on_hand_qty"] / weekly).fillna(np.inf)
    policy["overstock_units"] = (policy["on_hand_qty"] - policy["target_level"]).clip(lower=0)
    policy["deficit_units"] = (policy["reorder_point"] - policy["inventory_position"]).clip(lower=0)
    return policy

"""Which service level each product x warehouse is held to, chosen by cost rather than set by hand.

Each order cycle is a newsvendor: a unit short loses its margin (sales are lost, not back-ordered), a unit too
many is carried one more review period. The level that minimises expected holding + lost margin is the critical
ratio margin / (margin + holding cost per review period). Transfer cost is not part of it: a transfer is bought
only when the reallocation model finds it pays (optimization/reallocation.py), so it never makes holding cheaper.

An order's size is the one exception to one period's holding: a unit of the order-up-to level that the cover window
does not sell waits for demand as long as the excess takes to sell, so the level an order brings the position up to
prices that wait (sitting_levels, from the planning forecast's rate and spread); the reorder point keeps the critical
ratio.

The critical ratio's inputs are the product master's price and cost and the holding rate
(sites.HOLDING_RATE_PER_YEAR), nothing measured on demand: no held-out week, indeed no sales at all, choose it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimization.policy import PolicyOptions, daily_rates, demand_quantile
from optimization.sites import HOLDING_RATE_PER_YEAR, holding_per_unit

KEYS = ["product_id", "warehouse_id"]
# Levels stay inside these: below the floor a plan would knowingly starve a product; above the ceiling a quantile
# of a fitted distribution is more guess than measurement.
LOWEST_LEVEL, HIGHEST_LEVEL = 0.80, 0.995


def critical_ratio(unit_price, unit_cost, review_days: int, holding_rate: float = HOLDING_RATE_PER_YEAR):
    """margin / (margin + holding over one review period), per unit; arrays or scalars."""
    margin = np.maximum(np.subtract(unit_price, unit_cost), 0.01)
    holding = unit_cost * holding_rate * review_days / 365
    return margin / (margin + holding)


def cost_service_levels(series: pd.DataFrame, products: pd.DataFrame, review_days: int) -> pd.DataFrame:
    """series: product_id, warehouse_id[, category]; products: product_id, unit_price, unit_cost. Returns series
    with unit_margin, holding_per_cycle and service_level (the critical ratio, clipped to the floor and ceiling;
    a product missing from the master takes the median level)."""
    priced = series.merge(products[["product_id", "unit_price", "unit_cost"]], on="product_id", how="left")
    ratio = critical_ratio(priced["unit_price"].astype(float), priced["unit_cost"].astype(float), review_days)
    ratio = ratio.fillna(ratio.median() if ratio.notna().any() else 0.95)
    return priced.assign(
        unit_margin=(priced["unit_price"] - priced["unit_cost"]).clip(lower=0.01),
        holding_per_cycle=priced["unit_cost"] * HOLDING_RATE_PER_YEAR * review_days / 365,
        service_level=ratio.clip(LOWEST_LEVEL, HIGHEST_LEVEL),
    )


def level_report(sites: pd.DataFrame, review_days: int = 7) -> pd.DataFrame:
    """Per category: sites, the levels in force (min, median, max) and the median margin and holding cost per
    review period that chose them (critical ratio = margin / (margin + holding)), for the run's log."""
    margin = (sites["unit_price"] - sites["unit_cost"]).clip(lower=0.01)
    return (
        sites.assign(
            category=sites["category"].fillna("unknown"), margin=margin,
            holding_per_cycle=sites["unit_cost"] * HOLDING_RATE_PER_YEAR * review_days / 365,
        )
        .groupby("category")
        .agg(
            sites=("service_level", "size"), level_min=("service_level", "min"),
            level_median=("service_level", "median"), level_max=("service_level", "max"),
            median_margin=("margin", "median"), median_holding_per_cycle=("holding_per_cycle", "median"),
        )
        .round(4)
    )  # fmt: skip


# The levels a site's excess-aware level is chosen from (at most its critical ratio, at least the floor).
LEVEL_STEPS = (0.80, 0.85, 0.90, 0.925, 0.95, 0.965, 0.975, 0.985, 0.99, 0.995)


def sitting_levels(forecasts: pd.DataFrame, levels: pd.DataFrame, review_days: int) -> pd.Series:
    """Per series (levels' rows: product_id, warehouse_id, unit_margin, unit_cost, service_level = the critical
    ratio), the highest level whose last unit still pays when its holding is priced over the days it would really
    sit: a unit of the order-up-to level S that the cover window does not sell waits (S - mean cover demand) / daily
    rate days for demand, not one review period. margin x (1 - level) >= level x holding(those days), never
    below the floor nor above the critical ratio. forecasts: policy.daily_rates' input with lead_time_days.
    Why: a lumpy series (sales of 0-15 a week with weeks of 90-110) has a forecast spread several times its mean,
    and its 99% quantile over lead time plus review is months of sales that sit on the shelf (the default sample's
    daily replay: a $5.80 product held 220 units for 10 a week, and the computed levels alone added 7% overstock)."""
    series, mean, variance = daily_rates(forecasts if "category" in forecasts else forecasts.assign(category=None))
    rate = mean.mean(axis=1)
    lead = series["lead_time_days"].to_numpy(dtype=float) if "lead_time_days" in series else np.full(len(series), 14.0)
    cover = lead + review_days
    cover_mean, cover_sigma = rate * cover, np.sqrt(variance.mean(axis=1) * cover)
    priced = series[KEYS].merge(levels, on=KEYS, how="left")
    margin, unit_cost = priced["unit_margin"].to_numpy(dtype=float), priced["unit_cost"].to_numpy(dtype=float)
    ceiling = priced["service_level"].to_numpy(dtype=float)
    chosen = np.full(len(series), LOWEST_LEVEL)
    for level in LEVEL_STEPS:
        stock = demand_quantile(cover_mean, cover_sigma, np.full(len(series), level))
        days = np.where(rate > 0, (stock - cover_mean) / np.where(rate > 0, rate, 1.0), np.inf)
        holding = holding_per_unit(unit_cost, np.maximum(days, review_days), floor_days=review_days)
        pays = margin * (1 - level) >= level * holding
        chosen = np.where(pays & (level <= ceiling), level, chosen)
    # The critical ratio itself where its own excess sells within a review period (the one-period newsvendor).
    stock = demand_quantile(cover_mean, cover_sigma, ceiling)
    within = (rate > 0) & (stock - cover_mean <= rate * review_days)
    chosen = np.where(within | np.isnan(unit_cost), np.maximum(chosen, np.nan_to_num(ceiling, nan=LOWEST_LEVEL)),
                      chosen)
    return pd.Series(np.minimum(chosen, np.nan_to_num(ceiling, nan=HIGHEST_LEVEL)), index=pd.MultiIndex.from_frame(
        series[KEYS]))


def with_service_levels(forecasts: pd.DataFrame, products: pd.DataFrame, options: PolicyOptions) -> pd.DataFrame:
    """forecasts with each series' service_level under the cost rule (unchanged under the fixed rule)."""
    if options.level_rule == "fixed":
        return forecasts.drop(columns="service_level", errors="ignore")
    if options.level_rule != "cost":
        raise ValueError(f"level rule {options.level_rule!r} must be cost or fixed")
    series = forecasts[KEYS].drop_duplicates()
    levels = cost_service_levels(series, products, options.review_days)
    if options.excess_sits and {"forecast_units", "lo_80", "hi_80", "week_start"} <= set(forecasts.columns):
        sitting = sitting_levels(forecasts.drop(columns="service_level", errors="ignore"), levels, options.review_days)
        levels = levels.assign(order_level=sitting.reindex(pd.MultiIndex.from_frame(levels[KEYS])).to_numpy())
    levels = levels[[*KEYS, "service_level", *(["order_level"] if "order_level" in levels else [])]]
    return forecasts.drop(columns=["service_level", "order_level"], errors="ignore").merge(levels, on=KEYS, how="left")

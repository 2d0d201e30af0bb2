"""Which service level each product x warehouse is held to, chosen by cost rather than set by hand.

Each order cycle is a newsvendor: a unit short loses its margin (sales are lost, not back-ordered), a unit too
many is carried one more review period. The level that minimises expected holding + lost margin is the critical
ratio margin / (margin + holding cost per review period). Transfer cost is not part of it: a transfer is bought
only when the reallocation model finds it pays (optimization/reallocation.py), so it never makes holding cheaper.

The inputs are the product master's price and cost and the holding rate (sites.HOLDING_RATE_PER_YEAR), nothing
measured on demand: no held-out week, indeed no sales at all, choose a level.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimization.policy import PolicyOptions
from optimization.sites import HOLDING_RATE_PER_YEAR

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


def with_service_levels(forecasts: pd.DataFrame, products: pd.DataFrame, options: PolicyOptions) -> pd.DataFrame:
    """forecasts with each series' service_level under the cost rule (unchanged under the fixed rule)."""
    if options.level_rule == "fixed":
        return forecasts.drop(columns="service_level", errors="ignore")
    if options.level_rule != "cost":
        raise ValueError(f"level rule {options.level_rule!r} must be cost or fixed")
    series = forecasts[KEYS].drop_duplicates()
    levels = cost_service_levels(series, products, options.review_days)[[*KEYS, "service_level"]]
    return forecasts.drop(columns="service_level", errors="ignore").merge(levels, on=KEYS, how="left")

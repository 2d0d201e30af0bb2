"""Inventory policy per product x warehouse from the demand forecast: safety stock for a cycle service level,
reorder point, target level, and the overstock and deficit they reveal.

Weekly forecast spread comes from the 80% interval (a normal approximation: sigma = (hi_80 - lo_80) / 2.563);
lead-time demand and its spread add up over the lead time's weeks, the weeks taken as independent.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.stats import norm

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


def inventory_policy(forecasts: pd.DataFrame, positions: pd.DataFrame, options: PolicyOptions) -> pd.DataFrame:
    """forecasts: product_id, warehouse_id, category, week_start, forecast_units, lo_80, hi_80;
    positions: product_id, warehouse_id, on_hand_qty, on_order_qty, in_transit_qty."""
    cover_weeks = options.lead_time_weeks + options.review_weeks
    ordered = forecasts.sort_values("week_start")
    ordered = ordered.assign(
        week_number=ordered.groupby(["product_id", "warehouse_id"]).cumcount(),
        sigma=((ordered["hi_80"] - ordered["lo_80"]) / Z_80_TWO_SIDED).clip(lower=0),
    )
    horizon = ordered["week_number"].max() + 1
    if cover_weeks > horizon:
        raise ValueError(f"lead time plus review ({cover_weeks} weeks) exceeds the forecast horizon ({horizon})")
    keys = ["product_id", "warehouse_id"]
    ordered["variance"] = ordered["sigma"] ** 2
    within = ordered[ordered["week_number"] < cover_weeks]
    lead = ordered[ordered["week_number"] < options.lead_time_weeks]
    cover = within.groupby(keys).agg(
        category=("category", "first"), cover_demand=("forecast_units", "sum"), cover_var=("variance", "sum")
    )
    lead_time = lead.groupby(keys).agg(lead_time_demand=("forecast_units", "sum"), lead_var=("variance", "sum"))
    whole = ordered.groupby(keys).agg(
        horizon_demand=("forecast_units", "sum"), weekly_demand=("forecast_units", "mean")
    )
    policy = cover.join(lead_time).join(whole).reset_index()
    policy["service_level"] = policy["category"].map(options.level_for)
    z = norm.ppf(policy["service_level"])
    policy["safety_stock"] = np.ceil(z * np.sqrt(policy["cover_var"]))
    policy["reorder_point"] = np.ceil(policy["lead_time_demand"] + z * np.sqrt(policy["lead_var"]))
    policy["target_level"] = np.ceil(policy["cover_demand"] + policy["safety_stock"])
    policy = policy.merge(positions, on=keys, how="left").fillna(
        {"on_hand_qty": 0, "on_order_qty": 0, "in_transit_qty": 0}
    )
    policy["inventory_position"] = policy["on_hand_qty"] + policy["on_order_qty"] + policy["in_transit_qty"]
    weekly = policy["weekly_demand"].where(policy["weekly_demand"] > 0)
    policy["days_of_cover"] = (7 * policy["on_hand_qty"] / weekly).fillna(np.inf)
    policy["overstock_units"] = (policy["on_hand_qty"] - policy["target_level"]).clip(lower=0)
    policy["deficit_units"] = (policy["reorder_point"] - policy["inventory_position"]).clip(lower=0)
    return policy.drop(columns=["cover_var", "lead_var"])

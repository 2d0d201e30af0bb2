"""The optimiser's and the simulator's view of each product x warehouse: its policy levels, stock, room, margin
and the cost of holding excess."""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimization.policy import protect_lead_time

HOLDING_RATE_PER_YEAR = 0.25  # of unit cost: capital, space, shrinkage
HOLDING_SPAN_DAYS = 28  # the least time excess is held before it sells down, for pricing it in the transfer model
LONGEST_HOLD_DAYS = 365  # surplus that would outlast a year is priced as a year's holding


def build_sites(policy: pd.DataFrame, warehouses: pd.DataFrame, products: pd.DataFrame) -> pd.DataFrame:
    """policy (see policy.inventory_policy) joined to warehouse capacity and product price and cost."""
    sites = policy.merge(warehouses[["warehouse_id", "capacity_units"]], on="warehouse_id").merge(
        products, on="product_id"
    )
    # A warehouse's room is shared by its products: each gets a share in proportion to its target level, which
    # keeps products separable for the optimiser.
    total_target = sites.groupby("warehouse_id")["target_level"].transform("sum")
    share = (sites["target_level"] / total_target.where(total_target > 0)).fillna(0)
    sites["capacity_units"] = (sites["capacity_units"] * share).clip(lower=sites["inventory_position"])
    sites["unit_margin"] = (sites["unit_price"] - sites["unit_cost"]).clip(lower=0.01)
    sites = priced_holding(sites)
    return protect_lead_time(sites)


def surplus_days(sites: pd.DataFrame) -> pd.Series:
    """How long a product's excess sits, per row: the days of cover (on hand at the forecast rate) of its most
    overstocked site, within [HOLDING_SPAN_DAYS, LONGEST_HOLD_DAYS]. One span per product, so excess costs the
    same wherever it sits and parking it at another site above target saves nothing; but a unit moved from
    that site into one below its target stops sitting there, which is what makes moving surplus pay (sites with
    months of cover to ones about to reorder) and not only covering a deficit."""
    over = sites["days_of_cover"].where(sites["on_hand_qty"] > sites["target_level"])
    longest = over.groupby(sites["product_id"]).transform("max")
    return longest.clip(HOLDING_SPAN_DAYS, LONGEST_HOLD_DAYS).fillna(HOLDING_SPAN_DAYS)


def priced_holding(sites: pd.DataFrame) -> pd.DataFrame:
    """sites with holding_cost per unit of excess from today's stock: days_of_cover (on hand at the forecast's
    weekly_demand) and the product's surplus span (surplus_days). A weekly re-plan calls it again, so surplus that
    has sold down stops pricing its moves."""
    weekly = sites["weekly_demand"].where(sites["weekly_demand"] > 0)
    sites = sites.assign(days_of_cover=(7 * sites["on_hand_qty"] / weekly).fillna(float("inf")))
    return sites.assign(holding_cost=holding_per_unit(sites["unit_cost"], surplus_days(sites)))


def holding_per_unit(unit_cost, days, floor_days: float = HOLDING_SPAN_DAYS):
    """What holding one unit for `days` costs, the days taken within [floor_days, LONGEST_HOLD_DAYS]: the one price
    of surplus, for the transfer model (priced_holding, at least a month) and the simulator's pulls (netting, the
    days the surplus actually sits)."""
    return unit_cost * HOLDING_RATE_PER_YEAR * np.clip(days, floor_days, LONGEST_HOLD_DAYS) / 365

"""The naive rebalancing a planner might do by hand, to measure the optimiser against: per product, stock above
target is pooled and handed to the short warehouses in proportion to their forecast demand, each pulling from
the cheapest lane first. No costs are weighed, so it moves stock even when the move costs more than it saves."""

from __future__ import annotations

import math

import pandas as pd

from optimization.reallocation import TRANSFER_COLUMNS


def proportional_rebalance(sites: pd.DataFrame, lanes: pd.DataFrame, horizon_days: int) -> pd.DataFrame:
    """sites as for the optimiser; returns transfers in the same shape as its plan."""
    usable = lanes[lanes["lead_time_days"] < horizon_days]
    transfers = []
    for product_id, group in sites.groupby("product_id", sort=True):
        group = group.set_index("warehouse_id")
        surplus = (group["on_hand_qty"] - group[["target_level", "safety_stock"]].max(axis=1)).clip(lower=0)
        deficit = (group["protected_demand"] - group["inventory_position"]).clip(lower=0)
        pool, wanted = surplus.sum(), deficit.sum()
        if pool <= 0 or wanted <= 0:
            continue
        share = (deficit / wanted * min(pool, wanted)).apply(math.floor)
        remaining = surplus.copy()
        for destination, units in share[share > 0].sort_values(ascending=False).items():
            sources = usable[(usable["to_warehouse_id"] == destination) & usable["from_warehouse_id"].isin(group.index)]
            for lane in sources.sort_values("transfer_cost_per_unit").itertuples():
                take = int(min(units, remaining[lane.from_warehouse_id]))
                if take <= 0:
                    continue
                remaining[lane.from_warehouse_id] -= take
                units -= take
                transfers.append({
                    "product_id": product_id, "from_warehouse_id": lane.from_warehouse_id,
                    "to_warehouse_id": destination, "units": take,
                    "transfer_cost": round(take * float(lane.transfer_cost_per_unit), 2),
                    "lead_time_days": int(lane.lead_time_days), "arrival_week": math.ceil(lane.lead_time_days / 7),
                    "reason": "proportional rebalancing",
                })  # fmt: skip
                if units <= 0:
                    break
    return pd.DataFrame(transfers, columns=TRANSFER_COLUMNS)

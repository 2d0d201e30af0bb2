"""Replays held-out weeks of actual demand, week by week, under a transfer plan and a reorder policy.

Per product x warehouse and week: transfers leave at the start of the first week and arrive after their lead
time; replenishment orders arrive lead_time_weeks after they are placed; demand is served from stock on hand and
what cannot be served is lost; at the end of the week, when the inventory position (on hand plus everything on
its way) is at or below the reorder point, an order brings it up to the target level.
Every policy replays the same demand with the same reorder rule, so the differences come from the transfers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass
class SimulationResult:
    weekly: pd.DataFrame  # product_id, warehouse_id, week, demand, sold, lost, on_hand_end, received, over_target
    summary: dict


def simulate(
    sites: pd.DataFrame, demand: pd.DataFrame, transfers: pd.DataFrame, lead_time_weeks: int, policy_name: str
) -> SimulationResult:
    """sites: product_id, warehouse_id, on_hand_qty, on_order_qty, in_transit_qty, reorder_point, target_level,
    unit_price; demand: product_id, warehouse_id, week (0-based), units; transfers: product_id, from/to warehouse,
    units, arrival_week, transfer_cost."""
    weeks = int(demand["week"].max()) + 1
    keys = ["product_id", "warehouse_id"]
    index = pd.MultiIndex.from_frame(sites[keys])
    position = {k: i for i, k in enumerate(index)}
    n = len(index)
    on_hand = sites["on_hand_qty"].to_numpy(dtype=float).copy()
    start = on_hand.copy()
    arrivals = np.zeros((weeks + lead_time_weeks + 2, n))
    # What was already on its way at the start arrives within the first lead time, spread evenly.
    pipeline = (sites["on_order_qty"] + sites["in_transit_qty"]).to_numpy(dtype=float)
    for week in range(max(lead_time_weeks, 1)):
        arrivals[week] += pipeline / max(lead_time_weeks, 1)
    for move in transfers.itertuples():
        source = position.get((move.product_id, move.from_warehouse_id))
        destination = position.get((move.product_id, move.to_warehouse_id))
        if source is None or destination is None:
            continue
        on_hand[source] -= move.units
        arrivals[min(int(move.arrival_week), weeks + lead_time_weeks)][destination] += move.units
    shipped_out = start - on_hand
    table = demand.pivot_table(index=keys, columns="week", values="units", aggfunc="sum").reindex(index).fillna(0)
    weekly_demand = table.reindex(columns=range(weeks), fill_value=0).to_numpy(dtype=float)
    reorder_point = sites["reorder_point"].to_numpy(dtype=float)
    target = sites["target_level"].to_numpy(dtype=float)
    rows = []
    received_total = np.zeros(n)
    for week in range(weeks):
        on_hand += arrivals[week]
        received_total += arrivals[week]
        sold = np.minimum(on_hand, weekly_demand[:, week])
        lost = weekly_demand[:, week] - sold
        on_hand -= sold
        inbound = arrivals[week + 1 :].sum(axis=0)
        order = np.where(on_hand + inbound <= reorder_point, np.maximum(target - on_hand - inbound, 0), 0)
        arrivals[week + lead_time_weeks] += order
        rows.append(pd.DataFrame({
            "product_id": index.get_level_values(0), "warehouse_id": index.get_level_values(1), "week": week,
            "demand": weekly_demand[:, week], "sold": sold, "lost": lost, "on_hand_end": on_hand.copy(),
            "received": arrivals[week], "ordered": order, "over_target": np.maximum(on_hand - target, 0),
        }))  # fmt: skip
    weekly = pd.concat(rows, ignore_index=True)
    price = sites.set_index(keys)["unit_price"].reindex(pd.MultiIndex.from_frame(weekly[keys])).to_numpy(dtype=float)
    over_by_week = weekly.groupby("week")["over_target"].sum()
    summary = {
        "policy": policy_name,
        "demand_units": float(weekly["demand"].sum()),
        "sold_units": float(weekly["sold"].sum()),
        "stockout_units": float(weekly["lost"].sum()),
        "lost_sales_value": float((weekly["lost"] * price).sum()),
        "fill_rate": float(weekly["sold"].sum() / weekly["demand"].sum()) if weekly["demand"].sum() else 1.0,
        "avg_overstock_units": float(over_by_week.mean()),
        "peak_overstock_units": float(over_by_week.max()),
        "transfer_units": float(transfers["units"].sum()) if not transfers.empty else 0.0,
        "transfer_cost": float(transfers["transfer_cost"].sum()) if not transfers.empty else 0.0,
        # Accounting: what was on hand plus what arrived equals what sold, what left by transfer and what is left.
        "units_in": float(start.sum() + received_total.sum()),
        "units_out": float(weekly["sold"].sum() + shipped_out.sum() + on_hand.sum()),
    }
    return SimulationResult(weekly, summary)

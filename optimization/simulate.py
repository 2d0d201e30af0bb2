"""Replays held-out weeks of actual demand, week by week, under a transfer plan and a reorder policy.

Per product x warehouse and week: transfers leave at the start of the first week and arrive after their lead
time; scheduled receipts (what was already on order, or every receipt as it actually happened) land in their week;
demand is served from stock on hand and what cannot be served is lost. With `reorder=True`, at the end of the week,
when the inventory position (on hand plus everything on its way) is at or below the reorder point, an order brings
it up to the target level and arrives lead_time_weeks later; with `reorder=False` only the scheduled receipts
come, which replays the ERP's own replenishment when they are the actual receipts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass
class SimulationResult:
    weekly: pd.DataFrame  # product_id, warehouse_id, week, demand, sold, lost, on_hand_end, received, over_target
    summary: dict
    transfers: pd.DataFrame  # the moves made, with the week each left


Replan = Callable[[int, pd.DataFrame], pd.DataFrame]


def simulate(
    sites: pd.DataFrame,
    demand: pd.DataFrame,
    transfers: pd.DataFrame,
    lead_time_weeks: int,
    policy_name: str,
    receipts: pd.DataFrame | None = None,
    reorder: bool = True,
    phased: pd.DataFrame | None = None,
    replan: Replan | None = None,
) -> SimulationResult:
    """sites: product_id, warehouse_id, on_hand_qty, on_order_qty, in_transit_qty, reorder_point, target_level,
    unit_price; demand and receipts: product_id, warehouse_id, week (0-based), units; transfers: product_id,
    from/to warehouse, units, arrival_week, transfer_cost. Without receipts, what was on order at the start
    arrives spread evenly over the first lead time. phased (product_id, warehouse_id, week, reorder_point,
    target_level) gives each week's levels; without it the sites' levels hold throughout. replan(week, state)
    is the weekly review of transfers after the first week: state holds product_id, warehouse_id, on_hand_qty
    and inbound_qty (landing within the next lead time) at the start of that week, after its arrivals; it returns
    transfers shaped as above."""
    weeks = int(demand["week"].max()) + 1
    keys = ["product_id", "warehouse_id"]
    index = pd.MultiIndex.from_frame(sites[keys])
    position = {k: i for i, k in enumerate(index)}
    n = len(index)
    # Each site's own replenishment lead time when the sites carry one, else the one given for all.
    lead = (
        sites["lead_time_weeks"].to_numpy(dtype=int) if "lead_time_weeks" in sites else np.full(n, lead_time_weeks)
    )
    on_hand = sites["on_hand_qty"].to_numpy(dtype=float).copy()
    start = on_hand.copy()
    span = weeks + int(lead.max()) + 8
    arrivals = np.zeros((span, n))  # replenishment and transfers, by the week they land
    transfer_arrivals = np.zeros((span, n))  # transfers alone, to count what is still on the road at the end
    if receipts is None:
        pipeline = (sites["on_order_qty"] + sites["in_transit_qty"]).to_numpy(dtype=float)
        for week in range(int(lead.max())):
            arrivals[week] += np.where(week < lead, pipeline / np.maximum(lead, 1), 0)
    else:
        arrivals[:weeks] += _by_week(receipts, index, weeks).T
    weekly_demand = _by_week(demand, index, weeks)
    reorder_points, targets = _levels(sites, phased, index, weeks)
    rows, moves_made = [], []
    received_total, shipped_out = np.zeros(n), np.zeros(n)
    for week in range(weeks):
        # The order placed at the end of this week is the review of the next one: it uses next week's levels.
        reorder_point, target = reorder_points[:, min(week + 1, weeks - 1)], targets[:, min(week + 1, weeks - 1)]
        on_hand += arrivals[week]
        received_total += arrivals[week]
        if week == 0:
            moves = transfers
        elif replan is not None:
            # A planner sees what lands within a lead time (already ordered), not receipts further out.
            ahead = np.arange(1, span - week)[:, None] <= lead[None, :]
            inbound = (arrivals[week + 1 :] * ahead).sum(axis=0)
            state = sites[keys].assign(on_hand_qty=on_hand.copy(), inbound_qty=inbound)
            moves = replan(week, state)
        else:
            moves = transfers.iloc[0:0]
        for move in moves.itertuples():
            source = position.get((move.product_id, move.from_warehouse_id))
            destination = position.get((move.product_id, move.to_warehouse_id))
            units = min(float(move.units), on_hand[source]) if source is not None else 0.0
            if destination is None or units <= 0:
                continue
            on_hand[source] -= units
            shipped_out[source] += units
            lands = week + max(int(move.arrival_week), 1)
            arrivals[min(lands, span - 1), destination] += units
            transfer_arrivals[min(lands, span - 1), destination] += units
            moves_made.append({**move._asdict(), "units": units, "week": week})
        sold = np.minimum(on_hand, weekly_demand[:, week])
        lost = weekly_demand[:, week] - sold
        on_hand -= sold
        inbound = arrivals[week + 1 :].sum(axis=0)
        order = np.where(on_hand + inbound <= reorder_point, np.maximum(target - on_hand - inbound, 0), 0)
        order = order if reorder else np.zeros(n)
        np.add.at(arrivals, (week + lead, np.arange(n)), order)
        rows.append(pd.DataFrame({
            "product_id": index.get_level_values(0), "warehouse_id": index.get_level_values(1), "week": week,
            "demand": weekly_demand[:, week], "sold": sold, "lost": lost, "on_hand_end": on_hand.copy(),
            "received": arrivals[week], "ordered": order, "over_target": np.maximum(on_hand - targets[:, week], 0),
        }))  # fmt: skip
    weekly = pd.concat(rows, ignore_index=True)
    moved = pd.DataFrame(moves_made).drop(columns="Index", errors="ignore")
    price = sites.set_index(keys)["unit_price"].reindex(pd.MultiIndex.from_frame(weekly[keys])).to_numpy(dtype=float)
    over_by_week = weekly.groupby("week")["over_target"].sum()
    unit_cost = moved["transfer_cost"] / moved["units"].where(moved["units"] > 0) if not moved.empty else None
    summary = {
        "policy": policy_name,
        "demand_units": float(weekly["demand"].sum()),
        "sold_units": float(weekly["sold"].sum()),
        "stockout_units": float(weekly["lost"].sum()),
        "lost_sales_value": float((weekly["lost"] * price).sum()),
        "fill_rate": float(weekly["sold"].sum() / weekly["demand"].sum()) if weekly["demand"].sum() else 1.0,
        "avg_overstock_units": float(over_by_week.mean()),
        "peak_overstock_units": float(over_by_week.max()),
        "transfer_units": float(moved["units"].sum()) if not moved.empty else 0.0,
        "transfer_cost": float((unit_cost.fillna(0) * moved["units"]).sum()) if not moved.empty else 0.0,
        # Network accounting: opening stock plus replenishment equals what sold, what is left, and what is still
        # on the road between warehouses; transfers move units and must neither make nor lose any.
        "units_in": float(start.sum() + received_total.sum() - transfer_arrivals[:weeks].sum()),
        "units_out": float(weekly["sold"].sum() + on_hand.sum() + shipped_out.sum() - transfer_arrivals[:weeks].sum()),
    }
    return SimulationResult(weekly, summary, moved)


def _levels(sites: pd.DataFrame, phased: pd.DataFrame | None, index: pd.MultiIndex, weeks: int):
    """Reorder points and targets per site and week; a site or week the phased levels miss keeps the site's own
    (a week past their last carries the last one forward)."""
    levels = []
    for column in ("reorder_point", "target_level"):
        constant = np.repeat(sites[column].to_numpy(dtype=float)[:, None], weeks, axis=1)
        if phased is None:
            levels.append(constant)
            continue
        table = phased.pivot_table(index=["product_id", "warehouse_id"], columns="week", values=column)
        values = table.reindex(index).reindex(columns=range(weeks)).ffill(axis=1).to_numpy(dtype=float)
        levels.append(np.where(np.isnan(values), constant, values))
    return levels[0], levels[1]


def _by_week(frame: pd.DataFrame, index: pd.MultiIndex, weeks: int) -> np.ndarray:
    """Units per site (rows, in `index` order) and week (columns 0..weeks-1); weeks outside are ignored."""
    if frame.empty:
        return np.zeros((len(index), weeks))
    table = frame.pivot_table(index=["product_id", "warehouse_id"], columns="week", values="units", aggfunc="sum")
    return table.reindex(index).reindex(columns=range(weeks)).fillna(0).to_numpy(dtype=float)

"""Replays held-out days of actual demand under a replenishment rule and a transfer plan.

Per product x warehouse and day, in this order: what lands today arrives (scheduled receipts, orders, transfers);
on a transfer review day (the first day, then every `review_every_days`) transfers leave their source and land
after their lane's lead time; demand is served from stock on hand and what cannot be served is lost. Then, with
`reorder=True`, when the inventory position (on hand plus everything on its way) is at or below the reorder
point, an order brings it up to the target level and lands the site's lead time later; with `reorder=False` only
the scheduled receipts come, which replays the ERP's own replenishment when they are the actual receipts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from optimization.churn import TransferRoles
from optimization.netting import SurplusNetting

KEYS = ["product_id", "warehouse_id"]
# (day, state) -> transfers; state: product_id, warehouse_id, on_hand_qty, inbound_qty (landing within a lead time),
# may_send and sent_to (churn.py: what the transfers made so far allow each site)
Replan = Callable[[int, pd.DataFrame], pd.DataFrame]


@dataclass
class SimulationResult:
    daily: pd.DataFrame  # per site and day: demand, sold, lost, on_hand_end, received, ordered, over_target
    summary: dict
    transfers: pd.DataFrame  # the moves made, with the day each left


def simulate(
    sites: pd.DataFrame,
    demand: pd.DataFrame,
    transfers: pd.DataFrame,
    policy_name: str,
    receipts: pd.DataFrame | None = None,
    reorder: bool = True,
    phased: pd.DataFrame | None = None,
    replan: Replan | None = None,
    review_every_days: int = 7,
    cover_review_days: int = 7,
    netting: SurplusNetting | None = None,
) -> SimulationResult:
    """sites: product_id, warehouse_id, on_hand_qty, lead_time_days, reorder_point, target_level, unit_price;
    demand and receipts: product_id, warehouse_id, day (0-based), units; transfers: product_id, from/to
    warehouse, units, lead_time_days, transfer_cost; phased: product_id, warehouse_id, day, reorder_point,
    target_level (without it the sites' levels hold every day). cover_review_days: the order cycle the hindsight
    overstock allows for beyond each site's lead time (see hindsight_need). netting (with reorder): a site at its
    reorder point first pulls siblings' surplus over a faster lane, and orders only the rest (netting.py)."""
    days = int(demand["day"].max()) + 1
    index = pd.MultiIndex.from_frame(sites[KEYS])
    position = {key: i for i, key in enumerate(index)}
    n = len(index)
    lead = sites["lead_time_days"].to_numpy(dtype=int)
    on_hand = sites["on_hand_qty"].to_numpy(dtype=float).copy()
    opening = on_hand.sum()
    span = days + int(lead.max()) + 60
    arrivals = np.zeros((span, n))  # everything landing, by day
    transfer_arrivals = np.zeros((span, n))  # transfers alone, to count what is still on the road at the end
    if receipts is not None:
        arrivals[:days] += _by_day(receipts, index, days).T
    wanted = _by_day(demand, index, days)
    reorder_points, targets = _levels(sites, phased, index, days)
    kept = source_keeps(targets, lead + cover_review_days)
    sold, lost, ordered, on_hand_end, received = (np.zeros((n, days)) for _ in range(5))
    moves_made = []
    shipped_out = np.zeros(n)
    roles = TransferRoles(sites["warehouse_id"], lead, review_days=cover_review_days)
    for day in range(days):
        on_hand += arrivals[day]
        received[:, day] = arrivals[day]
        moves = _moves_for(day, transfers, replan, review_every_days, sites, on_hand, arrivals, lead, roles)
        for move in moves.itertuples():
            source = position.get((move.product_id, move.from_warehouse_id))
            destination = position.get((move.product_id, move.to_warehouse_id))
            units = min(float(move.units), on_hand[source]) if source is not None else 0.0
            if destination is None or units <= 0:
                continue
            roles.record(source, destination, day)
            on_hand[source] -= units
            shipped_out[source] += units
            lands = min(day + max(int(move.lead_time_days), 1), span - 1)
            arrivals[lands, destination] += units
            transfer_arrivals[lands, destination] += units
            moves_made.append({**move._asdict(), "planned_units": move.units, "units": units, "day": day})
        sold[:, day] = np.minimum(on_hand, wanted[:, day])
        lost[:, day] = wanted[:, day] - sold[:, day]
        on_hand -= sold[:, day]
        if reorder:
            # Tonight's order is tomorrow's review: it uses tomorrow's levels.
            tomorrow = min(day + 1, days - 1)
            inbound = arrivals[day + 1 :].sum(axis=0)
            short = on_hand + inbound <= reorder_points[:, tomorrow]
            if netting is not None:
                netting.reprice_for(day)
            if netting is not None and short.any():
                wanting = np.flatnonzero(short)
                need = targets[wanting, tomorrow] - on_hand[wanting] - inbound[wanting]
                for source, destination, units, lane_days, unit_cost, _ in netting.pull(
                    wanting, need, on_hand, kept[:, tomorrow], roles.may_send(day), roles.barred(day),
                    position=on_hand + inbound,
                ):
                    roles.record(source, destination, day)
                    on_hand[source] -= units
                    shipped_out[source] += units
                    lands = min(day + lane_days, span - 1)
                    arrivals[lands, destination] += units
                    transfer_arrivals[lands, destination] += units
                    inbound[destination] += units
                    moves_made.append({
                        "product_id": index[destination][0], "from_warehouse_id": index[source][1],
                        "to_warehouse_id": index[destination][1], "units": units, "planned_units": units,
                        "lead_time_days": lane_days, "transfer_cost": units * unit_cost, "day": day,
                    })  # fmt: skip
            ordered[:, day] = np.where(short, np.maximum(targets[:, tomorrow] - on_hand - inbound, 0), 0)
            np.add.at(arrivals, (day + lead, np.arange(n)), ordered[:, day])
        on_hand_end[:, day] = on_hand
    moved = pd.DataFrame(moves_made).drop(columns="Index", errors="ignore")
    need = hindsight_need(wanted, lead + cover_review_days)
    daily = _long(index, days, demand=wanted, sold=sold, lost=lost, on_hand_end=on_hand_end, received=received,
                  ordered=ordered, over_target=np.maximum(on_hand_end - targets, 0),
                  overstock=np.maximum(on_hand_end - need, 0))  # fmt: skip
    summary = _summary(policy_name, daily, sites, moved)
    in_flight = shipped_out.sum() - transfer_arrivals[:days].sum()
    # Network accounting: opening stock plus replenishment equals what sold, what is left and what is still on
    # the road between warehouses; transfers move units and must neither make nor lose any.
    summary["units_in"] = float(opening + received.sum() - transfer_arrivals[:days].sum())
    summary["units_out"] = float(sold.sum() + on_hand.sum() + in_flight)
    return SimulationResult(daily, summary, moved)


def source_keeps(targets: np.ndarray, window_days: np.ndarray) -> np.ndarray:
    """What a pull leaves its source each day: its highest target level over the next lead time plus review
    (window_days per site), not today's alone. Stock given away today is back only when an order placed after it
    lands, so on a rising forecast today's target calls stock surplus that the coming weeks' levels need."""
    days = targets.shape[1]
    kept = targets.copy()
    for offset in range(1, int(window_days.max()) + 1):
        ahead = np.concatenate([targets[:, offset:], np.repeat(targets[:, -1:], min(offset, days), axis=1)], axis=1)
        kept = np.where(offset <= window_days[:, None], np.maximum(kept, ahead[:, :days]), kept)
    return kept


def hindsight_need(demand: np.ndarray, cover_days: np.ndarray) -> np.ndarray:
    """What each site's stock at the end of each day was needed for, judged from the actual demand: the demand of
    the next cover_days days (lead time plus review period: stock beyond it could have been ordered later). The
    same for every policy, so no policy sets its own yardstick. Near the replay's end, where the next days are
    not known, the window slides back to the replay's last cover_days days (the latest actual rate), so every day
    is scored; a site whose window outlasts the replay needs all of its demand."""
    sites, days = demand.shape
    running = np.concatenate([np.zeros((sites, 1)), demand.cumsum(axis=1)], axis=1)
    cover = np.minimum(cover_days, days)[:, None]
    start = np.minimum(np.arange(days)[None, :] + 1, days - cover)
    return np.take_along_axis(running, start + cover, axis=1) - np.take_along_axis(running, start, axis=1)


def _moves_for(day, transfers, replan, every, sites, on_hand, arrivals, lead, roles) -> pd.DataFrame:
    if day == 0:
        return transfers
    if replan is None or day % every:
        return transfers.iloc[0:0]
    # A planner sees what lands within a lead time (already ordered), not receipts further out.
    ahead = np.arange(1, len(arrivals) - day)[:, None] <= lead[None, :]
    inbound = (arrivals[day + 1 :] * ahead).sum(axis=0)
    return replan(day, sites[KEYS].assign(on_hand_qty=on_hand.copy(), inbound_qty=inbound,
                                          may_send=roles.may_send(day), sent_to=roles.sent_to(day)))


def _summary(policy_name: str, daily: pd.DataFrame, sites: pd.DataFrame, moved: pd.DataFrame) -> dict:
    price = sites.set_index(KEYS)["unit_price"].reindex(pd.MultiIndex.from_frame(daily[KEYS])).to_numpy(dtype=float)
    over_by_day = daily.groupby("day")["overstock"].sum()
    demand, sold = daily["demand"].sum(), daily["sold"].sum()
    return {
        "policy": policy_name,
        "demand_units": float(demand),
        "sold_units": float(sold),
        "stockout_units": float(daily["lost"].sum()),
        "lost_sales_value": float((daily["lost"] * price).sum()),
        "fill_rate": float(sold / demand) if demand else 1.0,
        "avg_on_hand_units": float(daily.groupby("day")["on_hand_end"].sum().mean()),
        "avg_overstock_units": float(over_by_day.mean()),
        "peak_overstock_units": float(over_by_day.max()),
        "avg_over_target_units": float(daily.groupby("day")["over_target"].sum().mean()),
        "transfer_units": float(moved["units"].sum()) if not moved.empty else 0.0,
        "transfer_cost": float((moved["transfer_cost"] / moved["planned_units"] * moved["units"]).sum())
        if not moved.empty
        else 0.0,
    }


def _long(index: pd.MultiIndex, days: int, **columns: np.ndarray) -> pd.DataFrame:
    frame = pd.DataFrame({
        "product_id": np.repeat(index.get_level_values(0), days),
        "warehouse_id": np.repeat(index.get_level_values(1), days),
        "day": np.tile(np.arange(days), len(index)),
    })  # fmt: skip
    for name, values in columns.items():
        frame[name] = values.reshape(-1)
    return frame


def _levels(sites: pd.DataFrame, phased: pd.DataFrame | None, index: pd.MultiIndex, days: int):
    """Reorder points and targets per site and day; a site or day the phased levels miss keeps the site's own
    (a day past their last carries the last one forward)."""
    levels = []
    for column in ("reorder_point", "target_level"):
        constant = np.repeat(sites[column].to_numpy(dtype=float)[:, None], days, axis=1)
        if phased is None:
            levels.append(constant)
            continue
        table = phased.pivot_table(index=KEYS, columns="day", values=column)
        values = table.reindex(index).reindex(columns=range(days)).ffill(axis=1).to_numpy(dtype=float)
        levels.append(np.where(np.isnan(values), constant, values))
    return levels[0], levels[1]


def _by_day(frame: pd.DataFrame, index: pd.MultiIndex, days: int) -> np.ndarray:
    """Units per site (rows, in `index` order) and day (columns 0..days-1); days outside are ignored."""
    if frame.empty:
        return np.zeros((len(index), days))
    table = frame.pivot_table(index=KEYS, columns="day", values="units", aggfunc="sum")
    return table.reindex(index).reindex(columns=range(days)).fillna(0).to_numpy(dtype=float)

"""Network surplus before a purchase: when a site reaches its reorder point, it first takes what a sibling site of
the same product holds beyond its own target level, over a lane faster than the supplier, and buys only the rest.

Why: most hindsight overstock is stock already in the network. A site that buys while another holds months of the
same product adds a unit to the network that will sit; pulling the surplus instead sells the unit that would sit
and lands sooner than a supplier's order (the lane is faster), so it cuts overstock and stock-outs at once. A pull
pays when the surplus unit's holding cost over the days it would otherwise sit clears the lane's cost by the transfer
model's margin (1.5x, move_value.TRANSFER_HURDLE): surplus that would sell within a few weeks stays.
The source keeps its target level (the brief's definition of surplus: stock beyond a full order cycle), so a pull
never makes it reorder.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimization.churn import roles_after
from optimization.move_value import TRANSFER_HURDLE
from optimization.sites import LONGEST_HOLD_DAYS, holding_per_unit

KEYS = ["product_id", "warehouse_id"]


class SurplusNetting:
    """The lanes each site may pull from, cheapest first, and the pull itself, for the simulator's daily loop.
    sites: product_id, warehouse_id, lead_time_days, unit_cost, weekly_demand (row order = the simulator's);
    lanes: from_warehouse_id, to_warehouse_id, transfer_cost_per_unit, lead_time_days."""

    def __init__(self, sites: pd.DataFrame, lanes: pd.DataFrame):
        self.unit_cost = sites["unit_cost"].to_numpy(dtype=float)
        self.daily_rate = sites["weekly_demand"].to_numpy(dtype=float) / 7
        position = {key: i for i, key in enumerate(zip(sites["product_id"], sites["warehouse_id"], strict=True))}
        lead = sites["lead_time_days"].to_numpy(dtype=int)
        self.sources: dict[int, list[tuple[int, float, int]]] = {}
        by_product = sites.groupby("product_id")["warehouse_id"].apply(list)
        lanes = lanes.sort_values("transfer_cost_per_unit")
        for lane in lanes.itertuples():
            for product_id in by_product.index:
                destination = position.get((product_id, lane.to_warehouse_id))
                source = position.get((product_id, lane.from_warehouse_id))
                # A lane no faster than the destination's supplier brings nothing an order would not.
                if destination is None or source is None or lane.lead_time_days >= lead[destination]:
                    continue
                self.sources.setdefault(destination, []).append(
                    (source, float(lane.transfer_cost_per_unit), max(int(lane.lead_time_days), 1))
                )

    def holding_value(self, source: int, surplus: float) -> float:
        """What a unit of the source's surplus costs to keep: its holding over the days the surplus takes to sell at
        the forecast rate (at most a year). Not floored at the transfer model's month (sites.HOLDING_SPAN_DAYS):
        surplus that sells in ten days saves ten days' holding when pulled, and on a dear product that month's
        floor paid for pulls that left the source short in the peak (the replay lost 16% more sales value)."""
        rate = self.daily_rate[source]
        days = min(surplus / rate, LONGEST_HOLD_DAYS) if rate > 0 else LONGEST_HOLD_DAYS
        return float(holding_per_unit(self.unit_cost[source], days, floor_days=0))

    def pays(self, lane_cost: float, source: int, surplus: float) -> bool:
        """A pull pays when the holding it saves clears the lane's cost by the transfer model's margin."""
        return self.holding_value(source, surplus) >= (1 + TRANSFER_HURDLE) * lane_cost

    def pull(
        self, short: np.ndarray, need: np.ndarray, on_hand: np.ndarray, keep: np.ndarray,
        may_send: np.ndarray | None = None, barred: set[tuple[int, int]] = frozenset(),
    ) -> list[tuple]:
        """Pulls for the sites in `short` (indices) needing `need` units each, from sources holding on_hand above
        `keep` (their target level); on_hand is not changed here. may_send and barred (source, destination) pairs
        are churn.py's rules: a site that lately took the product gives none, and no lane is used back. Returns
        (source, destination, units, lead time, cost per unit) per pull, largest need first."""
        spare = np.maximum(on_hand - keep, 0.0)
        if may_send is not None:
            spare = np.where(may_send, spare, 0.0)
        pulls = []
        for destination, units in sorted(zip(short, need, strict=True), key=lambda pair: -pair[1]):
            for source, cost, lead in self.sources.get(int(destination), ()):
                if units < 1:
                    break
                take = float(np.floor(min(units, spare[source])))
                if take < 1 or (source, destination) in barred or not self.pays(cost, source, spare[source]):
                    continue
                spare[source] -= take
                units -= take
                pulls.append((source, int(destination), take, lead, cost))
        return pulls


def netting_transfers(sites: pd.DataFrame, lanes: pd.DataFrame, planned: pd.DataFrame) -> pd.DataFrame:
    """Today's pulls for the plan, after the transfer model's moves (`planned`, reallocation.TRANSFER_COLUMNS):
    each site at or below its reorder point takes siblings' surplus before it buys. Same shape as `planned`."""
    keyed = sites.reset_index(drop=True)
    index = pd.MultiIndex.from_frame(keyed[KEYS])
    flows = pd.Series(0.0, index=index)
    for column, sign in (("to_warehouse_id", 1.0), ("from_warehouse_id", -1.0)):
        moved = planned.groupby(["product_id", column])["units"].sum() * sign
        moved.index.names = KEYS
        flows = flows.add(moved, fill_value=0).reindex(index)
    on_hand = keyed["on_hand_qty"].to_numpy(dtype=float) + np.minimum(flows.to_numpy(), 0)
    position = keyed["inventory_position"].to_numpy(dtype=float) + flows.to_numpy()
    short = np.flatnonzero(position <= keyed["reorder_point"].to_numpy(dtype=float))
    need = keyed["target_level"].to_numpy(dtype=float)[short] - position[short]
    # The model's destinations give no pull and none comes back along its moves (churn.py).
    may_send, barred = roles_after(keyed, planned)
    netting = SurplusNetting(keyed, lanes)
    # A source keeps the highest target of its coming lead time + review where the plan knows it (as the replay's
    # pulls do, simulate.source_keeps), else today's.
    keep = keyed["target_level"].to_numpy(dtype=float)
    if "coming_target" in keyed:
        keep = np.maximum(keep, keyed["coming_target"].fillna(0.0).to_numpy(dtype=float))
    pulls = netting.pull(short, need, on_hand, keep, may_send, barred)
    rows = []
    for source, destination, units, lead, cost in pulls:
        # What the pull saves: the holding of units that would otherwise sit at the source (netting's own price).
        saved = units * netting.holding_value(source, max(on_hand[source] - keep[source], 0.0))
        rows.append({
            "product_id": keyed.at[destination, "product_id"], "from_warehouse_id": keyed.at[source, "warehouse_id"],
            "to_warehouse_id": keyed.at[destination, "warehouse_id"], "units": int(units),
            "transfer_cost": round(units * cost, 2), "lead_time_days": lead, "arrival_week": -(-lead // 7),
            "expected_benefit": round(saved, 2),
            "reason": f"{keyed.at[destination, 'warehouse_id']} at its reorder point takes "
                      f"{keyed.at[source, 'warehouse_id']}'s surplus before buying",
        })  # fmt: skip
    return pd.DataFrame(rows, columns=planned.columns)

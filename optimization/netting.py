"""Network surplus before a purchase: when a site reaches its reorder point, it first takes what a sibling site of
the same product holds beyond its own target level, over a lane faster than the supplier, and buys only the rest.

Why: most hindsight overstock is stock already in the network. A site that buys while another holds months of the
same product adds a unit to the network that will sit; pulling the surplus instead sells the unit that would sit
and lands sooner than a supplier's order (the lane is faster), so it cuts overstock and stock-outs at once.
The source keeps its target level (the brief's definition of surplus: stock beyond a full order cycle), so a pull
never makes it reorder, and at least its largest week of the last year (a thin series' lump is not surplus).

A pull is priced like a transfer-model move (move_value.py), unit by unit, and made only where its value clears the
lane's cost by the transfer model's margin (1.5x, move_value.TRANSFER_HURDLE):
- it saves the holding of the surplus over the days it would sit at the source;
- it keeps the destination's margin on what its position would miss over its lead time (a supplier's order lands
  then, the pull sooner);
- it costs the source what it loses while its own policy runs instead of its surplus: each unit pulled away is a
  unit the source later sells from its reorder cycle, where a share of demand is lost (the expected shortage at
  its reorder point over its lead time + review period, per unit of its order quantity), at the source's margin.
The source's lead-time demand is taken at the forecast's mean and spread, no narrower than Poisson's and at least
as high as recent sales (the forecast's floors, recent_demand.py). Why: on scenario B's replays the pulls, priced by
holding alone, lost 22-25 points of sales value that the reorder points alone saved, all of it at sources that sent
by pull, 87% at products above $500, most at thin series forecast at 0.1 a week: a spare unit there looks like a
year of holding while a lump of the source's demand, a lead time from its next order, loses a dear sale
(BENCHMARKS.md, issue 24).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimization.churn import roles_after
from optimization.move_value import TRANSFER_HURDLE, expected_shortage
from optimization.sites import LONGEST_HOLD_DAYS, holding_per_unit

KEYS = ["product_id", "warehouse_id"]


class SurplusNetting:
    """The lanes each site may pull from, cheapest first, and the pull itself, for the simulator's daily loop.
    sites: product_id, warehouse_id, lead_time_days, unit_cost, weekly_demand, unit_price or unit_margin, and for the
    value of a pull reorder_point, target_level, lead_time_demand and lead_sigma where known (row order = the
    simulator's); lanes: from_warehouse_id, to_warehouse_id, transfer_cost_per_unit, lead_time_days."""

    def __init__(self, sites: pd.DataFrame, lanes: pd.DataFrame, weekly_views: dict[int, pd.DataFrame] | None = None,
                 review_days: int = 7):  # fmt: skip
        """weekly_views: first day -> the sites as a planner sees them from that day (that week's levels and recent
        sales, same rows); each prices the pulls from its day on (reprice_for). review_days: the policy's order
        cycle (PolicyOptions.review_days), part of the window a source is exposed over."""
        self.views = dict(weekly_views or {})
        self.review_days = review_days
        self.price(sites)
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

    def price(self, sites: pd.DataFrame) -> None:
        """What a pull is priced from, per site: cost, selling rate, margin and lead-time demand, the source's
        shortfall per unit taken and the largest week it keeps."""
        self.unit_cost = sites["unit_cost"].to_numpy(dtype=float)
        self.daily_rate = selling_rate(sites) / 7
        self.margin, self.lead_mean, self.lead_sigma = lead_time_risk(sites)
        # The source is exposed over its policy's protection interval, lead time + review (what its target level
        # covers), not the lead time alone: on B's judged sweep the pulls priced over the lead time gave back 26.8
        # points of sales value against the reorder points alone, over lead time + review 20.9 (BENCHMARKS.md).
        _, cover_mean, cover_sigma = lead_time_risk(sites.assign(lead_time_days=sites["lead_time_days"]
                                                                 + self.review_days))  # fmt: skip
        self.loss_per_unit = self.margin * source_shortfall_per_unit(sites, cover_mean, cover_sigma)
        # A source keeps at least its largest week of the last year (recent_demand.PEAK_WEEKS): stock held for a
        # thin series' lump is not surplus, whatever a smooth forecast says.
        self.peak = sites["peak_units"].fillna(0.0).to_numpy(dtype=float) if "peak_units" in sites else 0.0

    def reprice_for(self, day: int) -> None:
        """On a day a weekly view starts, price the pulls from it: each replayed week on what that week's planner
        knows (its forecast's levels, the sales closed before it), not the opening day's."""
        view = self.views.get(day)
        if view is not None:
            self.price(view)

    def holding_value(self, source: int, surplus: float) -> float:
        """What a unit of the source's surplus costs to keep: its holding over the days the surplus takes to sell at
        its selling rate (selling_rate; at most a year). Not floored at the transfer model's month
        (sites.HOLDING_SPAN_DAYS): surplus that sells in ten days saves ten days' holding when pulled, and on a dear
        product that month's floor paid for pulls that left the source short in the peak (the replay lost 16% more
        sales value)."""
        rate = self.daily_rate[source]
        days = min(surplus / rate, LONGEST_HOLD_DAYS) if rate > 0 else LONGEST_HOLD_DAYS
        return float(holding_per_unit(self.unit_cost[source], days, floor_days=0))

    def benefits(self, source: int, destination: int, surplus: float, units: int,
                 destination_position: float | None) -> np.ndarray:
        """The expected benefit of pulling 0..units units (one value each), before the lane's cost: the holding
        saved at the source, less the margin it loses cycling sooner, plus the margin kept at the destination over
        its lead time (none counted without its position)."""
        taken = np.arange(units + 1, dtype=float)
        value = taken * (self.holding_value(source, surplus) - self.loss_per_unit[source])
        if destination_position is not None:
            mean, sigma = self.lead_mean[destination], self.lead_sigma[destination]
            kept = expected_shortage(destination_position, mean, sigma) - expected_shortage(
                destination_position + taken, mean, sigma)  # fmt: skip
            value = value + self.margin[destination] * kept
        return value

    def best_take(self, lane_cost: float, source: int, destination: int, surplus: float, units: int,
                  destination_position: float | None = None) -> tuple[int, float]:
        """(units, expected benefit) of the pull of at most `units` whose value beats (1 + TRANSFER_HURDLE) x the
        lane's cost by the most; (0, 0) when none does. The benefit is concave in the units (the destination's gain
        saturates, the rest is linear), so the best is where the next unit stops clearing the hurdle."""
        if units < 1:
            return 0, 0.0
        value = self.benefits(source, destination, surplus, units, destination_position)
        net = value - (1 + TRANSFER_HURDLE) * lane_cost * np.arange(units + 1)
        best = int(np.argmax(net))
        return (best, float(value[best])) if best >= 1 and net[best] > 0 else (0, 0.0)

    def pull(
        self, short: np.ndarray, need: np.ndarray, on_hand: np.ndarray, keep: np.ndarray,
        may_send: np.ndarray | None = None, barred: set[tuple[int, int]] = frozenset(),
        position: np.ndarray | None = None,
    ) -> list[tuple]:
        """Pulls for the sites in `short` (indices) needing `need` units each, from sources holding on_hand above
        `keep` (their target level); on_hand is not changed here. may_send and barred (source, destination) pairs
        are churn.py's rules: a site that lately took the product gives none, and no lane is used back. position
        (on hand plus on its way, per site) prices the destination's gain. Returns (source, destination, units,
        lead time, cost per unit, expected benefit) per pull, largest need first."""
        spare = np.maximum(on_hand - np.maximum(keep, self.peak), 0.0)
        if may_send is not None:
            spare = np.where(may_send, spare, 0.0)
        pulls = []
        for destination, units in sorted(zip(short, need, strict=True), key=lambda pair: -pair[1]):
            destination = int(destination)
            at = None if position is None else float(position[destination])
            for source, cost, lead in self.sources.get(destination, ()):
                if units < 1:
                    break
                most = int(np.floor(min(units, spare[source])))
                if most < 1 or (source, destination) in barred:
                    continue
                take, benefit = self.best_take(cost, source, destination, spare[source], most, at)
                if take < 1:
                    continue
                spare[source] -= take
                units -= take
                if at is not None:
                    at += take
                pulls.append((source, destination, float(take), lead, cost, benefit))
        return pulls


def selling_rate(sites: pd.DataFrame) -> np.ndarray:
    """Units a week each site sells at least: its forecast, and what it sold over the last three weeks and the last
    quarter where known (recent_demand.with_recent), the quarter's rate also shrunk toward the product's across
    sites (pooled_units, pooled_rate.py). A thin, lumpy series' forecast runs low (B: 0.1 a week forecast at
    sources that sold 0.3), and at that rate a spare unit looks like a year of holding; a site that sold nothing
    for a quarter is not a site that sells nothing when the product sells elsewhere."""
    rate = sites["weekly_demand"].to_numpy(dtype=float)
    for column in ("recent_units", "season_units", "pooled_units"):
        if column in sites:
            rate = np.maximum(rate, sites[column].fillna(0.0).to_numpy(dtype=float))
    return rate


def lead_time_risk(sites: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per site: the margin a lost sale costs, and the mean and spread of demand over its lead time: the forecast's,
    at least the selling rate over the lead time, and a spread no narrower than Poisson's or its recent weekly
    sales' (recent_sigma, over the lead time's weeks)."""
    if "unit_margin" in sites:
        margin = sites["unit_margin"].to_numpy(dtype=float)
    elif "unit_price" in sites:
        margin = (sites["unit_price"] - sites["unit_cost"]).to_numpy(dtype=float)
    else:  # no price known: a pull is priced by holding alone
        margin = np.zeros(len(sites))
    weeks = sites["lead_time_days"].to_numpy(dtype=float) / 7
    mean = selling_rate(sites) * weeks
    if "lead_time_demand" in sites:
        mean = np.maximum(mean, sites["lead_time_demand"].fillna(0.0).to_numpy(dtype=float))
    sigma = np.sqrt(np.maximum(mean, 0.0))
    if "lead_sigma" in sites:
        sigma = np.maximum(sigma, sites["lead_sigma"].fillna(0.0).to_numpy(dtype=float))
    # Every site, not only the dear quarter as recent_demand.floor_by_recent does: this spread only prices what a
    # source loses by giving stock away, it makes no site hold more (the policy's floor did, +3.1% overstock on A).
    if "recent_sigma" in sites:
        sigma = np.maximum(sigma, sites["recent_sigma"].fillna(0.0).to_numpy(dtype=float) * np.sqrt(weeks))
    return np.maximum(margin, 0.0), mean, sigma


def source_shortfall_per_unit(sites: pd.DataFrame, mean: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """The share of a site's demand its own reorder cycle loses: the expected shortage over a lead time from its
    reorder point, per unit of the order that cycle brings (target level less reorder point, at least one), at most
    every unit. Without levels, none (the pull is priced by holding alone)."""
    if not {"reorder_point", "target_level"} <= set(sites.columns):
        return np.zeros(len(sites))
    reorder = sites["reorder_point"].to_numpy(dtype=float)
    cycle = np.maximum(sites["target_level"].to_numpy(dtype=float) - reorder, 1.0)
    return np.minimum(expected_shortage(reorder, mean, sigma) / cycle, 1.0)


def netting_transfers(sites: pd.DataFrame, lanes: pd.DataFrame, planned: pd.DataFrame,
                      review_days: int = 7) -> pd.DataFrame:
    """Today's pulls for the plan, after the transfer model's moves (`planned`, reallocation.TRANSFER_COLUMNS):
    each site at or below its reorder point takes siblings' surplus before it buys. Same shape as `planned`.
    review_days: the policy's order cycle (PolicyOptions.review_days), as the replay's pulls read it."""
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
    netting = SurplusNetting(keyed, lanes, review_days=review_days)
    # A source keeps the highest target of its coming lead time + review where the plan knows it (as the replay's
    # pulls do, simulate.source_keeps), else today's.
    keep = keyed["target_level"].to_numpy(dtype=float)
    if "coming_target" in keyed:
        keep = np.maximum(keep, keyed["coming_target"].fillna(0.0).to_numpy(dtype=float))
    pulls = netting.pull(short, need, on_hand, keep, may_send, barred, position)
    rows = []
    for source, destination, units, lead, cost, benefit in pulls:
        # What the pull is worth (netting's own price): holding saved and the destination's margin kept, less the
        # source's margin put at risk.
        rows.append({
            "product_id": keyed.at[destination, "product_id"], "from_warehouse_id": keyed.at[source, "warehouse_id"],
            "to_warehouse_id": keyed.at[destination, "warehouse_id"], "units": int(units),
            "transfer_cost": round(units * cost, 2), "lead_time_days": lead, "arrival_week": -(-lead // 7),
            "expected_benefit": round(benefit, 2),
            "reason": f"{keyed.at[destination, 'warehouse_id']} at its reorder point takes "
                      f"{keyed.at[source, 'warehouse_id']}'s surplus before buying",
        })  # fmt: skip
    return pd.DataFrame(rows, columns=planned.columns)

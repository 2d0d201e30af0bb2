"""Network surplus before a purchase: a site at its reorder point pulls a sibling's stock beyond its target over a
faster lane, buys only the rest, and the surplus that would sit for months sells instead."""

from __future__ import annotations

import pandas as pd
import pytest

from optimization.netting import SurplusNetting, netting_transfers
from optimization.plan import merge_lanes
from optimization.simulate import simulate

NO_TRANSFERS = pd.DataFrame(columns=["product_id", "from_warehouse_id", "to_warehouse_id", "units", "lead_time_days",
                                     "transfer_cost"])  # fmt: skip


def network(north_on_hand: float, lane_cost: float = 1.0, lane_days: int = 2) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The North sells a unit a week and holds north_on_hand; the South sells 5 a day, holds 12 (at its reorder
    point of 15 tomorrow), orders up to 40 from a supplier 10 days away."""
    sites = pd.DataFrame([
        {"product_id": "P1", "warehouse_id": "NORTH", "on_hand_qty": north_on_hand, "lead_time_days": 10,
         "reorder_point": 2.0, "target_level": 4.0, "unit_price": 60.0, "unit_cost": 40.0, "weekly_demand": 1.0},
        {"product_id": "P1", "warehouse_id": "SOUTH", "on_hand_qty": 12.0, "lead_time_days": 10,
         "reorder_point": 55.0, "target_level": 90.0, "unit_price": 60.0, "unit_cost": 40.0, "weekly_demand": 35.0},
    ])  # fmt: skip
    lanes = pd.DataFrame([{"from_warehouse_id": "NORTH", "to_warehouse_id": "SOUTH",
                           "transfer_cost_per_unit": lane_cost, "lead_time_days": lane_days}])  # fmt: skip
    return sites, lanes


def demand(days: int = 21) -> pd.DataFrame:
    return pd.concat([
        pd.DataFrame({"product_id": "P1", "warehouse_id": "NORTH", "day": range(days), "units": [0] * days}),
        pd.DataFrame({"product_id": "P1", "warehouse_id": "SOUTH", "day": range(days), "units": [5] * days}),
    ])  # fmt: skip


def run(sites: pd.DataFrame, lanes: pd.DataFrame | None):
    netting = SurplusNetting(sites, lanes) if lanes is not None else None
    return simulate(sites, demand(), NO_TRANSFERS, "x", netting=netting)


def test_a_site_at_its_reorder_point_pulls_surplus_before_it_buys():
    sites, lanes = network(north_on_hand=200)
    buying = run(sites, None).summary
    netted = run(sites, lanes)
    # After day 0's sales the South holds 7, short of its target 90 by 83: the North has 196 beyond its target,
    # the lane lands them on day 2, long before a supplier order would (day 10); each later reorder pulls again.
    # Each unit taken costs the North $8.59 of margin (its reorder point of 2 over its 10-day lead time + 7-day
    # review loses 0.86 of a unit a cycle of 2) and saves $10 of holding: the South pulls while its own margin
    # kept still clears the lane by half again (61 of the 83), and buys the rest.
    assert netted.transfers[["day", "units"]].values.tolist() == [[0, 61], [7, 13], [14, 13]]
    assert (netted.summary["stockout_units"], buying["stockout_units"]) == (0, 38)
    # It bought 66 units where buying alone bought more, and the North's surplus sold instead of sitting.
    assert netted.daily["ordered"].sum() < run(sites, None).daily["ordered"].sum()
    assert netted.summary["avg_overstock_units"] < buying["avg_overstock_units"]
    assert netted.summary["units_in"] == pytest.approx(netted.summary["units_out"])
    north = netted.daily[netted.daily["warehouse_id"] == "NORTH"]
    assert north["on_hand_end"].min() >= 4  # the source keeps its target level


def test_surplus_that_would_sell_soon_is_not_worth_the_lane():
    # 26 units beyond the North's target sell in 182 days at a unit a week: holding one that long costs
    # $40 x 25% x 182 / 365 = $4.99, less than a $6 lane, so the South buys instead. Sold at cost, no margin is at
    # stake at either site and the holding alone decides (with its $20 margin, the South's certain shortage over its
    # lead time pays for the lane: test_a_pull_keeps_the_destinations_margin).
    sites, lanes = network(north_on_hand=30, lane_cost=6.0)
    sites["unit_price"] = sites["unit_cost"]
    assert run(sites, lanes).transfers.empty


def test_a_pull_keeps_the_destinations_margin():
    # The same 26 spare units: the South, at 12 with 50 to sell before its supplier's order lands, loses $20 of
    # margin on each unit it lacks; the pull clears the $6 lane by half again with the first units.
    sites, lanes = network(north_on_hand=30, lane_cost=6.0)
    assert run(sites, lanes).transfers["units"].iloc[0] == 26


def test_dear_surplus_that_sells_within_the_month_stays_where_it_sells():
    # The North sells a $400 unit a day: its 26 spare units sell in 26 days, which saves $400 x 25% x 26 / 365 =
    # $7.12 a unit if pulled. Priced at the transfer model's month ($7.67) it paid for a $6 lane, and left the North
    # to sell its last units out of thin stock; the holding it really saves does not clear the lane by half again.
    sites, lanes = network(north_on_hand=30, lane_cost=6.0)
    sites.loc[sites["warehouse_id"] == "NORTH", ["weekly_demand", "unit_cost"]] = [7.0, 400.0]
    sites["unit_price"] = sites["unit_cost"]  # sold at cost: the holding alone decides
    assert run(sites, lanes).transfers.empty
    # Months of the same surplus still move: 196 units at a unit a day sell in 196 days, $53.70 of holding a unit.
    sites.loc[sites["warehouse_id"] == "NORTH", "on_hand_qty"] = 200.0
    assert not run(sites, lanes).transfers.empty


def test_a_lane_no_faster_than_the_supplier_is_never_used():
    sites, lanes = network(north_on_hand=200, lane_days=10)
    assert run(sites, lanes).transfers.empty


def model_move() -> pd.DataFrame:
    """The transfer model's 20 units from the North to the South."""
    return pd.DataFrame([{"product_id": "P1", "from_warehouse_id": "NORTH", "to_warehouse_id": "SOUTH",
                          "units": 20, "transfer_cost": 20.0, "lead_time_days": 2, "arrival_week": 1,
                          "reason": "model", "expected_benefit": 300.0}])  # fmt: skip


def test_the_plan_adds_todays_pulls_after_the_transfer_models_moves():
    sites, lanes = network(north_on_hand=200)
    sites = sites.assign(inventory_position=sites["on_hand_qty"])
    planned = model_move()
    pulls = netting_transfers(sites, lanes, planned)
    # The South's position is 12 + 20 = 32, still at or below its reorder point (55): of the 90 - 32 = 58 it needs
    # it takes the 36 whose margin kept, with the North's holding saved less its margin at risk (test above),
    # clears the lane by half again; the North keeps its target (200 - 20 - 36 >= 4).
    assert pulls[["from_warehouse_id", "to_warehouse_id", "units"]].values.tolist() == [["NORTH", "SOUTH", 36]]
    assert list(pulls.columns) == list(planned.columns)


def test_a_pull_on_a_lane_the_model_already_uses_is_one_move():
    # The plan marts key a move by product and lane: the model's 20 units and the pull's 36 are one row of 56.
    sites, lanes = network(north_on_hand=200)
    sites = sites.assign(inventory_position=sites["on_hand_qty"])
    planned = model_move()
    merged = merge_lanes(planned, netting_transfers(sites, lanes, planned))
    assert merged[["units", "transfer_cost"]].values.tolist() == [[56, 56.0]]
    # Each part's expected benefit adds up: the model's and the holding the pull saves at the North.
    assert merged["expected_benefit"].iloc[0] > 300.0
    assert merged["reason"].iloc[0].startswith("model; SOUTH at its reorder point")


def test_a_pull_leaves_its_source_the_highest_target_of_its_coming_lead_time_and_review():
    # The North's forecast rises: its target is 4 today and 150 from day 5 (a peak its levels see coming), and it
    # holds 120. Today's target calls 116 of them surplus; the coming target (within its 10-day lead time + 7-day
    # review) needs every one, so the South buys instead of stripping the North before its peak.
    sites, lanes = network(north_on_hand=120)
    phased = pd.DataFrame([
        {"product_id": "P1", "warehouse_id": w, "day": day, "reorder_point": rop, "target_level": target}
        for day in range(21)
        for w, rop, target in (("NORTH", 2.0 if day < 5 else 100.0, 4.0 if day < 5 else 150.0),
                               ("SOUTH", 55.0, 90.0))
    ])  # fmt: skip
    pulled = simulate(sites, demand(), NO_TRANSFERS, "x", netting=SurplusNetting(sites, lanes), phased=phased)
    assert pulled.transfers.empty
    assert pulled.summary["units_in"] == pytest.approx(pulled.summary["units_out"])


def test_the_plans_pulls_leave_the_source_its_coming_target_too():
    # The North's forecast: a unit a week for three weeks, then 300 a week. Today's target (its 10-day lead time +
    # 7-day review from today) sees none of the rise; the targets of the days before an order placed after a pull
    # would land (day 17's window reaches week 4) need all 200 units, so the plan pulls none of them.
    from optimization.plan import coming_targets
    from optimization.policy import PolicyOptions

    sites, lanes = network(north_on_hand=200)
    sites = sites.assign(inventory_position=sites["on_hand_qty"])
    forecasts = pd.DataFrame([
        {"product_id": "P1", "warehouse_id": w, "category": "Toys", "lead_time_days": 10, "forecast_units": units,
         "lo_80": units, "hi_80": units, "week_start": pd.Timestamp("2026-01-05") + pd.Timedelta(weeks=k)}
        for w, weekly in (("NORTH", [1, 1, 1, 300, 300]), ("SOUTH", [35] * 5)) for k, units in enumerate(weekly)
    ])  # fmt: skip
    coming = coming_targets(sites, forecasts, PolicyOptions(level_rule="fixed")).set_index("warehouse_id")
    assert coming.loc["NORTH", "coming_target"] >= 200
    assert netting_transfers(coming.reset_index(), lanes, model_move().iloc[0:0]).empty
    # Today's target alone (4) calls 196 of them surplus, and the South pulls 56.
    assert netting_transfers(sites, lanes, model_move().iloc[0:0])["units"].tolist() == [56]


def lumpy_dear_source(north_on_hand: float, north_reorder: float, north_target: float) -> tuple:
    """A $1,500 product ($1,000 cost) whose North forecast says 0.1 a week, while its last quarter sold 0.5 a week in
    lumps (a weekly spread of 1.5): scenario B's thin, dear sources. The South sells a unit a week and sits at its
    reorder point (holds 2, reorders at 3, orders up to 6 from a supplier 14 days away); the lane takes 2 days."""
    sites = pd.DataFrame([
        {"product_id": "P1", "warehouse_id": "NORTH", "on_hand_qty": north_on_hand, "lead_time_days": 14,
         "reorder_point": north_reorder, "target_level": north_target, "unit_price": 1500.0, "unit_cost": 1000.0,
         "weekly_demand": 0.1, "recent_units": 0.0, "season_units": 0.5, "recent_sigma": 1.5},
        {"product_id": "P1", "warehouse_id": "SOUTH", "on_hand_qty": 2.0, "lead_time_days": 14,
         "reorder_point": 3.0, "target_level": 6.0, "unit_price": 1500.0, "unit_cost": 1000.0,
         "weekly_demand": 1.0, "recent_units": 1.0, "season_units": 1.0, "recent_sigma": 0.5},
    ])  # fmt: skip
    lanes = pd.DataFrame([{"from_warehouse_id": "NORTH", "to_warehouse_id": "SOUTH",
                           "transfer_cost_per_unit": 5.0, "lead_time_days": 2}])  # fmt: skip
    # The North's lump comes on day 10 (6 units); the South sells one a week.
    demand = pd.DataFrame([
        {"product_id": "P1", "warehouse_id": w, "day": day,
         "units": (6 if day == 10 else 0) if w == "NORTH" else (1 if day % 7 == 3 else 0)}
        for w in ("NORTH", "SOUTH") for day in range(21)
    ])  # fmt: skip
    return sites, lanes, demand


def test_a_dear_thin_source_whose_sales_run_above_its_forecast_keeps_its_stock():
    # Priced by holding alone, the North's 6 spare units at 0.1 a week sit a year ($250 a unit, far above the $5
    # lane), so the South pulled 4 on day 0 and the North, left with 4, lost 2 of its day-10 lump ($3,000).
    # Priced like a move: at the 0.5 a week it sold, the spare sits 84 days ($58 a unit); over its 14-day lead time
    # (mean 1, spread 1.5 x sqrt(2) = 2.1) its reorder point of 1 loses 0.85 of a unit a cycle, $423 of margin for
    # each unit taken; the South keeps $182 of margin with the first. The South buys instead and nothing is lost.
    sites, lanes, demand = lumpy_dear_source(north_on_hand=8.0, north_reorder=1.0, north_target=2.0)
    netted = simulate(sites, demand, NO_TRANSFERS, "x", netting=SurplusNetting(sites, lanes))
    assert netted.transfers.empty
    assert netted.summary["stockout_units"] == 0
    # The plan's pulls price it the same way.
    assert netting_transfers(sites.assign(inventory_position=sites["on_hand_qty"]), lanes, model_move().iloc[0:0]).empty


def test_the_same_source_still_gives_surplus_its_own_levels_cover():
    # Reordering at 6 (its lumps' quantile), the North's cycle loses almost nothing ($1.6 of margin a unit taken),
    # and 192 spare units sit a year at 0.5 a week: the pull pays and the South takes the 4 it needs (and pulls
    # again at its next reorder, on day 17).
    sites, lanes, demand = lumpy_dear_source(north_on_hand=200.0, north_reorder=6.0, north_target=8.0)
    netted = simulate(sites, demand, NO_TRANSFERS, "x", netting=SurplusNetting(sites, lanes))
    assert netted.transfers[["day", "from_warehouse_id", "units"]].values.tolist()[0] == [0, "NORTH", 4.0]
    assert netted.daily["ordered"].sum() == 0
    assert netted.summary["stockout_units"] == 0
    plan = netting_transfers(sites.assign(inventory_position=sites["on_hand_qty"]), lanes, model_move().iloc[0:0])
    assert plan["units"].tolist() == [4]
    # The plan table shows what the pull is worth: the holding saved and the South's margin kept, above its cost.
    assert plan["expected_benefit"].iloc[0] > 1.5 * plan["transfer_cost"].iloc[0]


def test_each_replayed_week_prices_its_pulls_on_that_weeks_view():
    # Week 0's planner sees the North sell a unit a week: its 196 spare units are a year of holding and the South
    # pulls at each reorder (days 0, 7, 14, test_a_site_at_its_reorder_point_pulls_surplus_before_it_buys). From
    # day 7 the sales closed before the week show the North selling 70 a week: each unit taken now costs its next
    # cycle a sale ($20 of margin), more than the South keeps, so week 1 and 2 pull nothing. Priced from the opening
    # day alone, a 24-week replay judged every week's pulls on week 0's view.
    sites, lanes = network(north_on_hand=200)
    busy = sites.assign(recent_units=[70.0, 35.0])
    netting = SurplusNetting(sites, lanes, weekly_views={0: sites, 7: busy, 14: busy})
    netted = simulate(sites, demand(), NO_TRANSFERS, "x", netting=netting)
    assert netted.transfers["day"].tolist() == [0]


def test_a_weekly_view_carries_that_weeks_levels_and_recent_sales():
    from optimization.evaluate import weekly_views

    sites, _ = network(north_on_hand=200)
    phased = pd.concat([
        sites[["product_id", "warehouse_id"]].assign(day=day, lead_time_demand=[1.0 + day, 50.0], lead_sigma=1.0,
                                                     reorder_point=[2.0 + day, 55.0], target_level=[4.0 + day, 90.0])
        for day in range(14)
    ])  # fmt: skip
    recent = [pd.DataFrame({"product_id": "P1", "warehouse_id": ["NORTH", "SOUTH"], "recent_units": [units, 35.0]})
              for units in (1.0, 9.0)]  # fmt: skip
    views = weekly_views(sites, phased, recent)
    assert sorted(views) == [0, 7]
    north = views[7].set_index("warehouse_id").loc["NORTH"]
    assert (north["reorder_point"], north["target_level"], north["recent_units"]) == (9.0, 11.0, 9.0)
    # That week's forecast over the lead time (8 units over 10 days) is its weekly rate.
    assert north["weekly_demand"] == pytest.approx(5.6)
    assert views[0]["warehouse_id"].tolist() == sites["warehouse_id"].tolist()  # the simulator's rows


def test_the_plans_pulls_read_the_policys_review_period():
    # A source's margin is at risk over its lead time + review: with a four-week cycle the North's reorder point of
    # 2 loses more of each unit taken, and the South pulls fewer of the 196 spare units than with a weekly one. The
    # plan prices today's pull as the replay's first day does (the South at 7 after day 0's sales), at either cycle.
    sites, lanes = network(north_on_hand=200)
    today = sites.assign(on_hand_qty=sites["on_hand_qty"] - [0.0, 5.0])
    today["inventory_position"] = today["on_hand_qty"]
    pulled = {}
    for review in (7, 28):
        plan = netting_transfers(today, lanes, NO_TRANSFERS.assign(arrival_week=[]), review)
        replay = simulate(sites, demand(), NO_TRANSFERS, "x", netting=SurplusNetting(sites, lanes, review_days=review))
        pulled[review] = plan["units"].sum()
        assert pulled[review] == replay.transfers["units"].iloc[0]
    assert pulled[28] < pulled[7]

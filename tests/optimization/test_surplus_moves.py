"""Transfers that move surplus, not only cover deficits: excess is priced by how long it would sit (the days of
cover of the product's most overstocked site), so months of stock in the North go to a South site that is about to
reorder, up to its target and no further."""

from __future__ import annotations

import pandas as pd
import pytest

from optimization.reallocation import SolverOptions, plan_reallocation
from optimization.sites import HOLDING_SPAN_DAYS, LONGEST_HOLD_DAYS, build_sites, priced_holding, surplus_days

LANES = pd.DataFrame([{"from_warehouse_id": "NORTH", "to_warehouse_id": "SOUTH", "transfer_cost_per_unit": 2.0,
                       "lead_time_days": 2}])  # fmt: skip
WAREHOUSES = pd.DataFrame({"warehouse_id": ["NORTH", "SOUTH"], "capacity_units": [10_000, 10_000]})
PRODUCTS = pd.DataFrame({"product_id": ["P1"], "unit_price": [60.0], "unit_cost": [40.0]})


def policy(north_on_hand: float) -> pd.DataFrame:
    """Both sites sell a unit a day with a 10-day supplier lead time; the North holds north_on_hand, the South 10
    (below its reorder point of 15 and its target of 30)."""
    rows = []
    for warehouse, on_hand in (("NORTH", north_on_hand), ("SOUTH", 10.0)):
        rows.append({
            "product_id": "P1", "warehouse_id": warehouse, "category": "Toys", "on_hand_qty": on_hand,
            "inventory_position": on_hand, "lead_time_days": 10, "lead_time_demand": 10.0, "lead_sigma": 3.0,
            "safety_stock": 10.0, "reorder_point": 15.0, "target_level": 30.0, "weekly_demand": 7.0,
            "days_of_cover": on_hand, "service_level": 0.99,
        })  # fmt: skip
    return pd.DataFrame(rows)


def moved(north_on_hand: float) -> float:
    sites = build_sites(policy(north_on_hand), WAREHOUSES, PRODUCTS)
    transfers, problems = plan_reallocation(sites, LANES, SolverOptions(workers=1))
    assert problems == []
    return float(transfers["units"].sum())


def test_surplus_that_would_sit_for_months_fills_the_short_site_to_its_target():
    # 300 days of cover in the North: each unit it keeps costs 300 days of holding ($8.22), more than the $2 lane.
    # With excess priced at a flat 28 days ($0.77), only the units the South's lead time is short of moved (5).
    assert moved(300) == 20


def test_surplus_just_above_target_moves_only_what_the_short_site_lacks():
    # 40 units (40 days) in the North: holding for the 28-day floor does not pay the lane; the deficit does.
    assert 0 < moved(40) < 20


def test_the_span_is_the_most_overstocked_sites_cover_within_bounds():
    sites = pd.DataFrame({
        "product_id": ["P1", "P1", "P2", "P3"], "on_hand_qty": [300.0, 5.0, 10.0, 5000.0],
        "target_level": [30.0, 30.0, 30.0, 30.0], "days_of_cover": [300.0, 5.0, 10.0, float("inf")],
    })  # fmt: skip
    assert surplus_days(sites).tolist() == [300, 300, HOLDING_SPAN_DAYS, LONGEST_HOLD_DAYS]


@pytest.mark.parametrize("north", [300.0])
def test_the_north_keeps_its_reorder_point(north):
    sites = build_sites(policy(north), WAREHOUSES, PRODUCTS)
    transfers, _ = plan_reallocation(sites, LANES, SolverOptions(workers=1))
    assert north - transfers["units"].sum() >= 15


def test_a_weekly_replan_prices_todays_surplus_not_the_opening_days():
    sites = build_sites(policy(300), WAREHOUSES, PRODUCTS)
    assert sites["holding_cost"].iloc[0] == pytest.approx(40 * 0.25 * 300 / 365)
    # The North has sold down to 25 (below its target): nothing is surplus, the span falls to the floor.
    sold_down = priced_holding(sites.assign(on_hand_qty=[25.0, 10.0]))
    assert sold_down["holding_cost"].tolist() == pytest.approx([40 * 0.25 * HOLDING_SPAN_DAYS / 365] * 2)

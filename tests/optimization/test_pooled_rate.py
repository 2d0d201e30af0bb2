"""A source that sold too little to show its own rate is priced at a rate shrunk toward the product's across sites
(pooled_rate.py), not at zero: scenario B's pattern, where pulls took dear units from sites with no sale in a year
that later sold them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from optimization.netting import SurplusNetting, netting_transfers
from optimization.pooled_rate import pooled_rates
from optimization.recent_demand import recent_demand, with_recent

FIRST_WEEK = pd.Timestamp("2026-01-05")
SHARE = {"NORTH": 0.4, "SOUTH": 0.4, "EAST": 0.2}
PRODUCTS = ["P1", "P2", "P3", "P4", "P5"]


def family_history(weeks: int = 26) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Five Toys, 10 units a week each, sold 40/40/20 across NORTH, SOUTH and EAST; P1 sold nothing at the NORTH
    (its 10 a week at the SOUTH and EAST alone)."""
    rows = []
    for product in PRODUCTS:
        for warehouse, share in SHARE.items():
            units = 10 * share
            if product == "P1":
                units = 0.0 if warehouse == "NORTH" else 10 * share / 0.6
            rows += [{"unique_id": f"{product}/{warehouse}", "ds": FIRST_WEEK - pd.Timedelta(weeks=k), "y": units}
                     for k in range(1, weeks + 1)]  # fmt: skip
    attributes = pd.DataFrame([
        {"unique_id": f"{p}/{w}", "product_id": p, "warehouse_id": w, "category": "Toys"}
        for p in PRODUCTS for w in SHARE
    ])  # fmt: skip
    return pd.DataFrame(rows), attributes


def test_a_quiet_site_is_shrunk_toward_the_products_rate_and_a_busy_one_keeps_its_own():
    history, attributes = family_history()
    rates = pooled_rates(history, attributes, FIRST_WEEK, weeks=13).set_index(["product_id", "warehouse_id"])
    quiet = rates.loc[("P1", "NORTH"), "pooled_units"]
    # The NORTH sold 16 of the family's 50 a week over the year: its prior for P1 (10 a week) is 3.2 a week. Thirteen
    # weeks without a sale pull it well below the prior, never to zero.
    assert 0.2 < quiet < 3.2
    # Sites that sold at their share keep their own rate.
    assert rates.loc[("P2", "NORTH"), "pooled_units"] == pytest.approx(4.0, rel=0.1)
    assert rates.loc[("P1", "SOUTH"), "pooled_units"] == pytest.approx(6.67, rel=0.1)


def test_a_warehouse_with_no_history_of_a_product_takes_its_prior():
    history, attributes = family_history()
    keep = ~history["unique_id"].eq("P1/NORTH")
    rates = pooled_rates(history[keep], attributes[attributes["unique_id"] != "P1/NORTH"], FIRST_WEEK, weeks=13)
    north = rates.set_index(["product_id", "warehouse_id"]).loc[("P1", "NORTH"), "pooled_units"]
    assert north == pytest.approx(10 * 16 / 50, rel=0.01)
    # recent_demand carries it, so the pulls see it whatever the site's own history.
    recent = recent_demand(history[keep], attributes[attributes["unique_id"] != "P1/NORTH"], FIRST_WEEK)
    assert ("P1", "NORTH") in set(zip(recent["product_id"], recent["warehouse_id"], strict=True))


def quiet_source(price: float, cost: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The NORTH holds 40 of P1, forecast at 0.05 a week (reorder point 0, target 1); the SOUTH, below its reorder
    point, sells 6.7 a week and is 14 days from its supplier; a 2-day lane at $0.30 joins them."""
    sites = pd.DataFrame([
        {"product_id": "P1", "warehouse_id": "NORTH", "on_hand_qty": 40.0, "lead_time_days": 14,
         "reorder_point": 0.0, "target_level": 1.0, "unit_price": price, "unit_cost": cost, "weekly_demand": 0.05},
        {"product_id": "P1", "warehouse_id": "SOUTH", "on_hand_qty": 10.0, "lead_time_days": 14,
         "reorder_point": 12.0, "target_level": 20.0, "unit_price": price, "unit_cost": cost, "weekly_demand": 6.67},
    ])  # fmt: skip
    history, attributes = family_history()
    sites = with_recent(sites, recent_demand(history, attributes, FIRST_WEEK))
    lanes = pd.DataFrame([{"from_warehouse_id": "NORTH", "to_warehouse_id": "SOUTH", "transfer_cost_per_unit": 0.3,
                           "lead_time_days": 2}])  # fmt: skip
    return sites, lanes


def pulled(sites: pd.DataFrame, lanes: pd.DataFrame) -> float:
    on_hand = sites["on_hand_qty"].to_numpy(dtype=float)
    keep = sites["target_level"].to_numpy(dtype=float)
    pulls = SurplusNetting(sites, lanes).pull(np.array([1]), np.array([10.0]), on_hand, keep, position=on_hand)
    return sum(units for _, _, units, *_ in pulls)


def test_a_quiet_site_keeps_a_dear_products_stock_and_still_gives_a_cheap_ones():
    # At the NORTH's forecast (0.05 a week) its reorder point of 0 loses a tenth of a unit a cycle, so the SOUTH
    # pulled 7 units of a $1,200 product. At the pooled rate (0.7 a week: P1 sells 10 a week elsewhere, the NORTH
    # sells a third of the family) each unit taken is a unit its next cycle loses, $1,000 of margin, more than the
    # SOUTH keeps with it: the NORTH keeps its stock.
    dear, lanes = quiet_source(price=1200.0, cost=200.0)
    assert pulled(dear, lanes) == 0
    # A $6 product's unit costs $1.25 a year to hold and loses $1 of margin: a year of surplus still moves.
    cheap, lanes = quiet_source(price=6.0, cost=5.0)
    assert pulled(cheap, lanes) > 0
    # The live plan's pulls price it the same way.
    assert plan_pulls(dear, lanes).empty
    assert plan_pulls(cheap, lanes)["from_warehouse_id"].tolist() == ["NORTH"]


def plan_pulls(sites: pd.DataFrame, lanes: pd.DataFrame) -> pd.DataFrame:
    columns = ["product_id", "from_warehouse_id", "to_warehouse_id", "units", "transfer_cost", "lead_time_days",
               "arrival_week", "reason", "expected_benefit"]  # fmt: skip
    planned = pd.DataFrame(columns=columns)
    return netting_transfers(sites.assign(inventory_position=sites["on_hand_qty"]), lanes, planned)

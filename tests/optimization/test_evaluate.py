"""On a network with stock in the wrong places, the optimised plan beats doing nothing on both stock-outs and
overstock, pays for its transfers, and the heuristic is scored beside it on the same demand."""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimization.evaluate import compare_policies
from optimization.reallocation import SolverOptions


def network(seed: int = 5):
    rng = np.random.default_rng(seed)
    warehouses = ["W1", "W2", "W3", "W4"]
    site_rows, demand_rows = [], []
    for product in ("P1", "P2", "P3"):
        for index, warehouse in enumerate(warehouses):
            weekly = 10 + 5 * index
            on_hand = 200 if index == 0 else 5  # everything sits in W1
            site_rows.append({
                "product_id": product, "warehouse_id": warehouse, "on_hand_qty": on_hand, "on_order_qty": 0,
                "in_transit_qty": 0, "inventory_position": on_hand, "protected_demand": weekly * 3,
                "safety_stock": 10, "reorder_point": 2 * weekly + 10, "target_level": 3 * weekly + 10,
                "capacity_units": 1000, "unit_margin": 12.0, "unit_price": 30.0, "holding_cost": 0.6,
            })  # fmt: skip
            demand_rows += [{"product_id": product, "warehouse_id": warehouse, "week": w,
                             "units": int(rng.poisson(weekly))} for w in range(8)]  # fmt: skip
    lanes = pd.DataFrame(
        [{"from_warehouse_id": a, "to_warehouse_id": b, "transfer_cost_per_unit": 1.5, "lead_time_days": 4}
         for a in warehouses for b in warehouses if a != b]
    )  # fmt: skip
    return pd.DataFrame(site_rows), lanes, pd.DataFrame(demand_rows)


def test_optimised_plan_cuts_stockouts_and_overstock_against_doing_nothing():
    sites, lanes, demand = network()
    options = SolverOptions(workers=1, horizon_days=21)
    table, plans, problems = compare_policies(sites, lanes, demand, lead_time_weeks=2, options=options)
    scores = table.set_index("policy")
    assert problems == []
    assert scores.loc["optimised", "stockout_units_change"] <= -0.20
    assert scores.loc["optimised", "avg_overstock_units_change"] <= -0.12
    assert scores.loc["optimised", "transfer_cost"] > 0
    assert (
        scores.loc["optimised", "lost_sales_value"] + scores.loc["optimised", "transfer_cost"]
        < scores.loc["no_reallocation", "lost_sales_value"]
    )
    assert set(scores.index) == {"no_reallocation", "proportional_heuristic", "optimised"}
    # Lost value plus transfer cost: the optimiser's objective, scored in the simulation.
    total = scores["lost_sales_value"] + scores["transfer_cost"]
    assert total["optimised"] <= total["proportional_heuristic"]
    assert (scores["units_in"] - scores["units_out"]).abs().max() < 1e-6
    assert not plans["proportional_heuristic"].empty

"""On a network with stock in the wrong places, the optimised plan beats doing nothing on both stock-outs and
overstock, pays for its transfers, and the heuristic is scored beside it on the same demand."""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimization.evaluate import compare_policies
from optimization.reallocation import SolverOptions


def network(seed: int = 5):
    """Four warehouses with 14-day supplier lead times and 4-day lanes; every product's stock sits in W1."""
    rng = np.random.default_rng(seed)
    warehouses = ["W1", "W2", "W3", "W4"]
    site_rows, demand_rows = [], []
    for product in ("P1", "P2", "P3"):
        for index, warehouse in enumerate(warehouses):
            daily = (10 + 5 * index) / 7
            on_hand = 200 if index == 0 else 5
            lead_demand = 14 * daily
            site_rows.append({
                "product_id": product, "warehouse_id": warehouse, "on_hand_qty": on_hand, "on_order_qty": 0,
                "in_transit_qty": 0, "inventory_position": on_hand, "lead_time_days": 14,
                "protected_demand": lead_demand, "protected_sigma": lead_demand**0.5, "safety_stock": 10,
                "reorder_point": round(lead_demand + 10), "target_level": round(21 * daily + 10),
                "capacity_units": 1000, "unit_margin": 12.0, "unit_price": 30.0, "holding_cost": 0.6,
            })  # fmt: skip
            demand_rows += [{"product_id": product, "warehouse_id": warehouse, "day": d,
                             "units": int(rng.poisson(daily))} for d in range(56)]  # fmt: skip
    lanes = pd.DataFrame(
        [{"from_warehouse_id": a, "to_warehouse_id": b, "transfer_cost_per_unit": 1.5, "lead_time_days": 4}
         for a in warehouses for b in warehouses if a != b]
    )  # fmt: skip
    return pd.DataFrame(site_rows), lanes, pd.DataFrame(demand_rows)


def test_optimised_plan_cuts_stockouts_and_overstock_against_doing_nothing():
    sites, lanes, demand = network()
    table, moves, problems = compare_policies(sites, lanes, demand, SolverOptions(workers=1))
    scores = table.set_index("policy")
    assert problems == []
    assert set(scores.index) == {"no_reallocation", "proportional_heuristic", "optimised"}
    assert scores["is_baseline"].tolist() == [True, False, False]
    assert scores.loc["optimised", "stockout_units_change"] <= -0.20
    assert scores.loc["optimised", "avg_overstock_units_change"] <= -0.12
    assert scores.loc["optimised", "transfer_cost"] > 0
    # Lost value plus transfer cost, the optimiser's objective, scored in the simulation.
    total = scores["lost_sales_value"] + scores["transfer_cost"]
    assert total["optimised"] < total["no_reallocation"]
    assert total["optimised"] <= total["proportional_heuristic"]
    assert (scores["units_in"] - scores["units_out"]).abs().max() < 1e-6
    assert not moves["proportional_heuristic"].empty and not moves["optimised"].empty


def test_with_actual_receipts_the_erp_is_the_baseline_and_six_policies_are_scored():
    sites, lanes, demand = network()
    receipts = pd.DataFrame([{"product_id": "P1", "warehouse_id": "W2", "day": 20, "units": 30}])
    table, _, _ = compare_policies(sites, lanes, demand, SolverOptions(workers=1), actual_receipts=receipts,
                                   opening_receipts=receipts.iloc[0:0])  # fmt: skip
    scores = table.set_index("policy")
    assert scores.loc["no_reallocation", "replenishment"] == "actual"
    assert scores.loc["optimised", ["replenishment", "transfers"]].tolist() == ["reorder_point", "optimised"]
    assert len(scores) == 6 and (scores["units_in"] - scores["units_out"]).abs().max() < 1e-6

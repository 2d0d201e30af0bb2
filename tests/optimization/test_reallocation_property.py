"""The transfer model on random products this project did not design, solved by the real CBC solver.

Sites get any stock (negative too), demand with or without spread, missing or zero capacity, targets below or above
the stock, free or dear lanes, fast or slow; the plan must keep every stated rule and never cost more than doing
nothing: its exact expected lost margin and holding, plus what the transfers cost, at most doing nothing's.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optimization.move_value import TRANSFER_HURDLE, expected_cost
from optimization.reallocation import SolverOptions, plan_product

OPTIONS = SolverOptions(workers=1, horizon_days=14)


@st.composite
def products(draw):
    """(sites, lanes) of one product over 2-5 warehouses."""
    rng = np.random.default_rng(draw(st.integers(0, 2**31)))
    count = draw(st.integers(2, 5))
    rows = []
    for number in range(count):
        on_hand = int(rng.choice([-3, 0, rng.integers(0, 40), rng.integers(40, 400)], p=[0.05, 0.15, 0.3, 0.5]))
        demand = float(rng.choice([0.0, rng.uniform(0, 20), rng.uniform(20, 300)]))
        safety = float(rng.uniform(0, 0.5) * demand)
        reorder = demand + safety
        rows.append({
            "product_id": "P1", "warehouse_id": f"W{number}", "on_hand_qty": on_hand,
            "inventory_position": on_hand + int(rng.choice([0, rng.integers(0, 60)])),
            "protected_demand": demand, "protected_sigma": float(rng.choice([0.0, rng.uniform(0, 0.6) * demand])),
            "safety_stock": safety, "reorder_point": reorder,
            "target_level": float(reorder + rng.choice([0.0, rng.uniform(0, 1) * demand])),
            "capacity_units": rng.choice([math.nan, 0.0, float(rng.integers(0, 800))], p=[0.05, 0.05, 0.9]),
            "unit_margin": float(rng.choice([0.0, rng.uniform(0.5, 150)], p=[0.1, 0.9])),
            "holding_cost": float(rng.uniform(0, 3)), "lead_time_days": int(rng.choice([2, rng.integers(7, 29)])),
        })  # fmt: skip
    lanes = []
    for a, b in [(a, b) for a in range(count) for b in range(count) if a != b and rng.random() < 0.7]:
        lanes.append({
            "from_warehouse_id": f"W{a}", "to_warehouse_id": f"W{b}",
            "transfer_cost_per_unit": float(rng.choice([0.0, rng.uniform(0.1, 5), rng.uniform(5, 30)])),
            "lead_time_days": int(rng.choice([rng.integers(1, 7), rng.integers(1, 30)], p=[0.8, 0.2])),
        })  # fmt: skip
    columns = ["from_warehouse_id", "to_warehouse_id", "transfer_cost_per_unit", "lead_time_days"]
    return pd.DataFrame(rows), pd.DataFrame(lanes, columns=columns)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(products())
def test_a_random_products_plan_keeps_every_rule_and_never_costs_more_than_doing_nothing(product):
    sites, lanes = product
    plan = plan_product("P1", sites, lanes, OPTIONS)

    bad = {s.warehouse_id for s in sites.itertuples() if s.on_hand_qty < 0 or not s.capacity_units >= 0}
    for warehouse_id in bad:  # each unusable site is named, with its product
        assert any(f"product P1 at {warehouse_id}:" in problem for problem in plan.problems)
    by_site = sites.set_index("warehouse_id")
    lane = lanes.set_index(["from_warehouse_id", "to_warehouse_id"])
    sent, received = pd.Series(0.0, index=by_site.index), pd.Series(0.0, index=by_site.index)
    for move in plan.transfers:
        source, destination, units = move["from_warehouse_id"], move["to_warehouse_id"], move["units"]
        assert units >= 1 and units == int(units) and source != destination
        assert source not in bad and destination not in bad
        assert (source, destination) in lane.index  # only real lanes
        assert lane.at[(source, destination), "lead_time_days"] < by_site.at[destination, "lead_time_days"]
        assert move["expected_benefit"] >= (1 + TRANSFER_HURDLE) * move["transfer_cost"] - 0.02  # both rounded
        sent[source] += units
        received[destination] += units

    usable = by_site.drop(index=list(bad))
    for warehouse_id, site in usable.iterrows():
        kept = max(site["reorder_point"], site["safety_stock"])  # a source keeps its own customers' stock
        assert sent[warehouse_id] <= max(min(site["on_hand_qty"], site["on_hand_qty"] - kept), 0) + 1e-9
        after = site["inventory_position"] + received[warehouse_id] - sent[warehouse_id]
        assert after <= max(site["capacity_units"], site["inventory_position"]) + 1e-9  # room at the destination

    if usable.empty:
        return
    nothing = expected_cost(usable, np.zeros(len(usable)))
    planned = expected_cost(usable, (received - sent).reindex(usable.index).to_numpy())
    paid = sum(move["units"] * lane.at[(move["from_warehouse_id"], move["to_warehouse_id"]),
                                       "transfer_cost_per_unit"] for move in plan.transfers)  # fmt: skip
    assert planned + paid <= nothing + 1e-6, (planned, paid, nothing, plan.transfers)

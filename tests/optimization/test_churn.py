"""No churn (optimization/churn.py), on scenario B's pattern: the weekly re-plan judged a site's stock surplus one
week and short the next, and sent the same product back the way it came while the units were on the road."""

from __future__ import annotations

import pandas as pd
import pytest

from optimization.evaluate import compare_policies
from optimization.netting import netting_transfers
from optimization.reallocation import SolverOptions


def levels(daily: float) -> dict:
    """A 14-day lead time and a 7-day review at `daily` units a day, with Poisson's spread."""
    lead, cover = 14 * daily, 21 * daily
    return {"lead_time_demand": lead, "lead_sigma": lead**0.5, "cover_demand": cover, "safety_stock": 2 * cover**0.5,
            "reorder_point": round(lead + 2 * lead**0.5), "target_level": round(cover + 2 * cover**0.5)}  # fmt: skip


def site(warehouse: str, on_hand: float, daily: float) -> dict:
    return {
        "product_id": "P1", "warehouse_id": warehouse, "on_hand_qty": on_hand, "on_order_qty": 0, "in_transit_qty": 0,
        "inventory_position": on_hand, "lead_time_days": 14, "capacity_units": 1000, "unit_margin": 20.0,
        "unit_price": 50.0, "unit_cost": 30.0, "holding_cost": 0.5, "weekly_demand": 7 * daily, **levels(daily),
    }  # fmt: skip


def passing_on_network(days: int = 21):
    """Scenario B's pattern: W1 holds a little more than its forecast needs and W2 is short; W3 holds months of a
    slow seller and reaches W2 only through W1. W1 then sells three a day against a forecast of one."""
    sites = pd.DataFrame([site("W1", 80, 1.0), site("W2", 5, 3.0), site("W3", 300, 0.2)])
    sites["protected_demand"], sites["protected_sigma"] = sites["lead_time_demand"], sites["lead_sigma"]
    lanes = pd.DataFrame([{"from_warehouse_id": a, "to_warehouse_id": b, "transfer_cost_per_unit": 0.5,
                           "lead_time_days": 2} for a, b in (("W1", "W2"), ("W2", "W1"), ("W3", "W1"))])  # fmt: skip
    daily = {"W1": 3, "W2": 3, "W3": 0}
    demand = pd.DataFrame([{"product_id": "P1", "warehouse_id": w, "day": d, "units": daily[w]}
                           for w in daily for d in range(days)])  # fmt: skip
    return sites, lanes, demand


def churned(moves: pd.DataFrame, window: int = 21) -> list[str]:
    """Every move that breaks a rule: sent out of a site within `window` days of a move into it, or back along a
    lane within `window` days of a move the other way."""
    broken = []
    for move in moves.itertuples():
        since = moves[(moves["day"] <= move.day) & (moves["day"] > move.day - window)]
        same = since["product_id"] == move.product_id
        if (same & (since["to_warehouse_id"] == move.from_warehouse_id)).any():
            broken.append(f"day {move.day}: {move.from_warehouse_id} sends on what it took")
        if (same & (since["from_warehouse_id"] == move.to_warehouse_id)
                & (since["to_warehouse_id"] == move.from_warehouse_id)).any():  # fmt: skip
            broken.append(f"day {move.day}: {move.from_warehouse_id}->{move.to_warehouse_id} goes back")
    return broken


def test_a_site_never_passes_on_or_sends_back_what_moved_within_its_window():
    sites, lanes, demand = passing_on_network()
    table, moves, _ = compare_policies(sites, lanes, demand, SolverOptions(workers=1), names=("optimised",))
    made = moves["optimised"]
    # Day 0 sends W1's stock beyond its reorder point to W2, as the forecast asks; W3's surplus then refills W1.
    assert made[made["day"] == 0][["from_warehouse_id", "to_warehouse_id"]].values.tolist() == [["W1", "W2"]]
    assert (made["from_warehouse_id"] == "W3").any()
    assert churned(made) == []
    scores = table.set_index("policy").loc["optimised"]
    assert scores["units_in"] == pytest.approx(scores["units_out"])


def test_the_plans_pulls_never_send_back_along_the_models_moves():
    # The model sends 60 units from W1 to W2, which leaves W1 at its reorder point; W2 (holding 20 beyond its
    # target) and W3 (370 beyond) both have surplus to give it, and W2's lane is the cheapest.
    sites = pd.DataFrame([
        {"product_id": "P1", "warehouse_id": w, "on_hand_qty": on_hand, "inventory_position": on_hand,
         "lead_time_days": 14, "reorder_point": 20.0, "target_level": 30.0, "unit_cost": 40.0, "weekly_demand": 0.5}
        for w, on_hand in (("W1", 80.0), ("W2", 50.0), ("W3", 400.0))
    ])  # fmt: skip
    lanes = pd.DataFrame([{"from_warehouse_id": a, "to_warehouse_id": b, "lead_time_days": 2,
                           "transfer_cost_per_unit": 0.05 if a == "W2" else 0.1}
                          for a in ("W1", "W2", "W3") for b in ("W1", "W2", "W3") if a != b])  # fmt: skip
    planned = pd.DataFrame([{"product_id": "P1", "from_warehouse_id": "W1", "to_warehouse_id": "W2", "units": 60,
                             "transfer_cost": 6.0, "lead_time_days": 2, "arrival_week": 1, "reason": "model",
                             "expected_benefit": 100.0}])  # fmt: skip
    pulls = netting_transfers(sites, lanes, planned)
    # W1 takes its 10 from W3: not back from W2, the way its own units just went, nor from a site that took stock.
    assert pulls[["from_warehouse_id", "to_warehouse_id", "units"]].values.tolist() == [["W3", "W1", 10]]

"""The simulator's day-by-day accounting on cases checked by hand, and its balance on random ones."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from optimization.simulate import simulate

NO_TRANSFERS = pd.DataFrame(columns=["product_id", "from_warehouse_id", "to_warehouse_id", "units", "lead_time_days",
                                     "transfer_cost"])  # fmt: skip


def sites(*rows):
    defaults = {"product_id": "P1", "on_order_qty": 0, "in_transit_qty": 0, "reorder_point": -1, "target_level": 0,
                "unit_price": 10.0, "lead_time_days": 2}  # fmt: skip
    return pd.DataFrame([{**defaults, **row} for row in rows])


def demand(warehouse, units):
    return pd.DataFrame({"product_id": "P1", "warehouse_id": warehouse, "day": range(len(units)), "units": units})


def move(units, lead_time_days, cost=20.0):
    return pd.DataFrame([{"product_id": "P1", "from_warehouse_id": "W1", "to_warehouse_id": "W2", "units": units,
                          "lead_time_days": lead_time_days, "transfer_cost": cost}])  # fmt: skip


def test_stock_runs_out_and_the_rest_is_lost():
    result = simulate(sites({"warehouse_id": "W1", "on_hand_qty": 10}), demand("W1", [4, 4, 4]), NO_TRANSFERS, "x")
    assert result.daily["sold"].tolist() == [4, 4, 2]
    assert result.daily["lost"].tolist() == [0, 0, 2]
    assert result.summary["stockout_units"] == 2 and result.summary["lost_sales_value"] == 20
    assert result.summary["fill_rate"] == pytest.approx(10 / 12)


def test_a_transfer_lands_after_its_lane_lead_time_and_cuts_stockouts():
    stock = sites({"warehouse_id": "W1", "on_hand_qty": 50}, {"warehouse_id": "W2", "on_hand_qty": 0})
    wanted = pd.concat([demand("W1", [0, 0, 0]), demand("W2", [10, 10, 10])])
    baseline = simulate(stock, wanted, NO_TRANSFERS, "baseline").summary
    moved = simulate(stock, wanted, move(20, lead_time_days=1), "moved")
    assert baseline["stockout_units"] == 30
    assert moved.summary["stockout_units"] == 10  # day 0 is lost; days 1 and 2 are served from the transfer
    assert moved.summary["transfer_cost"] == 20.0 and moved.summary["transfer_units"] == 20
    assert moved.daily.loc[moved.daily["warehouse_id"] == "W1", "on_hand_end"].tolist() == [30, 30, 30]


def test_an_order_at_the_reorder_point_lands_a_lead_time_later():
    stock = sites({"warehouse_id": "W1", "on_hand_qty": 8, "reorder_point": 5, "target_level": 20,
                   "lead_time_days": 2})  # fmt: skip
    result = simulate(stock, demand("W1", [4, 4, 4, 4]), NO_TRANSFERS, "x")
    assert result.daily["ordered"].tolist() == [16, 0, 0, 0]  # 4 left <= 5: order up to 20
    assert result.daily["received"].tolist() == [0, 0, 16, 0]
    assert result.daily["lost"].tolist() == [0, 0, 0, 0]


def test_actual_receipts_replay_without_reorders():
    stock = sites({"warehouse_id": "W1", "on_hand_qty": 3, "reorder_point": 100, "target_level": 200})
    receipts = pd.DataFrame([{"product_id": "P1", "warehouse_id": "W1", "day": 1, "units": 5}])
    result = simulate(stock, demand("W1", [2, 2, 2]), NO_TRANSFERS, "x", receipts=receipts, reorder=False)
    assert result.daily["ordered"].sum() == 0
    assert result.daily["on_hand_end"].tolist() == [1, 4, 2]


def test_phased_levels_change_the_order_day_by_day():
    stock = sites({"warehouse_id": "W1", "on_hand_qty": 10, "reorder_point": 0, "target_level": 10})
    phased = pd.DataFrame([{"product_id": "P1", "warehouse_id": "W1", "day": d, "reorder_point": rp,
                            "target_level": tl} for d, rp, tl in ((0, 0, 10), (1, 0, 10), (2, 30, 40))])  # fmt: skip
    result = simulate(stock, demand("W1", [1, 1, 1]), NO_TRANSFERS, "x", phased=phased)
    assert result.daily["ordered"].tolist() == [0, 32, 0]  # day 1's order is reviewed at day 2's levels


def test_the_weekly_review_moves_stock_on_review_days_only():
    stock = sites({"warehouse_id": "W1", "on_hand_qty": 50}, {"warehouse_id": "W2", "on_hand_qty": 0})
    seen = []

    def review(day, state):
        seen.append((day, state.set_index("warehouse_id")["on_hand_qty"].to_dict()))
        return move(5, lead_time_days=1, cost=5.0)

    wanted = pd.concat([demand("W1", [0] * 15), demand("W2", [0] * 15)])
    result = simulate(stock, wanted, NO_TRANSFERS, "x", replan=review, review_every_days=7)
    assert [day for day, _ in seen] == [7, 14]
    assert seen[1][1] == {"W1": 45, "W2": 5}
    assert result.summary["transfer_units"] == 10 and result.summary["transfer_cost"] == 10.0


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_units_always_balance(seed):
    rng = np.random.default_rng(seed)
    warehouses = ["W1", "W2", "W3"]
    rows = [
        {"warehouse_id": w, "on_hand_qty": int(rng.integers(0, 60)), "reorder_point": int(rng.integers(0, 20)),
         "target_level": int(rng.integers(20, 60)), "lead_time_days": int(rng.integers(1, 9))}
        for w in warehouses
    ]  # fmt: skip
    stock = sites(*rows)
    wanted = pd.concat([demand(w, rng.poisson(3, 21).tolist()) for w in warehouses])
    receipts = pd.DataFrame([{"product_id": "P1", "warehouse_id": "W3", "day": 4, "units": 7}])
    plan = move(int(stock.loc[0, "on_hand_qty"]) // 2, lead_time_days=int(rng.integers(1, 30)), cost=1.0)

    def review(day, state):  # a late move that may still be on the road at the end
        return move(3, lead_time_days=10, cost=3.0)

    for reorder in (True, False):
        result = simulate(stock, wanted, plan, "x", receipts=receipts, reorder=reorder, replan=review)
        summary = result.summary
        assert summary["units_in"] == pytest.approx(summary["units_out"])
        assert summary["demand_units"] == pytest.approx(summary["sold_units"] + summary["stockout_units"])
        assert (result.daily["on_hand_end"] >= 0).all()

"""The simulator's week-by-week accounting on cases checked by hand, and its balance on random ones."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from optimization.simulate import simulate

NO_TRANSFERS = pd.DataFrame(columns=["product_id", "from_warehouse_id", "to_warehouse_id", "units", "arrival_week",
                                     "transfer_cost"])  # fmt: skip


def sites(*rows):
    defaults = {"product_id": "P1", "on_order_qty": 0, "in_transit_qty": 0, "reorder_point": -1, "target_level": 0,
                "unit_price": 10.0}  # fmt: skip
    return pd.DataFrame([{**defaults, **row} for row in rows])


def demand(warehouse, units):
    return pd.DataFrame({"product_id": "P1", "warehouse_id": warehouse, "week": range(len(units)), "units": units})


def test_stock_runs_out_and_the_rest_is_lost():
    result = simulate(sites({"warehouse_id": "W1", "on_hand_qty": 10}), demand("W1", [4, 4, 4]), NO_TRANSFERS, 1, "x")
    assert result.weekly["sold"].tolist() == [4, 4, 2]
    assert result.weekly["lost"].tolist() == [0, 0, 2]
    assert result.summary["stockout_units"] == 2 and result.summary["lost_sales_value"] == 20
    assert result.summary["fill_rate"] == pytest.approx(10 / 12)


def test_a_transfer_arrives_after_its_lead_time_and_cuts_stockouts():
    stock = sites({"warehouse_id": "W1", "on_hand_qty": 50}, {"warehouse_id": "W2", "on_hand_qty": 0})
    wanted = pd.concat([demand("W1", [0, 0, 0]), demand("W2", [10, 10, 10])])
    move = pd.DataFrame([{"product_id": "P1", "from_warehouse_id": "W1", "to_warehouse_id": "W2", "units": 20,
                          "arrival_week": 1, "transfer_cost": 20.0}])  # fmt: skip
    baseline = simulate(stock, wanted, NO_TRANSFERS, 1, "baseline").summary
    moved = simulate(stock, wanted, move, 1, "moved")
    assert baseline["stockout_units"] == 30
    assert moved.summary["stockout_units"] == 10  # week 0 is lost; weeks 1 and 2 are served from the transfer
    assert moved.summary["transfer_cost"] == 20.0
    w1 = moved.weekly[moved.weekly["warehouse_id"] == "W1"]
    assert w1["on_hand_end"].tolist() == [30, 30, 30]


def test_an_order_at_the_reorder_point_arrives_a_lead_time_later():
    stock = sites({"warehouse_id": "W1", "on_hand_qty": 8, "reorder_point": 5, "target_level": 20})
    result = simulate(stock, demand("W1", [4, 4, 4, 4]), NO_TRANSFERS, 2, "x")
    assert result.weekly["ordered"].tolist() == [16, 0, 0, 0]  # 4 left <= 5: order up to 20
    assert result.weekly["received"].tolist() == [0, 0, 16, 0]
    assert result.weekly["lost"].tolist() == [0, 0, 0, 0]


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_units_always_balance(seed):
    rng = np.random.default_rng(seed)
    warehouses = ["W1", "W2", "W3"]
    rows = [
        {"warehouse_id": w, "on_hand_qty": int(rng.integers(0, 60)), "on_order_qty": int(rng.integers(0, 20)),
         "reorder_point": int(rng.integers(0, 20)), "target_level": int(rng.integers(20, 60))}
        for w in warehouses
    ]  # fmt: skip
    stock = sites(*rows)
    wanted = pd.concat([demand(w, rng.poisson(8, 8).tolist()) for w in warehouses])
    available = int(stock.loc[0, "on_hand_qty"])
    move = {"product_id": "P1", "from_warehouse_id": "W1", "to_warehouse_id": "W2", "units": available // 2}
    move = pd.DataFrame([{**move, "arrival_week": int(rng.integers(1, 10)), "transfer_cost": 1.0}])
    result = simulate(stock, wanted, move, 2, "x")
    summary = result.summary
    assert summary["units_in"] == pytest.approx(summary["units_out"])
    assert summary["demand_units"] == pytest.approx(summary["sold_units"] + summary["stockout_units"])
    assert (result.weekly["on_hand_end"] >= 0).all()

"""One overstock yardstick no policy sets (stock beyond what the actual demand of the next lead time plus review
period needed), and service levels chosen by each product's margin against its holding cost."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from optimization.policy import PolicyOptions, phased_levels
from optimization.service_levels import HIGHEST_LEVEL, LOWEST_LEVEL, cost_service_levels, with_service_levels
from optimization.simulate import hindsight_need, simulate
from tests.optimization.one_series import day_zero_levels, flat_forecast

NO_TRANSFERS = pd.DataFrame(columns=["product_id", "from_warehouse_id", "to_warehouse_id", "units", "lead_time_days",
                                     "transfer_cost"])  # fmt: skip


def one_site(on_hand, target_level, lead_time_days=2):
    return pd.DataFrame([{"product_id": "P1", "warehouse_id": "W1", "on_hand_qty": on_hand, "lead_time_days":
                          lead_time_days, "reorder_point": -1, "target_level": target_level, "unit_price": 1.0}])


def test_need_is_the_actual_demand_of_the_next_lead_time_plus_review():
    demand = np.array([[1.0, 2, 3, 4, 5, 6]])
    # End of day 0 needs days 1-3, day 1 needs 2-4, day 2 needs 3-5; later windows would run past the replay and
    # slide back to its last three days.
    assert hindsight_need(demand, np.array([3]))[0].tolist() == [9, 12, 15, 15, 15, 15]


def test_a_window_longer_than_the_replay_needs_all_of_its_demand():
    assert hindsight_need(np.array([[1.0, 1, 1]]), np.array([10]))[0].tolist() == [3, 3, 3]


def test_overstock_is_the_same_yardstick_whatever_the_policys_target():
    # 40 on hand, 2 a day, lead 2 + review 1: each day needs 6; nothing is replenished.
    wanted = pd.DataFrame({"product_id": "P1", "warehouse_id": "W1", "day": range(10), "units": 2.0})
    low = simulate(one_site(40, target_level=5), wanted, NO_TRANSFERS, "low", reorder=False, cover_review_days=1)
    high = simulate(one_site(40, target_level=30), wanted, NO_TRANSFERS, "high", reorder=False, cover_review_days=1)
    # End of day d holds 38 - 2d and needs the next 3 days' 6 units.
    expected = np.mean([38 - 2 * d - 6 for d in range(10)])
    assert low.summary["avg_overstock_units"] == pytest.approx(expected)
    assert high.summary["avg_overstock_units"] == pytest.approx(expected)
    # The old measure, units above the policy's own target, moves with the target.
    assert low.summary["avg_over_target_units"] > high.summary["avg_over_target_units"]


def test_levels_rise_with_margin_and_fall_with_holding_cost():
    series = pd.DataFrame({"product_id": ["thin", "fat", "dear"], "warehouse_id": "W1"})
    products = pd.DataFrame({"product_id": ["thin", "fat", "dear"], "unit_price": [10.0, 10.0, 1000.0],
                             "unit_cost": [9.9, 5.0, 999.0]})  # fmt: skip
    levels = cost_service_levels(series, products, review_days=7).set_index("product_id")["service_level"]
    assert levels["fat"] > levels["thin"]
    assert levels["dear"] == LOWEST_LEVEL  # a 0.1% margin on a costly unit: the floor
    assert levels.between(LOWEST_LEVEL, HIGHEST_LEVEL).all()


def test_the_fixed_rule_ignores_costs_and_the_cost_rule_sets_one_level_per_series():
    forecasts = pd.DataFrame({"product_id": ["P1", "P1", "P2"], "warehouse_id": ["W1", "W1", "W1"]})
    products = pd.DataFrame({"product_id": ["P1", "P2"], "unit_price": [10.0, 10.0], "unit_cost": [5.0, 9.0]})
    cost = with_service_levels(forecasts, products, PolicyOptions(level_rule="cost"))
    assert cost.groupby("product_id")["service_level"].nunique().eq(1).all()
    assert cost.loc[cost["product_id"] == "P1", "service_level"].iloc[0] > cost.loc[cost["product_id"] == "P2",
                                                                                    "service_level"].iloc[0]
    assert "service_level" not in with_service_levels(forecasts, products, PolicyOptions(level_rule="fixed"))
    with pytest.raises(ValueError, match="level rule"):
        with_service_levels(forecasts, products, PolicyOptions(level_rule="guess"))


def test_the_cli_defaults_to_the_cost_rule_and_a_level_fixes_it():
    import argparse

    from foundation.options import add_flags
    from optimization.options import OptimizeOptions
    from optimization.run import options_from

    parser = argparse.ArgumentParser()
    add_flags(parser, OptimizeOptions)
    assert options_from(OptimizeOptions.from_args(parser.parse_args([])))[0].level_rule == "cost"
    fixed = options_from(OptimizeOptions.from_args(parser.parse_args(["--service-level", "0.97"])))[0]
    assert (fixed.level_rule, fixed.service_level) == ("fixed", 0.97)
    swept = OptimizeOptions.from_args(parser.parse_args(["--evaluate-service-levels", "cost,0.99"]))
    assert swept.evaluate_service_levels == (None, 0.99)
    with pytest.raises(ValueError, match=r"--service-level 1.0 must be in \[0.5, 1\)"):
        OptimizeOptions(service_level=1.0)


def levels(forecast: pd.DataFrame, price: float, cost: float, excess_sits: bool) -> pd.Series:
    return day_zero_levels(forecast, price, cost, PolicyOptions(level_rule="cost", excess_sits=excess_sits))


def test_an_order_holds_no_more_than_its_excess_pays_for_over_the_days_it_sits():
    # A cheap lumpy series (the default sample's P00018: 10 a week, weeks of 90-110): the one-period newsvendor at
    # its 99% critical ratio orders up to months of sales above its reorder point; priced over the days that
    # excess sits, an order stops at what protects the lead time (the reorder point, which stays).
    lumpy = flat_forecast(10, sigma=28, lead_time_days=18)
    sits, one_period = (levels(lumpy, 5.8, 3.6, excess_sits=flag) for flag in (True, False))
    assert one_period["target_level"] - one_period["reorder_point"] > 3 * 10  # three weeks of sales per order
    assert sits["reorder_point"] == one_period["reorder_point"]
    assert sits["target_level"] == sits["reorder_point"]
    # A steady series' excess sells within a review period: the newsvendor's level stands.
    steady = flat_forecast(70, sigma=5, lead_time_days=7)
    assert levels(steady, 9.0, 8.0, True)["target_level"] == levels(steady, 9.0, 8.0, False)[
        "target_level"]


def test_the_replay_of_a_lumpy_series_holds_less_overstock_and_loses_no_more():
    # Eight weeks of the lumpy series' demand (15 units every tenth day, 3 on others' fifth): replayed under the
    # levels each rule sets, the excess-priced order holds less stock beyond the next lead time + review's actual
    # demand and serves the same demand.
    lumpy = flat_forecast(10, sigma=28, lead_time_days=18)
    demand = pd.DataFrame([{"product_id": "P1", "warehouse_id": "W1", "day": d,
                            "units": 15.0 if d % 10 == 9 else 3.0 if d % 10 == 4 else 0.0} for d in range(56)])
    outcomes = {}
    for flag in (True, False):
        products = pd.DataFrame([{"product_id": "P1", "unit_price": 5.8, "unit_cost": 3.6}])
        options = PolicyOptions(level_rule="cost", excess_sits=flag)
        phased = phased_levels(with_service_levels(lumpy, products, options), options)
        first = phased[phased["day"] == 0].iloc[0]
        sites = pd.DataFrame([{"product_id": "P1", "warehouse_id": "W1", "on_hand_qty": 40.0, "lead_time_days": 18,
                               "reorder_point": first["reorder_point"], "target_level": first["target_level"],
                               "unit_price": 5.8}])  # fmt: skip
        outcomes[flag] = simulate(sites, demand, NO_TRANSFERS, "policy", phased=phased).summary
    assert outcomes[True]["avg_overstock_units"] < 0.9 * outcomes[False]["avg_overstock_units"]
    assert outcomes[True]["stockout_units"] <= outcomes[False]["stockout_units"]

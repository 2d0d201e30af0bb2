"""The policy's levels and the simulator's fill rate cross-checked against stockpyl, a maintained inventory library:
base-stock levels under Poisson and negative binomial demand at the cost-chosen critical ratio, the normal loss
function the transfer model prices shortage with, and a base-stock policy's fill rate under Poisson demand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import nbinom

stockpyl_loss = pytest.importorskip("stockpyl.loss_functions")
from stockpyl.newsvendor import newsvendor_discrete, newsvendor_poisson  # noqa: E402

from optimization.plan import expected_shortage  # noqa: E402
from optimization.policy import PolicyOptions  # noqa: E402
from optimization.service_levels import critical_ratio  # noqa: E402
from optimization.simulate import simulate  # noqa: E402
from optimization.sites import HOLDING_RATE_PER_YEAR  # noqa: E402
from tests.optimization.one_series import day_zero_levels, flat_forecast  # noqa: E402

REVIEW_DAYS = 7


def levels_at_cost(frame: pd.DataFrame, price: float, cost: float) -> pd.Series:
    # The one-period newsvendor: excess held one review period (the default prices the days it sits, tested in
    # test_yardstick_and_levels.py).
    options = PolicyOptions(level_rule="cost", review_days=REVIEW_DAYS, excess_sits=False)
    return day_zero_levels(frame, price, cost, options)


def per_cycle_costs(price: float, cost: float) -> tuple[float, float]:
    """(holding per unit per review period, stock-out cost per unit = the margin lost)."""
    return cost * HOLDING_RATE_PER_YEAR * REVIEW_DAYS / 365, price - cost


@pytest.mark.parametrize(("weekly", "lead", "price", "cost"), [(14, 7, 20.0, 15.0), (3.5, 21, 100.0, 60.0),
                                                                (70, 14, 9.0, 8.0)])  # fmt: skip
def test_poisson_base_stock_and_reorder_point_match_stockpyl_newsvendor(weekly, lead, price, cost):
    # A narrow interval: the policy falls back to Poisson over the lead time (reorder point) and lead time plus
    # review (order-up-to level).
    levels = levels_at_cost(flat_forecast(weekly, sigma=0.1, lead_time_days=lead), price, cost)
    holding, stockout = per_cycle_costs(price, cost)
    daily = weekly / 7
    order_up_to, _ = newsvendor_poisson(holding, stockout, daily * (lead + REVIEW_DAYS))
    reorder_point, _ = newsvendor_poisson(holding, stockout, daily * lead)
    assert levels["target_level"] == order_up_to
    assert levels["reorder_point"] == reorder_point


def test_negative_binomial_base_stock_matches_stockpyl_discrete_newsvendor():
    # 35 a week with sigma 15: variance above the mean, so negative binomial.
    lead, price, cost = 14, 50.0, 35.0
    levels = levels_at_cost(flat_forecast(35, sigma=15, lead_time_days=lead), price, cost)
    holding, stockout = per_cycle_costs(price, cost)
    days = lead + REVIEW_DAYS
    mean, variance = 5 * days, 15**2 / 7 * days
    distribution = nbinom(mean**2 / (variance - mean), mean / variance)
    order_up_to, _ = newsvendor_discrete(holding, stockout, demand_distrib=distribution)
    assert levels["target_level"] == order_up_to


def test_critical_ratio_is_the_newsvendor_fractile():
    holding, stockout = per_cycle_costs(40.0, 30.0)
    assert critical_ratio(40.0, 30.0, REVIEW_DAYS) == pytest.approx(stockout / (stockout + holding))


@pytest.mark.parametrize(("stock", "mean", "sigma"), [(120, 100, 20), (80, 100, 20), (100, 100, 5), (3, 1, 0.5)])
def test_expected_shortage_is_stockpyls_normal_loss(stock, mean, sigma):
    loss, _ = stockpyl_loss.normal_loss(stock, mean, sigma)
    assert expected_shortage(np.array([stock]), np.array([mean]), np.array([sigma]))[0] == pytest.approx(loss, rel=1e-9)


def base_stock_fill_rate(order_up_to: int, daily_rate: float, lead: int) -> float:
    """Analytic fill rate of a daily-review base-stock policy under Poisson demand, back-ordering: an order placed
    at the end of a day lands `lead` days later, so the day's unmet demand is E[(D(lead) - S)+] less
    E[(D(lead - 1) - S)+] (stockpyl's Poisson loss function)."""
    over_lead, _ = stockpyl_loss.poisson_loss(order_up_to, daily_rate * lead)
    over_one_less, _ = stockpyl_loss.poisson_loss(order_up_to, daily_rate * (lead - 1))
    return 1 - (over_lead - over_one_less) / daily_rate


@pytest.mark.parametrize(("order_up_to", "rate", "lead"), [(15, 2.0, 4), (13, 1.0, 6), (24, 3.0, 5), (20, 4.0, 3)])
def test_simulated_fill_rate_matches_the_analytic_base_stock_value(order_up_to, rate, lead):
    """The simulator loses sales where the formula back-orders them; a lost sale is never reordered, so the shelf
    is a little fuller and the fill rate a little higher: simulated lies between the analytic value and 0.35
    percentage points above it at these 99%+ fill rates (300 sites x 400 days leave a sampling error near 0.03
    points). A lead time off by one day in the simulator would land outside the band."""
    sites_count, days = 300, 400
    sites = pd.DataFrame({
        "product_id": "P1", "warehouse_id": [f"W{i}" for i in range(sites_count)], "on_hand_qty": order_up_to,
        "lead_time_days": lead, "reorder_point": order_up_to - 1, "target_level": order_up_to, "unit_price": 1.0,
    })  # fmt: skip
    rng = np.random.default_rng(7)
    demand = pd.DataFrame({
        "product_id": "P1", "warehouse_id": np.repeat(sites["warehouse_id"], days),
        "day": np.tile(np.arange(days), sites_count), "units": rng.poisson(rate, sites_count * days),
    })  # fmt: skip
    no_moves = pd.DataFrame(columns=["product_id", "from_warehouse_id", "to_warehouse_id", "units", "lead_time_days",
                                     "transfer_cost"])  # fmt: skip
    result = simulate(sites, demand, no_moves, "base_stock")
    daily = result.daily[result.daily["day"] >= 50]  # past the warm-up from a full shelf
    simulated = daily["sold"].sum() / daily["demand"].sum()
    analytic = base_stock_fill_rate(order_up_to, rate, lead)
    band = (analytic, analytic + 0.0035)
    assert analytic < 0.996  # stock-outs happen, so the comparison means something
    for off_by_one in (lead - 1, lead + 1):
        assert not band[0] <= base_stock_fill_rate(order_up_to, rate, off_by_one) <= band[1]
    assert band[0] <= simulated <= band[1]

"""Reorder point, target level and safety stock on numbers checked against scipy, the measured lead times and
the time-phased levels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import nbinom, poisson

from optimization.policy import (
    Z_80_TWO_SIDED,
    PolicyOptions,
    demand_quantile,
    inventory_policy,
    measured_lead_times,
    phased_levels,
)


def forecast_rows(product, warehouse, weekly, sigma, weeks=4, category="Toys", **extra):
    half = sigma * Z_80_TWO_SIDED / 2
    values = weekly if isinstance(weekly, list) else [weekly] * weeks
    return [
        {"product_id": product, "warehouse_id": warehouse, "category": category,
         "week_start": pd.Timestamp("2026-01-05") + pd.Timedelta(weeks=w),
         "forecast_units": value, "lo_80": value - half, "hi_80": value + half, **extra}
        for w, value in enumerate(values)
    ]  # fmt: skip


def stock(on_hand, on_order=0, warehouse="W1"):
    return pd.DataFrame([{"product_id": "P1", "warehouse_id": warehouse, "on_hand_qty": on_hand,
                          "on_order_qty": on_order, "in_transit_qty": 0}])  # fmt: skip


def test_an_overdispersed_series_takes_negative_binomial_quantiles():
    # 70 a week with sigma 21 (variance 441 > mean 70): days carry 10 each with variance 63.
    forecasts = pd.DataFrame(forecast_rows("P1", "W1", weekly=70, sigma=21, lead_time_days=14))
    policy = inventory_policy(forecasts, stock(400), PolicyOptions(service_level=0.95, review_days=7)).iloc[0]
    lead_mean, lead_var = 140, 63 * 14
    cover_mean, cover_var = 210, 63 * 21

    def nb(mean, var):
        return nbinom.ppf(0.95, mean**2 / (var - mean), mean / var)

    assert policy["lead_time_demand"] == pytest.approx(lead_mean)
    assert policy["reorder_point"] == nb(lead_mean, lead_var)
    assert policy["target_level"] == nb(cover_mean, cover_var)
    assert policy["safety_stock"] == policy["target_level"] - cover_mean
    assert policy["overstock_units"] == 400 - policy["target_level"]
    assert policy["deficit_units"] == 0
    assert policy["days_of_cover"] == pytest.approx(40)


def test_a_narrow_forecast_falls_back_to_poisson_and_category_levels_apply():
    forecasts = pd.DataFrame(forecast_rows("P1", "W2", weekly=14, sigma=1, category="Electronics"))
    options = PolicyOptions(service_level_by_category={"Electronics": 0.99}, lead_time_days=7)
    policy = inventory_policy(forecasts, stock(5, on_order=5, warehouse="W2"), options).iloc[0]
    assert policy["service_level"] == 0.99
    assert policy["reorder_point"] == poisson.ppf(0.99, 14)
    assert policy["deficit_units"] == policy["reorder_point"] - 10


def test_a_seasonal_peak_raises_the_levels_before_it_arrives():
    forecasts = pd.DataFrame(forecast_rows("P1", "W1", weekly=[7, 7, 70, 70], sigma=3, lead_time_days=7))
    levels = phased_levels(forecasts, PolicyOptions(review_days=7)).set_index("day")
    assert levels.loc[0, "lead_time_demand"] == pytest.approx(7)
    assert levels.loc[14, "lead_time_demand"] == pytest.approx(70)  # the review on day 14 protects the peak week
    assert levels.loc[10, "lead_time_demand"] == pytest.approx(4 + 30)  # four quiet days and three peak days
    assert levels.loc[10, "reorder_point"] > levels.loc[7, "reorder_point"]
    assert (levels["reorder_point"] <= levels["target_level"]).all()
    assert levels.loc[27, "cover_demand"] == pytest.approx(140)  # past the horizon the last week repeats


def test_zero_demand_needs_no_stock():
    assert demand_quantile(np.array([0.0]), np.array([0.0]), np.array([0.95])).tolist() == [0.0]


def test_lead_times_fall_back_to_the_warehouse_then_the_default():
    series = pd.DataFrame({"product_id": ["P1", "P2", "P3"], "warehouse_id": ["W1", "W1", "W9"]})
    measured = pd.DataFrame({"product_id": ["P1", "P4"], "warehouse_id": ["W1", "W1"], "lead_time_days": [9.6, 20.0]})
    days = measured_lead_times(series, measured, PolicyOptions(lead_time_days=14))
    assert days.tolist() == [10, 15, 14]  # P2 takes W1's median (9.6 and 20 -> 14.8), P3 the default


def test_an_unreachable_service_level_is_refused():
    with pytest.raises(ValueError, match=r"service level 1\.0"):
        inventory_policy(pd.DataFrame(forecast_rows("P1", "W1", 10, 3)), stock(1), PolicyOptions(service_level=1.0))

"""Safety stock, reorder point and target level on hand-checked numbers."""

from __future__ import annotations

import pandas as pd
import pytest
from scipy.stats import norm

from optimization.policy import Z_80_TWO_SIDED, PolicyOptions, inventory_policy


def forecast_rows(product, warehouse, weekly, sigma, weeks=4, category="Toys"):
    half = sigma * Z_80_TWO_SIDED / 2
    return [
        {"product_id": product, "warehouse_id": warehouse, "category": category,
         "week_start": pd.Timestamp("2026-01-05") + pd.Timedelta(weeks=w),
         "forecast_units": weekly, "lo_80": weekly - half, "hi_80": weekly + half}
        for w in range(weeks)
    ]  # fmt: skip


def test_policy_matches_the_textbook_formulas():
    forecasts = pd.DataFrame(forecast_rows("P1", "W1", weekly=10, sigma=3))
    positions = pd.DataFrame([{"product_id": "P1", "warehouse_id": "W1", "on_hand_qty": 80, "on_order_qty": 0,
                               "in_transit_qty": 0}])  # fmt: skip
    policy = inventory_policy(forecasts, positions, PolicyOptions(service_level=0.95, lead_time_weeks=2)).iloc[0]
    z = norm.ppf(0.95)
    assert policy["lead_time_demand"] == pytest.approx(20)
    assert policy["reorder_point"] == pytest.approx(-(-(20 + z * 3 * 2**0.5) // 1))  # ceil
    assert policy["safety_stock"] == pytest.approx(-(-(z * 3 * 3**0.5) // 1))  # lead 2 + review 1 weeks
    assert policy["target_level"] == 30 + policy["safety_stock"]
    assert policy["overstock_units"] == 80 - policy["target_level"]
    assert policy["deficit_units"] == 0
    assert policy["days_of_cover"] == pytest.approx(56)


def test_a_short_warehouse_shows_a_deficit_and_category_levels_apply():
    forecasts = pd.DataFrame(forecast_rows("P1", "W2", weekly=10, sigma=3, category="Electronics"))
    positions = pd.DataFrame([{"product_id": "P1", "warehouse_id": "W2", "on_hand_qty": 5, "on_order_qty": 5,
                               "in_transit_qty": 0}])  # fmt: skip
    options = PolicyOptions(service_level_by_category={"Electronics": 0.99})
    policy = inventory_policy(forecasts, positions, options).iloc[0]
    assert policy["service_level"] == 0.99
    assert policy["deficit_units"] == policy["reorder_point"] - 10
    assert policy["overstock_units"] == 0


def test_lead_time_beyond_the_horizon_is_refused():
    with pytest.raises(ValueError, match="exceeds the forecast horizon"):
        inventory_policy(pd.DataFrame(forecast_rows("P1", "W1", 10, 3, weeks=2)), pd.DataFrame(
            columns=["product_id", "warehouse_id", "on_hand_qty", "on_order_qty", "in_transit_qty"]),
            PolicyOptions(lead_time_weeks=2))  # fmt: skip

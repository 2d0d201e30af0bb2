"""One product at one warehouse: a flat weekly forecast with its 80% interval, and the policy's levels on its first
day, shared by the tests that check the levels against stockpyl and against what an order's excess costs."""

from __future__ import annotations

import pandas as pd

from optimization.policy import Z_80_TWO_SIDED, PolicyOptions, phased_levels
from optimization.service_levels import with_service_levels


def flat_forecast(weekly: float, sigma: float, lead_time_days: int, weeks: int = 8) -> pd.DataFrame:
    """P1 at W1 forecast at `weekly` units every week, its 80% interval two-sided at standard deviation `sigma`."""
    half = sigma * Z_80_TWO_SIDED / 2
    return pd.DataFrame([
        {"product_id": "P1", "warehouse_id": "W1", "category": "Toys", "lead_time_days": lead_time_days,
         "week_start": pd.Timestamp("2026-01-05") + pd.Timedelta(weeks=w), "forecast_units": weekly,
         "lo_80": weekly - half, "hi_80": weekly + half}
        for w in range(weeks)
    ])  # fmt: skip


def day_zero_levels(forecast: pd.DataFrame, price: float, cost: float, options: PolicyOptions) -> pd.Series:
    """The reorder point and order-up-to level the policy sets for P1 on the forecast's first day."""
    products = pd.DataFrame([{"product_id": "P1", "unit_price": price, "unit_cost": cost}])
    return phased_levels(with_service_levels(forecast, products, options), options).iloc[0]

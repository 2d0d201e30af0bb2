"""The forecast the policy plans with is never below what sold in the weeks just closed (recent_demand.py): the
default sample's pattern after the forecaster changed, a dear product forecast at a quarter of its sales, whose
site then held a reorder point for the forecast and sent its "surplus" away."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from optimization.plan import make_plan
from optimization.policy import Z_80_TWO_SIDED, PolicyOptions
from optimization.reallocation import SolverOptions
from optimization.recent_demand import floor_by_recent, recent_demand
from optimization.warehouse_io import PlanningInputs

FIRST_WEEK = pd.Timestamp("2026-01-05")
ATTRIBUTES = pd.DataFrame([{"unique_id": f"P1/{w}", "product_id": "P1", "warehouse_id": w} for w in ("W1", "W2")])


def sold(weekly: dict[str, list[float]]) -> pd.DataFrame:
    """History ending the week before FIRST_WEEK: per warehouse, weekly units oldest first."""
    return pd.DataFrame([
        {"unique_id": f"P1/{w}", "ds": FIRST_WEEK - pd.Timedelta(weeks=len(units) - k), "y": value}
        for w, units in weekly.items() for k, value in enumerate(units)
    ])  # fmt: skip


def forecast(weekly: dict[str, float], weeks: int = 4) -> pd.DataFrame:
    return pd.DataFrame([
        {"product_id": "P1", "warehouse_id": w, "region_code": "EU", "category": "Electronics",
         "week_start": FIRST_WEEK + pd.Timedelta(weeks=k), "forecast_units": units, "lo_80": units * 0.8,
         "hi_80": units * 1.2, "backtest_mae": 1.0}
        for w, units in weekly.items() for k in range(weeks)
    ])  # fmt: skip


def test_recent_demand_is_the_mean_of_the_closed_weeks_before_the_forecast():
    # W1 sold 100 long ago, then 10, 20, 30; W2 sold in one of the three weeks only (the others count as none).
    history = sold({"W1": [100, 10, 20, 30], "W2": [9]})
    recent = recent_demand(history, ATTRIBUTES, FIRST_WEEK, weeks=3).set_index("warehouse_id")["recent_units"]
    assert recent.to_dict() == {"W1": pytest.approx(20.0), "W2": pytest.approx(3.0)}
    # A week at or after the forecast's first week is not yet closed and never counts.
    later = pd.concat([history, pd.DataFrame([{"unique_id": "P1/W1", "ds": FIRST_WEEK, "y": 1000.0}])])
    assert recent_demand(later, ATTRIBUTES, FIRST_WEEK, weeks=3).iloc[0]["recent_units"] == pytest.approx(20.0)


def test_a_forecast_below_recent_sales_is_raised_with_its_spread_and_one_above_stands():
    forecasts = forecast({"W1": 5.0, "W2": 40.0})
    recent = pd.DataFrame([{"product_id": "P1", "warehouse_id": w, "recent_units": 20.0} for w in ("W1", "W2")])
    floored = floor_by_recent(forecasts, recent).groupby("warehouse_id").first()
    assert floored.loc["W1", ["forecast_units", "lo_80", "hi_80"]].tolist() == [20.0, 19.0, 21.0]
    assert floored.loc["W2", ["forecast_units", "lo_80", "hi_80"]].tolist() == [40.0, 32.0, 48.0]


def inputs(recent: pd.DataFrame | None) -> PlanningInputs:
    """W1 holds 60 of a dear product forecast at 5 a week that sold 20 a week lately; W2 holds none and is forecast
    at 20. A 3-day lane joins them; both buy with a 14-day lead time."""
    return PlanningInputs(
        plan_date=dt.date(2026, 1, 4), forecasts=forecast({"W1": 5.0, "W2": 20.0}),
        positions=pd.DataFrame([{"product_id": "P1", "warehouse_id": w, "on_hand_qty": units, "on_order_qty": 0,
                                 "in_transit_qty": 0} for w, units in (("W1", 60.0), ("W2", 0.0))]),
        lead_times=pd.DataFrame([{"product_id": "P1", "warehouse_id": w, "lead_time_days": 14.0}
                                 for w in ("W1", "W2")]),
        warehouses=pd.DataFrame([{"warehouse_id": w, "region_code": "EU", "capacity_units": 10_000.0}
                                 for w in ("W1", "W2")]),
        products=pd.DataFrame([{"product_id": "P1", "unit_price": 800.0, "unit_cost": 500.0}]),
        lanes=pd.DataFrame([{"from_warehouse_id": a, "to_warehouse_id": b, "transfer_cost_per_unit": 1.0,
                             "lead_time_days": 3} for a, b in (("W1", "W2"), ("W2", "W1"))]),
        recent=recent,
    )  # fmt: skip


def test_the_plan_keeps_what_a_site_sold_lately_whatever_the_forecast_said():
    options = PolicyOptions(), SolverOptions(workers=1)
    recent = recent_demand(sold({"W1": [20, 20, 20], "W2": [0, 0, 0]}), ATTRIBUTES, FIRST_WEEK)
    floored = make_plan(inputs(recent), *options)
    trusting = make_plan(inputs(None), *options)
    # Trusting the forecast, W1's 60 units look like 45 of surplus and most go to W2.
    assert trusting.transfers["units"].sum() >= 20
    # Floored, W1 needs 40 over its own lead time at the rate it sells: its reorder point covers that, and it
    # keeps its stock (W2's need is still the forecast's, which stands above its recent sales).
    site = floored.policy.set_index("warehouse_id").loc["W1"]
    assert site["lead_time_demand"] == pytest.approx(40.0) and site["reorder_point"] >= 40
    assert floored.transfers.empty or floored.transfers["units"].sum() <= 60 - site["reorder_point"]


def test_a_dear_products_spread_is_no_narrower_than_its_recent_weeks_and_a_cheap_ones_is_its_forecasts():
    # Both products sold in lumps: 26 units every other week over the last 13 weeks (sd 13.5), forecast 13 +- 1.
    lumps = [26.0 if k % 2 else 0.0 for k in range(13)]
    history = pd.DataFrame([
        {"unique_id": f"{p}/W1", "ds": FIRST_WEEK - pd.Timedelta(weeks=13 - k), "y": value}
        for p in ("DEAR", "CHEAP") for k, value in enumerate(lumps)
    ])  # fmt: skip
    attributes = pd.DataFrame([{"unique_id": f"{p}/W1", "product_id": p, "warehouse_id": "W1"}
                               for p in ("DEAR", "CHEAP")])  # fmt: skip
    # The dear product's margin ($400) is in the top quarter of the master; the cheap one's ($2) and three others
    # are not.
    products = pd.DataFrame([{"product_id": p, "unit_price": price + 10.0, "unit_cost": 10.0} for p, price in
                             (("DEAR", 400.0), ("CHEAP", 2.0), ("A", 3.0), ("B", 4.0), ("C", 5.0))])  # fmt: skip
    forecasts = pd.DataFrame([{"product_id": p, "warehouse_id": "W1", "week_start": FIRST_WEEK,
                               "forecast_units": 13.0, "lo_80": 12.0, "hi_80": 14.0} for p in ("DEAR", "CHEAP")])
    recent = recent_demand(history, attributes, FIRST_WEEK)
    assert recent.set_index("product_id").loc["DEAR", "recent_sigma"] == pytest.approx(pd.Series(lumps).std())
    floored = floor_by_recent(forecasts, recent, products).set_index("product_id")
    half = (floored["hi_80"] - floored["lo_80"]) / 2
    assert half["DEAR"] == pytest.approx(pd.Series(lumps).std() * Z_80_TWO_SIDED / 2)
    assert half["CHEAP"] == pytest.approx(1.0)
    # The last three weeks sold 0, 26, 0 (8.7 a week), less than the forecast: its mean stands.
    assert floored["forecast_units"].tolist() == [13.0, 13.0]

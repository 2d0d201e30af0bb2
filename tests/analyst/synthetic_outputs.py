"""Forecasts and an optimisation plan written straight into a built warehouse, shaped like the marts that
`supplychain forecast` and `supplychain optimize` produce, so report tests need neither run."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

SCHEMA = "analytics"
FORECAST_WEEKS = 4
Z80, Z95 = 1.2816, 1.96


def add_synthetic_forecasts(connection) -> None:
    """A forecast per series from its last eight weeks (mean, with normal intervals) and an accuracy table in
    which the chosen method beats both baselines at the lower levels."""
    history = connection.execute(
        "select series_id, product_id, warehouse_id, current_region_code as region_code, category, week_start, "
        f"units_sold from {SCHEMA}.demand_features_weekly"
    ).df()
    last_week = pd.Timestamp(history["week_start"].max())
    recent = history[pd.to_datetime(history["week_start"]) > last_week - pd.Timedelta(weeks=8)]
    keys = ["series_id", "product_id", "warehouse_id", "region_code", "category"]
    stats = recent.groupby(keys, as_index=False)["units_sold"].agg(mean="mean", spread="std").fillna({"spread": 1.0})
    rows = []
    for step in range(FORECAST_WEEKS):
        week = stats.assign(week_start=(last_week + pd.Timedelta(weeks=step)).date())
        spread = week["spread"] + 0.5
        week["forecast_units"] = week["mean"]
        week["lower_80_units"] = (week["mean"] - Z80 * spread).clip(lower=0)
        week["upper_80_units"] = week["mean"] + Z80 * spread
        week["lower_95_units"] = (week["mean"] - Z95 * spread).clip(lower=0)
        week["upper_95_units"] = week["mean"] + Z95 * spread
        rows.append(week.drop(columns=["mean", "spread"]))
    forecast = pd.concat(rows, ignore_index=True)
    forecast.insert(0, "demand_forecast_id", forecast["series_id"] + "|" + forecast["week_start"].astype(str))
    forecast["forecast_model"] = "Selected"
    forecast["demand_pattern"] = "smooth"
    forecast["treatment"] = "backtested"
    forecast["forecast_run_at"] = dt.datetime(2024, 5, 1)
    _replace_rows(connection, "fct_demand_forecast", forecast)

    # Accuracy (1 - WAPE) of the chosen method, SeasonalNaive and MovingAverage7d per level.
    scores = {
        "product_warehouse": (0.24, 0.09, 0.12),
        "product_region": (0.32, 0.15, 0.20),
        "category_region": (0.73, 0.72, 0.72),
        "total": (0.87, 0.93, 0.88),
    }
    records = []
    for level, (chosen, naive, average) in scores.items():
        for model, score in [("Selected", chosen), ("SeasonalNaive", naive), ("MovingAverage7d", average)]:
            records.append(
                {
                    "hierarchy_level": level, "forecast_model": model, "series_count": 10, "wape": 1 - score,
                    "accuracy": score, "bias": 0.01, "best_baseline_accuracy": max(naive, average),
                    "coverage_80": 0.8 if model == "Selected" else None,
                    "coverage_95": 0.95 if model == "Selected" else None,
                    "coverage_weeks": 8 if model == "Selected" else None,
                    "rolling_coverage_80": 0.81 if model == "Selected" else None,
                    "rolling_coverage_95": 0.96 if model == "Selected" else None,
                    "rolling_coverage_weeks": 40 if model == "Selected" else None,
                    "is_baseline": model != "Selected", "is_chosen": model == "Selected",
                    "beats_baselines": model == "Selected" and score > max(naive, average),
                }
            )
    accuracy = pd.DataFrame(records)
    _replace_rows(connection, "forecast_accuracy", accuracy)


def add_synthetic_plan(connection, plan_date: dt.date = dt.date(2024, 5, 1)) -> None:
    """The four optimisation marts with the columns `supplychain optimize` writes, over the warehouse's own
    products and warehouses."""
    random = np.random.default_rng(7)
    products = connection.execute(f"select product_id, category from {SCHEMA}.dim_product order by 1 limit 8").df()
    warehouses = connection.execute(
        f"select warehouse_id, region_code from {SCHEMA}.dim_warehouse where is_active order by 1"
    ).df()
    policy = products.merge(warehouses, how="cross")
    size = len(policy)
    policy["service_level"] = 0.95
    policy["lead_time_days"] = 7
    policy["on_hand_qty"] = random.integers(0, 120, size)
    policy["inventory_position"] = policy["on_hand_qty"] + random.integers(0, 30, size)
    policy["lead_time_demand"] = random.uniform(5, 40, size).round(1)
    policy["safety_stock"] = (policy["lead_time_demand"] * 0.6).round(1)
    policy["reorder_point"] = policy["lead_time_demand"] + policy["safety_stock"]
    policy["target_level"] = policy["reorder_point"] + 30
    policy["overstock_units"] = (policy["inventory_position"] - policy["target_level"]).clip(lower=0)
    policy["deficit_units"] = (policy["reorder_point"] - policy["inventory_position"]).clip(lower=0)
    policy["days_of_cover"] = (policy["on_hand_qty"] / (policy["lead_time_demand"] / 7)).round(1)
    policy["plan_date"] = plan_date
    policy.insert(0, "inventory_policy_id", policy["product_id"] + "|" + policy["warehouse_id"])
    policy["on_order_qty"] = policy["inventory_position"] - policy["on_hand_qty"]
    policy["in_transit_qty"] = 0
    policy["lead_time_sigma"] = (policy["lead_time_demand"] * 0.3).round(1)
    policy["cover_demand"] = policy["lead_time_demand"] * 2
    policy["weekly_demand"] = policy["lead_time_demand"]
    policy["is_below_reorder_point"] = policy["deficit_units"] > 0
    policy["is_overstocked"] = policy["overstock_units"] > 0
    ids = warehouses["warehouse_id"].tolist()
    moves = [(ids[i], ids[(i + 1) % len(ids)]) for i in range(len(ids))] + [(ids[0], ids[-1])]
    regions = dict(zip(warehouses["warehouse_id"], warehouses["region_code"], strict=True))
    transfers = pd.DataFrame(
        [
            (f"T{n:04d}", products["product_id"].iloc[n % len(products)], source, destination, 10 + 5 * n,
             round(2.5 * (10 + 5 * n), 2), 3, plan_date + dt.timedelta(days=3), "deficit at destination", plan_date)
            for n, (source, destination) in enumerate(moves)
        ],
        columns=[
            "transfer_id", "product_id", "from_warehouse_id", "to_warehouse_id", "units", "transfer_cost",
            "lead_time_days", "arrival_date", "reason", "plan_date",
        ],
    )
    transfers["expected_benefit"] = transfers["transfer_cost"] * 3
    transfers["from_region_code"] = transfers["from_warehouse_id"].map(regions)
    transfers["to_region_code"] = transfers["to_warehouse_id"].map(regions)
    summary = pd.DataFrame(
        [(plan_date, len(products), len(transfers), transfers["units"].sum(), transfers["transfer_cost"].sum(),
          140.0, 95.0, 1830.5, 0, "cbc", "", len(policy), 0.95, dt.datetime(2024, 5, 1, 6))],
        columns=[
            "plan_date", "products_planned", "transfers", "units_moved", "transfer_cost",
            "expected_stockout_units_avoided", "expected_excess_units_reduced", "expected_value", "problems",
            "solver", "problem_messages", "sites_planned", "service_level", "planned_at",
        ],
    )
    # Two policies at two service levels, as `supplychain optimize --evaluate --evaluate-service-levels` writes.
    simulation = pd.DataFrame(
        [
            {"policy_simulation_id": f"{level}|{policy}", "policy_name": policy, "service_level": level,
             "replenishment": replenishment, "transfer_rule": rule, "demand_units": 5000.0,
             "sold_units": 5000.0 - stockouts * scale, "stockout_units": stockouts * scale,
             "lost_sales_value": stockouts * scale * 20, "fill_rate": fill, "avg_on_hand_units": 60.0,
             "avg_overstock_units": overstock / scale, "peak_overstock_units": 80.0, "transfer_units": moved,
             "transfer_cost": moved * 2.5, "units_in": 900.0, "units_out": moved, "stockout_units_change": 0.0,
             "avg_overstock_units_change": 0.0, "peak_overstock_units_change": 0.0, "lost_sales_value_change": 0.0,
             "holdout_weeks": 8, "is_baseline": policy == "no_reallocation", "meets_targets": False,
             "holdout_start": dt.date(2024, 3, 4), "evaluated_at": dt.datetime(2024, 5, 1, 6)}
            for level, scale in [(0.95, 1.0), (0.99, 0.8)]
            for policy, replenishment, rule, stockouts, overstock, fill, moved in [
                ("no_reallocation", "erp_receipts", "none", 420.0, 35.0, 0.91, 0.0),
                ("optimised", "reorder_policy", "weekly_pulp", 250.0, 20.0, 0.95, 215.0),
            ]
        ]
    )
    for name, frame in [
        ("fct_inventory_policy", policy),
        ("fct_transfer_plan", transfers),
        ("optimization_run_summary", summary),
        ("policy_simulation", simulation),
    ]:
        _replace_rows(connection, name, frame)


def _replace_rows(connection, table: str, frame: pd.DataFrame) -> None:
    """Fills an existing mart by column name (keeping dbt's types), or creates it from the frame."""
    exists = connection.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?", [SCHEMA, table]
    ).fetchall()[0][0]
    connection.register("synthetic_rows", frame)
    if exists:
        connection.execute(f"delete from {SCHEMA}.{table}")
        connection.execute(f"insert into {SCHEMA}.{table} by name select * from synthetic_rows")
    else:
        connection.execute(f"create table {SCHEMA}.{table} as select * from synthetic_rows")
    connection.unregister("synthetic_rows")

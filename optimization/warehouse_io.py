"""What the optimiser reads from the active warehouse target (the marts the forecast stage feeds), in SQL that
DuckDB, PostgreSQL and Redshift all run. Outputs go to processed/optimization/ as the dbt sources declare them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from foundation.warehouse.io import MART_SCHEMA, read_demand, read_sql
from optimization.recent_demand import recent_demand

OUTPUT_TABLES = ("inventory_policy", "transfer_plan", "optimization_run_summary", "policy_simulation")

PLAN_DATE_SQL = f"select max(snapshot_date) as plan_date from {MART_SCHEMA}.fct_inventory_daily"

# The latest forecast per series, with the chosen model's mean absolute weekly error in the backtest.
FORECASTS_SQL = f"""
with chosen_errors as (
    select
        selections.series_id,
        backtest.abs_error_units / nullif(backtest.scored_weeks, 0) as backtest_mae
    from {MART_SCHEMA}.forecast_model_selection as selections
    inner join {MART_SCHEMA}.forecast_backtest_errors as backtest
        on selections.series_id = backtest.series_id and selections.forecast_model = backtest.forecast_model
)
select
    forecasts.product_id, forecasts.warehouse_id, forecasts.region_code, forecasts.category,
    forecasts.week_start, forecasts.forecast_units, forecasts.lower_80_units as lo_80,
    forecasts.upper_80_units as hi_80, coalesce(chosen_errors.backtest_mae, 0) as backtest_mae
from {MART_SCHEMA}.fct_demand_forecast as forecasts
left join chosen_errors on forecasts.series_id = chosen_errors.series_id
"""

POSITIONS_SQL = f"""
select product_id, warehouse_id, on_hand_qty, on_order_qty, in_transit_qty
from {MART_SCHEMA}.fct_inventory_daily
where snapshot_date = date '{{plan_date}}'
"""

# A day's receipts are not a column of their own: they are what on hand grew by plus what sold that day. Days
# missing from the snapshots or corrected later make a few negative, which count as none.
RECEIVED_QTY_SQL = (
    "on_hand_qty - lag(on_hand_qty) over (partition by product_id, warehouse_id order by snapshot_date) + units_sold"
)

# Little's law: the average quantity on its way is the receipt rate times the lead time, so the lead time is one
# over the other.
LEAD_TIMES_SQL = f"""
with days as (
    select
        product_id, warehouse_id, on_order_qty + in_transit_qty as pipeline_qty, {RECEIVED_QTY_SQL} as received_qty
    from {MART_SCHEMA}.fct_inventory_daily
    where snapshot_date between date '{{plan_date}}' - 182 and date '{{plan_date}}'
)
select
    product_id, warehouse_id,
    avg(pipeline_qty) / nullif(avg(greatest(received_qty, 0)), 0) as lead_time_days
from days
group by product_id, warehouse_id
"""

WAREHOUSES_SQL = f"""
select warehouse_id, region_code, capacity_units
from {MART_SCHEMA}.dim_warehouse
where is_active
"""

PRODUCTS_SQL = f"""
select product_id, cast(unit_price as double precision) as unit_price,
    cast(unit_cost as double precision) as unit_cost
from {MART_SCHEMA}.dim_product
"""

LANES_SQL = f"""
select from_warehouse_id, to_warehouse_id,
    cast(transfer_cost_per_unit as double precision) as transfer_cost_per_unit, lead_time_days
from {MART_SCHEMA}.dim_transfer_lane
"""


@dataclass
class PlanningInputs:
    plan_date: dt.date
    forecasts: pd.DataFrame  # product_id, warehouse_id, region_code, category, week_start, forecast_units, ...
    positions: pd.DataFrame
    lead_times: pd.DataFrame
    warehouses: pd.DataFrame
    products: pd.DataFrame
    lanes: pd.DataFrame
    recent: pd.DataFrame | None = None  # product_id, warehouse_id, recent_units (recent_demand.py)


def read_inputs(target: str, duckdb_path: Path) -> PlanningInputs:
    """Everything a plan needs, as of the latest inventory snapshot. Forecast weeks that start before it are
    dropped (a series whose history ended early), and so are warehouses no longer active."""
    plan_date = read_sql(target, duckdb_path, PLAN_DATE_SQL)["plan_date"].iloc[0]
    if plan_date is None or pd.isna(plan_date):
        raise ValueError(f"{MART_SCHEMA}.fct_inventory_daily on target {target} is empty: run `supplychain build`")
    plan_date = pd.Timestamp(plan_date).date()
    forecasts = read_sql(target, duckdb_path, FORECASTS_SQL)
    if forecasts.empty:
        raise ValueError(f"{MART_SCHEMA}.fct_demand_forecast on target {target} is empty: run `supplychain forecast`")
    forecasts["week_start"] = pd.to_datetime(forecasts["week_start"])
    warehouses = read_sql(target, duckdb_path, WAREHOUSES_SQL)
    current = forecasts.groupby(["product_id", "warehouse_id"])["week_start"].transform("min") > pd.Timestamp(
        plan_date
    ) - pd.Timedelta(days=7)
    forecasts = forecasts[current & forecasts["warehouse_id"].isin(warehouses["warehouse_id"])]
    numeric = ["forecast_units", "lo_80", "hi_80", "backtest_mae"]
    forecasts[numeric] = forecasts[numeric].astype(float)
    lanes = read_sql(target, duckdb_path, LANES_SQL)
    try:
        history, attributes = read_demand(target, duckdb_path)
        recent = recent_demand(history, attributes, forecasts["week_start"].min())
    except ValueError:  # no full week of demand yet: the forecast stands alone
        recent = None
    return PlanningInputs(
        plan_date=plan_date,
        forecasts=forecasts.reset_index(drop=True),
        positions=read_sql(target, duckdb_path, POSITIONS_SQL.format(plan_date=plan_date)),
        lead_times=read_sql(target, duckdb_path, LEAD_TIMES_SQL.format(plan_date=plan_date)).astype(
            {"lead_time_days": float}
        ),
        warehouses=warehouses.astype({"capacity_units": float}),
        products=read_sql(target, duckdb_path, PRODUCTS_SQL),
        lanes=lanes.astype({"transfer_cost_per_unit": float, "lead_time_days": int}),
        recent=recent,
    )

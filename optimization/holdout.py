"""The proof on the sample data: forecast from history up to a cutoff, set the policy and plan the transfers
from the stock on hand that day, then replay the held-out weeks of actual demand under each policy."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from forecasting.pipeline import ForecastOptions, run_forecast
from forecasting.prepare import prepare_history
from forecasting.warehouse_io import MART_SCHEMA, read_demand
from optimization.evaluate import compare_policies
from optimization.policy import PolicyOptions, inventory_policy, lead_time_weeks, phased_levels
from optimization.reallocation import SolverOptions

HOLDING_RATE_PER_YEAR = 0.25  # of unit cost: capital, space, shrinkage


@dataclass(frozen=True)
class HoldoutOptions:
    holdout_weeks: int = 8
    policy: PolicyOptions = field(default_factory=PolicyOptions)
    solver: SolverOptions = field(default_factory=SolverOptions)


# Receipts are not a column of their own: a day's receipts are what on hand grew by plus what sold that day.
# Days missing from the snapshots and late sales corrections make a few days negative; weeks are summed first.
RECEIPTS_SQL = f"""
with days as (
    select
        product_id, warehouse_id, snapshot_date,
        on_hand_qty - lag(on_hand_qty) over (partition by product_id, warehouse_id order by snapshot_date)
            + units_sold as received
    from {MART_SCHEMA}.fct_inventory_daily
    where snapshot_date >= ?
)
select product_id, warehouse_id, cast(datediff('day', ?, snapshot_date) - 1 as integer) // 7 as week,
    greatest(sum(received), 0) as units
from days where received is not null
group by all
"""


# Little's law: the average quantity on its way is the receipt rate times the lead time, so the lead time is
# one divided by the other, over the half year before the snapshot.
LEAD_TIME_SQL = f"""
with days as (
    select
        product_id, warehouse_id, on_order_qty + in_transit_qty as pipeline,
        on_hand_qty - lag(on_hand_qty) over (partition by product_id, warehouse_id order by snapshot_date)
            + units_sold as received
    from {MART_SCHEMA}.fct_inventory_daily
    where snapshot_date between cast(? as date) - 182 and ?
)
select product_id, warehouse_id, avg(pipeline) / nullif(avg(greatest(received, 0)), 0) as lead_time_days
from days group by all
"""


def _frames(duckdb_path: Path, snapshot_date):
    with duckdb.connect(str(duckdb_path), read_only=True) as connection:
        positions = connection.execute(
            f"select product_id, warehouse_id, on_hand_qty, on_order_qty, in_transit_qty "
            f"from {MART_SCHEMA}.fct_inventory_daily where snapshot_date = ?",
            [snapshot_date],
        ).df()
        warehouses = connection.execute(
            f"select warehouse_id, capacity_units from {MART_SCHEMA}.dim_warehouse where is_active"
        ).df()
        products = connection.execute(
            f"select product_id, cast(unit_price as double) as unit_price, cast(unit_cost as double) as unit_cost "
            f"from {MART_SCHEMA}.dim_product"
        ).df()
        lanes = connection.execute(
            "select from_warehouse_id, to_warehouse_id, cast(transfer_cost_per_unit as double) as "
            f"transfer_cost_per_unit, lead_time_days from {MART_SCHEMA}_staging.stg_wms__transfer_lanes"
        ).df()
        receipts = connection.execute(RECEIPTS_SQL, [snapshot_date, snapshot_date]).df()
        lead_times = connection.execute(LEAD_TIME_SQL, [snapshot_date, snapshot_date]).df()
    return positions, warehouses, products, lanes, receipts, lead_times


def build_sites(policy: pd.DataFrame, warehouses: pd.DataFrame, products: pd.DataFrame, options: PolicyOptions):
    """The optimiser's and simulator's view of each product x warehouse."""
    sites = policy.merge(warehouses, on="warehouse_id").merge(products, on="product_id")
    # A warehouse's room is shared by its products: each gets a share in proportion to its target level.
    share = sites["target_level"] / sites.groupby("warehouse_id")["target_level"].transform("sum").where(
        lambda s: s > 0
    )
    sites["capacity_units"] = (sites["capacity_units"] * share.fillna(0)).clip(lower=sites["inventory_position"])
    sites["protected_demand"] = sites["cover_demand"]
    sites["unit_margin"] = (sites["unit_price"] - sites["unit_cost"]).clip(lower=0.01)
    cover_weeks = sites["lead_time_weeks"] + options.review_weeks
    sites["holding_cost"] = sites["unit_cost"] * HOLDING_RATE_PER_YEAR * cover_weeks / 52
    return sites


def opening_receipts(receipts: pd.DataFrame, sites: pd.DataFrame) -> pd.DataFrame:
    """What was on order or in transit at the start arrives as it actually did: the first receipts, up to it."""
    pipeline = sites.set_index(["product_id", "warehouse_id"])[["on_order_qty", "in_transit_qty"]].sum(axis=1)
    ordered = receipts.sort_values("week")
    cumulative = ordered.groupby(["product_id", "warehouse_id"])["units"].cumsum()
    limit = pipeline.reindex(pd.MultiIndex.from_frame(ordered[["product_id", "warehouse_id"]])).fillna(0).to_numpy()
    capped = cumulative.clip(upper=limit)
    units = capped - capped.groupby([ordered["product_id"], ordered["warehouse_id"]]).shift(fill_value=0)
    return ordered.assign(units=units)[lambda frame: frame["units"] > 0]


def evaluate_holdout(duckdb_path: Path, options: HoldoutOptions | None = None):
    options = options or HoldoutOptions()
    history, attributes = read_demand("local", duckdb_path)
    weeks = sorted(history["ds"].unique())
    first_test_week = pd.Timestamp(weeks[-options.holdout_weeks])
    train = history[history["ds"] < first_test_week]
    result = run_forecast(train, attributes, ForecastOptions(horizon=options.holdout_weeks))
    forecasts = result.forecasts.merge(attributes, on="unique_id").rename(
        columns={"ds": "week_start", "forecast": "forecast_units"}
    )
    positions, warehouses, products, lanes, receipts, lead_times = _frames(
        duckdb_path, (first_test_week - pd.Timedelta(days=1)).date()
    )
    series = forecasts[["product_id", "warehouse_id"]].drop_duplicates()
    forecasts = forecasts.merge(
        series.assign(lead_time_weeks=lead_time_weeks(series, lead_times, options.policy)),
        on=["product_id", "warehouse_id"],
    )
    policy = inventory_policy(forecasts, positions, options.policy)
    sites = build_sites(policy, warehouses, products, options.policy)
    lanes = lanes[
        lanes["from_warehouse_id"].isin(warehouses["warehouse_id"])
        & lanes["to_warehouse_id"].isin(warehouses["warehouse_id"])
    ]
    # Actual demand in the held-out weeks; stock-out weeks raised as the forecaster raises them (sales understate).
    adjusted = prepare_history(history, min_weeks=1).history
    actual = adjusted[adjusted["ds"] >= first_test_week].merge(attributes, on="unique_id")
    actual = actual.assign(week=((actual["ds"] - first_test_week).dt.days // 7), units=actual["y"])
    receipts = receipts[receipts["week"] < options.holdout_weeks]
    table, plans, problems = compare_policies(
        sites, lanes, actual[["product_id", "warehouse_id", "week", "units"]], options.policy.lead_time_weeks,
        options.solver, actual_receipts=receipts, opening_receipts=opening_receipts(receipts, sites),
        phased=phased_levels(forecasts, options.policy),
    )  # fmt: skip
    return table, plans, problems, sites

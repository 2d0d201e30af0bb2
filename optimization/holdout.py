"""The proof on the sample data: forecast from history up to a cutoff, set the policy and plan the transfers
from the stock on hand that day, then replay the held-out weeks of actual demand under each policy."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import logging

import duckdb
import pandas as pd

from forecasting.pipeline import ForecastOptions, run_forecast
from forecasting.prepare import prepare_history
from forecasting.warehouse_io import MART_SCHEMA, read_demand
from optimization.evaluate import compare_policies
from optimization.forecast_inputs import policy_forecasts
from optimization.policy import (
    PolicyOptions,
    inventory_policy,
    phased_levels,
    protect_lead_time,
)
from optimization.reallocation import SolverOptions

log = logging.getLogger(__name__)

HOLDING_RATE_PER_YEAR = 0.25  # of unit cost: capital, space, shrinkage
HOLDING_SPAN_DAYS = 28  # how long excess is held before it sells down, for pricing it in the transfer model


@dataclass(frozen=True)
class HoldoutOptions:
    holdout_weeks: int = 8
    horizon_weeks: int = 8  # each weekly forecast's horizon (the levels look up to lead time + review ahead)
    backtest_windows: int = 3
    policy: PolicyOptions = field(default_factory=PolicyOptions)
    solver: SolverOptions = field(default_factory=SolverOptions)


# A day's receipts are not a column of their own: they are what on hand grew by plus what sold that day. Days
# missing from the snapshots and late sales corrections make a few days negative; those count as none.
DAYS_SQL = f"""
with days as (
    select
        product_id, warehouse_id, snapshot_date, units_sold, is_stockout,
        on_hand_qty - lag(on_hand_qty) over (partition by product_id, warehouse_id order by snapshot_date)
            + units_sold as received
    from {MART_SCHEMA}.fct_inventory_daily
    where snapshot_date >= ?
)
select product_id, warehouse_id, cast(datediff('day', ?, snapshot_date) - 1 as integer) as day,
    units_sold, is_stockout, greatest(coalesce(received, 0), 0) as received
from days
where snapshot_date > ?
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
        days = connection.execute(DAYS_SQL, [snapshot_date, snapshot_date, snapshot_date]).df()
        lead_times = connection.execute(LEAD_TIME_SQL, [snapshot_date, snapshot_date]).df()
    return positions, warehouses, products, lanes, days, lead_times


def build_sites(policy: pd.DataFrame, warehouses: pd.DataFrame, products: pd.DataFrame, options: PolicyOptions):
    """The optimiser's and simulator's view of each product x warehouse."""
    sites = policy.merge(warehouses, on="warehouse_id").merge(products, on="product_id")
    # A warehouse's room is shared by its products: each gets a share in proportion to its target level.
    share = sites["target_level"] / sites.groupby("warehouse_id")["target_level"].transform("sum").where(
        lambda s: s > 0
    )
    sites["capacity_units"] = (sites["capacity_units"] * share.fillna(0)).clip(lower=sites["inventory_position"])
    sites = protect_lead_time(sites)
    sites["unit_margin"] = (sites["unit_price"] - sites["unit_cost"]).clip(lower=0.01)
    # Excess costs the same to hold wherever it sits: one common span, else moving it would look like a saving.
    sites["holding_cost"] = sites["unit_cost"] * HOLDING_RATE_PER_YEAR * HOLDING_SPAN_DAYS / 365
    return sites


def opening_receipts(receipts: pd.DataFrame, sites: pd.DataFrame) -> pd.DataFrame:
    """What was on order or in transit at the start arrives as it actually did: the first receipts, up to it."""
    pipeline = sites.set_index(["product_id", "warehouse_id"])[["on_order_qty", "in_transit_qty"]].sum(axis=1)
    ordered = receipts.sort_values("day")
    cumulative = ordered.groupby(["product_id", "warehouse_id"])["units"].cumsum()
    limit = pipeline.reindex(pd.MultiIndex.from_frame(ordered[["product_id", "warehouse_id"]])).fillna(0).to_numpy()
    capped = cumulative.clip(upper=limit)
    units = capped - capped.groupby([ordered["product_id"], ordered["warehouse_id"]]).shift(fill_value=0)
    return ordered.assign(units=units)[lambda frame: frame["units"] > 0]


def daily_demand(days: pd.DataFrame, weekly: pd.DataFrame) -> pd.DataFrame:
    """Demand per product x warehouse and day: what sold that day, plus the week's unserved demand (the forecaster's
    raised estimate for a censored week, less its sales) spread over the week's stock-out days, or all its days."""
    days = days.assign(week=days["day"] // 7)
    keys = ["product_id", "warehouse_id", "week"]
    sold = days.groupby(keys)["units_sold"].sum().rename("sold")
    unserved = (weekly.set_index(keys)["units"] - sold.reindex(weekly.set_index(keys).index).fillna(0)).clip(lower=0)
    outs = days.groupby(keys)["is_stockout"].transform("sum")
    weight = (days["is_stockout"] / outs.where(outs > 0)).fillna(1 / 7).where(outs > 0, 1 / 7)
    extra = unserved.reindex(pd.MultiIndex.from_frame(days[keys])).fillna(0).to_numpy() * weight.to_numpy()
    return days.assign(units=days["units_sold"] + extra)[["product_id", "warehouse_id", "day", "units"]]


def rolling_levels(
    history: pd.DataFrame, attributes: pd.DataFrame, first_test_week, lead_times: pd.DataFrame, options: HoldoutOptions
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The forecast and levels as the weekly pipeline would have had them: each held-out week is planned from a
    forecast made with every week before it (model choice included), never with the weeks it is scored on.
    Returns the first week's forecasts and the day-by-day levels of the whole held-out span."""
    levels, first = [], None
    for week in range(options.holdout_weeks):
        origin = first_test_week + pd.Timedelta(weeks=week)
        log.info("hold-out: forecasting from %s (%d of %d)", origin.date(), week + 1, options.holdout_weeks)
        result = run_forecast(history[history["ds"] < origin], attributes, ForecastOptions(horizon=options.horizon_weeks,
                              n_windows=options.backtest_windows))  # fmt: skip
        forecasts = policy_forecasts(result, attributes, lead_times, options.policy)
        first = forecasts if first is None else first
        week_levels = phased_levels(forecasts, options.policy).query("day < 7")
        levels.append(week_levels.assign(day=week_levels["day"] + 7 * week))
    return first, pd.concat(levels, ignore_index=True)


def evaluate_holdout(duckdb_path: Path, options: HoldoutOptions | None = None):
    """Returns the policy comparison, the moves of each policy, the optimiser's problems and the sites."""
    options = options or HoldoutOptions()
    history, attributes = read_demand("local", duckdb_path)
    weeks = sorted(history["ds"].unique())
    first_test_week = pd.Timestamp(weeks[-options.holdout_weeks])
    positions, warehouses, products, lanes, days, lead_times = _frames(
        duckdb_path, (first_test_week - pd.Timedelta(days=1)).date()
    )
    forecasts, phased = rolling_levels(history, attributes, first_test_week, lead_times, options)
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
    days = days[days["day"] < 7 * options.holdout_weeks]
    receipts = days.rename(columns={"received": "units"})[["product_id", "warehouse_id", "day", "units"]]
    table, plans, problems = compare_policies(
        sites, lanes, daily_demand(days, actual), options.solver, actual_receipts=receipts,
        opening_receipts=opening_receipts(receipts, sites), phased=phased,
    )  # fmt: skip
    return table, plans, problems, sites

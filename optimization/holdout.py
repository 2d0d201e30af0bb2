"""The proof on the sample data: plan from the stock on hand at a cutoff, then replay the held-out weeks of
actual demand, day by day, under each policy (see evaluate.py), at one or more service levels.

The computed policy is run as the weekly pipeline would run it: each held-out week's levels come from a forecast
made with every week before it (model choice included), never with the weeks it is scored on. Demand in a
stock-out week is the forecaster's raised estimate, spread over its stock-out days. Runs on the local DuckDB
warehouse. The sweep forecasts here; the daily replay (forecasts_from="backtest") fits nothing and plans with the
forecast stage's own backtest windows (backtest_replay.py).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from foundation.stage import Forecaster
from foundation.warehouse.io import MART_SCHEMA, read_demand, read_sql
from optimization.backtest_replay import (
    RELEVEL_RECENT_WEEKS,
    NoBacktestForecasts,
    backtest_replay,
    weekly_relevelled,
)
from optimization.evaluate import compare_policies
from optimization.forecast_inputs import policy_forecasts
from optimization.policy import PolicyOptions, inventory_policy, phased_levels, with_lead_times
from optimization.reallocation import SolverOptions
from optimization.recent_demand import floor_by_recent, recent_demand, with_recent
from optimization.service_levels import with_service_levels
from optimization.sites import build_sites
from optimization.warehouse_io import (
    LANES_SQL,
    LEAD_TIMES_SQL,
    POSITIONS_SQL,
    PRODUCTS_SQL,
    RECEIVED_QTY_SQL,
    WAREHOUSES_SQL,
)

log = logging.getLogger(__name__)

# Each day's sales, stock-out flag and receipts (a negative day counts as none), numbered from the first held-out
# day.
DAYS_SQL = f"""
with days as (
    select
        product_id, warehouse_id, snapshot_date, units_sold, is_stockout, {RECEIVED_QTY_SQL} as received
    from {MART_SCHEMA}.fct_inventory_daily
    where snapshot_date >= date '{{cutoff}}'
)
select product_id, warehouse_id, cast(snapshot_date - date '{{cutoff}}' as integer) - 1 as day,
    units_sold, is_stockout, greatest(coalesce(received, 0), 0) as received
from days
where snapshot_date > date '{{cutoff}}'
"""


class HistoryTooShort(ValueError):
    """Too few weeks of demand to hold any out and still forecast from the rest."""


@dataclass(frozen=True)
class HoldoutOptions:
    holdout_weeks: int = 8
    horizon_weeks: int = 8  # each weekly forecast's horizon (levels look a lead time plus review ahead)
    backtest_windows: int = 3
    # None is the cost rule (each site's critical ratio, see service_levels.py), a number one fixed level for all.
    service_levels: tuple[float | None, ...] = (None,)
    rolling: bool = True  # a fresh forecast each held-out week; False: one forecast from the cutoff
    # "refit": forecast here (the sweep); "backtest": the forecast stage's last backtest window, its weeks held out
    # (the daily replay: a query, no fit; see backtest_replay.py)
    forecasts_from: str = "refit"
    # With backtest forecasts: how many of the latest weeks relevel each week's forecast (None: every week since
    # its origin; 0: none) and how many backtest windows to replay (None: the opening cover rule, backtest_replay)
    relevel_weeks: int | None = RELEVEL_RECENT_WEEKS
    replay_windows: int | None = None
    policy: PolicyOptions = field(default_factory=PolicyOptions)
    policies: tuple[str, ...] | None = None  # which of evaluate.policies to run (None: all)
    solver: SolverOptions = field(default_factory=SolverOptions)


@dataclass
class HoldoutResult:
    table: pd.DataFrame  # one row per level rule, service level and policy (see evaluate.compare_policies)
    moves: dict  # (service level, policy) -> the transfers it made
    problems: list[str]
    first_day: pd.Timestamp
    weeks: int


def daily_demand(days: pd.DataFrame, weekly: pd.DataFrame) -> pd.DataFrame:
    """Demand per product x warehouse and day: what sold that day, plus the week's unserved demand (the
    forecaster's raised estimate for a censored week, less its sales) spread over the week's stock-out days, or
    over all its days when none is flagged."""
    days = days.assign(week=days["day"] // 7)
    keys = ["product_id", "warehouse_id", "week"]
    sold = days.groupby(keys)["units_sold"].sum()
    wanted = weekly.set_index(keys)["units"]
    unserved = (wanted - sold.reindex(wanted.index).fillna(0)).clip(lower=0)
    outs = days.groupby(keys)["is_stockout"].transform("sum")
    weight = (days["is_stockout"] / outs).where(outs > 0, 1 / 7)
    extra = unserved.reindex(pd.MultiIndex.from_frame(days[keys])).fillna(0).to_numpy() * weight.to_numpy()
    return days.assign(units=days["units_sold"] + extra)[["product_id", "warehouse_id", "day", "units"]]


def opening_receipts(receipts: pd.DataFrame, sites: pd.DataFrame) -> pd.DataFrame:
    """What was on order or in transit at the cutoff arrives as it actually did: the first receipts, up to it."""
    keys = ["product_id", "warehouse_id"]
    pipeline = sites.set_index(keys)[["on_order_qty", "in_transit_qty"]].sum(axis=1)
    ordered = receipts.sort_values("day")
    cumulative = ordered.groupby(keys)["units"].cumsum()
    limit = pipeline.reindex(pd.MultiIndex.from_frame(ordered[keys])).fillna(0).to_numpy()
    capped = cumulative.clip(upper=limit)
    units = capped - capped.groupby([ordered["product_id"], ordered["warehouse_id"]]).shift(fill_value=0)
    return ordered.assign(units=units)[lambda frame: frame["units"] > 0]


def rolling_forecasts(history, attributes, first_week, lead_times, options: HoldoutOptions,
                      forecaster: Forecaster) -> list[pd.DataFrame]:  # fmt: skip
    """One forecast per held-out week, each made from every week before it (not rolling: one from the cutoff,
    long enough to cover every held-out week)."""
    forecasts = []
    if not options.rolling:
        # Past its last week a forecast's levels carry that week forward (policy.phased_levels).
        horizon = options.holdout_weeks
        log.info("hold-out: one forecast from %s, %d weeks ahead", first_week.date(), horizon)
        result = forecaster.forecast(history[history["ds"] < first_week], attributes, horizon,
                                     options.backtest_windows)  # fmt: skip
        return [policy_forecasts(result, attributes, lead_times, options.policy)]
    for week in range(options.holdout_weeks):
        origin = first_week + pd.Timedelta(weeks=week)
        log.info("hold-out: forecasting from %s (%d of %d)", origin.date(), week + 1, options.holdout_weeks)
        result = forecaster.forecast(
            history[history["ds"] < origin], attributes, options.horizon_weeks, options.backtest_windows
        )
        forecasts.append(policy_forecasts(result, attributes, lead_times, options.policy))
    return forecasts


def rolling_levels(forecasts: list[pd.DataFrame], policy: PolicyOptions) -> pd.DataFrame:
    """Day-by-day levels over the held-out span: week w's days take the levels of the forecast made at week w (one
    forecast alone: its own levels, day by day)."""
    if len(forecasts) == 1:
        return phased_levels(forecasts[0], policy)
    levels = []
    for week, forecast in enumerate(forecasts):
        week_levels = phased_levels(forecast, policy).query("day < 7")
        levels.append(week_levels.assign(day=week_levels["day"] + 7 * week))
    return pd.concat(levels, ignore_index=True)


def evaluate_holdout(duckdb_path: Path, options: HoldoutOptions | None = None, target: str = "local",
                     forecaster: Forecaster | None = None) -> HoldoutResult:  # fmt: skip
    """The replay; `forecaster` is the forecast stage's (foundation.stage.Forecaster), handed over by the caller."""
    if forecaster is None:
        raise ValueError("the hold-out replay re-forecasts each held-out week: pass the forecast stage's forecaster")
    options = options or HoldoutOptions()
    history, attributes = read_demand(target, duckdb_path)
    weeks = sorted(history["ds"].unique())
    given = None
    if options.forecasts_from == "backtest":
        try:
            given = backtest_replay(target, duckdb_path, history, attributes, options.replay_windows)
        except NoBacktestForecasts as missing:
            raise HistoryTooShort(str(missing)) from missing
        options = replace(options, holdout_weeks=given.weeks, horizon_weeks=given.window_weeks, rolling=False)
    elif not options.rolling:
        # The daily replay fits itself to a short history rather than fail the plan it proves.
        fit = min(options.holdout_weeks, len(weeks) // (options.backtest_windows + 3))
        options = replace(options, holdout_weeks=max(fit, 1), horizon_weeks=max(fit, 1))
    if given is None and len(weeks) < options.holdout_weeks + options.horizon_weeks * (options.backtest_windows + 2):
        raise HistoryTooShort(f"{len(weeks)} weeks of history are too few to hold out {options.holdout_weeks}")
    first_week = given.first_week if given is not None else pd.Timestamp(weeks[-options.holdout_weeks])
    cutoff = (first_week - pd.Timedelta(days=1)).date()
    def query(sql: str) -> pd.DataFrame:
        return read_sql(target, duckdb_path, sql.format(plan_date=cutoff, cutoff=cutoff))

    positions, warehouses, products = query(POSITIONS_SQL), query(WAREHOUSES_SQL), query(PRODUCTS_SQL)
    lanes, lead_times, days = query(LANES_SQL), query(LEAD_TIMES_SQL), query(DAYS_SQL)
    lanes = lanes[lanes["from_warehouse_id"].isin(warehouses["warehouse_id"])
                  & lanes["to_warehouse_id"].isin(warehouses["warehouse_id"])]  # fmt: skip
    # Actual demand in the held-out weeks, stock-out weeks raised as the forecaster raises them.
    adjusted = forecaster.demand_history(history)
    actual = adjusted[adjusted["ds"] >= first_week].merge(attributes, on="unique_id")
    actual = actual.assign(week=(actual["ds"] - first_week).dt.days // 7, units=actual["y"])
    if given is not None:
        # Each week planned as the weekly pipeline would: the origin's forecast, relevelled by the weeks before it.
        forecasts = []
        for index, window in enumerate(given.windows):
            since = actual.assign(week=actual["week"] - index * given.window_weeks)
            forecasts += weekly_relevelled(with_lead_times(window, lead_times, options.policy), since,
                                           given.window_weeks, options.relevel_weeks)  # fmt: skip
    else:
        forecasts = rolling_forecasts(history, attributes, first_week, lead_times, options, forecaster)
    # As the live plan does (plan.make_plan): each week's forecast no lower than what sold in the weeks before it,
    # and a dear product's spread no narrower than its recent weeks' (recent_demand.py).
    recents: dict[pd.Timestamp, pd.DataFrame] = {}

    def recent_before(week) -> pd.DataFrame:
        week = pd.Timestamp(week)
        if week not in recents:
            recents[week] = recent_demand(history, attributes, week)
        return recents[week]

    opening_recent = recent_before(forecasts[0]["week_start"].min())
    forecasts = [floor_by_recent(forecast, recent_before(forecast["week_start"].min()), products)
                 for forecast in forecasts]  # fmt: skip
    # What each replayed week's pulls see a source sell: the sales closed before that week (netting.py).
    weekly_recent = [recent_before(first_week + pd.Timedelta(weeks=week)) for week in range(options.holdout_weeks)]
    cost_levels = [with_service_levels(forecast, products, options.policy) for forecast in forecasts]
    days = days[days["day"] < 7 * options.holdout_weeks]
    demand = daily_demand(days, actual)
    receipts = days.rename(columns={"received": "units"})[["product_id", "warehouse_id", "day", "units"]]

    tables, moves, problems = [], {}, []
    for level in options.service_levels:
        if level is None:
            policy_options, leveled = replace(options.policy, level_rule="cost"), cost_levels
        else:
            policy_options, leveled = replace(options.policy, level_rule="fixed", service_level=level), forecasts
        sites = build_sites(inventory_policy(leveled[0], positions, policy_options), warehouses, products)
        sites = with_recent(sites, opening_recent)  # what the pulls see a source sell (netting.py)
        label = "cost" if level is None else f"{100 * level:.1f}%"
        log.info("hold-out: simulating %d sites, service level %s", len(sites), label)
        table, level_moves, level_problems = compare_policies(
            sites, lanes, demand, options.solver, actual_receipts=receipts,
            opening_receipts=opening_receipts(receipts, sites), phased=rolling_levels(leveled, policy_options),
            names=options.policies, review_days=policy_options.review_days, weekly_recent=weekly_recent,
        )  # fmt: skip
        chosen = float(sites["service_level"].median())
        tables.append(table.assign(level_rule=policy_options.level_rule, service_level=chosen))
        moves.update({(label, name): frame for name, frame in level_moves.items()})
        problems += level_problems
    return HoldoutResult(pd.concat(tables, ignore_index=True), moves, sorted(set(problems)), first_week,
                         options.holdout_weeks)  # fmt: skip

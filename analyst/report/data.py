"""What the planning report shows, read from the marts: demand history, forecasts, accuracy and the latest plan.

Forecasts, plans and the plan's simulation are optional: a warehouse built before `supplychain forecast`,
`supplychain optimize` or `supplychain optimize --evaluate` ran still gets a report, with a panel saying which
command fills the empty section.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from foundation.warehouse.io import MART_SCHEMA, existing_tables, full_weeks_sql, query

TOP_PRODUCTS = 6
HISTORY_WEEKS = 52
# Marts each section needs with rows in them. fct_transfer_plan only has to exist: a plan may move nothing.
FORECAST_TABLES = ("fct_demand_forecast", "forecast_accuracy")
PLAN_TABLES = ("fct_inventory_policy", "optimization_run_summary")
SIMULATION_TABLES = ("policy_simulation",)
MOVES_SHOWN = 25
ACCURACY_BY_LAG = "forecast_accuracy_by_lag"  # filled as the weeks the kept forecast vintages cover are over
INTERVAL_COLUMNS = ["forecast_units", "lower_80_units", "upper_80_units", "lower_95_units", "upper_95_units"]


@dataclass(frozen=True)
class PlanningData:
    product_history: pd.DataFrame  # product_id, product_label, week_start, units_sold (top products only)
    product_forecast: pd.DataFrame  # product_id, product_label, week_start, INTERVAL_COLUMNS
    segment_history: pd.DataFrame  # category, region_code, week_start, units_sold
    segment_forecast: pd.DataFrame  # category, region_code, week_start, INTERVAL_COLUMNS
    accuracy: pd.DataFrame  # hierarchy_level, forecast_model, accuracy, is_baseline, is_chosen
    inventory: pd.DataFrame  # per warehouse: inventory_position, safety_stock, target_level, overstock, deficit
    transfers: pd.DataFrame  # from_warehouse_id, to_warehouse_id, units, transfer_cost, transfers
    run_summary: pd.DataFrame  # the latest plan's optimization_run_summary row
    simulation: pd.DataFrame  # policy_simulation as written
    missing: dict[str, list[str]] = field(default_factory=dict)  # section -> its marts that are missing or empty
    # The latest plan's moves, best expected benefit first (MOVES_SHOWN): product, lane, units, transfer_cost,
    # expected_benefit (null for a plan written before moves carried it), reason
    moves: pd.DataFrame = field(default_factory=pd.DataFrame)
    # Per lag_weeks x week_start of the kept forecasts scored so far: accuracy, bias, coverage_80, value_added
    accuracy_by_lag: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def has_forecasts(self) -> bool:
        return not self.missing.get("forecasts")

    @property
    def has_plan(self) -> bool:
        return not self.missing.get("plan")

    @property
    def has_simulation(self) -> bool:
        return not self.missing.get("simulation")


def read_planning_data(connection, schema: str = MART_SCHEMA) -> PlanningData:
    tables = existing_tables(connection, schema)
    if "demand_features_weekly" not in tables:
        raise FileNotFoundError(f"{schema}.demand_features_weekly is missing — run `supplychain build` first")
    missing = {
        "forecasts": _missing_or_empty(connection, schema, tables, FORECAST_TABLES),
        "plan": _missing_or_empty(connection, schema, tables, PLAN_TABLES)
        + ([] if "fct_transfer_plan" in tables else [f"{schema}.fct_transfer_plan"]),
        "simulation": _missing_or_empty(connection, schema, tables, SIMULATION_TABLES),
    }
    history = _history(connection, schema)
    last_actual_week = history["week_start"].max()
    recent = history[history["week_start"] > last_actual_week - pd.Timedelta(weeks=HISTORY_WEEKS)]
    top = _top_products(connection, schema, recent)
    forecast = _forecast(connection, schema, last_actual_week) if not missing["forecasts"] else _no_forecast()
    segment_keys = ["category", "region_code", "week_start"]
    product_keys = ["product_id", "week_start"]
    plan = not missing["plan"]
    return PlanningData(
        product_history=_label(_sum(recent[recent["product_id"].isin(top.index)], product_keys, ["units_sold"]), top),
        product_forecast=_label(_sum(forecast[forecast["product_id"].isin(top.index)], product_keys), top),
        segment_history=_sum(recent, segment_keys, ["units_sold"]),
        segment_forecast=_sum(forecast, segment_keys),
        accuracy=_accuracy(connection, schema) if not missing["forecasts"] else pd.DataFrame(),
        inventory=_inventory(connection, schema) if plan else pd.DataFrame(),
        transfers=_transfers(connection, schema) if plan else pd.DataFrame(),
        run_summary=_latest(connection, schema, "optimization_run_summary") if plan else pd.DataFrame(),
        simulation=_simulation(connection, schema) if not missing["simulation"] else pd.DataFrame(),
        missing=missing,
        moves=_moves(connection, schema) if plan else pd.DataFrame(),
        accuracy_by_lag=_accuracy_by_lag(connection, schema) if ACCURACY_BY_LAG in tables else pd.DataFrame(),
    )


def _missing_or_empty(connection, schema: str, tables: set[str], wanted: tuple[str, ...]) -> list[str]:
    absent = [name for name in wanted if name not in tables]
    empty = [
        name
        for name in wanted
        if name in tables and query(connection, f"select count(*) as n from {schema}.{name}")["n"].iloc[0] == 0
    ]
    return [f"{schema}.{name}" for name in absent + empty]


def _history(connection, schema: str) -> pd.DataFrame:
    """Weekly units per product x warehouse, without a series' partial first and last weeks (as forecasting reads
    them: a partial week would read as a drop in demand)."""
    frame = query(
        connection,
        full_weeks_sql("product_id, category, current_region_code as region_code, week_start, units_sold", schema),
    )
    if frame.empty:
        raise ValueError(f"{schema}.demand_features_weekly holds no full weeks of demand — run `supplychain build`")
    frame["week_start"] = pd.to_datetime(frame["week_start"])
    frame["units_sold"] = frame["units_sold"].astype(float)
    return frame


def _top_products(connection, schema: str, recent: pd.DataFrame) -> pd.Series:
    """The products selling the most units over the history shown, labelled 'P00012 Name (Category)'."""
    volume = recent.groupby("product_id")["units_sold"].sum().nlargest(TOP_PRODUCTS)
    names = query(connection, f"select product_id, product_name, category from {schema}.dim_product")
    names = names.set_index("product_id").reindex(volume.index)
    labels = [
        f"{product_id} {row.product_name} ({row.category})" if isinstance(row.product_name, str) else product_id
        for product_id, row in names.iterrows()
    ]
    return pd.Series(labels, index=volume.index, name="product_label")


def _forecast(connection, schema: str, last_actual_week: pd.Timestamp) -> pd.DataFrame:
    frame = query(
        connection,
        f"select product_id, category, region_code, week_start, {', '.join(INTERVAL_COLUMNS)} "
        f"from {schema}.fct_demand_forecast",
    )
    frame["week_start"] = pd.to_datetime(frame["week_start"])
    frame[INTERVAL_COLUMNS] = frame[INTERVAL_COLUMNS].astype(float)
    # Series that stopped selling early are forecast from their own last week; only the weeks after the latest
    # actual week are a forecast of the future.
    return frame[frame["week_start"] > last_actual_week]


def _no_forecast() -> pd.DataFrame:
    return pd.DataFrame(columns=["product_id", "category", "region_code", "week_start", *INTERVAL_COLUMNS])


def _sum(frame: pd.DataFrame, keys: list[str], values: list[str] = INTERVAL_COLUMNS) -> pd.DataFrame:
    """Units added up to `keys`. Interval bounds are added too: the band of a sum of series is at most that wide
    (it is exact when the series move together), so the aggregated band errs on the wide side."""
    return frame.groupby(keys, as_index=False)[values].sum()


def _label(frame: pd.DataFrame, labels: pd.Series) -> pd.DataFrame:
    """Adds the product's label; rows come in order of volume, the best seller first."""
    ranks = pd.DataFrame({"product_label": labels, "volume_rank": range(len(labels))}, index=labels.index)
    labelled = frame.merge(ranks, left_on="product_id", right_index=True)
    return labelled.sort_values(["volume_rank", "week_start"]).drop(columns="volume_rank").reset_index(drop=True)


def _accuracy(connection, schema: str) -> pd.DataFrame:
    frame = query(
        connection,
        f"select hierarchy_level, forecast_model, accuracy, coverage_80, coverage_95, is_baseline, is_chosen "
        f"from {schema}.forecast_accuracy where is_chosen or is_baseline",
    )
    frame[["accuracy", "coverage_80", "coverage_95"]] = frame[["accuracy", "coverage_80", "coverage_95"]].astype(float)
    return frame


def _latest(connection, schema: str, table: str) -> pd.DataFrame:
    return query(
        connection, f"select * from {schema}.{table} where plan_date = (select max(plan_date) from {schema}.{table})"
    )


def _inventory(connection, schema: str) -> pd.DataFrame:
    policy = _latest(connection, schema, "fct_inventory_policy")
    measures = ["inventory_position", "safety_stock", "target_level", "overstock_units", "deficit_units"]
    policy[measures] = policy[measures].astype(float)
    return policy.groupby(["warehouse_id", "region_code"], as_index=False)[measures].sum()


def _transfers(connection, schema: str) -> pd.DataFrame:
    plan = _latest(connection, schema, "fct_transfer_plan")
    plan[["units", "transfer_cost"]] = plan[["units", "transfer_cost"]].astype(float)
    flows = plan.groupby(["from_warehouse_id", "to_warehouse_id"], as_index=False).agg(
        units=("units", "sum"), transfer_cost=("transfer_cost", "sum"), transfers=("transfer_id", "count")
    )
    return flows.sort_values("units", ascending=False)


def _moves(connection, schema: str) -> pd.DataFrame:
    plan = _latest(connection, schema, "fct_transfer_plan")
    if "expected_benefit" not in plan:
        plan = plan.assign(expected_benefit=None)
    columns = ["product_id", "from_warehouse_id", "to_warehouse_id", "units", "transfer_cost", "expected_benefit",
               "reason"]  # fmt: skip
    plan = plan[columns].astype({"units": float, "transfer_cost": float, "expected_benefit": float})
    return plan.sort_values(["expected_benefit", "units"], ascending=False, na_position="last").head(MOVES_SHOWN)


def _simulation(connection, schema: str) -> pd.DataFrame:
    """The latest evaluation: every policy at every service level it was run at."""
    frame = query(connection, f"select * from {schema}.policy_simulation")
    if "evaluated_at" in frame.columns:
        frame = frame[frame["evaluated_at"] == frame["evaluated_at"].max()]
    measures = ["service_level", "stockout_units", "avg_overstock_units"]
    frame[measures] = frame[measures].astype(float)
    return frame.reset_index(drop=True)


def _accuracy_by_lag(connection, schema: str) -> pd.DataFrame:
    """Per lag and target week, over every series scored: 1 - WAPE, bias (sum of forecast minus actual over the
    actual units), the share of actuals inside the 80% interval, and forecast value added (the share of the naive
    baseline's absolute error the forecast removed; null where no baseline existed)."""
    frame = query(
        connection,
        "select lag_weeks, week_start, sum(abs_error_units) as abs_error, sum(error_units) as error, "
        "sum(actual_units) as actual, avg(case when is_within_80 then 1.0 else 0.0 end) as coverage_80, "
        "sum(naive_abs_error_units) as naive_abs_error, "
        "sum(case when naive_abs_error_units is not null then abs_error_units end) as abs_error_with_naive, "
        f"count(*) as forecasts from {schema}.{ACCURACY_BY_LAG} group by lag_weeks, week_start",
    )
    measures = ["abs_error", "error", "actual", "coverage_80", "naive_abs_error", "abs_error_with_naive"]
    frame[measures] = frame[measures].astype(float)
    actual = frame["actual"].where(frame["actual"] > 0)
    naive = frame["naive_abs_error"].where(frame["naive_abs_error"] > 0)
    return pd.DataFrame({
        "lag_weeks": frame["lag_weeks"].astype(int),
        "week_start": pd.to_datetime(frame["week_start"]),
        "accuracy": 1 - frame["abs_error"] / actual,
        "bias": frame["error"] / actual,
        "coverage_80": frame["coverage_80"],
        "value_added": 1 - frame["abs_error_with_naive"] / naive,
        "forecasts": frame["forecasts"].astype(int),
    }).sort_values(["lag_weeks", "week_start"]).reset_index(drop=True)  # fmt: skip

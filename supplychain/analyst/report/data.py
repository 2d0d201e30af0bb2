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


def _simulation(connection, schema: str) -> pd.DataFrame:
    """The latest evaluation: every policy at every service level it was run at."""
    frame = query(connection, f"select * from {schema}.policy_simulation")
    if "evaluated_at" in frame.columns:
        frame = frame[frame["evaluated_at"] == frame["evaluated_at"].max()]
    measures = ["service_level", "stockout_units", "avg_overstock_units"]
    frame[measures] = frame[measures].astype(float)
    return frame.reset_index(drop=True)

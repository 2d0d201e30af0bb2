"""What the planning report shows: demand history, forecasts, accuracy and the latest plan.

Every figure that is a metric comes from a saved query of the semantic layer (analyst/saved_queries.py; the names
are in SAVED_QUERIES), so the report and a dashboard on the same saved query show the same numbers. The report
only picks rows from them (the top products, the weeks after the last actual, the latest plan day). Tables that are
not metrics are read as the marts hold them: the forecast run's accuracy scores, the plan's summary row and
moves, the hold-out simulation's rows.

Forecasts, plans and the plan's simulation are optional: a warehouse built before `supplychain forecast`,
`supplychain optimize` or `supplychain optimize --evaluate` ran still gets a report, with a panel saying which
command fills the empty section.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from analyst.saved_queries import SavedQueries, dialect_of
from foundation.warehouse.dbt_runner import target_folder
from foundation.warehouse.io import MART_SCHEMA, existing_tables, query

TOP_PRODUCTS = 6
HISTORY_WEEKS = 52
# Marts each section needs with rows in them. fct_transfer_plan only has to exist: a plan may move nothing.
FORECAST_TABLES = ("fct_demand_forecast", "forecast_accuracy")
PLAN_TABLES = ("fct_inventory_policy", "optimization_run_summary")
SIMULATION_TABLES = ("policy_simulation",)
MOVES_SHOWN = 25
ACCURACY_BY_LAG = "forecast_accuracy_by_lag"  # filled as the weeks the kept forecast vintages cover are over
INTERVAL_COLUMNS = ["forecast_units", "lower_80_units", "upper_80_units", "lower_95_units", "upper_95_units"]
DEMAND_WEEKS = "fct_demand_weeks"  # the full weeks of demand_features_weekly (the weekly demand metric's grain)
# The saved queries the report reads (models/marts/planning/_planning__semantic.yml).
SAVED_QUERIES = (
    "weekly_demand_by_product", "weekly_demand_by_category_and_region_now", "weekly_forecast_by_product",
    "weekly_forecast_by_category_and_region_now", "plan_stock_by_warehouse", "plan_transfers_by_lane",
    "forecast_accuracy_by_lag_and_week", "forecast_accuracy_by_lag",
)  # fmt: skip
# MetricFlow's column names -> the report's.
COLUMNS = {
    "metric_time__week": "week_start", "metric_time__day": "plan_date", "product": "product_id",
    "product__category": "category", "region_now": "region_code", "warehouse": "warehouse_id",
    "warehouse__region_now": "region_code", "transfer__from_warehouse_id": "from_warehouse_id",
    "transfer__to_warehouse_id": "to_warehouse_id", "lagged_forecast__lag_weeks": "lag_weeks",
    "weekly_demand_units": "units_sold", "forecast_lower_80_units": "lower_80_units",
    "forecast_upper_80_units": "upper_80_units", "forecast_lower_95_units": "lower_95_units",
    "forecast_upper_95_units": "upper_95_units", "planned_inventory_position_units": "inventory_position",
    "planned_safety_stock_units": "safety_stock", "planned_target_level_units": "target_level",
    "planned_overstock_units": "overstock_units", "planned_deficit_units": "deficit_units",
    "units_moved": "units", "lagged_forecast_accuracy": "accuracy", "lagged_forecast_bias": "bias",
    "lagged_coverage_80": "coverage_80", "forecast_value_added": "value_added", "lagged_forecasts": "forecasts",
}  # fmt: skip
# The columns that say what a figure is about (the rest are figures), in the order rows are sorted.
KEYS = ("lag_weeks", "plan_date", "warehouse_id", "from_warehouse_id", "to_warehouse_id", "category", "region_code",
        "product_id", "week_start")  # fmt: skip


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
    # Per lag_weeks x week_start of the kept forecasts scored so far: accuracy, bias, coverage_80, value_added,
    # forecasts
    accuracy_by_lag: pd.DataFrame = field(default_factory=pd.DataFrame)
    # The same per lag_weeks over every week scored (ratios of the sums), with weeks: how many weeks were scored
    accuracy_by_lag_totals: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def has_forecasts(self) -> bool:
        return not self.missing.get("forecasts")

    @property
    def has_plan(self) -> bool:
        return not self.missing.get("plan")

    @property
    def has_simulation(self) -> bool:
        return not self.missing.get("simulation")


def read_planning_data(
    connection, schema: str = MART_SCHEMA, saved_queries: SavedQueries | None = None
) -> PlanningData:
    """The report's figures from `connection`; its metrics through `saved_queries` (default: compiled from the
    semantic manifest in dbt's target folder for the connection's dialect)."""
    tables = existing_tables(connection, schema)
    for needed in ("demand_features_weekly", DEMAND_WEEKS):
        if needed not in tables:
            raise FileNotFoundError(f"{schema}.{needed} is missing — run `supplychain build` first")
    queries = saved_queries or SavedQueries(target_folder(), dialect_of(connection), schema)
    missing = {
        "forecasts": _missing_or_empty(connection, schema, tables, FORECAST_TABLES),
        "plan": _missing_or_empty(connection, schema, tables, PLAN_TABLES)
        + ([] if "fct_transfer_plan" in tables else [f"{schema}.fct_transfer_plan"]),
        "simulation": _missing_or_empty(connection, schema, tables, SIMULATION_TABLES),
    }
    history = _history(_read(queries, connection, "weekly_demand_by_product"), schema)
    last_actual_week = history["week_start"].max()
    first_week = last_actual_week - pd.Timedelta(weeks=HISTORY_WEEKS)
    recent = history[history["week_start"] > first_week]
    top = _top_products(connection, schema, recent)
    segments = _history(_read(queries, connection, "weekly_demand_by_category_and_region_now"), schema)
    forecasts = not missing["forecasts"]
    plan = not missing["plan"]
    by_lag = _accuracy_by_lag(queries, connection) if ACCURACY_BY_LAG in tables else pd.DataFrame()
    return PlanningData(
        product_history=_label(recent[recent["product_id"].isin(top.index)], top),
        product_forecast=_label(_forecast(queries, connection, "weekly_forecast_by_product", last_actual_week), top)
        if forecasts else _no_forecast(["product_id", "product_label"]),
        segment_history=segments[segments["week_start"] > first_week].reset_index(drop=True),
        segment_forecast=_forecast(queries, connection, "weekly_forecast_by_category_and_region_now", last_actual_week)
        if forecasts else _no_forecast(["category", "region_code"]),
        accuracy=_accuracy(connection, schema) if forecasts else pd.DataFrame(),
        inventory=_inventory(queries, connection) if plan else pd.DataFrame(),
        transfers=_transfers(queries, connection) if plan else pd.DataFrame(),
        run_summary=_latest(connection, schema, "optimization_run_summary") if plan else pd.DataFrame(),
        simulation=_simulation(connection, schema) if not missing["simulation"] else pd.DataFrame(),
        missing=missing,
        moves=_moves(connection, schema) if plan else pd.DataFrame(),
        accuracy_by_lag=by_lag,
        accuracy_by_lag_totals=_accuracy_by_lag_totals(queries, connection, by_lag) if not by_lag.empty
        else pd.DataFrame(),
    )  # fmt: skip


def _read(queries: SavedQueries, connection, name: str) -> pd.DataFrame:
    """A saved query's rows with the report's column names; weeks and days as naive timestamps, figures as floats."""
    frame = queries.read(connection, name).rename(columns=COLUMNS)
    for column in ("week_start", "plan_date"):
        if column in frame:
            dates = pd.to_datetime(frame[column])
            frame[column] = dates.dt.tz_localize(None) if dates.dt.tz is not None else dates
    figures = [column for column in frame.columns if column not in KEYS]
    frame[figures] = frame[figures].astype(float)
    # SQL rows come in no order: sorted on the keys, every warehouse gives the report the same frames.
    return frame.sort_values([key for key in KEYS if key in frame.columns]).reset_index(drop=True)


def _missing_or_empty(connection, schema: str, tables: set[str], wanted: tuple[str, ...]) -> list[str]:
    absent = [name for name in wanted if name not in tables]
    empty = [
        name
        for name in wanted
        if name in tables and query(connection, f"select count(*) as n from {schema}.{name}")["n"].iloc[0] == 0
    ]
    return [f"{schema}.{name}" for name in absent + empty]


def _history(frame: pd.DataFrame, schema: str) -> pd.DataFrame:
    """Weekly units sold (weekly_demand_units: full weeks only, as forecasting reads them; a partial week would read
    as a drop in demand)."""
    frame = frame[frame["units_sold"].notna()]
    if frame.empty:
        raise ValueError(f"{schema}.{DEMAND_WEEKS} holds no full weeks of demand — run `supplychain build`")
    return frame.reset_index(drop=True)


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


def _forecast(queries: SavedQueries, connection, name: str, last_actual_week: pd.Timestamp) -> pd.DataFrame:
    frame = _read(queries, connection, name)
    # Series that stopped selling early are forecast from their own last week; only the weeks after the latest
    # actual week are a forecast of the future.
    return frame[frame["week_start"] > last_actual_week].reset_index(drop=True)


def _no_forecast(keys: list[str]) -> pd.DataFrame:
    return pd.DataFrame(columns=[*keys, "week_start", *INTERVAL_COLUMNS])


def _label(frame: pd.DataFrame, labels: pd.Series) -> pd.DataFrame:
    """Adds the product's label; rows come in order of volume, the best seller first."""
    ranks = pd.DataFrame({"product_label": labels, "volume_rank": range(len(labels))}, index=labels.index)
    labelled = frame.merge(ranks, left_on="product_id", right_index=True)
    return labelled.sort_values(["volume_rank", "week_start"]).drop(columns="volume_rank").reset_index(drop=True)


def _accuracy(connection, schema: str) -> pd.DataFrame:
    frame = query(
        connection,
        f"select hierarchy_level, forecast_model, accuracy, coverage_80, coverage_95, rolling_coverage_80, "
        f"rolling_coverage_95, rolling_coverage_weeks, is_baseline, is_chosen "
        f"from {schema}.forecast_accuracy where is_chosen or is_baseline",
    )
    shares = ["accuracy", "coverage_80", "coverage_95", "rolling_coverage_80", "rolling_coverage_95"]
    frame[shares] = frame[shares].astype(float)
    return frame


def _latest(connection, schema: str, table: str) -> pd.DataFrame:
    return query(
        connection, f"select * from {schema}.{table} where plan_date = (select max(plan_date) from {schema}.{table})"
    )


def _latest_day(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows of the latest plan day."""
    return frame[frame["plan_date"] == frame["plan_date"].max()].drop(columns="plan_date").reset_index(drop=True)


def _inventory(queries: SavedQueries, connection) -> pd.DataFrame:
    return _latest_day(_read(queries, connection, "plan_stock_by_warehouse"))


def _transfers(queries: SavedQueries, connection) -> pd.DataFrame:
    flows = _latest_day(_read(queries, connection, "plan_transfers_by_lane"))
    return flows.astype({"transfers": int}).sort_values("units", ascending=False, kind="stable")


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


def _accuracy_by_lag(queries: SavedQueries, connection) -> pd.DataFrame:
    """Per lag and target week, over every series scored: 1 - WAPE, bias (sum of forecast minus actual over the
    actual units), the share of actuals inside the 80% interval, and forecast value added (the share of the naive
    baseline's absolute error the forecast removed; null where no baseline existed)."""
    frame = _read(queries, connection, "forecast_accuracy_by_lag_and_week")
    frame = frame.astype({"lag_weeks": int, "forecasts": int})
    return frame.sort_values(["lag_weeks", "week_start"]).reset_index(drop=True)


def _accuracy_by_lag_totals(queries: SavedQueries, connection, by_week: pd.DataFrame) -> pd.DataFrame:
    """The same per lag over every week scored so far (`by_week` gives how many weeks that is)."""
    frame = _read(queries, connection, "forecast_accuracy_by_lag").astype({"lag_weeks": int, "forecasts": int})
    counts = by_week.groupby("lag_weeks").size().rename("weeks")
    return frame.merge(counts, left_on="lag_weeks", right_index=True).sort_values("lag_weeks").reset_index(drop=True)

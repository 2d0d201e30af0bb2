"""Reads weekly demand from the active dbt target; writes forecast outputs to the lake for `supplychain load`.

Reading uses the same environment the dbt profile reads (one place for connection settings). Outputs go to
processed/forecasts/<table>/ as Parquet, declared as dbt sources, so every target loads them the way it loads
the rest of the processed zone and dbt models them (fct_demand_forecast, forecast_accuracy, ...).
"""

from __future__ import annotations

import csv
import json
import os
import uuid
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ingestion.io.lake import Lake

MART_SCHEMA = os.environ.get("SUPPLYCHAIN_MART_SCHEMA", "analytics")
DEMAND_SQL = f"""
with weeks as (
    select
        demand_features_weekly.*,
        max(week_start) over (partition by series_id) as last_week_start
    from {MART_SCHEMA}.demand_features_weekly
)
select
    series_id as unique_id,
    product_id,
    warehouse_id,
    current_region_code as region_code,
    category,
    week_start as ds,
    units_sold as y,
    is_censored
from weeks
-- A partial first or last week of a series would read as a demand drop, so it is left out.
where not (is_partial_week and (series_week_number = 1 or week_start = last_week_start))
"""
OUTPUT_TABLES = (
    "demand_forecast", "forecast_backtest", "forecast_model_selection", "forecast_accuracy", "forecast_backtest_weeks",
)  # fmt: skip


def read_sql(target: str, duckdb_path: Path, sql: str) -> pd.DataFrame:
    """One query's rows from the active target, connected the way the dbt profile connects."""
    if target == "local":
        import duckdb

        if not duckdb_path.exists():
            raise FileNotFoundError(f"{duckdb_path} does not exist: run `supplychain build` first")
        with duckdb.connect(str(duckdb_path), read_only=True) as connection:
            return connection.execute(sql).df()
    if target == "postgres":
        from supplychain.warehouse.connections import connect_postgres

        with connect_postgres() as connection, connection.cursor() as cursor:
            cursor.execute(sql)
            return pd.DataFrame(cursor.fetchall(), columns=[c.name for c in cursor.description])
    from supplychain.warehouse.connections import connect_redshift

    with connect_redshift() as connection:
        return connection.cursor().execute(sql).fetch_dataframe()


def read_demand(target: str, duckdb_path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(history: unique_id, ds, y, is_censored; attributes: unique_id -> product, warehouse, region, category)."""
    frame = read_sql(target, duckdb_path, DEMAND_SQL)
    if frame.empty:
        raise ValueError(f"{MART_SCHEMA}.demand_features_weekly on target {target} holds no full weeks of demand")
    frame["ds"] = pd.to_datetime(frame["ds"])
    frame["y"] = frame["y"].astype(float)
    attributes = frame[["unique_id", "product_id", "warehouse_id", "region_code", "category"]].drop_duplicates(
        "unique_id"
    )
    return frame[["unique_id", "ds", "y", "is_censored"]], attributes


def read_history_file(path: Path) -> pd.DataFrame:
    """A planner's own history in long format (unique_id, ds, y), from CSV or Parquet; ids are read as text so
    leading zeros survive, quantities as they are written (prepare_history names the ones that are not numbers)."""
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist")
    try:
        if path.suffix in (".parquet", ".pq"):
            frame = pd.read_parquet(path)
        else:
            frame = pd.read_csv(path, dtype={"unique_id": str, "ds": str}, sep=None, engine="python",
                                encoding="utf-8-sig")  # fmt: skip
    except (ValueError, OSError, UnicodeDecodeError, csv.Error, pd.errors.ParserError) as failure:
        raise ValueError(f"{path}: not a readable CSV or Parquet file ({failure}); save it as UTF-8 CSV") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    missing = {"unique_id", "ds", "y"} - set(frame.columns)
    if missing:
        raise ValueError(
            f"{path}: missing column(s) {sorted(missing)} (found {list(frame.columns)[:8]}); a history needs "
            "unique_id, ds and y: rename the columns"
        )
    if frame.empty:
        raise ValueError(f"{path}: no rows under the header; a history needs one row per series and week")
    return frame


ARROW_TYPES = {
    "varchar": pa.string(),
    "double precision": pa.float64(),
    "integer": pa.int32(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us"),
    "boolean": pa.bool_(),
}


def _declared_schema(source: str, name: str) -> pa.Schema:
    """The Arrow schema of an output table, from its dbt source definition (the load contract)."""
    from supplychain.warehouse.contract import source_tables

    table = next(t for t in source_tables() if t.source == source and t.name == name)
    return pa.schema([pa.field(column, ARROW_TYPES[sql_type]) for column, sql_type in table.columns])


def write_outputs(
    lake: Lake, tables: dict[str, pd.DataFrame], report: dict, source: str = "forecasts", stage: str = "forecast"
) -> None:
    """Replaces each output table's Parquet file under processed/<source>/; a reader sees the old file or the
    new one. The stage's report goes to processed/_reports/<stage>/latest.json."""
    for name, frame in tables.items():
        schema = _declared_schema(source, name)
        folder = f"{lake.base}/processed/{source}/{name}"
        lake.fs.create_dir(folder, recursive=True)
        staged = f"{folder}/.staged-{uuid.uuid4().hex}.parquet"
        table = pa.Table.from_pandas(frame[schema.names], schema=schema, preserve_index=False)
        pq.write_table(table, staged, filesystem=lake.fs, compression="snappy")
        lake.fs.move(staged, f"{folder}/part-00000.parquet")
    lake.write_json(f"processed/_reports/{stage}/latest.json", report)


def write_file(path: Path, frame: pd.DataFrame) -> None:
    if path.suffix == ".csv":
        frame.to_csv(path, index=False)
    else:
        frame.to_parquet(path, index=False)


def report_json(report: dict) -> str:
    return json.dumps(report, indent=2, default=str)

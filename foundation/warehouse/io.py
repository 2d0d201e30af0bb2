"""The one warehouse connector: connections to the active target (DuckDB, PostgreSQL, Redshift), queries that run
on all three, the weekly demand every stage reads, and the stage outputs written to the lake for the next load.

Reading uses the same environment the dbt profile reads (one place for connection settings). Outputs go to
processed/<source>/<table>/ as Parquet, declared as dbt sources, so every target loads them the way it loads the
rest of the processed zone and dbt models them (fct_demand_forecast, the plan marts, ...).
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from foundation.lake import Lake

# The schema dbt builds the marts in (the profiles' `schema: analytics`); every reader uses it.
MART_SCHEMA = os.environ.get("SUPPLYCHAIN_MART_SCHEMA", "analytics")


@contextlib.contextmanager
def connect(warehouse) -> Iterator:
    """A DB-API connection to the target of `warehouse` (a foundation.warehouse.build.WarehouseOptions)."""
    target, duckdb_path = _target_of(warehouse)
    if target == "local":
        with open_duckdb(duckdb_path) as connection:
            yield connection
    elif target == "postgres":
        from foundation.warehouse.connections import connect_postgres

        with connect_postgres() as connection:
            yield connection
    else:
        from foundation.warehouse.connections import connect_redshift

        connection = connect_redshift()
        try:
            yield connection
        finally:
            connection.close()


@contextlib.contextmanager
def open_duckdb(path: Path) -> Iterator:
    import duckdb

    if not Path(path).exists():
        raise FileNotFoundError(f"no warehouse at {path} — run `supplychain build` first")
    # Read-only, so a report can be written while nothing else holds the file for writing.
    with duckdb.connect(str(path), read_only=True) as connection:
        yield connection


def query(connection, sql: str) -> pd.DataFrame:
    cursor = connection.cursor()
    try:
        cursor.execute(sql)
        columns = [column[0] for column in cursor.description]
        return pd.DataFrame(cursor.fetchall(), columns=columns)
    finally:
        cursor.close()


def existing_tables(connection, schema: str = MART_SCHEMA) -> set[str]:
    """Tables and views in `schema`, lower-case (information_schema answers on every target)."""
    frame = query(
        connection,
        f"select table_name from information_schema.tables where lower(table_schema) = '{schema.lower()}'",
    )
    return {name.lower() for name in frame["table_name"]}


def _target_of(warehouse) -> tuple[str, Path]:
    return warehouse.target, Path(warehouse.duckdb_path)


def read_sql(target: str, duckdb_path: Path, sql: str) -> pd.DataFrame:
    """One query's rows from the active target as a typed frame (each driver's own conversion: DuckDB's dates and
    decimals arrive as pandas types), connected the way the dbt profile connects."""
    if target == "local":
        if not Path(duckdb_path).exists():
            raise FileNotFoundError(f"{duckdb_path} does not exist: run `supplychain build` first")
        with open_duckdb(duckdb_path) as connection:
            return connection.execute(sql).df()
    if target == "postgres":
        from foundation.warehouse.connections import connect_postgres

        with connect_postgres() as connection, connection.cursor() as cursor:
            cursor.execute(sql)
            return pd.DataFrame(cursor.fetchall(), columns=[c.name for c in cursor.description])
    from foundation.warehouse.connections import connect_redshift

    with connect_redshift() as connection:
        return connection.cursor().execute(sql).fetch_dataframe()


def full_weeks_sql(columns: str, schema: str = MART_SCHEMA) -> str:
    """`columns` of demand_features_weekly over full weeks only: a partial first or last week of a series would read
    as a demand drop, so every reader (the forecast, the hold-out replay, the report) leaves it out.

    A last week is partial when the series stops inside it (a warehouse closed mid-week) or the data does (the
    drops end on a Wednesday). A series missing one day inside a week the data covers in full (one lost snapshot
    row) keeps that week: leaving it out would end the series a week early, and its forecast would start on a week
    that already has actuals. macros/utils/full_demand_weeks.sql is the same rule in dbt (the summary mart's
    complete weeks): change both together."""
    return f"""
with weeks as (
    select
        demand_features_weekly.*,
        max(week_start) over (partition by series_id) as last_week_start,
        max(week_start) over () as data_last_week_start,
        max(days_observed) over (partition by week_start) as week_days_covered
    from {schema}.demand_features_weekly
)
select {columns}
from weeks
where not (
    is_partial_week
    and (
        series_week_number = 1
        or (week_start = last_week_start and (week_start < data_last_week_start or week_days_covered < 7))
    )
)
"""


DEMAND_SQL = full_weeks_sql(
    "series_id as unique_id, product_id, warehouse_id, current_region_code as region_code, category, "
    "week_start as ds, units_sold as y, is_censored"
)


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


def _declared_schema(source: str, name: str):
    """The Arrow schema of an output table, from its dbt source definition (the load contract)."""
    import pyarrow as pa

    from foundation.warehouse.contract import source_tables

    arrow_types = {
        "varchar": pa.string(), "double precision": pa.float64(), "integer": pa.int32(), "date": pa.date32(),
        "timestamp": pa.timestamp("us"), "boolean": pa.bool_(),
    }  # fmt: skip
    table = next(t for t in source_tables() if t.source == source and t.name == name)
    return pa.schema([pa.field(column, arrow_types[sql_type]) for column, sql_type in table.columns])


def write_outputs(lake: Lake, tables: dict[str, pd.DataFrame], report: dict, source: str, stage: str) -> None:
    """Replaces each output table's Parquet file under processed/<source>/; a reader sees the old file or the
    new one. A table whose file already holds the same rows is left untouched: the next dbt step builds only what
    changed files feed (orchestration.change_check). The stage's report goes to processed/_reports/<stage>/."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    for name, frame in tables.items():
        schema = _declared_schema(source, name)
        folder = f"{lake.base}/processed/{source}/{name}"
        published = f"{folder}/part-00000.parquet"
        table = pa.Table.from_pandas(frame[schema.names], schema=schema, preserve_index=False)
        if _holds(lake, published, table):
            continue
        lake.fs.create_dir(folder, recursive=True)
        staged = f"{folder}/.staged-{uuid.uuid4().hex}.parquet"
        pq.write_table(table, staged, filesystem=lake.fs, compression="snappy")
        lake.fs.move(staged, published)
    lake.write_json(f"processed/_reports/{stage}/latest.json", report)


def _holds(lake: Lake, path: str, table) -> bool:
    """Does the Parquet file at `path` hold exactly `table` (schema, rows and their order)? False when there is no
    such file or it cannot be read: it is then written."""
    import pyarrow.parquet as pq

    try:
        published = pq.read_table(path, filesystem=lake.fs)
    except Exception:  # none yet, or unreadable: written afresh
        return False
    return published.schema.equals(table.schema, check_metadata=False) and published.equals(table)

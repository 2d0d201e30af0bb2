"""Connections to the active target and a query helper that works on DuckDB, PostgreSQL and Redshift alike."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

# The schema dbt builds the marts in (the profiles' `schema: analytics`); the forecasting reader uses the same.
MART_SCHEMA = os.environ.get("SUPPLYCHAIN_MART_SCHEMA", "analytics")


@contextlib.contextmanager
def connect(warehouse) -> Iterator:
    """A DB-API connection to the target of `warehouse` (a supplychain.warehouse.build.WarehouseOptions)."""
    if warehouse.target == "local":
        with open_duckdb(warehouse.duckdb_path) as connection:
            yield connection
    elif warehouse.target == "postgres":
        from supplychain.warehouse.connections import connect_postgres

        with connect_postgres() as connection:
            yield connection
    else:
        from supplychain.warehouse.connections import connect_redshift

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

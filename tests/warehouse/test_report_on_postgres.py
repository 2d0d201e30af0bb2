"""The planning report's saved queries on PostgreSQL: compiled by MetricFlow for PostgreSQL and run on a psycopg
connection to the test server, they give the report the same figures as on DuckDB. The marts the report reads are
copied from the built DuckDB warehouse (with forecasts and a plan) into a schema of this test's own."""

from __future__ import annotations

import shutil

import duckdb
import pandas as pd
import psycopg
import pytest

from analyst.report.data import read_planning_data
from analyst.saved_queries import SavedQueries, dialect_of
from foundation.warehouse.load_postgres import postgres_dsn
from tests.analyst.synthetic_outputs import add_synthetic_forecasts, add_synthetic_plan

pytestmark = [pytest.mark.spark, pytest.mark.e2e, pytest.mark.dbt, pytest.mark.postgres]

SCHEMA = "analytics_report_saved_queries"
REPORT_MARTS = (
    "demand_features_weekly", "fct_demand_weeks", "dim_product", "dim_warehouse", "fct_demand_forecast",
    "forecast_accuracy", "fct_inventory_policy", "optimization_run_summary", "fct_transfer_plan", "policy_simulation",
)  # fmt: skip
FRAMES = ("product_history", "segment_history", "product_forecast", "segment_forecast", "inventory", "transfers")


def _postgres_type(duckdb_type: str) -> str:
    kind = duckdb_type.upper()
    if kind.startswith(("DECIMAL", "NUMERIC")):
        return kind.replace("DECIMAL", "numeric")
    for prefix, postgres in [("TIMESTAMP WITH TIME ZONE", "timestamptz"), ("TIMESTAMP", "timestamp"),
                             ("DATE", "date"), ("DOUBLE", "double precision"), ("FLOAT", "double precision"),
                             ("BOOLEAN", "boolean"), ("HUGEINT", "numeric"), ("BIGINT", "bigint"),
                             ("INTEGER", "bigint"), ("SMALLINT", "bigint")]:  # fmt: skip
        if kind.startswith(prefix):
            return postgres
    return "text"


def _copy_marts(source: duckdb.DuckDBPyConnection, target: psycopg.Connection) -> None:
    target.execute(f"drop schema if exists {SCHEMA} cascade")
    target.execute(f"create schema {SCHEMA}")
    for table in REPORT_MARTS:
        columns = source.execute(f"describe select * from analytics.{table}").fetchall()
        names = [column[0] for column in columns]
        definition = ", ".join(f'"{name}" {_postgres_type(kind)}' for name, kind, *_ in columns)
        target.execute(f"create table {SCHEMA}.{table} ({definition})")
        rows = source.execute(f"select * from analytics.{table}").fetchall()
        with target.cursor() as cursor, cursor.copy(
            f"copy {SCHEMA}.{table} ({', '.join(f'{chr(34)}{n}{chr(34)}' for n in names)}) from stdin"
        ) as copy:
            for row in rows:
                copy.write_row(row)


def test_the_report_reads_the_same_figures_on_postgres(duckdb_warehouse, postgres_server, tmp_path):
    database = tmp_path / "warehouse.duckdb"
    shutil.copyfile(duckdb_warehouse.options.duckdb_path, database)
    with duckdb.connect(str(database)) as connection:
        add_synthetic_forecasts(connection)
        add_synthetic_plan(connection)
    with duckdb.connect(str(database), read_only=True) as source, psycopg.connect(
        postgres_dsn(), autocommit=True
    ) as postgres:
        _copy_marts(source, postgres)
        assert dialect_of(postgres) == "postgres"
        on_duckdb = read_planning_data(source, saved_queries=SavedQueries(duckdb_warehouse.target_path, "duckdb"))
        # Compiled for PostgreSQL and this test's own schema.
        compiled = SavedQueries(duckdb_warehouse.target_path, "postgres", SCHEMA)
        on_postgres = read_planning_data(postgres, SCHEMA, compiled)
        postgres.execute(f"drop schema {SCHEMA} cascade")
    for name in FRAMES:
        ours, theirs = getattr(on_postgres, name), getattr(on_duckdb, name)
        assert len(ours) > 0, name
        pd.testing.assert_frame_equal(
            ours.reset_index(drop=True), theirs.reset_index(drop=True), check_dtype=False, rtol=1e-9, obj=name
        )

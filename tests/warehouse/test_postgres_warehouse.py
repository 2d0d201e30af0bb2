"""The same warehouse on a real PostgreSQL server: COPY load (idempotent), dbt build, real materialized views."""

from __future__ import annotations

import psycopg
import pyarrow.dataset as ds
import pytest

from foundation.lake import Lake
from foundation.warehouse.build import WarehouseOptions, build, check_processed_zone
from foundation.warehouse.load_postgres import load_postgres, postgres_dsn

pytestmark = [pytest.mark.spark, pytest.mark.e2e, pytest.mark.dbt, pytest.mark.postgres]


def test_load_twice_copies_once_and_changes_nothing(processed_lake, postgres_server):
    lake = Lake(str(processed_lake))
    checked = check_processed_zone(lake)
    first = load_postgres(postgres_dsn(), lake, checked, "processed")
    second = load_postgres(postgres_dsn(), lake, checked, "processed")
    assert set(first.values()) == {"loaded"}
    assert set(second.values()) == {"unchanged"}
    with psycopg.connect(postgres_dsn()) as connection:
        for table in checked:
            count = connection.execute(f"select count(*) from processed.{table.table.name}").fetchone()[0]
            assert count == table.rows, table.table.name
        total = connection.execute("select sum(qty), sum(unit_price * qty) from processed.sales").fetchone()
    sales = ds.dataset(processed_lake / "processed" / "sales", partitioning="hive").to_table().to_pandas()
    assert total[0] == sales["qty"].sum()
    assert float(total[1]) == pytest.approx(float((sales["unit_price"].astype(float) * sales["qty"]).sum()))


def test_dbt_build_passes_with_materialized_views(processed_lake, postgres_server):
    build(Lake(str(processed_lake)), WarehouseOptions(target="postgres"))
    with psycopg.connect(postgres_dsn()) as connection:
        views = {
            row[0] for row in connection.execute("select matviewname from pg_matviews where schemaname = 'analytics'")
        }
        assert views == {"weekly_sales_mv", "weekly_inventory_mv"}
        lines, units = connection.execute("select count(*), sum(quantity) from analytics.fct_sales").fetchone()
        weekly = connection.execute("select sum(units_sold) from analytics.weekly_sales_mv").fetchone()[0]
    sales = ds.dataset(processed_lake / "processed" / "sales", partitioning="hive").to_table()
    assert lines == sales.num_rows
    assert weekly == units


def test_forecasting_reads_weekly_demand_from_postgres(processed_lake, postgres_server):
    from foundation.warehouse.io import read_demand

    history, attributes = read_demand("postgres", None)
    with psycopg.connect(postgres_dsn()) as connection:
        series = connection.execute("select count(distinct series_id) from analytics.demand_features_weekly").fetchone()
    assert history["unique_id"].nunique() == attributes["unique_id"].nunique() == series[0]
    assert history["y"].dtype == float and history["ds"].dt.dayofweek.eq(0).all()

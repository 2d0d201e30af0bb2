"""The same warehouse on a real PostgreSQL server: COPY load (idempotent), dbt build, real materialized views."""

from __future__ import annotations

import psycopg
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from foundation.lake import Lake
from foundation.warehouse.build import WarehouseOptions, build, check_processed_zone
from foundation.warehouse.load_postgres import load_postgres, postgres_dsn

pytestmark = [pytest.mark.spark, pytest.mark.e2e, pytest.mark.dbt, pytest.mark.postgres]


def test_load_twice_copies_once_and_changes_nothing(processed_lake, postgres_server):
    lake = Lake(str(processed_lake))
    checked = check_processed_zone(lake)
    # A schema of its own: other tests on this server load the same lake into `processed` first.
    first = load_postgres(postgres_dsn(), lake, checked, "load_twice")
    second = load_postgres(postgres_dsn(), lake, checked, "load_twice")
    assert set(first.values()) == {"loaded"}
    assert set(second.values()) == {"unchanged"}
    with psycopg.connect(postgres_dsn()) as connection:
        for table in checked:
            count = connection.execute(f"select count(*) from load_twice.{table.table.name}").fetchone()[0]
            assert count == table.rows, table.table.name
        total = connection.execute("select sum(qty), sum(unit_price * qty) from load_twice.sales").fetchone()
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


# What the backfill test reads and what it stands on (their tests too); the whole project builds in the test above.
BACKFILLED = ["--select", "+fct_sales", "+fct_demand_forecast_vintages", "+fct_demand_forecast",
              "+optimization_run_vintages", "--indirect-selection", "cautious"]  # fmt: skip


def test_late_backfill_and_rerun_vintages_on_postgres(lake_copy, tmp_path, postgres_server):
    """The incremental merge on arrival, its delete hook and the vintage models' delete+insert, on PostgreSQL."""
    import shutil

    from tests.samples import WAREHOUSE_SAMPLE
    from tests.warehouse.test_forecast_vintages import as_of_week, forecast, plan
    from tests.warehouse.test_incremental_on_arrival import BACKFILL, split_out_a_backfill

    late_lines = split_out_a_backfill(lake_copy / "processed")
    early = tmp_path / "early"
    shutil.copytree(lake_copy / "processed", early / "processed")
    next((early / "processed" / "sales").rglob(BACKFILL)).unlink()
    as_of = as_of_week(WAREHOUSE_SAMPLE.end)
    for lake, units in ((early, 10.0), (lake_copy, 9.0)):
        forecast(lake, as_of, units)
        plan(lake, WAREHOUSE_SAMPLE.end, products=3)
        build(Lake(str(lake)), WarehouseOptions(target="postgres"), BACKFILLED)
        with psycopg.connect(postgres_dsn()) as connection:
            lines = connection.execute("select count(*) from analytics.fct_sales").fetchone()[0]
        assert lines == sum(pq.read_metadata(p).num_rows for p in (lake / "processed" / "sales").rglob("*.parquet"))
    with psycopg.connect(postgres_dsn()) as connection:
        landed = connection.execute(
            "select count(*) from analytics.fct_sales "
            "where loaded_at > (select min(loaded_at) from analytics.fct_sales)"
        ).fetchone()[0]
        vintages = connection.execute(
            "select as_of_week_start, min(forecast_units), max(forecast_units), count(*) "
            "from analytics.fct_demand_forecast_vintages group by 1"
        ).fetchall()
        current = connection.execute("select count(*) from analytics.fct_demand_forecast").fetchone()[0]
        plans = connection.execute(
            "select plan_date, count(*) from analytics.optimization_run_vintages group by 1"
        ).fetchall()
    assert landed >= late_lines > 0
    assert vintages == [(as_of, 9.0, 9.0, current)]  # the re-run replaced its vintage
    assert plans == [(WAREHOUSE_SAMPLE.end, 1)]

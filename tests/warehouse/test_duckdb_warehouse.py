"""dbt build on the embedded DuckDB target over a lake the real ingestion jobs wrote: marts reconcile with the
processed zone, a rebuild changes nothing, and a failed build leaves the published marts in place."""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
from decimal import ROUND_HALF_UP, Decimal

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from foundation.lake import Lake
from foundation.warehouse.build import BuildFailedError, WarehouseOptions, build

pytestmark = [pytest.mark.spark, pytest.mark.e2e, pytest.mark.dbt]

MART_FINGERPRINTS = {
    "fct_sales": "count(*), sum(quantity), sum(net_revenue), max(updated_at), max(loaded_at)",
    "fct_shipment": "count(*), sum(total_units), sum(case when is_on_time then 1 else 0 end)",
    "fct_inventory_daily": "count(*), sum(on_hand_qty), sum(units_sold)",
    "weekly_sales_mv": "count(*), sum(units_sold), sum(net_revenue)",
    "demand_features_weekly": "count(*), sum(units_sold), sum(units_sold_lag_52), sum(stockout_days)",
    "dim_product": "count(*), count(distinct category)",
    "dim_warehouse": "count(*), sum(case when is_active then 1 else 0 end)",
    "dim_date": "count(*), min(date_day), max(date_day)",
    "analytics_snapshots.products_snapshot": "count(*)",
    "analytics_snapshots.warehouses_snapshot": "count(*)",
}


def fingerprints(database) -> dict[str, tuple]:
    with duckdb.connect(str(database), read_only=True) as connection:
        return {
            name: connection.execute(f"select {expr} from {name if '.' in name else 'analytics.' + name}").fetchone()
            for name, expr in MART_FINGERPRINTS.items()
        }


def revenue_of(sales: pa.Table) -> tuple[Decimal, Decimal]:
    cent = Decimal("0.01")
    gross = net = Decimal(0)
    columns = (sales[c].to_pylist() for c in ("qty", "unit_price", "discount_pct"))
    for qty, price, discount in zip(*columns, strict=True):
        line = Decimal(qty) * price
        gross += line.quantize(cent, ROUND_HALF_UP)
        net += (line * (1 - (discount or Decimal(0)) / 100)).quantize(cent, ROUND_HALF_UP)
    return gross, net


def processed(root, name):
    return ds.dataset(root / "processed" / name, partitioning="hive").to_table()


def test_marts_reconcile_with_the_processed_zone(processed_lake, warehouse):
    sales = processed(processed_lake, "sales")
    with duckdb.connect(str(warehouse.duckdb_path), read_only=True) as connection:
        lines, units = connection.execute("select count(*), sum(quantity) from analytics.fct_sales").fetchone()
        assert (lines, units) == (sales.num_rows, pa.compute.sum(sales["qty"]).as_py())
        # Revenue against the processed Parquet, priced here line by line in decimal arithmetic (cents rounded
        # half up), not by the model's own expression.
        revenue = "select sum(gross_revenue), sum(net_revenue) from analytics.fct_sales"
        gross, net = connection.execute(revenue).fetchone()
        assert (gross, net) == revenue_of(sales)
        weekly_units = connection.execute("select sum(units_sold) from analytics.weekly_sales_mv").fetchone()[0]
        feature_units = connection.execute("select sum(units_sold) from analytics.demand_features_weekly").fetchone()[0]
        assert weekly_units == feature_units == units
        products = connection.execute("select count(*) from analytics.dim_product").fetchone()[0]
        assert products == processed(processed_lake, "products").num_rows
        # Mondays only, and stock-outs flagged as censored demand.
        days = connection.execute("select distinct isodow(week_start) from analytics.demand_features_weekly").fetchall()
        assert days == [(1,)]
        censored = connection.execute(
            "select count(*) from analytics.demand_features_weekly where is_censored and stockout_days > 0"
        ).fetchone()[0]
        assert censored > 0
        # Lags look back exactly one week in the same series.
        mismatched_lags = connection.execute(
            """
            select count(*)
            from analytics.demand_features_weekly as this_week
            inner join analytics.demand_features_weekly as last_week
                on this_week.series_id = last_week.series_id
                and last_week.week_start = this_week.week_start - interval 7 day
            where this_week.units_sold_lag_1 is distinct from last_week.units_sold
            """
        ).fetchone()[0]
        assert mismatched_lags == 0
        # The calendar reaches a year past the last sale, so forecasts have dates to join to.
        last_day = connection.execute("select max(date_day) from analytics.dim_date").fetchone()[0]
        assert last_day >= dt.date(2025, 4, 30)


def test_rebuild_of_the_same_input_changes_nothing(processed_lake, warehouse):
    before = fingerprints(warehouse.duckdb_path)
    build(Lake(str(processed_lake)), warehouse)  # incremental merges and snapshots run over unchanged input
    assert fingerprints(warehouse.duckdb_path) == before


# The sales line's path through the project and the dimension its relationship test reads, with their tests
# (cautious: those whose every parent is built); the failure and the publish guard are the same in a whole build.
SALES_PATH = ["--select", "+fct_sales", "+dim_product", "--indirect-selection", "cautious"]


@pytest.mark.parametrize(
    ("defect", "failing_test"),
    [
        ({"order_id": "SO-BAD-PRODUCT", "product_id": "P99999"}, "relationships_fct_sales_product_id"),
        ({"order_id": "SO-NO-QTY", "qty": None}, "not_null_stg_erp__sales_quantity"),
    ],
    ids=["broken_relationship", "null_quantity"],
)
def test_failed_build_names_what_broke_and_keeps_the_published_marts(
    lake_copy, warehouse, tmp_path, defect, failing_test
):
    live = tmp_path / "warehouse.duckdb"
    shutil.copyfile(warehouse.duckdb_path, live)
    before_bytes = hashlib.sha256(live.read_bytes()).hexdigest()
    before = fingerprints(live)
    # A defect the ingestion rules would have quarantined, written straight into the processed zone.
    month = lake_copy / "processed" / "sales" / "order_month=2024-02"
    first_file = sorted(month.glob("*.parquet"))[0]
    # It arrives late, as corrections do: updated after everything already loaded.
    late = {"updated_at": dt.datetime(2024, 6, 1, 9, 0)}
    row = {**pq.read_table(first_file).slice(0, 1).to_pylist()[0], **defect, **late}
    pq.write_table(pa.Table.from_pylist([row], schema=pq.read_schema(first_file)), month / "part-late.parquet")

    with pytest.raises(BuildFailedError) as failure:
        build(Lake(str(lake_copy)), WarehouseOptions(target="local", duckdb_path=live), SALES_PATH)
    message = str(failure.value)
    assert failing_test in message
    assert "Got 1 result" in message and "failing rows kept in" in message
    assert f"the live warehouse {live} is unchanged" in message
    assert hashlib.sha256(live.read_bytes()).hexdigest() == before_bytes
    assert fingerprints(live) == before
    assert (tmp_path / "warehouse.failed.duckdb").exists()


def test_forecasts_flow_back_into_the_warehouse(lake_copy, warehouse, tmp_path):
    """supplychain forecast's path: demand from the marts, forecasts to the lake, loaded and modelled by dbt."""
    from forecasting.outputs import output_tables
    from forecasting.pipeline import ForecastOptions, run_forecast
    from foundation.warehouse.io import read_demand, write_outputs

    live = tmp_path / "warehouse.duckdb"
    shutil.copyfile(warehouse.duckdb_path, live)
    history, attributes = read_demand("local", live)
    result = run_forecast(history, attributes, ForecastOptions(horizon=2, n_windows=3, n_jobs=1))
    write_outputs(
        Lake(str(lake_copy)),
        output_tables(result, attributes, dt.datetime(2024, 5, 1)),
        result.report,
        source="forecasts",
        stage="forecast",
    )
    build(Lake(str(lake_copy)), WarehouseOptions(target="local", duckdb_path=live), ["--select", "source:forecasts+"])
    with duckdb.connect(str(live), read_only=True) as connection:
        rows, series = connection.execute(
            "select count(*), count(distinct series_id) from analytics.fct_demand_forecast"
        ).fetchone()
        assert series == history["unique_id"].nunique() - len(result.report["rejected"])
        assert rows == series * 2
        levels = connection.execute(
            "select count(distinct hierarchy_level) from analytics.forecast_accuracy where is_chosen"
        ).fetchone()[0]
        assert levels == 4
        # The held-out interval coverage reaches the mart for the chosen method's levels with intervals of their own.
        covered = connection.execute(
            "select count(*) from analytics.forecast_accuracy where is_chosen and coverage_80 between 0 and 1 "
            "and coverage_95 >= coverage_80"
        ).fetchone()[0]
        assert covered >= 2
        # So do the weeks that coverage is of and the rolling coverage over every honest window, as the run measured.
        columns = ["coverage_weeks", "rolling_coverage_80", "rolling_coverage_95", "rolling_coverage_weeks"]
        mart = connection.execute(
            f"select hierarchy_level, {', '.join(columns)} from analytics.forecast_accuracy where is_chosen"
        ).df().set_index("hierarchy_level").sort_index()
        run = result.accuracy[result.accuracy["is_chosen"]].set_index("level").sort_index()
        assert (mart["coverage_weeks"].dropna() > 0).sum() >= 2
        pd.testing.assert_frame_equal(mart[columns].astype(float), run[columns].astype(float), check_names=False)
        summary = connection.execute("select count(*) from analytics.demand_forecast_summary").fetchone()[0]
        assert summary == attributes[["product_id", "region_code"]].drop_duplicates().shape[0]
        # The backtest windows the optimiser's replay plans with: every window of horizon weeks per series.
        weeks = connection.execute(
            "select count(distinct backtest_cutoff), max(weeks) from (select backtest_cutoff, series_id, count(*) as "
            "weeks from analytics.fct_backtest_forecasts group by 1, 2)"
        ).fetchone()
        assert weeks[0] >= 3 and weeks[1] == 2
    assert_the_optimiser_reads_only_marts(live, tmp_path / "marts-only.duckdb")


def assert_the_optimiser_reads_only_marts(live, marts_only):
    """The optimiser's reads succeed on a warehouse that holds the marts alone: staging and intermediate dropped."""
    from optimization.backtest_replay import read_backtest_weeks
    from optimization.warehouse_io import read_inputs

    shutil.copyfile(live, marts_only)
    with duckdb.connect(str(marts_only)) as connection:
        for schema in ("analytics_staging", "analytics_intermediate"):
            connection.execute(f"drop schema {schema} cascade")
    inputs = read_inputs("local", marts_only)
    assert not inputs.lanes.empty and (inputs.lanes["transfer_cost_per_unit"] > 0).all()
    assert (inputs.forecasts["backtest_mae"] > 0).any()
    backtest = read_backtest_weeks("local", marts_only)
    assert backtest["backtest_cutoff"].nunique() >= 3


def test_a_run_loads_each_table_once(lake_copy, tmp_path):
    """`load`, `load-forecasts` and `load-plan` each loaded every table: on Redshift each is a delete and a COPY, so
    every table was replaced three times a run. Each load step now loads what the run produced since the last one:
    the ingested feeds, then the forecast outputs, then the plan's; together, every source table exactly once."""
    from foundation.settings import Settings
    from foundation.stage import Resources
    from foundation.warehouse.contract import source_tables
    from orchestration.pipeline import STEPS
    from orchestration.step_actions import PipelineOptions, RunContext, run_step

    database = tmp_path / "warehouse.duckdb"
    resources = Resources(Settings(), Lake(str(lake_copy)), WarehouseOptions(duckdb_path=database))
    context = RunContext(resources, PipelineOptions(), tmp_path / "run")
    loaded = {}
    for step in [s for s in STEPS if s.action == "load"]:
        loaded[step.name] = run_step(step, context)["loaded"]
    everything = [t.name for t in source_tables()]
    assert sorted(name for names in loaded.values() for name in names) == sorted(everything)
    assert set(loaded["load-plan"]) == {t.name for t in source_tables() if t.source == "optimization"}
    listing = "select table_name from information_schema.tables where table_schema = 'processed'"
    with duckdb.connect(str(database), read_only=True) as connection:
        views = {row[0] for row in connection.execute(listing).fetchall()}
    assert set(everything) <= views

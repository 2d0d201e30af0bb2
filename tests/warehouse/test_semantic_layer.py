"""The semantic layer (models/marts/*/_*__semantic.yml): MetricFlow's own queries on the DuckDB warehouse agree
with an independent SQL computation over the marts, by week and region, and the semantic manifest passes
MetricFlow's validations, every saved query included."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from metricflow.engine.metricflow_engine import MetricFlowQueryRequest
from metricflow_semantic_interfaces.validations.semantic_manifest_validator import SemanticManifestValidator

from foundation.lake import Lake
from foundation.warehouse.build import WarehouseOptions, build
from foundation.warehouse.dbt_runner import target_folder
from foundation.warehouse.io import write_outputs
from tests.warehouse.metricflow_support import metric_frame, metricflow_engine, semantic_manifest

pytestmark = [pytest.mark.spark, pytest.mark.e2e, pytest.mark.dbt]

# What the issue asks of the semantic layer, by name.
REQUIRED_METRICS = {
    "units_sold", "net_revenue", "average_on_hand", "stockout_rate", "days_of_cover", "fill_rate",
    "on_time_delivery_rate", "forecast_accuracy", "forecast_bias", "units_moved", "transfer_cost",
}


@pytest.fixture(scope="module")
def engine(duckdb_warehouse):
    with duckdb.connect(str(duckdb_warehouse.options.duckdb_path), read_only=True) as connection:
        yield metricflow_engine(duckdb_warehouse.target_path, connection), connection


def _compare(engine, connection, metrics, group_by, independent_sql):
    """MetricFlow's figures and the SQL's, joined on the group-by columns: same groups, same values."""
    mf_engine, _ = engine
    ours = metric_frame(mf_engine, metric_names=metrics, group_by_names=group_by)
    theirs = connection.execute(independent_sql).df()
    theirs.columns = [*group_by, *metrics]
    keys = list(group_by)
    for frame in (ours, theirs):
        frame[keys[0]] = pd.to_datetime(frame[keys[0]])
    assert len(ours) == len(theirs) > 0
    joined = ours.merge(theirs, on=keys, how="outer", suffixes=("_mf", "_sql"), indicator=True)
    assert (joined["_merge"] == "both").all(), joined[joined["_merge"] != "both"]
    for metric in metrics:
        np.testing.assert_allclose(
            joined[f"{metric}_mf"].astype(float), joined[f"{metric}_sql"].astype(float), rtol=1e-9, err_msg=metric
        )


def test_sales_metrics_by_week_and_region_on_the_day(engine):
    _, connection = engine
    _compare(engine, connection, ["units_sold", "net_revenue"], ["metric_time__week", "region_on_day"], """
        select week_start, region_code, sum(quantity), sum(net_revenue)
        from analytics.fct_sales group by week_start, region_code
    """)


def test_stock_metrics_are_ratios_of_sums_by_week_and_region_now(engine):
    """Stock-out rate and days of cover are ratios of weekly sums, not averages of the per-row ratios."""
    _, connection = engine
    _compare(
        engine, connection, ["stockout_rate", "days_of_cover", "average_on_hand"],
        ["metric_time__week", "warehouse__region_now"],
        """
        select
            stock.week_start, warehouses.region_code,
            sum(case when stock.is_stockout then 1 else 0 end) / count(*),
            sum(stock.on_hand_qty) / nullif(sum(stock.avg_daily_units_sold), 0),
            avg(stock.on_hand_qty)
        from analytics.fct_inventory_daily as stock
        left join analytics.dim_warehouse as warehouses on stock.warehouse_id = warehouses.warehouse_id
        group by stock.week_start, warehouses.region_code
        """,
    )
    mf_engine, _ = engine
    weekly = metric_frame(mf_engine, metric_names=["days_of_cover"], group_by_names=["metric_time__week"])
    averaged_ratio = connection.execute(
        "select week_start, avg(days_of_cover) from analytics.fct_inventory_daily group by week_start"
    ).df()
    # The stored per-row ratio, averaged, is a different (and wrong) figure: the metric must not be it.
    assert not np.allclose(np.sort(weekly["days_of_cover"].astype(float)), np.sort(averaged_ratio.iloc[:, 1]))


def test_on_time_delivery_rate_counts_delivered_shipments_only(engine):
    _, connection = engine
    _compare(
        engine, connection, ["on_time_delivery_rate"], ["metric_time__week", "warehouse__region_now"],
        """
        select
            date_trunc('week', shipments.delivered_date), warehouses.region_code,
            sum(case when shipments.is_on_time then 1 else 0 end) / count(*)
        from analytics.fct_shipment as shipments
        left join analytics.dim_warehouse as warehouses on shipments.warehouse_id = warehouses.warehouse_id
        where shipments.is_delivered
        group by 1, 2
        """,
    )


def test_the_semantic_manifest_validates_and_every_saved_query_runs(engine, duckdb_warehouse):
    manifest = semantic_manifest(duckdb_warehouse.target_path)
    results = SemanticManifestValidator().validate_semantic_manifest(manifest)
    assert not results.has_blocking_issues, results.errors
    assert {metric.name for metric in manifest.metrics} >= REQUIRED_METRICS
    mf_engine, _ = engine
    assert len(manifest.saved_queries) >= 5
    for saved_query in manifest.saved_queries:
        # Runs on the real warehouse; plan marts are empty before `supplychain optimize`, so rows may be none.
        mf_engine.query(MetricFlowQueryRequest.create(saved_query_name=saved_query.name))


def test_forecast_accuracy_and_bias_are_ratios_of_sums_over_uncensored_weeks(duckdb_warehouse, lake_copy, tmp_path):
    """Backtest forecasts written the way `supplychain forecast` writes them, then loaded and modelled: accuracy
    (1 - WAPE) and bias by week and region now equal the same sums taken in pandas, censored weeks left out."""
    live = tmp_path / "warehouse.duckdb"
    shutil.copyfile(duckdb_warehouse.options.duckdb_path, live)
    with duckdb.connect(str(live), read_only=True) as connection:
        demand = connection.execute(
            "select series_id, week_start, units_sold, is_censored, current_region_code "
            "from analytics.demand_features_weekly"
        ).df()
    last_weeks = sorted(demand["week_start"].unique())[-5:-1]
    scored = demand[demand["week_start"].isin(last_weeks)].copy()
    noise = np.random.default_rng(5).uniform(0.5, 1.5, len(scored))
    scored["forecast_units"] = scored["units_sold"] * noise + 1.0
    backtest = pd.DataFrame({
        "series_id": scored["series_id"],
        "cutoff": pd.Timestamp(last_weeks[0]) - pd.Timedelta(days=7),
        "week_start": scored["week_start"],
        "forecast_units": scored["forecast_units"],
    })
    write_outputs(Lake(str(lake_copy)), {"forecast_backtest_weeks": backtest}, {}, source="forecasts", stage="forecast")
    build(Lake(str(lake_copy)), WarehouseOptions(target="local", duckdb_path=live), ["--select", "source:forecasts+"])

    usable = scored[~scored["is_censored"].astype(bool)].assign(
        abs_error=lambda f: (f["forecast_units"] - f["units_sold"]).abs(),
        error=lambda f: f["forecast_units"] - f["units_sold"],
    )
    sums = usable.groupby(["week_start", "current_region_code"])[["abs_error", "error", "units_sold"]].sum()
    expected = pd.DataFrame({
        "forecast_accuracy": 1 - sums["abs_error"] / sums["units_sold"],
        "forecast_bias": sums["error"] / sums["units_sold"],
    }).reset_index()
    expected["week_start"] = pd.to_datetime(expected["week_start"])
    assert len(expected) > 0 and usable["is_censored"].size < scored.size  # some weeks really are censored

    with duckdb.connect(str(live), read_only=True) as connection:
        engine = metricflow_engine(Path(target_folder()), connection)
        ours = metric_frame(engine, metric_names=["forecast_accuracy", "forecast_bias"],
                            group_by_names=["metric_time__week", "region_now"])
    ours["metric_time__week"] = pd.to_datetime(ours["metric_time__week"])
    joined = ours.merge(expected, left_on=["metric_time__week", "region_now"],
                        right_on=["week_start", "current_region_code"], how="outer", suffixes=("_mf", "_pd"))
    assert len(joined) == len(ours) == len(expected)
    for metric in ("forecast_accuracy", "forecast_bias"):
        np.testing.assert_allclose(joined[f"{metric}_mf"].astype(float), joined[f"{metric}_pd"], rtol=1e-9)

"""The report and a BI tool agree: every metric figure of the planning report equals what MetricFlow's own engine
returns for the saved query on the same DuckDB warehouse, the demand history is still the full weeks by region
now that forecasting reads, and the compiled SQL is kept until the semantic manifest changes."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from analyst.report.data import COLUMNS, read_planning_data
from analyst.saved_queries import MANIFEST, SQL_CACHE, SavedQueries
from foundation.warehouse.dbt_runner import target_folder
from foundation.warehouse.io import full_weeks_sql
from tests.warehouse.metricflow_support import metric_frame, metricflow_engine

pytestmark = [pytest.mark.spark, pytest.mark.e2e, pytest.mark.dbt]

# Kept forecasts scored at two lags, so the accuracy-by-lag saved queries have rows.
SCORED = [(1, dt.date(2024, 4, 1), "A", 12.0, 10.0, True, 8.0), (1, dt.date(2024, 4, 8), "B", 3.0, 5.0, False, None),
          (4, dt.date(2024, 4, 8), "A", 16.0, 10.0, False, 10.0)]  # fmt: skip


@pytest.fixture(scope="module")
def report_warehouse(planning_warehouse, tmp_path_factory) -> Path:
    database = tmp_path_factory.mktemp("saved-queries") / "warehouse.duckdb"
    shutil.copyfile(planning_warehouse, database)
    with duckdb.connect(str(database)) as connection:
        for lag, week, series, forecast, actual, inside, naive in SCORED:
            connection.execute(
                "insert into analytics.forecast_accuracy_by_lag (forecast_vintage_id, week_start, lag_weeks, "
                "series_id, forecast_units, actual_units, error_units, abs_error_units, is_within_80, "
                "naive_abs_error_units) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [f"{lag}{week}{series}", week, lag, series, forecast, actual, forecast - actual,
                 abs(forecast - actual), inside, None if naive is None else abs(naive - actual)],
            )  # fmt: skip
    return database


def _metricflow(connection, name: str) -> pd.DataFrame:
    """The saved query as MetricFlow's engine runs it (not the report's compile-and-cache path), report-named."""
    frame = metric_frame(metricflow_engine(Path(target_folder()), connection), saved_query_name=name)
    frame = frame.rename(columns=COLUMNS)
    for column in ("week_start", "plan_date"):
        if column in frame:
            frame[column] = pd.to_datetime(frame[column])
    return frame


def _assert_same(ours: pd.DataFrame, theirs: pd.DataFrame, keys: list[str]) -> None:
    """Same rows on `keys`, same figures in every other column the report shows."""
    figures = [column for column in ours.columns if column not in keys and column in theirs.columns]
    assert len(ours) > 0 and figures
    joined = ours.merge(theirs, on=keys, how="left", suffixes=("", "_mf"), validate="one_to_one")
    for figure in figures:
        if pd.api.types.is_numeric_dtype(ours[figure]):
            np.testing.assert_allclose(
                joined[figure].astype(float), joined[f"{figure}_mf"].astype(float), rtol=1e-9, err_msg=figure
            )
        else:  # an attribute beside the figures (the warehouse's region)
            assert (joined[figure] == joined[f"{figure}_mf"]).all(), figure


def test_every_report_figure_is_the_saved_query_result(report_warehouse):
    with duckdb.connect(str(report_warehouse), read_only=True) as connection:
        data = read_planning_data(connection)
        by_product = _metricflow(connection, "weekly_demand_by_product")
        by_segment = _metricflow(connection, "weekly_demand_by_category_and_region_now")
        forecast_by_product = _metricflow(connection, "weekly_forecast_by_product")
        forecast_by_segment = _metricflow(connection, "weekly_forecast_by_category_and_region_now")
        stock = _metricflow(connection, "plan_stock_by_warehouse")
        lanes = _metricflow(connection, "plan_transfers_by_lane")
        by_lag_and_week = _metricflow(connection, "forecast_accuracy_by_lag_and_week")
        by_lag = _metricflow(connection, "forecast_accuracy_by_lag")

    _assert_same(data.product_history, by_product, ["product_id", "week_start"])
    _assert_same(data.segment_history, by_segment, ["category", "region_code", "week_start"])
    _assert_same(data.product_forecast, forecast_by_product, ["product_id", "week_start"])
    _assert_same(data.segment_forecast, forecast_by_segment, ["category", "region_code", "week_start"])
    # The report shows the latest plan day whole: every warehouse and lane of it, none dropped.
    latest = stock["plan_date"].max()
    _assert_same(data.inventory, stock[stock["plan_date"] == latest], ["warehouse_id"])
    assert len(data.inventory) == (stock["plan_date"] == latest).sum()
    _assert_same(data.transfers, lanes[lanes["plan_date"] == latest], ["from_warehouse_id", "to_warehouse_id"])
    assert len(data.transfers) == (lanes["plan_date"] == latest).sum()
    by_lag_and_week["lag_weeks"] = by_lag_and_week["lag_weeks"].astype(int)
    by_lag["lag_weeks"] = by_lag["lag_weeks"].astype(int)
    _assert_same(data.accuracy_by_lag.fillna(-9.0), by_lag_and_week.fillna(-9.0), ["lag_weeks", "week_start"])
    _assert_same(data.accuracy_by_lag_totals.fillna(-9.0), by_lag.fillna(-9.0), ["lag_weeks"])
    # Lag 1 over both weeks: 4 of 15 units wrong, so 1 - 4/15, not the mean of the weekly ratios.
    assert data.accuracy_by_lag_totals.set_index("lag_weeks").loc[1, "accuracy"] == pytest.approx(1 - 4 / 15)


def test_the_history_is_the_full_weeks_by_region_now_that_forecasting_reads(report_warehouse):
    """An independent computation over demand_features_weekly (foundation's full-weeks rule, the warehouse's
    region now): the saved query's weekly demand is the same figure, week for week."""
    with duckdb.connect(str(report_warehouse), read_only=True) as connection:
        data = read_planning_data(connection)
        independent = connection.execute(
            f"select category, current_region_code as region_code, week_start, sum(units_sold) as units_sold "
            f"from ({full_weeks_sql('*')}) as weeks group by 1, 2, 3"
        ).df()
    independent["week_start"] = pd.to_datetime(independent["week_start"])
    shown = independent[independent["week_start"] >= data.segment_history["week_start"].min()]
    assert len(shown) == len(data.segment_history)
    _assert_same(data.segment_history, shown, ["category", "region_code", "week_start"])


def test_the_compiled_sql_is_kept_until_the_manifest_changes(built_warehouse, tmp_path):
    target = tmp_path / "target"
    target.mkdir()
    shutil.copyfile(Path(target_folder()) / MANIFEST, target / MANIFEST)
    first = SavedQueries(target, "duckdb")
    assert "weekly_demand_by_product" in first.names and "from analytics.fct_demand_weeks" in (
        first.sql("weekly_demand_by_product").lower()
    )
    # A second report reads the kept SQL: marked here, the mark comes back without a compile.
    kept = json.loads((target / SQL_CACHE).read_text())
    kept["sql"]["weekly_demand_by_product"] = "select 'kept' as marker"
    (target / SQL_CACHE).write_text(json.dumps(kept))
    assert SavedQueries(target, "duckdb").sql("weekly_demand_by_product") == "select 'kept' as marker"
    # Another dialect, another schema or a changed manifest compiles afresh.
    assert "kept" not in SavedQueries(target, "postgres").sql("weekly_demand_by_product")
    # Redshift has no server here: every saved query at least compiles with MetricFlow's Redshift renderer.
    redshift = SavedQueries(target, "redshift")
    assert all("from analytics." in redshift.sql(name).lower() for name in redshift.names)
    assert "from analytics_alice.fct_demand_weeks" in (
        SavedQueries(target, "duckdb", "analytics_alice").sql("weekly_demand_by_product").lower()
    )
    (target / MANIFEST).write_text((target / MANIFEST).read_text() + os.linesep)
    assert "kept" not in SavedQueries(target, "duckdb").sql("weekly_demand_by_product")


def test_without_a_semantic_manifest_the_report_names_the_command(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"semantic_manifest\.json is missing — run `supplychain build`"):
        SavedQueries(tmp_path, "duckdb")

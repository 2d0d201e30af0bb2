"""The warehouse of record, replayed: a lake ingested day by day with --run-date, a forecast and a plan written at
each step, the warehouse built after each. Every vintage is kept (a re-run of the same as-of week replaces its
own), the newest is the current mart, retention trims the oldest, and forecast_accuracy_by_lag scores each vintage
against the actuals that arrived later, checked row by row against a computation in pandas."""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd
import pyarrow.dataset as ds
import pytest

from foundation.lake import Lake
from foundation.warehouse.build import WarehouseOptions, build
from foundation.warehouse.io import write_outputs
from ingestion.batch import RunOptions
from ingestion.runner import ingest_all
from sample_data.generate import generate
from tests.samples import WAREHOUSE_SAMPLE

pytestmark = [pytest.mark.spark, pytest.mark.e2e, pytest.mark.dbt]

WEEK = dt.timedelta(days=7)
LAGS = (1, 2, 4, 8)
# What the test reads and everything those marts stand on, with the tests of them whose every parent is built
# (cautious); the rest of the project is not built.
CAUTIOUS = ["--indirect-selection", "cautious"]
# weekly_sales_mv: a test downstream of the forecasts (selected by the re-run's `source:forecasts+`) reads it.
SCORED = ["--select", "+forecast_accuracy_by_lag", "+fct_demand_forecast", "+fct_inventory_policy_vintages",
          "+optimization_run_vintages", "+demand_features_weekly", "+weekly_sales_mv", *CAUTIOUS]  # fmt: skip


def as_of_week(run_date: dt.date) -> dt.date:
    """The last complete week on run_date: the Monday of the week before run_date's."""
    return run_date - dt.timedelta(days=run_date.weekday()) - WEEK


def series(lake) -> list[tuple[str, str]]:
    """Product x warehouse pairs with stock snapshots so far (the series the forecast covers)."""
    inventory = ds.dataset(lake / "processed" / "inventory", partitioning="hive").to_table(
        columns=["product_id", "warehouse_id"]
    )
    return sorted(set(zip(inventory["product_id"].to_pylist(), inventory["warehouse_id"].to_pylist(), strict=True)))


def attributes(lake) -> tuple[dict, dict]:
    """(warehouse -> region now, product -> top-level category), as the forecast's attributes carry them."""
    warehouses = ds.dataset(lake / "processed" / "warehouses").to_table(columns=["warehouse_id", "region"])
    products = ds.dataset(lake / "processed" / "products").to_table(columns=["product_id", "category"])
    return (
        dict(zip(warehouses["warehouse_id"].to_pylist(), warehouses["region"].to_pylist(), strict=True)),
        {p: c.split("/")[0] for p, c in zip(products["product_id"].to_pylist(), products["category"].to_pylist(),
                                             strict=True)},
    )  # fmt: skip


def forecast(lake, as_of: dt.date, units: float) -> None:
    """A forecast run's demand_forecast: `units` per week for 8 weeks after as_of, every series."""
    regions, categories = attributes(lake)
    rows = [
        {"series_id": f"{product}|{warehouse}", "product_id": product, "warehouse_id": warehouse,
         "region_code": regions[warehouse], "category": categories[product], "model": "Hand", "forecast_units": units,
         "lo_80": units - 3, "hi_80": units + 3, "lo_95": units - 6, "hi_95": units + 6,
         "week_start": as_of + lag * WEEK, "forecast_run_at": dt.datetime(2030, 1, 1)}
        for product, warehouse in series(lake)
        for lag in range(1, 9)
    ]  # fmt: skip
    write_outputs(Lake(str(lake)), {"demand_forecast": pd.DataFrame(rows)}, {}, source="forecasts", stage="forecast")


def plan(lake, plan_date: dt.date, products: int) -> None:
    """An optimisation run's policy (one site per product for the first `products`), no moves, and its summary."""
    pairs = series(lake)[:products]
    numbers = ["lead_time_demand", "lead_sigma", "cover_demand", "cover_sigma", "safety_stock", "reorder_point",
               "target_level", "horizon_demand", "weekly_demand", "service_level", "on_hand_qty", "on_order_qty",
               "in_transit_qty", "inventory_position", "days_of_cover", "overstock_units", "deficit_units"]  # fmt: skip
    regions, categories = attributes(lake)
    policy = pd.DataFrame(
        [{"product_id": p, "warehouse_id": w, "region_code": regions[w], "category": categories[p],
          "lead_time_days": 7, **dict.fromkeys(numbers, 1.0), "target_level": 2.0, "service_level": 0.95,
          "plan_date": plan_date} for p, w in pairs]
    )  # fmt: skip
    transfers = pd.DataFrame(
        columns=["product_id", "from_warehouse_id", "to_warehouse_id", "units", "transfer_cost", "lead_time_days",
                 "arrival_week", "reason", "expected_benefit", "plan_date", "arrival_date"]
    )  # fmt: skip
    summary = pd.DataFrame(
        [{"plan_date": plan_date, "service_level": 0.95, "solver": "highs", "products_planned": products,
          "sites": products, "transfers": 0, "units_moved": 0, "transfer_cost": 0.0,
          "expected_stockout_units_avoided": 0.0, "expected_excess_units_reduced": 0.0, "expected_value": 0.0,
          "problems": 0, "planned_at": dt.datetime(2030, 1, 1), "problem_messages": None}]
    )  # fmt: skip
    tables = {"inventory_policy": policy, "transfer_plan": transfers, "optimization_run_summary": summary}
    write_outputs(Lake(str(lake)), tables, {}, source="optimization", stage="optimize")


def expected_accuracy(demand: pd.DataFrame, vintages: dict[dt.date, float]) -> pd.DataFrame:
    """forecast_accuracy_by_lag computed by hand from the weekly actuals and the forecasts written."""
    demand = demand.sort_values(["series_id", "week_start"])
    complete = set(demand.groupby("week_start")["days_observed"].max().loc[lambda s: s == 7].index)
    actual = {(r.series_id, r.week_start): float(r.units_sold) for r in demand.itertuples()}
    rows = []
    for as_of, units in vintages.items():
        for series_id, weeks in demand.groupby("series_id"):
            known = weeks[(weeks["week_start"] <= as_of) & weeks["week_start"].isin(complete)]
            consecutive = known["week_start"].diff().eq(pd.Timedelta(days=7))
            changes = known["units_sold"].diff().abs()[consecutive]
            scale = changes.mean() if len(changes) else None
            naive = actual.get((series_id, as_of))
            for lag in LAGS:
                week = as_of + lag * WEEK
                if week not in complete or (series_id, week) not in actual:
                    continue
                value = actual[(series_id, week)]
                rows.append({
                    "as_of_week_start": as_of, "series_id": series_id, "week_start": week, "lag_weeks": lag,
                    "actual_units": value, "error_units": units - value,
                    "scaled_abs_error": abs(units - value) / scale if scale else None,
                    "is_within_80": units - 3 <= value <= units + 3, "is_within_95": units - 6 <= value <= units + 6,
                    "value_added_units": None if naive is None else abs(naive - value) - abs(units - value),
                })  # fmt: skip
    return pd.DataFrame(rows)


def test_vintages_are_kept_replaced_and_scored_by_lag_as_actuals_arrive(spark, tmp_path):
    lake = tmp_path / "lake"
    generate(lake, WAREHOUSE_SAMPLE)
    options = WarehouseOptions(target="local", duckdb_path=tmp_path / "warehouse.duckdb")
    written = {}
    for step, run_date in enumerate((dt.date(2024, 3, 6), dt.date(2024, 3, 20), WAREHOUSE_SAMPLE.end)):
        reports = ingest_all(spark, Lake(str(lake)), RunOptions(run_date=run_date))
        assert {r.status for r in reports} <= {"succeeded", "no_new_files"}, [(r.entity, r.status) for r in reports]
        as_of = as_of_week(run_date)
        written[as_of] = 10.0 + step
        forecast(lake, as_of, written[as_of])
        plan(lake, run_date, products=3 + step)
        build(Lake(str(lake)), options, SCORED)
        if step == 0:  # the same day run again with other numbers: its vintages are replaced, not doubled
            written[as_of] = 9.0
            forecast(lake, as_of, written[as_of])
            plan(lake, run_date, products=2)
            rerun = ["--select", "source:forecasts+", "source:optimization+", *CAUTIOUS]
            build(Lake(str(lake)), options, rerun)

    with duckdb.connect(str(options.duckdb_path), read_only=True) as connection:
        vintages = connection.execute(
            "select as_of_week_start, count(*), count(distinct series_id), min(forecast_units), max(forecast_units),"
            " min(lag_weeks), max(lag_weeks) from analytics.fct_demand_forecast_vintages group by 1 order by 1"
        ).fetchall()
        newest = connection.execute(
            "select count(*), sum(forecast_units) from analytics.fct_demand_forecast_vintages "
            "where as_of_week_start = (select max(as_of_week_start) from analytics.fct_demand_forecast_vintages)"
        ).fetchone()
        current = connection.execute(
            "select count(*), sum(forecast_units) from analytics.fct_demand_forecast"
        ).fetchone()
        plans = connection.execute(
            "select plan_date, count(*) from analytics.fct_inventory_policy_vintages group by 1 order by 1"
        ).fetchall()
        runs = connection.execute(
            "select plan_date, products_planned from analytics.optimization_run_vintages order by 1"
        ).fetchall()
        scored = connection.execute(
            "select as_of_week_start, series_id, week_start, lag_weeks, actual_units, error_units, scaled_abs_error,"
            " is_within_80, is_within_95, value_added_units from analytics.forecast_accuracy_by_lag"
        ).df()
        demand = connection.execute(
            "select series_id, week_start, units_sold, days_observed from analytics.demand_features_weekly"
        ).df()

    assert [row[0] for row in vintages] == sorted(written)
    for as_of, rows, series_count, low, high, first_lag, last_lag in vintages:
        assert rows == series_count * 8 and (first_lag, last_lag) == (1, 8)
        assert low == high == written[as_of]  # the re-run's numbers, once
    assert newest == current  # the current mart is the newest vintage
    run_dates = [dt.date(2024, 3, 6), dt.date(2024, 3, 20), WAREHOUSE_SAMPLE.end]
    assert plans == [(run_dates[0], 2), (run_dates[1], 4), (run_dates[2], 5)]
    assert runs == [(run_dates[0], 2), (run_dates[1], 4), (run_dates[2], 5)]

    demand["week_start"] = pd.to_datetime(demand["week_start"]).dt.date
    scored["week_start"] = pd.to_datetime(scored["week_start"]).dt.date
    scored["as_of_week_start"] = pd.to_datetime(scored["as_of_week_start"]).dt.date
    expected = expected_accuracy(demand, written)
    assert set(expected["lag_weeks"]) == set(LAGS)  # the replay reaches eight weeks ahead
    key = ["as_of_week_start", "series_id", "week_start"]
    merged = expected.merge(scored, on=key, how="outer", suffixes=("_expected", "_mart"), indicator=True)
    assert (merged["_merge"] == "both").all(), merged[merged["_merge"] != "both"][[*key, "_merge"]].head()
    for column in ("lag_weeks", "actual_units", "error_units", "is_within_80", "is_within_95"):
        assert (merged[f"{column}_expected"] == merged[f"{column}_mart"]).all(), column
    for column in ("scaled_abs_error", "value_added_units"):
        pd.testing.assert_series_equal(
            merged[f"{column}_expected"].astype(float), merged[f"{column}_mart"].astype(float), check_names=False
        )

    # Retention: vintages more than 6 weeks before the newest go; the newest and those within stay.
    build(
        Lake(str(lake)), options, ["--select", "fct_demand_forecast_vintages", "--vars", "{vintage_retention_weeks: 6}"]
    )
    with duckdb.connect(str(options.duckdb_path), read_only=True) as connection:
        kept = [r[0] for r in connection.execute(
            "select distinct as_of_week_start from analytics.fct_demand_forecast_vintages order by 1"
        ).fetchall()]  # fmt: skip
    newest_as_of = max(written)
    assert kept == [d for d in sorted(written) if d >= newest_as_of - 6 * WEEK]
    assert len(kept) < len(written)

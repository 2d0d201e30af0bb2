"""demand_features_weekly is a real weekly grid: a week in which no stock snapshot arrived still has a row for
every series that spans it (filled and flagged), and lags count weeks, not rows."""

from __future__ import annotations

import datetime as dt

import duckdb
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from foundation.lake import Lake
from foundation.warehouse.build import WarehouseOptions, build

pytestmark = [pytest.mark.spark, pytest.mark.e2e, pytest.mark.dbt]
LOST_WEEK = dt.date(2024, 2, 12)  # a Monday inside the sample; every snapshot of its seven days goes missing


def drop_a_week_of_snapshots(processed) -> int:
    dropped = 0
    for path in sorted((processed / "inventory").rglob("*.parquet")):
        table = pq.read_table(path)
        day = table["snapshot_date"]
        lost = pc.and_(pc.greater_equal(day, LOST_WEEK), pc.less(day, LOST_WEEK + dt.timedelta(days=7)))
        dropped += pc.sum(lost.cast("int64")).as_py() or 0
        pq.write_table(table.filter(pc.invert(lost)), path)
    return dropped


def test_a_week_without_snapshots_keeps_every_series_on_the_grid(lake_copy, tmp_path):
    assert drop_a_week_of_snapshots(lake_copy / "processed") > 0
    database = tmp_path / "warehouse.duckdb"
    # Only the two marts read below and what they are built from, with the tests of those nodes alone (cautious: a
    # relationship test to a model not built is left out), not all of the project's nodes.
    build(Lake(str(lake_copy)), WarehouseOptions(target="local", duckdb_path=database),
          ["--select", "+demand_features_weekly", "+fct_sales", "--indirect-selection", "cautious"])  # fmt: skip
    with duckdb.connect(str(database), read_only=True) as connection:
        gaps = connection.execute(
            "select series_id, count(*), min(week_start), max(week_start) from analytics.demand_features_weekly "
            "group by series_id having count(*) <> datediff('week', min(week_start), max(week_start)) + 1"
        ).fetchall()
        assert gaps == []  # every series has every week from its first to its last
        lost = connection.execute(
            "select count(*), count(*) filter (where days_observed = 0 and is_partial_week), "
            "count(*) filter (where is_filled_week), sum(units_sold) from analytics.demand_features_weekly "
            "where week_start = ?",
            [LOST_WEEK],
        ).fetchone()
        spanning = connection.execute(
            "select count(*) from (select series_id from analytics.demand_features_weekly group by series_id "
            "having min(week_start) < ? and max(week_start) > ?)",
            [LOST_WEEK, LOST_WEEK],
        ).fetchone()[0]
        units_that_week = connection.execute(
            "select coalesce(sum(quantity), 0) from analytics.fct_sales where week_start = ?", [LOST_WEEK]
        ).fetchone()[0]
        # Lags by calendar: each lag equals the units of the week that many weeks before, or null before the series.
        wrong_lags = connection.execute(
            """
            select count(*)
            from analytics.demand_features_weekly as this_week
            left join analytics.demand_features_weekly as back
                on back.series_id = this_week.series_id
                and back.week_start = this_week.week_start - to_weeks(4)
            where this_week.units_sold_lag_4 is distinct from back.units_sold
            """
        ).fetchone()[0]
    rows, unobserved, filled, units = lost
    assert rows == spanning > 0 and unobserved == rows  # every spanning series has the week, flagged unobserved
    assert 0 < filled < rows  # series with no sale that week are filled; those with sales keep their units
    assert units == units_that_week
    assert wrong_lags == 0

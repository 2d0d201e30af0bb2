"""weekly_sales_mv holds one row per week x product x warehouse, also in the week a warehouse changes region
(issue 26): the whole week goes to the region of the warehouse's latest sale that week, and no unit is lost or
counted twice. The sample's re-assigned warehouse moves on a weekday with sales on both sides of the move."""

from __future__ import annotations

import duckdb
import pytest

pytestmark = [pytest.mark.spark, pytest.mark.e2e, pytest.mark.dbt]


def test_a_week_split_by_a_region_move_is_one_row_in_the_latest_sales_region(warehouse):
    with duckdb.connect(str(warehouse.duckdb_path), read_only=True) as connection:
        lines = connection.execute(
            "select warehouse_id, product_id, week_start, order_date, region_code, quantity, net_revenue "
            "from analytics.fct_sales"
        ).df()
        weekly = connection.execute("select * from analytics.weekly_sales_mv").df()

    regions_per_week = lines.groupby(["warehouse_id", "week_start"])["region_code"].nunique()
    split_weeks = regions_per_week[regions_per_week > 1].index
    assert len(split_weeks) >= 1, "the sample should hold a warehouse week that spans a region move"

    keys = ["week_start", "product_id", "warehouse_id"]
    assert not weekly.duplicated(keys).any(), weekly[weekly.duplicated(keys, keep=False)]
    for warehouse_id, week_start in split_weeks:
        week_lines = lines[(lines["warehouse_id"] == warehouse_id) & (lines["week_start"] == week_start)]
        latest_region = week_lines.sort_values("order_date")["region_code"].iloc[-1]
        rows = weekly[(weekly["warehouse_id"] == warehouse_id) & (weekly["week_start"] == week_start)]
        assert set(rows["region_code"]) == {latest_region}
        assert rows["units_sold"].sum() == week_lines["quantity"].sum()
        assert float(rows["net_revenue"].sum()) == pytest.approx(float(week_lines["net_revenue"].sum()), abs=0.005)
        assert len(rows) == week_lines["product_id"].nunique()

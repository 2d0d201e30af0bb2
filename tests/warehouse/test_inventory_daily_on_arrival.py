"""fct_inventory_daily and int_sales_lines_deduplicated are incremental on arrival: a daily build recomputes the
rows the new day reaches and leaves every older row as it was, and a build over the same input again changes
nothing. Asserted from the warehouse: rows altered by hand far from the new day survive the incremental build (a
full rebuild would recompute them), and once they are put back the warehouse equals one built with everything at
once.
"""

from __future__ import annotations

import shutil

import duckdb
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from foundation.lake import Lake
from foundation.warehouse.build import WarehouseOptions, build
from tests.warehouse.test_incremental_on_arrival import checksums

pytestmark = [pytest.mark.spark, pytest.mark.e2e, pytest.mark.dbt]

ALTERED = -1.0  # no trailing demand is negative
# The two incremental models and what they stand on (their tests too): nothing else is read here.
ON_ARRIVAL = ["--select", "+fct_inventory_daily", "+int_sales_lines_deduplicated", "--indirect-selection", "cautious"]


def hold_back_the_last_day(processed) -> str:
    """Removes the last day's snapshots and sales from the processed zone; returns that day."""
    last = max(
        pc.max(pq.read_table(path, columns=["snapshot_date"])["snapshot_date"]).as_py()
        for path in (processed / "inventory").rglob("*.parquet")
    )
    for entity, column in (("inventory", "snapshot_date"), ("sales", "order_date")):
        for path in (processed / entity).rglob("*.parquet"):
            table = pq.read_table(path)
            pq.write_table(table.filter(pc.not_equal(table[column], last)), path)
    return last.isoformat()


def inventory_days(database, sql: str, parameters=()):
    with duckdb.connect(str(database), read_only=True) as connection:
        return connection.execute(sql, list(parameters)).fetchall()


def test_a_daily_build_recomputes_only_the_rows_the_new_day_reaches(warehouse, processed_lake, tmp_path):
    early = tmp_path / "early"
    shutil.copytree(processed_lake / "processed", early / "processed")
    new_day = hold_back_the_last_day(early / "processed")

    database = tmp_path / "daily.duckdb"
    options = WarehouseOptions(target="local", duckdb_path=database)
    build(Lake(str(early)), options, ON_ARRIVAL)
    # A row two months before the new day, altered: only a build that recomputes it puts it back.
    with duckdb.connect(str(database)) as connection:
        altered = connection.execute(
            "update analytics.fct_inventory_daily set avg_daily_units_sold = ? "
            "where snapshot_date < cast(? as date) - interval 60 day returning inventory_day_id",
            [ALTERED, new_day],
        ).fetchall()
    assert altered
    with duckdb.connect(str(database)) as connection:
        altered_lines = connection.execute(
            "update analytics_intermediate.int_sales_lines_deduplicated set customer_id = 'ALTERED' "
            "where order_date < cast(? as date) - interval 60 day returning order_line_id",
            [new_day],
        ).fetchall()
    assert altered_lines

    build(Lake(str(processed_lake)), options, ON_ARRIVAL)  # the new day arrives: an ordinary incremental build
    new_rows, still_altered = inventory_days(
        database,
        "select count(*) filter (where snapshot_date = cast(? as date)), "
        "count(*) filter (where avg_daily_units_sold = ?) from analytics.fct_inventory_daily",
        [new_day, ALTERED],
    )[0]
    assert new_rows > 0
    assert still_altered == len(altered)  # older rows were not rewritten
    new_lines, still_altered_lines = inventory_days(
        database,
        "select count(*) filter (where order_date = cast(? as date)), count(*) filter (where customer_id = 'ALTERED') "
        "from analytics_intermediate.int_sales_lines_deduplicated",
        [new_day],
    )[0]
    assert new_lines > 0
    assert still_altered_lines == len(altered_lines)  # unchanged drop files: not ranked again

    incremental = (
        "select * from analytics.fct_inventory_daily order by all",
        "select * from analytics_intermediate.int_sales_lines_deduplicated order by all",
    )
    before = [inventory_days(database, sql) for sql in incremental]
    build(Lake(str(processed_lake)), options, ON_ARRIVAL)  # the same input again
    assert [inventory_days(database, sql) for sql in incremental] == before

    # The rows it did recompute equal a warehouse built with everything at once.
    with duckdb.connect(str(warehouse.duckdb_path), read_only=True) as full, duckdb.connect(str(database)) as ours:
        for (key,) in altered:
            (value,) = full.execute(
                "select avg_daily_units_sold from analytics.fct_inventory_daily where inventory_day_id = ?", [key]
            ).fetchone()
            ours.execute(
                "update analytics.fct_inventory_daily set avg_daily_units_sold = ? where inventory_day_id = ?",
                [value, key],
            )
        for (key,) in altered_lines:
            (value,) = full.execute(
                "select customer_id from analytics_intermediate.int_sales_lines_deduplicated where order_line_id = ?",
                [key],
            ).fetchone()
            ours.execute(
                "update analytics_intermediate.int_sales_lines_deduplicated set customer_id = ? "
                "where order_line_id = ?",
                [value, key],
            )
    daily = ["fct_inventory_daily"]
    assert checksums(database, daily) == checksums(warehouse.duckdb_path, daily)
    lines = "select * from analytics_intermediate.int_sales_lines_deduplicated order by all"
    assert inventory_days(database, lines) == inventory_days(warehouse.duckdb_path, lines)

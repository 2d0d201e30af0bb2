"""fct_sales is incremental on arrival: a drop that lands late with the ERP's old timestamps, and a region move the
warehouse history records after the sales were merged, reach the marts through a normal incremental build, which
then holds exactly what a warehouse that had the data all along holds (the same checksums, whatever the load order).
"""

from __future__ import annotations

import hashlib
import shutil

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from foundation.lake import Lake
from foundation.warehouse.build import WarehouseOptions, build

pytestmark = [pytest.mark.spark, pytest.mark.e2e, pytest.mark.dbt]

# Marts whose rows depend on the sales and on the region history; loaded_at is when a row arrived, not what it says.
COMPARED = {
    "fct_sales": "select * exclude (loaded_at) from analytics.fct_sales order by order_line_id",
    "weekly_sales_mv": "select * from analytics.weekly_sales_mv order by all",
    "demand_features_weekly": "select * from analytics.demand_features_weekly order by all",
    "fct_inventory_daily": "select * from analytics.fct_inventory_daily order by all",
}
BACKFILL = "part-backfill.parquet"
# The compared marts, everything they stand on and the tests of those (cautious): the rest of the project reads
# nothing this test changes, and building it twice was a third of the test.
ON_ARRIVAL = ["--select", *(f"+{name}" for name in COMPARED), "--indirect-selection", "cautious"]


def checksums(database, names=None) -> dict[str, tuple[int, str]]:
    """{mart: (rows, digest of its rows)} for the COMPARED marts, or those of them named."""
    with duckdb.connect(str(database), read_only=True) as connection:
        result = {}
        for name, sql in COMPARED.items():
            if names is not None and name not in names:
                continue
            rows = connection.execute(sql).fetchall()
            result[name] = (len(rows), hashlib.sha256(repr(rows).encode()).hexdigest())
        return result


def split_out_a_backfill(processed, every: int = 60) -> int:
    """Moves every `every`-th line of the first month's files into their own file, the drop that will arrive late.
    The lines keep the ERP's January updated_at, months older than anything else loaded."""
    month = sorted((processed / "sales").glob("order_month=*"))[0]
    held = []
    for path in sorted(month.glob("*.parquet")):
        table = pq.read_table(path)
        late = pa.array([i % every == 0 for i in range(table.num_rows)])
        held.append(table.filter(late))
        pq.write_table(table.filter(pc.invert(late)), path)
    backfill = pa.concat_tables(held)
    pq.write_table(backfill, month / BACKFILL)
    return backfill.num_rows


def hold_back_a_region_move(processed) -> str:
    """Drops from the CDC history every change from a warehouse's first region move on; returns the warehouse."""
    paths = sorted((processed / "warehouse_history").rglob("*.parquet"))
    history = pa.concat_tables([pq.read_table(p) for p in paths]).to_pandas().sort_values("commit_ts")
    for warehouse_id, changes in history.groupby("warehouse_id"):
        moved = changes[changes["region"] != changes["region"].iloc[0]]
        if not moved.empty:
            cut = moved["commit_ts"].iloc[0]
            for path in paths:
                table = pq.read_table(path)
                ours = pc.equal(table["warehouse_id"], warehouse_id)
                later = pc.and_(ours, pc.greater_equal(table["commit_ts"], cut))
                pq.write_table(table.filter(pc.invert(later)), path)
            # The current-state table as the WMS stood before the move.
            before = changes[changes["commit_ts"] < cut].iloc[-1]
            for path in sorted((processed / "warehouses").rglob("*.parquet")):
                frame = pq.read_table(path).to_pandas()
                row = frame["warehouse_id"] == warehouse_id
                frame.loc[row, "region"] = before["region"]
                frame.loc[row, "last_changed_at"] = before["commit_ts"]
                pq.write_table(pa.Table.from_pandas(frame, schema=pq.read_schema(path), preserve_index=False), path)
            return warehouse_id
    pytest.fail("the sample holds no warehouse that changed region")


def test_late_drop_with_old_timestamps_and_a_late_region_move_land_in_a_normal_incremental_build(
    warehouse, lake_copy, tmp_path
):
    late_lines = split_out_a_backfill(lake_copy / "processed")
    early = tmp_path / "early" / "processed"
    shutil.copytree(lake_copy / "processed", early)
    next((early / "sales").rglob(BACKFILL)).unlink()
    moved_warehouse = hold_back_a_region_move(early)

    database = tmp_path / "arrived-late.duckdb"
    options = WarehouseOptions(target="local", duckdb_path=database)
    build(Lake(str(early.parent)), options, ON_ARRIVAL)
    build(Lake(str(lake_copy)), options, ON_ARRIVAL)  # the backfill and the region move arrive: an incremental run

    with duckdb.connect(str(database), read_only=True) as connection:
        # The first build stamped every line with one loaded_at; what the second merged carries a later one.
        unchanged, landed, moved = connection.execute(
            "with first as (select min(loaded_at) as at from analytics.fct_sales) "
            "select count(*) filter (where loaded_at = first.at), count(*) filter (where loaded_at > first.at), "
            "count(*) filter (where loaded_at > first.at and warehouse_id = ?) from analytics.fct_sales, first "
            "group by first.at",
            [moved_warehouse],
        ).fetchone()
    assert landed >= late_lines > 0  # the late lines, and the lines the region move re-booked, merged now
    assert moved > 0
    assert unchanged > landed  # lines that did not change were not merged again
    # The same data in another load order: every compared mart equals the one built with everything at once.
    assert checksums(database) == checksums(warehouse.duckdb_path)

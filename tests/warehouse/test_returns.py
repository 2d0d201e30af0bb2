"""Returns (negative quantities, credit notes) land as returns, apart from sales, through the real sales job and a
dbt build: the quality gate does not count them, fct_sales keeps gross demand, fct_returns holds them. The same
build takes a key-only DMS delete of a warehouse (its dbt tests, warehouse_history_keeps_every_region_move among
them, pass)."""

from __future__ import annotations

import shutil

import duckdb
import pytest

from foundation.lake import Lake
from foundation.warehouse.build import WarehouseOptions, build
from ingestion.batch import RunOptions, ingest_source
from ingestion.sources import SALES, WAREHOUSE_CHANGES

pytestmark = [pytest.mark.spark, pytest.mark.e2e, pytest.mark.dbt]
HEADER = "order_id,line_number,order_date,product_id,warehouse_id,region,customer_id,channel,qty,unit_price,"
HEADER += "discount_pct,updated_at\n"


def line(order_id: str, qty: int) -> str:
    return f"{order_id},1,2024-04-10,P00001,WH001,NORTH,CN000001,WEB,{qty},10.00,0,2024-04-10T10:00:00Z\n"


def test_a_day_of_mostly_returns_lands_them_apart_from_sales(spark, processed_lake, tmp_path):
    root = tmp_path / "lake"
    shutil.copytree(processed_lake, root)
    drop = root / "raw/sales/year=2024/month=04/day=10/sales_credit_notes.csv"
    drop.parent.mkdir(parents=True, exist_ok=True)
    # Three returns in four lines (75%, far above the 5% gate) and one real defect-free sale.
    drop.write_text(HEADER + line("RMA-1", -2) + line("RMA-2", -1) + line("RMA-3", -4) + line("SO-NEW", 5))
    report = ingest_source(spark, Lake(str(root)), SALES, RunOptions(settle_seconds=0))
    # Nothing new is quarantined: what the quarantine holds is the sample's unknown ids, retried and still waiting.
    assert report.status == "succeeded" and report.rows_quarantined == report.rows_replayed - report.rows_released
    assert (report.rows_returns, report.rows_written) == (3, 4) and report.reconciles()

    changes = root / "raw/warehouse_master/year=2024/month=04/day=10/warehouses_delete.csv"
    changes.parent.mkdir(parents=True, exist_ok=True)
    changes.write_text(
        "Op,commit_ts,warehouse_id,warehouse_name,region,city,address,capacity_units,latitude,longitude,opened_date\n"
        "I,2024-04-01 04:00:00,WH-GONE,Closing DC,WEST,Nowhere,1 Road,1000,1.0,2.0,2020-01-01\n"
        "D,2024-04-10 04:00:00,WH-GONE,,,,,,,,\n"  # DMS without full supplemental logging: the key only
    )
    assert ingest_source(spark, Lake(str(root)), WAREHOUSE_CHANGES, RunOptions(settle_seconds=0)).status == "succeeded"

    database = tmp_path / "warehouse.duckdb"
    build(Lake(str(root)), WarehouseOptions(target="local", duckdb_path=database))  # raises if a dbt test fails
    with duckdb.connect(str(database), read_only=True) as connection:
        returns = connection.execute(
            "select count(*), sum(returned_quantity), sum(credited_revenue) from analytics.fct_returns"
        ).fetchone()
        sales = connection.execute(
            "select count(*) filter (where order_id like 'RMA-%'), min(quantity), "
            "sum(quantity) filter (where order_id = 'SO-NEW') from analytics.fct_sales"
        ).fetchone()
        gone = connection.execute(
            "select region_code, is_active from analytics.dim_warehouse where warehouse_id = 'WH-GONE'"
        ).fetchone()
    assert returns == (3, 7, 70)
    assert gone == ("WEST", False)
    assert sales[0] == 0 and sales[1] > 0 and sales[2] == 5  # gross demand: no return netted into sales

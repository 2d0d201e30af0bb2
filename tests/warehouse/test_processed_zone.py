"""The load contract: every processed file is checked against the source definitions before a target sees it."""

from __future__ import annotations

import shutil

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from foundation.lake import Lake
from foundation.warehouse.build import check_processed_zone
from foundation.warehouse.contract import source_tables
from foundation.warehouse.processed_zone import ProcessedZoneError

pytestmark = [pytest.mark.spark, pytest.mark.e2e]


def first_sales_file(root):
    return sorted((root / "processed" / "sales").glob("order_month=*/*.parquet"))[0]


def test_every_source_table_is_declared_with_typed_columns():
    tables = {t.name: t for t in source_tables()}
    assert {name for name, t in tables.items() if not t.optional} == {
        "sales", "shipments", "inventory", "products", "order_events", "warehouses", "warehouse_history",
        "transfer_lanes",
    }  # fmt: skip
    assert {name for name, t in tables.items() if t.optional} == {
        "demand_forecast", "forecast_backtest", "forecast_model_selection", "forecast_accuracy",
        "forecast_backtest_weeks", "inventory_policy", "transfer_plan", "optimization_run_summary", "policy_simulation",
        "returns",
    }  # fmt: skip
    assert tables["sales"].partition_column == "order_month"
    assert tables["sales"].column_names[:2] == ["order_id", "line_number"]


def test_clean_processed_zone_passes_with_every_row_counted(processed_lake):
    checked = {t.table.name: t for t in check_processed_zone(Lake(str(processed_lake)))}
    for name, table in checked.items():
        if table.table.optional:  # forecasting has not run on this lake: loaded empty
            assert (table.files, table.rows) == ((), 0)
            continue
        folder = processed_lake / "processed" / table.table.processed_path
        assert table.rows == ds.dataset(folder, partitioning="hive").count_rows(), name
    assert len(checked["sales"].files) == 4  # one partition per month, January to April


def test_extra_column_names_the_file_and_the_column(lake_copy):
    path = first_sales_file(lake_copy)
    table = pq.read_table(path)
    pq.write_table(table.append_column("coupon_code", pa.array(["X"] * table.num_rows)), path)
    with pytest.raises(ProcessedZoneError) as failure:
        check_processed_zone(Lake(str(lake_copy)))
    message = str(failure.value)
    assert str(path.relative_to(lake_copy)) in message
    assert "unexpected column(s) ['coupon_code']" in message


def test_wrong_column_type_is_a_contract_violation(lake_copy):
    path = first_sales_file(lake_copy)
    table = pq.read_table(path)
    qty = table.schema.get_field_index("qty")
    pq.write_table(table.set_column(qty, "qty", pa.compute.cast(table["qty"], pa.string())), path)
    with pytest.raises(ProcessedZoneError, match=r"column qty holds string, the contract says integer"):
        check_processed_zone(Lake(str(lake_copy)))


def test_missing_month_partition_is_named(lake_copy):
    shutil.rmtree(lake_copy / "processed" / "sales" / "order_month=2024-02")
    with pytest.raises(ProcessedZoneError, match=r"partition order_month=2024-02 is missing"):
        check_processed_zone(Lake(str(lake_copy)))


def test_missing_table_says_what_to_run(lake_copy):
    shutil.rmtree(lake_copy / "processed" / "shipments")
    with pytest.raises(ProcessedZoneError, match=r"processed/shipments: no Parquet files; run `supplychain ingest`"):
        check_processed_zone(Lake(str(lake_copy)))

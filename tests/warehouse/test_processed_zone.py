"""The load contract: every processed file is checked against the source definitions before a target sees it."""

from __future__ import annotations

import datetime as dt
import shutil

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
import yaml

from foundation.lake import Lake
from foundation.warehouse.build import check_processed_zone
from foundation.warehouse.contract import REDSHIFT_VARCHAR_BYTES, source_tables
from foundation.warehouse.io import write_outputs
from foundation.warehouse.processed_zone import ProcessedZoneError, check_redshift_widths, check_table
from optimization.outputs import plan_tables
from optimization.plan import Plan
from optimization.reallocation import check_product

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


def test_the_source_definitions_are_parsed_once_until_a_file_changes(tmp_path, monkeypatch):
    from foundation.warehouse import contract

    for path in contract.PROJECT_DIR.glob(contract.SOURCES_GLOB):
        copy = tmp_path / path.relative_to(contract.PROJECT_DIR)
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, copy)
    parses, parse = [], yaml.safe_load
    monkeypatch.setattr(contract.yaml, "safe_load", lambda text: parses.append(1) or parse(text))
    first = source_tables(tmp_path)
    assert source_tables(tmp_path) == first and len(parses) == len(list(tmp_path.glob(contract.SOURCES_GLOB)))
    edited = next(tmp_path.glob("models/staging/erp/_*__sources.yml"))
    edited.write_text(edited.read_text().replace("partition_column: order_month", "partition_column: order_period"))
    again = source_tables(tmp_path)  # the edit is read: parsed afresh
    assert {t.name: t.partition_column for t in again}["sales"] != {t.name: t.partition_column for t in first}["sales"]


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


def test_every_text_value_of_the_sample_fits_its_redshift_width(processed_lake):
    """Redshift's varchar(n) counts bytes and a COPY from Parquet cannot truncate: the Redshift load checks every
    text value first. The ingested sample passes (its forecast and plan outputs: test_pipeline_run.py)."""
    lake = Lake(str(processed_lake))
    checked = check_processed_zone(lake)
    assert all(t.table.redshift_widths for t in checked if t.files)
    check_redshift_widths(lake, checked)


def test_a_value_over_its_redshift_width_is_named_by_file_row_and_column(lake_copy):
    path = sorted((lake_copy / "processed" / "products").rglob("*.parquet"))[0]
    table = pq.read_table(path)
    names = table["product_name"].to_pylist()
    names[2] = "é" * (REDSHIFT_VARCHAR_BYTES // 2 + 1)  # fewer characters than the width, more bytes
    pq.write_table(table.set_column(table.schema.get_field_index("product_name"), "product_name", pa.array(names)),
                   path)  # fmt: skip
    lake = Lake(str(lake_copy))
    with pytest.raises(ProcessedZoneError) as failure:
        check_redshift_widths(lake, check_processed_zone(lake))
    assert f"{path.relative_to(lake_copy)}: row 3 column product_name holds 1026 bytes, over its varchar(1024)" in str(
        failure.value
    )


def test_a_plan_with_many_problems_fits_its_redshift_width(tmp_path):
    """The optimiser's problem messages, one per product and warehouse it could not use, joined into one value:
    300 of them (60 products at 5 warehouses with no lanes) once made a 20 kB value that failed load-plan on
    Redshift. The value now holds the lines that fit and counts the rest; the stage report keeps them all."""
    sites = pd.DataFrame({"warehouse_id": [f"WH-{n:02d}" for n in range(5)], "on_hand_qty": 10, "capacity_units": 1000})
    lanes = pd.DataFrame(columns=["from_warehouse_id", "to_warehouse_id"])
    problems = [p for n in range(60) for p in check_product(f"PRODUCT-{n:04d}", sites, lanes)]
    assert len(problems) == 300 and len("\n".join(problems).encode()) > REDSHIFT_VARCHAR_BYTES
    summary = {
        "plan_date": dt.date(2024, 4, 29), "service_level": 0.95, "solver": "highs", "products_planned": 60,
        "sites": 300, "transfers": 0, "units_moved": 0, "transfer_cost": 0.0, "expected_stockout_units_avoided": 0.0,
        "expected_excess_units_reduced": 0.0, "expected_value": 0.0, "problems": len(problems),
    }  # fmt: skip
    plan = Plan(summary["plan_date"], pd.DataFrame({"days_of_cover": []}), sites,
                pd.DataFrame({"lead_time_days": []}), problems, summary)  # fmt: skip
    tables = plan_tables(plan, dt.datetime(2024, 4, 29, 6))
    lake = Lake(str(tmp_path / "lake"))
    write_outputs(lake, {"optimization_run_summary": tables["optimization_run_summary"]}, {"problems": problems},
                  source="optimization", stage="optimize")  # fmt: skip
    declared = next(t for t in source_tables() if t.name == "optimization_run_summary")
    check_redshift_widths(lake, [check_table(lake, declared)])
    text = tables["optimization_run_summary"]["problem_messages"][0]
    lines = text.splitlines()
    assert lines[0] == problems[0] and lines[:-1] == problems[: len(lines) - 1]
    assert lines[-1].startswith(f"... and {len(problems) - len(lines) + 1} more")
    assert len(text.encode()) <= REDSHIFT_VARCHAR_BYTES

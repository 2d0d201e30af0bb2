"""kill -9 of `supplychain run` at two points (during ingestion, then during the warehouse build of the resumed
run), then `run --resume`: the warehouse ends identical to an uninterrupted ingest and build (every mart's rows and
checksum), and the run records tell the story (killed runs read as failed, the last resumes and succeeds)."""

from __future__ import annotations

import pytest

from orchestration.run_records import all_runs
from tests.faults.cases_process import TABLE_BUILT
from tests.faults.process_support import built_lake, copy_raw, kill_when, run_cli
from tests.faults.warehouse_fingerprint import mart_fingerprint

pytestmark = pytest.mark.e2e

STEPS = ("ingest-products,ingest-warehouses,ingest-inventory,ingest-sales,ingest-shipments,ingest-transfer-lanes,"
         "ingest-order-events,load,build-warehouse")  # fmt: skip
CORE_MARTS = {"dim_product", "dim_warehouse", "fct_sales", "fct_shipment", "fct_inventory_daily", "weekly_sales_mv"}


def test_a_run_killed_twice_resumes_to_the_same_warehouse(tmp_path):
    lake = copy_raw(tmp_path)
    work_wal = tmp_path / "warehouse.building.duckdb.wal"
    kill_when(lake, tmp_path, ("run", "--only", STEPS), lambda out: "sales: ingesting" in out)
    kill_when(lake, tmp_path, ("run", "--resume"), lambda out: work_wal.exists() and out.count(TABLE_BUILT) >= 3)
    resumed = run_cli(lake, tmp_path, "run", "--resume")
    assert resumed.returncode == 0, resumed.output
    assert not resumed.traceback

    expected = built_lake()[2]
    found = mart_fingerprint(tmp_path / "warehouse.duckdb")
    assert set(found) >= CORE_MARTS
    assert {table: found[table] for table in found} == {table: expected[table] for table in found}
    last, second, first = all_runs(tmp_path / "runs")
    assert (first.status, second.status, last.status) == ("running", "running", "succeeded")  # killed, killed, ok
    assert second.resumes == first.run_id and last.resumes == second.run_id
    assert [s.name for s in last.steps][-1] == "build-warehouse"  # the run's own steps, not the whole pipeline

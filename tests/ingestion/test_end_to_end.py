"""Generate a small lake, run every ingestion job, and reconcile the result against the generator's manifest."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow.dataset as ds
import pytest

from foundation.lake import Lake
from ingestion.batch import RunOptions, bookmark_path, ingest_source
from ingestion.quality import QualityGateError
from ingestion.runner import ingest_all
from ingestion.sources import BATCH_SOURCES, REGIONS
from sample_data.generate import DIRTY_ROWS_PATH, GeneratorOptions, generate

pytestmark = [pytest.mark.spark, pytest.mark.e2e]
REPO = Path(__file__).resolve().parents[2]
SMALL = GeneratorOptions(
    seed=7,
    sales_rows=6000,
    start=dt.date(2024, 1, 1),
    end=dt.date(2024, 3, 31),
    products=30,
    warehouses=6,
    dirty_rate=0.02,
    event_days=3,
)


def table(root: Path, name: str):
    return ds.dataset(root / "processed" / name, partitioning="hive").to_table().to_pandas()


def snapshot(root: Path) -> dict[str, list]:
    """Every processed table's rows, sorted, for before/after comparisons."""
    names = [
        "products",
        "warehouses",
        "warehouse_history",
        "transfer_lanes",
        "sales",
        "shipments",
        "inventory",
        "order_events",
        "_quarantine/sales",
        "_quarantine/inventory",
    ]
    return {n: sorted(map(tuple, table(root, n).astype(str).values.tolist())) for n in names}


@pytest.fixture(scope="module")
def lake(spark, tmp_path_factory):
    root = tmp_path_factory.mktemp("lake")
    generate(root, SMALL)
    reports = {r.entity: r for r in ingest_all(spark, Lake(str(root)), RunOptions())}
    dirty = [json.loads(line) for line in (root / DIRTY_ROWS_PATH).read_text().splitlines()]
    return root, reports, dirty


def test_every_source_succeeds_and_reconciles(lake):
    _, reports, _ = lake
    assert set(reports) == {
        "products",
        "warehouses",
        "transfer_lanes",
        "sales",
        "shipments",
        "inventory",
        "order_events",
    }
    for report in reports.values():
        assert report.status == "succeeded", report
        assert report.rows_read > 0
        assert report.reconciles(), report.as_dict()


def test_every_recorded_defect_is_quarantined_under_its_rule(lake):
    root, _, dirty = lake
    expected = {
        (d["entity"], d["file"], d["line"], d["expected"].split(":")[1])
        for d in dirty
        if d["expected"].startswith("quarantine:")
    }
    assert len(expected) > 50
    found = set()
    for entity in {e for e, *_ in expected}:
        rejected = table(root, f"_quarantine/{entity}")
        found |= {(entity, r.source_file, r.source_line, r.rule) for r in rejected.itertuples()}
    assert expected - found == set()
    # Nothing else is quarantined: every rejected record is one the generator broke on purpose.
    assert found - expected == set()


def test_duplicates_collapse_and_corrections_win(lake):
    root, reports, dirty = lake
    kinds = {}
    for d in dirty:
        kinds.setdefault((d["entity"], d["kind"]), []).append(d)
    sales_dups = len(kinds[("sales", "exact_duplicate")]) + len(kinds[("sales", "corrected_resend")])
    assert reports["sales"].rows_deduplicated == sales_dups
    assert reports["inventory"].rows_deduplicated == len(kinds[("inventory", "exact_duplicate")])
    assert reports["order_events"].rows_deduplicated == len(kinds[("order_events", "duplicate_event")])

    sales = table(root, "sales").set_index(["order_id", "line_number"])
    assert not sales.index.duplicated().any()
    for entry in kinds[("sales", "corrected_resend")]:
        line = (root / entry["file"]).read_text().splitlines()[entry["line"] - 1].split(",")
        order_id, line_number = entry["key"].split("|")
        assert sales.loc[(order_id, int(line_number)), "qty"] == int(line[8])


def test_region_spellings_are_repaired_and_drifted_file_lands(lake):
    root, reports, dirty = lake
    sales = table(root, "sales").set_index(["order_id", "line_number"])
    assert set(sales["region"]) <= set(REGIONS)
    for entry in (d for d in dirty if d["kind"] == "region_spelling"):
        order_id, line_number = entry["key"].split("|")
        assert sales.loc[(order_id, int(line_number)), "region"] in REGIONS
    drifted = next(d["file"] for d in dirty if d["kind"] == "schema_drift")
    assert reports["sales"].schema_drift == [{"file": drifted, "extra_columns": ["promo_code"]}]
    assert (sales["source_file"] == drifted).sum() > 0


def test_processed_zone_is_partitioned_snappy_parquet(lake):
    root, _, _ = lake
    sales_files = sorted((root / "processed" / "sales").rglob("*.parquet"))
    assert sales_files and all(f.name.endswith(".snappy.parquet") for f in sales_files)
    assert {f.parent.name for f in sales_files} == {"order_month=2024-01", "order_month=2024-02", "order_month=2024-03"}
    assert not (root / "processed" / "_staging").exists() or not any((root / "processed" / "_staging").iterdir())
    report = json.loads((root / "processed/_reports/sales/latest.json").read_text())
    assert report["status"] == "succeeded"
    assert report["null_rates"]["order_id"] == 0.0


def test_rerun_of_the_same_input_changes_nothing(spark, lake):
    root, _, _ = lake
    before = snapshot(root)
    again = ingest_all(spark, Lake(str(root)), RunOptions())
    assert {r.status for r in again} == {"no_new_files"}
    refreshed = ingest_all(spark, Lake(str(root)), RunOptions(full_refresh=True))
    assert all(r.status == "succeeded" for r in refreshed)
    assert snapshot(root) == before


def test_a_new_days_drop_adds_exactly_its_rows(spark, tmp_path):
    generate(tmp_path, SMALL)
    lake = Lake(str(tmp_path))
    last_day = SMALL.end
    first = ingest_all(
        spark, lake, RunOptions(run_date=last_day - dt.timedelta(days=1)), ["products", "warehouses", "sales"]
    )
    assert all(r.status == "succeeded" for r in first)
    before = table(tmp_path, "sales")
    assert before["order_date"].max() < last_day
    report = ingest_source(spark, lake, BATCH_SOURCES["sales"], RunOptions())
    after = table(tmp_path, "sales")
    assert report.files_read == 1 and report.files[0].startswith("raw/sales/year=2024/month=03/day=31/")
    assert report.reconciles()
    assert len(after) - len(before) == report.rows_written - report.rows_replaced
    new_keys = set(zip(after["order_id"], after["line_number"], strict=True)) - set(
        zip(before["order_id"], before["line_number"], strict=True)
    )
    assert len(new_keys) == len(after) - len(before)
    assert (after["order_date"] == last_day).sum() > 0


def test_quality_gate_fails_the_run_and_publishes_nothing(spark, tmp_path):
    generate(tmp_path, GeneratorOptions(**{**SMALL.__dict__, "dirty_rate": 0.25}))
    lake = Lake(str(tmp_path))
    ingest_all(spark, lake, RunOptions(), ["products", "warehouses"])
    with pytest.raises(QualityGateError, match=r"sales: .* above the 5.0% threshold"):
        ingest_source(spark, lake, BATCH_SOURCES["sales"], RunOptions())
    assert not (tmp_path / "processed" / "sales").exists()
    assert not (tmp_path / "processed" / "_quarantine" / "sales").exists()
    assert not lake.exists(bookmark_path("sales"))
    report = json.loads((tmp_path / "processed/_reports/sales/latest.json").read_text())
    assert report["status"] == "failed" and "threshold" in report["error"]
    # A looser threshold, set on purpose, lets the same drops through.
    assert ingest_source(spark, lake, BATCH_SOURCES["sales"], RunOptions(max_quarantine_rate=0.5)).status == "succeeded"


def spark_submit(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYSPARK_PYTHON": sys.executable, "PYSPARK_DRIVER_PYTHON": sys.executable}
    submit = Path(sys.executable).with_name("spark-submit")
    return subprocess.run(
        [str(submit), "--master", "local[2]", *args], capture_output=True, text=True, env=env, cwd=REPO, timeout=300
    )


def test_job_script_runs_under_spark_submit(lake, tmp_path):
    root, _, _ = lake
    copy = tmp_path / "lake"
    shutil.copytree(root / "raw", copy / "raw")
    done = spark_submit("ingestion/jobs/products.py", "--lake-root", str(copy), "--run-date", "2024-02-01")
    assert done.returncode == 0, done.stderr[-3000:]
    assert len(table(copy, "products")) > 0
    missing = spark_submit("ingestion/jobs/sales.py", "--lake-root", str(tmp_path / "nowhere"))
    assert missing.returncode == 2
    # spark-submit's Python runner merges the script's stderr into stdout.
    output = missing.stdout + missing.stderr
    assert "raw/sales does not exist" in output
    assert "Traceback" not in output

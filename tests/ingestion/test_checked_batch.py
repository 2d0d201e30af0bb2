"""The checked batch is written once to staging and profiled on that write: the profile must be what the batch
holds (counted here the plain way, from the staged rows), the staged rows what was checked, and no staging folder
may outlive a run, even one the quality gate stops."""

from __future__ import annotations

import csv
import dataclasses
import shutil
from pathlib import Path

import pytest
from pyspark.sql import functions as F

from foundation.lake import STAGING, Lake
from ingestion.batch import RunOptions, drop_selection, ingest_source
from ingestion.checked_batch import stage_checked
from ingestion.io.raw_reader import read_csv_drops
from ingestion.quality import QualityGateError
from ingestion.sources import BATCH_SOURCES
from ingestion.transforms.rules import check_records, quarantine_month
from sample_data.generate import generate
from tests.ingestion.test_end_to_end import SMALL

pytestmark = [pytest.mark.spark]
TINY = dataclasses.replace(SMALL, sales_rows=2000)


@pytest.fixture(scope="module")
def raw(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("checked")
    generate(root, TINY)
    return root / "raw"


def add_a_return(raw: Path) -> None:
    """The generator writes no returns: one sales line copied with a negative quantity (a credit note)."""
    drop = sorted((raw / "sales").rglob("*.csv"))[-1]
    with drop.open(newline="") as text:
        header, first = next(csv.reader(text)), next(csv.DictReader(drop.open(newline="")))
    credit = {**first, "order_id": "CREDIT-1", "qty": "-2", "region": ""}  # region: filled at publish
    with drop.open("a", newline="") as out:
        csv.DictWriter(out, header).writerow(credit)


def checked_sales(spark, lake: Lake, drops: list[str]):
    source = BATCH_SOURCES["sales"]
    files = drop_selection(lake, source, RunOptions(full_refresh=True, settle_seconds=0)).new
    records, _ = read_csv_drops(spark, lake, files, source.columns, source.required)
    checked = check_records(records, source.fields, None, RunOptions().dates)
    return source, checked.withColumn(source.partition[0], F.expr(source.partition[1])), [f.path for f in files]


def test_the_profile_taken_on_the_staged_write_is_what_the_batch_holds(spark, raw, tmp_path):
    shutil.copytree(raw, tmp_path / "raw")
    add_a_return(tmp_path / "raw")
    lake = Lake(str(tmp_path))
    source, checked, files = checked_sales(spark, lake, [])
    drops = files[1:]  # the first file's records count as replayed ones
    staged, rows, profile = stage_checked(spark, lake, checked, source, drops)
    assert staged.startswith(STAGING + "/") and lake.exists(staged)
    assert rows.exceptAll(checked).count() == 0 and checked.exceptAll(rows).count() == 0

    good, bad = rows.where("quarantine_rule is null"), rows.where("quarantine_rule is not null")
    sale, refund = good.where(F.col(source.signed) >= 0), good.where(F.col(source.signed) < 0)
    assert profile.rows == rows.count() > 0
    by_rule = {r["quarantine_rule"]: r["count"] for r in bad.groupBy("quarantine_rule").count().collect()}
    assert profile.quarantined_by_rule == dict(sorted(by_rule.items())) and by_rule
    assert profile.returns == refund.count() > 0
    assert profile.partitions == sorted(r[0] for r in sale.select(source.partition[0]).distinct().collect())
    assert profile.returns_partitions == sorted(r[0] for r in refund.select(source.partition[0]).distinct().collect())
    months = {r[0] for r in bad.select(quarantine_month(F.col("source_file"))).distinct().collect()}
    assert profile.quarantine_months == sorted(months)
    replayed = rows.where(~F.col("source_file").isin(*drops))
    assert profile.replayed == replayed.count() > 0
    assert profile.released == replayed.where("quarantine_rule is null").count()
    for column in source.columns:
        expected = good.where(F.col(column).isNull()).count() / good.count()
        assert profile.null_rates[column] == round(expected, 6), column
    assert profile.null_rates["region"] > 0  # the credit note came without its region


def test_no_staged_batch_outlives_a_run(spark, raw, tmp_path):
    shutil.copytree(raw, tmp_path / "raw")
    lake = Lake(str(tmp_path))

    def staged() -> list[str]:
        return sorted(p.name for p in (tmp_path / STAGING).glob("*")) if (tmp_path / STAGING).exists() else []

    for master in ("warehouses", "products"):
        ingest_source(spark, lake, BATCH_SOURCES[master], RunOptions())
    sales = BATCH_SOURCES["sales"]
    with pytest.raises(QualityGateError):  # the sample's dirty rows are above a 0% threshold
        ingest_source(spark, lake, sales, RunOptions(max_quarantine_rate=0.0))
    assert not lake.exists(sales.table) and staged() == []
    report = ingest_source(spark, lake, sales, RunOptions())
    assert report.status == "succeeded" and report.rows_quarantined > 0 and report.rows_written > 0
    assert staged() == []

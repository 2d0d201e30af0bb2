"""A partitioned source's batch is written once, laid out as its tables want it: a partition the table does not
hold is published by moving the staged folder, one it holds is merged as before (ingestion/laid_out_batch.py).

A toy sales source with returns, on hand-made drops: a first load, then a batch that touches a month the tables
hold and two they do not, with newer versions, version ties against the table and within the batch, exact
re-sends, returns and rejects whose raw text holds commas, quotes and accents. Every outcome is compared with the
path that stages the checked batch and merges every partition (`laid_out` off), which is today's for unpartitioned
sources and was every source's before."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from pyspark.sql.readwriter import DataFrameWriter

from foundation.lake import STAGING, Lake
from ingestion import batch as batch_module
from ingestion.batch import RunOptions, ingest_source
from ingestion.fields import Field
from ingestion.quality import QualityGateError
from ingestion.sources import Source, month_of

pytestmark = pytest.mark.spark
TOY = Source(
    entity="toy_sales",
    raw_folder="raw/toy_sales",
    format="csv",
    fields=(
        Field("order_id", required=True),
        Field("order_date", "date", required=True),
        Field("qty", "int", required=True, range=(1, 100), signed=True),
        Field("note"),
        Field("updated_at", "timestamp", required=True),
    ),
    key=("order_id",),
    version=("updated_at",),
    partition=("order_month", month_of("order_date")),
    returns="toy_returns",
)
HEADER = "order_id,order_date,qty,note,updated_at\n"
FIRST = {
    "year=2024/month=01/day=05/a.csv": HEADER
    + "A1,2024-01-03,5,x,2024-01-05 10:00:00\n"
    + "A2,2024-01-04,3,y,2024-01-05 10:00:00\n"
    + "A3,2024-01-04,2,,2024-01-05 10:00:00\n"
    + "R1,2024-01-04,-2,refund,2024-01-05 10:00:00\n"
}
SECOND = {
    "year=2024/month=02/day=02/b.csv": HEADER
    + "A1,2024-01-03,7,x,2024-01-06 10:00:00\n"  # January, held: a newer version
    + "A2,2024-01-04,9,tie,2024-01-05 10:00:00\n"  # January, held: same version, other content (a tie, batch wins)
    + "F1,2024-02-01,1,a,2024-02-02 10:00:00\n"
    + "F2,2024-02-01,4,b,2024-02-02 10:00:00\n"  # tie within the batch: c.csv landed later
    + "F3,2024-02-01,4,c,2024-02-02 10:00:00\n"  # re-sent as it is in c.csv
    + "F4,2024-02-01,1,old,2024-02-01 09:00:00\n"  # an older version
    + 'BAD,2024-13-45,1,"a, ""quoted"" note",2024-02-02 10:00:00\n'
    + "R2,2024-02-01,-1,refund,2024-02-02 10:00:00\n"  # a return in a month the returns table does not hold
    + "R1,2024-01-04,-3,refund2,2024-01-06 10:00:00\n",  # ... and one in a month it holds
    "year=2024/month=02/day=02/c.csv": HEADER
    + "F2,2024-02-01,6,b2,2024-02-02 10:00:00\n"
    + "F3,2024-02-01,4,c,2024-02-02 10:00:00\n"
    + "F4,2024-02-01,2,new,2024-02-02 10:00:00\n"
    + "NUM,2024-02-01,1x,ünï-cödé,2024-02-02 10:00:00\n"
    + "M1,2024-03-01,1,m,2024-02-02 10:00:00\n",
}
TABLES = ("toy_sales", "toy_returns", "_quarantine/toy_sales")
COUNTS = ("rows_read", "rows_written", "rows_deduplicated", "rows_quarantined", "version_ties", "rows_replaced")


def land(root: Path, drops: dict[str, str], age: float) -> None:
    for offset, (name, text) in enumerate(sorted(drops.items())):
        path = root / TOY.raw_folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        stamp = time.time() - age + offset  # later names land later
        os.utime(path, (stamp, stamp))


def run(spark, root: Path, **options):
    options = {"settle_seconds": 0.0, "max_quarantine_rate": 0.5, **options}
    return ingest_source(spark, Lake(str(root)), TOY, RunOptions(**options))


def rows(root: Path, table: str) -> list[tuple]:
    """A table's rows with their partition, sorted (every value as text)."""
    out = []
    for file in sorted((root / "processed" / table).rglob("*.parquet")):
        partition = file.parent.name
        out += [(partition, *map(str, r.values())) for r in pq.read_table(file, partitioning=None).to_pylist()]
    return sorted(out)


def layout(root: Path, table: str) -> dict[str, tuple]:
    """Per partition folder: its files' count, their columns, and whether the rows are sorted by key."""
    found = {}
    for folder in sorted(p for p in (root / "processed" / table).iterdir() if p.is_dir()):
        files = sorted(folder.glob("*.parquet"))
        read = pq.read_table(files[0], partitioning=None)
        keys = read.column(0).to_pylist()
        found[folder.name] = (
            len(files),
            read.schema.names,
            keys == sorted(keys),
            files[0].name.endswith(".snappy.parquet"),
        )
    return found


def staged(root: Path) -> list[str]:
    return sorted(p.name for p in (root / STAGING).glob("*")) if (root / STAGING).exists() else []


@pytest.fixture
def parquet_writes(monkeypatch) -> list[str]:
    """The paths of every Parquet write Spark makes while the test runs."""
    paths: list[str] = []
    write = DataFrameWriter.parquet

    def recorded(self, path, *args, **kwargs):
        paths.append(path)
        return write(self, path, *args, **kwargs)

    monkeypatch.setattr(DataFrameWriter, "parquet", recorded)
    return paths


def test_a_first_load_writes_each_good_record_once(spark, tmp_path, parquet_writes):
    land(tmp_path, FIRST, age=300)
    report = run(spark, tmp_path)
    assert report.status == "succeeded" and report.rows_written == 4 and report.rows_returns == 1
    assert len(parquet_writes) == 1  # the staged batch, moved into both tables (the merge path wrote three times)
    sales = rows(tmp_path, "toy_sales")
    assert [(r[0], r[1], r[3], r[4]) for r in sales] == [
        ("order_month=2024-01", "A1", "5", "x"),
        ("order_month=2024-01", "A2", "3", "y"),
        ("order_month=2024-01", "A3", "2", "None"),
    ]
    assert [r[1] for r in rows(tmp_path, "toy_returns")] == ["R1"]
    assert staged(tmp_path) == []


@pytest.fixture
def observed(spark, monkeypatch) -> list[str]:
    """Every aggregate observed on a batch while the test runs, as text: each is evaluated record by record."""
    metrics: list[str] = []
    frames = type(spark.range(1))  # Spark 4's classic DataFrame overrides the base class's methods
    observe = frames.observe

    def recorded(self, observation, *exprs):
        metrics.extend(str(e) for e in exprs)
        return observe(self, observation, *exprs)

    monkeypatch.setattr(frames, "observe", recorded)
    return metrics


def test_the_profiles_partition_sets_come_from_the_written_folders(spark, tmp_path, observed):
    """The months a batch's sales, returns and rejects fall in (three different ones here) are listed from the
    staged folders, not gathered by a `collect_set` per record; with nothing replayed, no record's file is looked
    up either. The tables and the quarantine get exactly those months."""
    land(tmp_path, {"year=2024/month=02/day=01/a.csv": HEADER
                    + "A1,2024-01-03,5,x,2024-02-01 10:00:00\n"
                    + "R1,2023-12-30,-2,refund,2024-02-01 10:00:00\n"
                    + "Q1,2024-01-04,0,out of range,2024-02-01 10:00:00\n"}, age=300)  # fmt: skip
    report = run(spark, tmp_path)
    assert report.status == "succeeded" and report.quarantined_by_rule == {"invalid_quantity": 1}
    assert report.partitions_written == ["2023-12", "2024-01"]
    folders = {t: sorted(p.name for p in (tmp_path / "processed" / t).iterdir() if p.is_dir()) for t in TABLES}
    assert folders == {
        "toy_sales": ["order_month=2024-01"],
        "toy_returns": ["order_month=2023-12"],
        "_quarantine/toy_sales": ["ingest_month=2024-02"],
    }
    assert observed and not [m for m in observed if "collect_set" in m or "from_json" in m]


@pytest.fixture
def both_paths(spark, tmp_path, monkeypatch):
    """The two runs (first load, then the mixed batch) on two lakes: laid out, and merged throughout."""
    runs = {}
    for name, laid in (("laid_out", True), ("merged", False)):
        root = tmp_path / name
        with monkeypatch.context() as patch:
            if not laid:
                patch.setattr(batch_module, "laid_out", lambda source: False)
            land(root, FIRST, age=300)
            first = run(spark, root)
            land(root, SECOND, age=200)
            second = run(spark, root)
        runs[name] = (root, first, second)
    return runs


def test_a_batch_over_held_and_new_months_publishes_what_the_merge_did(both_paths):
    (laid, *laid_reports), (merged, *merged_reports) = both_paths["laid_out"], both_paths["merged"]
    for ours, theirs in zip(laid_reports, merged_reports, strict=True):
        assert ours.status == theirs.status == "succeeded"
        assert {c: getattr(ours, c) for c in COUNTS} == {c: getattr(theirs, c) for c in COUNTS}
        assert (ours.partitions_written, ours.rows_returns) == (theirs.partitions_written, theirs.rows_returns)
        assert ours.quarantined_by_rule == theirs.quarantined_by_rule and ours.null_rates == theirs.null_rates
    second = laid_reports[1]
    assert (second.rows_read, second.rows_quarantined, second.rows_written) == (14, 2, 9)
    assert (second.rows_deduplicated, second.version_ties, second.rows_replaced, second.rows_returns) == (3, 2, 3, 2)
    assert second.partitions_written == ["2024-01", "2024-02", "2024-03"]
    for table in TABLES:
        assert rows(laid, table) == rows(merged, table), table
    for table in TABLES[:2]:
        assert layout(laid, table) == layout(merged, table), table
        assert all(files == 1 and ordered and snappy for files, _, ordered, snappy in layout(laid, table).values())
    sales = {r[1]: r for r in rows(laid, "toy_sales")}
    assert {k: (r[3], r[4]) for k, r in sales.items()} == {
        "A1": ("7", "x"),
        "A2": ("9", "tie"),
        "A3": ("2", "None"),
        "F1": ("1", "a"),
        "F2": ("6", "b2"),
        "F3": ("4", "c"),
        "F4": ("2", "new"),
        "M1": ("1", "m"),
    }
    quarantined = {r[2]: r for r in rows(laid, "_quarantine/toy_sales")}  # (ingest_month, entity, file, line, ...)
    assert {r[4]: r[6] for r in quarantined.values()} == {
        "invalid_date": 'BAD,2024-13-45,1,"a, ""quoted"" note",2024-02-02 10:00:00',
        "invalid_number": "NUM,2024-02-01,1x,ünï-cödé,2024-02-02 10:00:00",
    }
    assert staged(laid) == []


def test_a_rerun_changes_nothing_and_a_failed_gate_publishes_nothing(spark, both_paths):
    root = both_paths["laid_out"][0]
    before = {t: rows(root, t) for t in TABLES}
    assert run(spark, root).status == "no_new_files"
    refreshed = run(spark, root, full_refresh=True)
    assert refreshed.status == "succeeded" and {t: rows(root, t) for t in TABLES} == before
    land(root, {"year=2024/month=04/day=01/d.csv": HEADER + "N1,2024-04-01,bad,,2024-04-01 10:00:00\n"}, age=100)
    files = sorted(str(p) for p in (root / "processed").rglob("*.parquet"))
    with pytest.raises(QualityGateError):
        run(spark, root, max_quarantine_rate=0.0)
    assert sorted(str(p) for p in (root / "processed").rglob("*.parquet")) == files and staged(root) == []


def test_a_run_killed_while_publishing_is_repaired_by_running_again(spark, both_paths, monkeypatch, tmp_path):
    expected = {t: rows(both_paths["laid_out"][0], t) for t in TABLES}
    root = tmp_path / "killed"
    land(root, FIRST, age=300)
    run(spark, root)
    land(root, SECOND, age=200)
    moved = []

    def dies_after_one_move(self, source, destination):
        if moved:
            raise SystemExit("killed")  # as a kill between two partitions' moves
        moved.append(destination)
        replace(self, source, destination)

    replace = Lake._replace_dir
    with monkeypatch.context() as patch:
        patch.setattr(Lake, "_replace_dir", dies_after_one_move)
        with pytest.raises(SystemExit):
            run(spark, root)
    assert moved
    Lake(str(root)).recover()  # what the lake lock does before the next run
    assert run(spark, root).status == "succeeded"
    assert {t: rows(root, t) for t in TABLES} == expected
    assert staged(root) == []

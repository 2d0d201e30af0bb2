"""Which raw files a run reads: compressed and upper-case drops, rewrites, half-written files, ties, delimiters.

Each test lands real files in a temporary lake and runs the batch job (ingest_source) on local Spark, on a toy
source with no masters so the drop handling is judged on its own.
"""

from __future__ import annotations

import bz2
import gzip
import os
import threading
import time

import pyarrow.parquet as pq
import pytest

from foundation.lake import Lake
from ingestion.batch import RunOptions, ingest_source
from ingestion.fields import Field
from ingestion.sources import Source

pytestmark = pytest.mark.spark
TOY = Source(
    entity="toy_orders",
    raw_folder="raw/toy_orders",
    format="csv",
    fields=(Field("order_id", required=True), Field("qty", "int", required=True), Field("updated_at", "timestamp")),
    key=("order_id",),
    version=("updated_at",),
)
DAY = "raw/toy_orders/year=2024/month=01/day=02"
HEADER = "order_id,qty,updated_at\n"


def land(root, name, data: bytes | str, modified: float | None = None) -> str:
    path = root / DAY / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data if isinstance(data, bytes) else data.encode())
    if modified is not None:
        os.utime(path, (modified, modified))
    return f"{DAY}/{name}"


def run(spark, root, **options):
    return ingest_source(spark, Lake(str(root)), TOY, RunOptions(settle_seconds=options.pop("settle", 0.0), **options))


def published(root) -> dict[str, int]:
    rows = pq.read_table(root / "processed" / "toy_orders").to_pylist()
    return {r["order_id"]: r["qty"] for r in rows}


def test_compressed_and_upper_case_drops_land_and_the_rest_is_reported(spark, tmp_path):
    land(tmp_path, "a.csv.gz", gzip.compress((HEADER + "G1,1,2024-01-02 10:00:00\n").encode()))
    land(tmp_path, "b.CSV", HEADER + "U1,2,2024-01-02 10:00:00\n")
    land(tmp_path, "c.csv.bz2", bz2.compress((HEADER + "B1,3,2024-01-02 10:00:00\n").encode()))
    land(tmp_path, "d.csv", gzip.compress((HEADER + "X1,4,2024-01-02 10:00:00\n").encode()))  # gzip, misnamed
    land(tmp_path, "e.xlsx", b"PK\x03\x04")
    land(tmp_path, "_SUCCESS", b"")
    report = run(spark, tmp_path)
    assert published(tmp_path) == {"G1": 1, "U1": 2, "B1": 3}
    reasons = {s["file"].rsplit("/", 1)[-1]: s["reason"] for s in report.skipped_files}
    assert set(reasons) == {"d.csv", "e.xlsx"}  # a job marker is expected company, not news
    assert "gz-compressed" in reasons["d.csv"] and "not a csv drop" in reasons["e.xlsx"]
    assert report.files_read == 3 and report.reconciles()


def test_a_rewrite_at_the_same_size_is_a_new_version_and_said_so(spark, tmp_path):
    first = land(tmp_path, "a.csv", HEADER + "R1,4,2024-01-02 10:00:00\n", modified=time.time() - 60)
    run(spark, tmp_path)
    land(tmp_path, "a.csv", HEADER + "R1,6,2024-01-02 10:00:00\n", modified=time.time() - 30)  # same bytes count
    report = run(spark, tmp_path)
    assert published(tmp_path) == {"R1": 6}
    assert [r["file"] for r in report.rewritten_files] == [first] and report.rewritten_files[0]["replaces"]
    assert report.rows_replaced == 1
    touched = land(tmp_path, "a.csv", HEADER + "R1,6,2024-01-02 10:00:00\n")  # same content, new time
    assert run(spark, tmp_path).status == "no_new_files" and touched


def test_a_drop_still_being_written_is_not_read_until_it_is_complete(spark, tmp_path):
    land(tmp_path, "done.csv", HEADER + "D1,1,2024-01-02 10:00:00\n", modified=time.time() - 60)
    path = tmp_path / DAY / "growing.csv"
    lines = [HEADER] + [f"W{i},{i},2024-01-02 10:00:00\n" for i in range(1, 40)]
    started = threading.Event()

    def upload():  # an SFTP upload: a chunk every 0.2 s, the last line cut until the end
        with open(path, "w") as handle:
            for line in lines:
                handle.write(line[: len(line) // 2])
                handle.flush()
                started.set()
                time.sleep(0.1)
                handle.write(line[len(line) // 2 :])
                handle.flush()
                time.sleep(0.1)

    writer = threading.Thread(target=upload)
    writer.start()
    started.wait()
    report = run(spark, tmp_path, settle=1.0)
    writer.join()
    assert published(tmp_path) == {"D1": 1}
    assert next(s["reason"] for s in report.skipped_files if s["file"].endswith("growing.csv")).startswith(
        "still being written"
    )
    os.utime(path, (time.time() - 60, time.time() - 60))
    run(spark, tmp_path, settle=1.0)
    assert published(tmp_path) == {"D1": 1} | {f"W{i}": i for i in range(1, 40)}


def test_versions_with_the_same_timestamp_go_to_the_later_landed_file_and_are_reported(spark, tmp_path):
    now = time.time()
    # Name order and landing order disagree: the file named first landed last.
    land(tmp_path, "b_first.csv", HEADER + "T1,4,2024-01-02 10:00:00\nT2,1,2024-01-02 10:00:00\n", now - 60)
    land(tmp_path, "a_second.csv", HEADER + "T1,6,2024-01-02 10:00:00\nT2,1,2024-01-02 10:00:00\n", now - 30)
    report = run(spark, tmp_path)
    assert published(tmp_path) == {"T1": 6, "T2": 1}
    assert report.version_ties == 1  # T2 is the same record sent twice, not a conflict
    land(tmp_path, "c_third.csv", HEADER + "T1,5,2024-01-02 10:00:00\n", now - 10)  # a later run lands later
    report = run(spark, tmp_path)
    assert published(tmp_path) == {"T1": 5, "T2": 1} and report.version_ties == 1


def test_a_semicolon_export_lands_by_its_own_delimiter(spark, tmp_path):
    land(tmp_path, "semi.csv", 'order_id;qty;updated_at\nS1;7;2024-01-02 10:00:00\n"S;2";8;2024-01-02 10:00:00\n')
    land(tmp_path, "tab.csv", "order_id\tqty\tupdated_at\nS3\t9\t2024-01-02 10:00:00\n")
    report = run(spark, tmp_path)
    assert published(tmp_path) == {"S1": 7, "S;2": 8, "S3": 9}
    assert report.rows_quarantined == 0

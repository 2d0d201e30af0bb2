"""The lake on S3, as Glue sees it: listing drops, bookmarks and publishing, against a local moto server."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest

from foundation.lake import Lake, MissingInputError
from ingestion.batch import RunOptions, new_drops, save_bookmark
from ingestion.sources import SALES

BUCKET = "supply-chain-data-lake"


@pytest.fixture(scope="module")
def s3_endpoint():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("moto_server")), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.2)
    else:
        server.kill()
        pytest.fail("moto_server did not start within 30 s")
    yield endpoint
    server.terminate()
    server.wait(timeout=10)


@pytest.fixture
def s3(s3_endpoint, monkeypatch):
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL_S3": s3_endpoint,
    }.items():
        monkeypatch.setenv(name, value)
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    client.create_bucket(Bucket=BUCKET)
    yield client
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
        for item in page.get("Contents", []):
            client.delete_object(Bucket=BUCKET, Key=item["Key"])
    client.delete_bucket(Bucket=BUCKET)


def keys(client, prefix):
    found = client.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])
    # pyarrow leaves zero-byte "folder/" markers behind on S3; Glue, Spark and Spectrum skip them.
    return sorted(item["Key"][len(prefix) :] for item in found if not item["Key"].endswith("/"))


def test_listing_and_bookmarks_on_s3(s3):
    lake = Lake(f"s3://{BUCKET}/lake")
    with pytest.raises(MissingInputError, match=f"s3://{BUCKET}/lake/raw/sales does not exist"):
        lake.list_raw("raw/sales", (".csv",))
    for day in (1, 2):
        s3.put_object(
            Bucket=BUCKET,
            Key=f"lake/raw/sales/year=2024/month=01/day=0{day}/sales_2024010{day}_a.csv",
            Body=b"order_id\nO1\n",
        )
    assert lake.uri("raw/sales") == f"s3://{BUCKET}/lake/raw/sales"
    first = new_drops(lake, SALES, RunOptions())
    assert [f.partition_date.day for f in first] == [1, 2]
    save_bookmark(lake, "sales", first[:1])
    assert [f.partition_date.day for f in new_drops(lake, SALES, RunOptions())] == [2]
    recorded = lake.read_json("processed/_bookmarks/sales.json")["files"]
    assert list(recorded) == [first[0].path] and recorded[first[0].path]["size"] == first[0].size
    assert len(recorded[first[0].path]["md5"]) == 32  # the drop is known by its content


def test_publish_on_s3_replaces_partitions_without_rename(s3):
    lake = Lake(f"s3://{BUCKET}/lake")
    s3.put_object(Bucket=BUCKET, Key="lake/processed/t/m=2024-01/old.parquet", Body=b"1")
    s3.put_object(Bucket=BUCKET, Key="lake/processed/t/m=2024-02/old.parquet", Body=b"1")
    staged = lake.staging_area("t")
    s3.put_object(Bucket=BUCKET, Key=f"lake/{staged}/m=2024-02/new.parquet", Body=b"2")
    lake.publish(staged, "processed/t", ["m=2024-02"])
    assert keys(s3, "lake/processed/t/") == ["m=2024-01/old.parquet", "m=2024-02/new.parquet"]
    assert keys(s3, f"lake/{staged}") == []


def test_the_lake_uses_the_region_the_platform_sets(s3, monkeypatch):
    """Fargate, Glue and Lambda set AWS_REGION (and not always AWS_DEFAULT_REGION): the lake used only the latter and
    fell back to us-east-1, whose endpoint redirects every request for a bucket elsewhere."""
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    assert Lake(f"s3://{BUCKET}").fs.region == "eu-west-1"
    monkeypatch.delenv("AWS_REGION")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-southeast-2")
    assert Lake(f"s3://{BUCKET}/prefix").fs.region == "ap-southeast-2"


def test_a_new_staging_area_on_s3_clears_what_killed_runs_of_that_table_left(s3):
    """recover() (run under the local lake lock) does nothing on S3, so the staging folders of Glue runs killed
    between write and publish piled up. A job's next run of the same table deletes them; other tables' are left,
    since their jobs may be running in the same wave."""
    lake = Lake(f"s3://{BUCKET}/lake")
    dead, other = f"sales-{'a' * 32}", f"shipments-{'b' * 32}"
    for folder in (dead, other, f"sales_history-{'c' * 32}"):
        s3.put_object(Bucket=BUCKET, Key=f"lake/processed/_staging/{folder}/m=2024-01/part-0.parquet", Body=b"1")
    staged = lake.staging_area("sales")
    assert staged.startswith("processed/_staging/sales-") and staged != f"processed/_staging/{dead}"
    assert keys(s3, "lake/processed/_staging/") == [
        f"sales_history-{'c' * 32}/m=2024-01/part-0.parquet",
        f"{other}/m=2024-01/part-0.parquet",
    ]

"""Order events through Structured Streaming: exactly the new files per run, and the quality gate."""

from __future__ import annotations

import gzip
import json

import pytest

from foundation.lake import Lake
from ingestion.batch import RunOptions
from ingestion.quality import QualityGateError
from ingestion.streaming import ingest_events

pytestmark = pytest.mark.spark


def event(event_id: str, hour: int = 9) -> str:
    return json.dumps(
        {
            "event_id": event_id,
            "event_type": "order_created",
            "event_at": f"2025-12-01T{hour:02d}:10:00Z",
            "order_id": f"SO{event_id}",
            "warehouse_id": "WH001",
            "channel": "web",
            "customer_id": "C1",
            "line_count": 1,
            "total_qty": 2,
            "schema_version": 1,
        }
    )


def land(root, hour: int, lines: list[str]) -> None:
    folder = root / f"raw/order_events/year=2025/month=12/day=01/hour={hour:02d}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"order-events-1-2025-12-01-{hour:02d}-00-00-x.json").write_text("\n".join(lines) + "\n")


@pytest.fixture
def lake(spark, tmp_path):
    spark.createDataFrame([("WH001", "NORTH")], "warehouse_id string, region string").write.parquet(
        str(tmp_path / "processed/warehouses")
    )
    return tmp_path


def events(spark, root):
    return spark.read.parquet(str(root / "processed/order_events"))


def test_each_run_takes_exactly_the_new_files(spark, lake):
    land(lake, 9, [event("E1"), event("E2"), event("E1")])  # E1 delivered twice
    first = ingest_events(spark, Lake(str(lake)), RunOptions())
    assert (first.rows_read, first.rows_written, first.rows_deduplicated) == (3, 2, 1)
    assert ingest_events(spark, Lake(str(lake)), RunOptions()).status == "no_new_files"
    land(lake, 10, [event("E3", 10)])
    third = ingest_events(spark, Lake(str(lake)), RunOptions())
    assert third.rows_read == 1 and third.files_read == 1
    assert sorted(r.event_id for r in events(spark, lake).collect()) == ["E1", "E2", "E3"]
    assert {r.channel for r in events(spark, lake).collect()} == {"WEB"}


def test_a_bad_batch_fails_with_the_gate_message_and_publishes_nothing(spark, lake):
    land(lake, 9, [event("E1"), '{"event_id": "E2", "event_ty', '{"event_id": "E3"}'])
    with pytest.raises(QualityGateError, match="order_events: 2 of 3 records"):
        ingest_events(spark, Lake(str(lake)), RunOptions())
    assert not (lake / "processed/order_events").exists()


def test_a_micro_batch_lists_its_files_once(spark, lake, monkeypatch):
    """The files a micro-batch read (checked for compressed bytes under a plain name, then reported) are listed by
    one Spark job reading every event file; main listed them again for the report. Same files either way."""
    land(lake, 9, [event("E1"), event("E2")])
    misnamed = lake / "raw/order_events/year=2025/month=12/day=01/hour=10/events-5.json"
    misnamed.parent.mkdir(parents=True)
    misnamed.write_bytes(gzip.compress(event("E3").encode()))
    frame_class, listings = type(spark.range(1)), []
    collect = frame_class.collect

    def counted(self):
        if self.columns == ["source_file"]:
            listings.append(self)
        return collect(self)

    monkeypatch.setattr(frame_class, "collect", counted)
    report = ingest_events(spark, Lake(str(lake)), RunOptions())
    assert len(listings) == 1  # main: 2
    hour_9 = "raw/order_events/year=2025/month=12/day=01/hour=09"
    assert report.files == [f"{hour_9}/order-events-1-2025-12-01-09-00-00-x.json"]
    assert [s["file"] for s in report.skipped_files] == [str(misnamed.relative_to(lake))]
    assert (report.rows_read, report.files_read) == (2, 1)

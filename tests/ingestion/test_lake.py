"""The lake wrapper: listing drops, bookmarks, publishing staged output, and clear errors."""

from __future__ import annotations

import datetime as dt

import pytest

from foundation.lake import Lake, MissingInputError
from ingestion.batch import RunOptions, new_drops, save_bookmark
from ingestion.sources import SALES


def touch(root, relative, text="x"):
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_missing_raw_folder_is_a_clear_message(tmp_path):
    with pytest.raises(MissingInputError, match="raw/sales does not exist: no sales drops have landed yet"):
        Lake(str(tmp_path)).list_raw("raw/sales", (".csv",))


def test_listing_skips_hidden_and_in_flight_files(tmp_path):
    touch(tmp_path, "raw/sales/year=2024/month=01/day=02/sales_20240102_a.csv")
    touch(tmp_path, "raw/sales/year=2024/month=01/day=02/.sales_20240102_b.csv.partial")
    touch(tmp_path, "raw/sales/year=2024/month=01/day=02/_SUCCESS")
    files = Lake(str(tmp_path)).list_raw("raw/sales", (".csv",))
    assert [f.path for f in files] == ["raw/sales/year=2024/month=01/day=02/sales_20240102_a.csv"]
    assert files[0].partition_date == dt.date(2024, 1, 2)


def test_bookmark_and_run_date_select_new_drops(tmp_path):
    lake = Lake(str(tmp_path))
    for day in (1, 2, 3):
        touch(tmp_path, f"raw/sales/year=2024/month=01/day=0{day}/sales_2024010{day}_a.csv")
    up_to_2nd = new_drops(lake, SALES, RunOptions(run_date=dt.date(2024, 1, 2)))
    assert [f.partition_date.day for f in up_to_2nd] == [1, 2]
    save_bookmark(lake, "sales", up_to_2nd)
    assert [f.partition_date.day for f in new_drops(lake, SALES, RunOptions())] == [3]
    assert len(new_drops(lake, SALES, RunOptions(full_refresh=True))) == 3


def test_publish_replaces_only_the_staged_partitions(tmp_path):
    lake = Lake(str(tmp_path))
    touch(tmp_path, "processed/t/m=2024-01/old.parquet")
    touch(tmp_path, "processed/t/m=2024-02/old.parquet")
    staged = lake.staging_area("t")
    touch(tmp_path, f"{staged}/m=2024-02/new.parquet")
    touch(tmp_path, f"{staged}/m=2024-03/new.parquet")
    lake.publish(staged, "processed/t", ["m=2024-02", "m=2024-03"])
    found = sorted(str(p.relative_to(tmp_path / "processed/t")) for p in (tmp_path / "processed/t").rglob("*.parquet"))
    assert found == ["m=2024-01/old.parquet", "m=2024-02/new.parquet", "m=2024-03/new.parquet"]
    assert not lake.exists(staged)

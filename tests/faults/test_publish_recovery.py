"""Lake.recover on the states a publish killed at each point leaves (the real kill -9 of a publishing process is
in cases_process): the old partition comes back, a finished swap is tidied, stale staging goes, and nothing a
reader lists is ever a retired folder."""

from __future__ import annotations

import os

from foundation.lake import RETIRED, Lake


def table_with(root, partition: str, text: str):
    folder = root / "processed" / "sales" / partition
    folder.mkdir(parents=True)
    (folder / "part-0.parquet").write_text(text)
    return folder


def retire(root, folder, name="abc"):
    """What `_replace_dir` does first: note the origin, move the live folder out of the table."""
    retired = root / RETIRED / name
    retired.mkdir(parents=True)
    (retired / "origin").write_text(str(folder))
    os.replace(folder, retired / "data")


def test_a_partition_moved_out_before_the_crash_is_put_back(tmp_path):
    live = table_with(tmp_path, "order_month=2024-03", "old")
    retire(tmp_path, live)
    assert Lake(str(tmp_path)).recover() == [str(live)]
    assert (live / "part-0.parquet").read_text() == "old"
    assert not (tmp_path / RETIRED).exists()


def test_a_swap_that_finished_keeps_the_new_partition(tmp_path):
    live = table_with(tmp_path, "order_month=2024-03", "old")
    retire(tmp_path, live)
    table_with(tmp_path, "order_month=2024-03", "new")
    assert Lake(str(tmp_path)).recover() == []
    assert (live / "part-0.parquet").read_text() == "new"
    assert not (tmp_path / RETIRED).exists()


def test_folders_the_old_publish_retired_beside_the_table_are_resolved(tmp_path):
    sales = tmp_path / "processed" / "sales"
    gone = table_with(tmp_path, "order_month=2024-03", "old")
    os.replace(gone, sales / "order_month=2024-03.retired-1f2e")
    table_with(tmp_path, "order_month=2024-02", "kept")
    os.replace(table_with(tmp_path, "order_month=2024-01", "old"), sales / "order_month=2024-01.retired-9a")
    table_with(tmp_path, "order_month=2024-01", "new")

    Lake(str(tmp_path)).recover()
    assert sorted(p.name for p in sales.iterdir()) == [
        "order_month=2024-01",
        "order_month=2024-02",
        "order_month=2024-03",
    ]
    assert (sales / "order_month=2024-01" / "part-0.parquet").read_text() == "new"
    assert (sales / "order_month=2024-03" / "part-0.parquet").read_text() == "old"


def test_publishing_moves_the_old_partition_out_of_the_table(tmp_path):
    lake = Lake(str(tmp_path))
    table_with(tmp_path, "order_month=2024-03", "old")
    staged = lake.staging_area("sales")
    (tmp_path / staged / "order_month=2024-03").mkdir(parents=True)
    (tmp_path / staged / "order_month=2024-03" / "part-0.parquet").write_text("new")
    lake.publish(staged, "processed/sales", ["order_month=2024-03"])
    sales = tmp_path / "processed" / "sales"
    assert [p.name for p in sales.iterdir()] == ["order_month=2024-03"]
    assert (sales / "order_month=2024-03" / "part-0.parquet").read_text() == "new"
    assert not list((tmp_path / RETIRED).iterdir())

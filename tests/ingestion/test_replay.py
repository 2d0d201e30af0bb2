"""Quarantine replay: a sale quarantined as unknown_product lands once its product arrives, leaves the
quarantine, and the counts stay exact over the whole history (full refresh included)."""

from __future__ import annotations

import json

import pyarrow.dataset as ds
import pytest

from foundation.lake import Lake
from ingestion.batch import RunOptions
from ingestion.fields import Field
from ingestion.runner import ingest_all
from ingestion.sources import PRODUCTS, Source

pytestmark = pytest.mark.spark
ORDERS = Source(
    entity="toy_sales",
    raw_folder="raw/toy_sales",
    format="csv",
    fields=(Field("order_id", required=True), Field("product_id", required=True), Field("qty", "int")),
    key=("order_id",),
    references={"product_id": "products"},
)


def land(root, folder, day, name, text, month=1):
    path = root / folder / f"year=2024/month={month:02d}/day={day:02d}" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def product(product_id: str) -> str:
    return json.dumps({"product_id": product_id, "product_name": "x", "category": "c", "unit_price": "1.00",
                       "updated_at": "2024-01-01T00:00:00"}) + "\n"  # fmt: skip


def rows(root, name):
    path = root / "processed" / name
    return ds.dataset(path, partitioning="hive").to_table().to_pylist() if path.exists() else []


def run(spark, root, only=None, **options):
    sources = (PRODUCTS, ORDERS)
    options = RunOptions(max_quarantine_rate=0.7, settle_seconds=0, **options)
    return {r.entity: r for r in ingest_all(spark, Lake(str(root)), options, only=only, sources=sources)}


def quarantine_files(root, month):
    """The quarantine's files of one month, with their modification times: what a run rewrote."""
    folder = root / "processed/_quarantine/toy_sales" / f"ingest_month={month}"
    return {p.name: p.stat().st_mtime_ns for p in folder.glob("*.parquet")}


def test_a_sale_waiting_for_its_product_lands_when_the_product_arrives(spark, tmp_path):
    land(tmp_path, "raw/product_master", 1, "p1.jsonl", product("P1"))
    land(tmp_path, "raw/toy_sales", 1, "s1.csv", "order_id,product_id,qty\nO1,P1,1\nO2,P2,2\nO3,P1,x\n")
    first = run(spark, tmp_path)["toy_sales"]
    assert sorted(r["order_id"] for r in rows(tmp_path, "toy_sales")) == ["O1"]
    assert sorted(r["rule"] for r in rows(tmp_path, "_quarantine/toy_sales")) == ["invalid_number", "unknown_product"]

    land(tmp_path, "raw/product_master", 2, "p2.jsonl", product("P2"))  # the master catches up; no new sale
    second = run(spark, tmp_path)["toy_sales"]
    assert sorted(r["order_id"] for r in rows(tmp_path, "toy_sales")) == ["O1", "O2"]
    assert [r["rule"] for r in rows(tmp_path, "_quarantine/toy_sales")] == ["invalid_number"]
    assert (second.rows_replayed, second.rows_released, second.rows_written) == (1, 1, 1)

    land(tmp_path, "raw/toy_sales", 3, "s3.csv", "order_id,product_id,qty\nO4,P3,4\n" + "O5,P1,5\n" * 3)
    third = run(spark, tmp_path)["toy_sales"]  # a new unknown product, nothing left to replay
    assert third.rows_replayed == 0
    history = [first, second, third]
    for report in history:
        assert report.reconciles()
    held = rows(tmp_path, "_quarantine/toy_sales")
    written = rows(tmp_path, "toy_sales")
    # Every record read from a drop once: it is published, dropped as a duplicate, or held in quarantine now.
    read_once = sum(r.rows_read - r.rows_replayed for r in history)
    assert read_once == len(written) + sum(r.rows_deduplicated for r in history) + len(held) == 7

    refreshed = run(spark, tmp_path, full_refresh=True)["toy_sales"]
    assert sorted(r["order_id"] for r in rows(tmp_path, "toy_sales")) == ["O1", "O2", "O5"]
    assert sorted(r["rule"] for r in rows(tmp_path, "_quarantine/toy_sales")) == ["invalid_number", "unknown_product"]
    assert refreshed.rows_read == 7 and refreshed.reconciles()


def test_a_run_reads_the_quarantine_once(spark, tmp_path, monkeypatch):
    """The replay and the quarantine's replacement share one read of what the quarantine held: each read of a
    Parquet table costs a listing and a Spark job to infer its schema, a fixed cost of every daily run."""
    import ingestion.replay

    land(tmp_path, "raw/product_master", 1, "p1.jsonl", product("P1"))
    land(tmp_path, "raw/toy_sales", 1, "s1.csv", "order_id,product_id,qty\nO1,P1,1\nO2,P2,2\n")
    run(spark, tmp_path)
    reads = []
    real = ingestion.replay.read_table

    def counted(spark, lake, table, *args, **kwargs):
        reads.append(table.path)
        return real(spark, lake, table, *args, **kwargs)

    monkeypatch.setattr(ingestion.replay, "read_table", counted)
    land(tmp_path, "raw/toy_sales", 2, "s2.csv", "order_id,product_id,qty\nO3,P3,3\nO4,P1,4\nO5,P1,5\n")
    land(tmp_path, "raw/product_master", 2, "p9.jsonl", product("P9"))  # a master drop: the replay runs
    report = run(spark, tmp_path)["toy_sales"]
    assert reads.count("processed/_quarantine/toy_sales") == 1
    assert (report.rows_replayed, report.rows_quarantined) == (1, 2)
    assert sorted(r["order_id"] for r in rows(tmp_path, "toy_sales")) == ["O1", "O4", "O5"]
    # What it held, less nothing, plus the new reject: O2 still waits for P2, O3 for P3.
    assert sorted(r["source_file"].rsplit("/", 1)[-1] for r in rows(tmp_path, "_quarantine/toy_sales")) == [
        "s1.csv",
        "s2.csv",
    ]


def test_the_replay_waits_until_a_master_changes(spark, tmp_path):
    """Until a master changes, a replay cannot cure a held record: a run of new drops leaves the held ones alone
    (not re-read, their months not rewritten). Once a master changed, even in a run of its own, the next run
    replays; an unreadable marker of what was last replayed against means: replay."""
    land(tmp_path, "raw/product_master", 1, "p1.jsonl", product("P1"))
    land(tmp_path, "raw/toy_sales", 1, "s1.csv", "order_id,product_id,qty\nO1,P1,1\nO2,P2,2\n")
    history = [run(spark, tmp_path)["toy_sales"]]
    january = quarantine_files(tmp_path, "2024-01")

    land(tmp_path, "raw/toy_sales", 2, "s2.csv", "order_id,product_id,qty\nO3,P3,3\nO4,P1,4\n", month=2)
    history.append(run(spark, tmp_path)["toy_sales"])  # no master changed: O2 is not retried
    assert (history[-1].rows_read, history[-1].rows_replayed, history[-1].rows_quarantined) == (2, 0, 1)
    assert quarantine_files(tmp_path, "2024-01") == january  # the held month was not rewritten
    assert sorted(r["source_file"][-6:] for r in rows(tmp_path, "_quarantine/toy_sales")) == ["s1.csv", "s2.csv"]

    land(tmp_path, "raw/product_master", 3, "p2.jsonl", product("P2"), month=2)
    run(spark, tmp_path, only=["products"])  # the master changes in a run of its own
    land(tmp_path, "raw/toy_sales", 4, "s4.csv", "order_id,product_id,qty\nO5,P1,5\n", month=2)
    history.append(run(spark, tmp_path)["toy_sales"])
    assert (history[-1].rows_replayed, history[-1].rows_released) == (2, 1)  # O2 lands, O3 still waits for P3
    assert sorted(r["order_id"] for r in rows(tmp_path, "toy_sales")) == ["O1", "O2", "O4", "O5"]

    (tmp_path / "processed/_replayed/toy_sales.json").write_text("{cut sh")
    land(tmp_path, "raw/toy_sales", 5, "s5.csv", "order_id,product_id,qty\nO6,P1,6\n", month=2)
    history.append(run(spark, tmp_path)["toy_sales"])
    assert (history[-1].rows_replayed, history[-1].rows_released) == (1, 0)
    assert [r["rule"] for r in rows(tmp_path, "_quarantine/toy_sales")] == ["unknown_product"]
    for report in history:
        assert report.reconciles()
    read_once = sum(r.rows_read - r.rows_replayed for r in history)
    held = rows(tmp_path, "_quarantine/toy_sales")
    assert read_once == len(rows(tmp_path, "toy_sales")) + sum(r.rows_deduplicated for r in history) + len(held)

    land(tmp_path, "raw/toy_sales", 2, "s2.csv", "order_id,product_id,qty\nO3,P1,3\nO4,P1,4\n", month=2)
    corrected = run(spark, tmp_path)["toy_sales"]  # a new version of s2 replaces what the quarantine held of it
    assert (corrected.rows_read, corrected.rows_replayed, corrected.rows_quarantined) == (2, 0, 0)
    assert rows(tmp_path, "_quarantine/toy_sales") == []


@pytest.mark.parametrize("cut_at", ["record_replay", "record_drops"])
def test_a_run_cut_short_after_its_quarantine_ends_the_same_when_run_again(spark, tmp_path, monkeypatch, cut_at):
    """Cut after the quarantine's replacement, before the replay marker or the bookmark moved: the re-run reads the
    same drop again and its records replace the ones the cut run quarantined (each held once); the held ones were
    checked against the same masters, so nothing is replayed."""
    import ingestion.batch

    land(tmp_path, "raw/product_master", 1, "p1.jsonl", product("P1"))
    land(tmp_path, "raw/toy_sales", 1, "s1.csv", "order_id,product_id,qty\nO1,P1,1\nO2,P2,2\n")
    run(spark, tmp_path)
    land(tmp_path, "raw/toy_sales", 2, "s2.csv", "order_id,product_id,qty\nO3,P3,3\nO4,P1,4\nO5,P1,x\n")
    real = getattr(ingestion.batch, cut_at, None)

    def cut(lake, entity, *args):
        if entity == "toy_sales":
            raise RuntimeError("cut short")
        return real(lake, entity, *args)

    monkeypatch.setattr(ingestion.batch, cut_at, cut, raising=False)
    with pytest.raises(RuntimeError, match="cut short"):
        run(spark, tmp_path)
    monkeypatch.undo()
    again = run(spark, tmp_path)["toy_sales"]
    assert (again.rows_read, again.rows_replayed, again.rows_quarantined) == (3, 0, 2) and again.reconciles()
    held = sorted((r["source_file"][-6:], r["source_line"], r["rule"]) for r in rows(tmp_path, "_quarantine/toy_sales"))
    assert [(f, rule) for f, _, rule in held] == [
        ("s1.csv", "unknown_product"),
        ("s2.csv", "unknown_product"),
        ("s2.csv", "invalid_number"),
    ]
    assert sorted(r["order_id"] for r in rows(tmp_path, "toy_sales")) == ["O1", "O4"]

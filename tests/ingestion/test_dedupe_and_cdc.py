"""Keeping the latest version per key, and applying DMS change rows to the warehouse master."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from ingestion.transforms.cdc import change_history, current_state
from ingestion.transforms.dedupe import latest_per_key, ranked_versions

pytestmark = pytest.mark.spark
TS = dt.datetime


def test_latest_version_wins_and_exact_duplicates_collapse(spark):
    records = spark.createDataFrame(
        [
            ("O1", 1, 5, TS(2024, 1, 1, 10), "raw/d1.csv", 2),
            ("O1", 1, 6, TS(2024, 1, 2, 10), "raw/d2.csv", 7),  # the correction, re-sent a day later
            ("O2", 1, 3, TS(2024, 1, 1, 11), "raw/d1.csv", 3),
            ("O2", 1, 3, TS(2024, 1, 1, 11), "raw/d2.csv", 9),  # exact duplicate in the next drop
        ],
        "order_id string, line_number int, qty int, updated_at timestamp, source_file string, source_line int",
    )
    kept = latest_per_key(records, ["order_id", "line_number"], ["updated_at"]).orderBy("order_id").collect()
    assert [(r.order_id, r.qty, r.source_file) for r in kept] == [("O1", 6, "raw/d2.csv"), ("O2", 3, "raw/d2.csv")]


def test_rank_and_tie_come_from_one_window_operator(spark):
    """Both window columns in one select: Spark plans one Window operator over the sorted rows, not one each
    (every key's rows buffered twice; about 2 s of JVM CPU per million rows, BENCHMARKS.md)."""
    records = spark.createDataFrame(
        [("O1", 1, 5, TS(2024, 1, 1, 10), "raw/d1.csv", 2), ("O1", 1, 6, TS(2024, 1, 1, 10), "raw/d2.csv", 7)],
        "order_id string, line_number int, qty int, updated_at timestamp, source_file string, source_line int",
    )
    ranked = ranked_versions(records, ["order_id", "line_number"], ["updated_at"])
    plan = ranked._jdf.queryExecution().executedPlan().toString()
    assert len(re.findall(r"\bWindow \[", plan)) == 1, plan
    assert sorted((r.source_file, r._rank, r._tie) for r in ranked.collect()) == [
        ("raw/d1.csv", 2, False),
        ("raw/d2.csv", 1, True),  # same version, other content: the winner carries the tie
    ]


def test_cdc_history_and_current_state(spark):
    changes = spark.createDataFrame(
        [
            ("I", TS(2024, 1, 1), "WH1", "NORTH", 100, "f1", 2),
            ("U", TS(2024, 3, 1), "WH1", "EAST", 100, "f2", 2),
            ("U", TS(2024, 3, 1), "WH1", "EAST", 100, "f2b", 2),  # the same change delivered twice
            ("I", TS(2024, 1, 1), "WH2", "SOUTH", 50, "f1", 3),
            ("D", TS(2024, 6, 1), "WH2", "SOUTH", 50, "f3", 2),
        ],
        "op string, commit_ts timestamp, warehouse_id string, region string, capacity_units int, "
        "source_file string, source_line int",
    )
    history = change_history(changes, "warehouse_id")
    rows = history.orderBy("warehouse_id", "valid_from").collect()
    assert [(r.warehouse_id, r.op, r.valid_to, r.is_current) for r in rows] == [
        ("WH1", "I", TS(2024, 3, 1), False),
        ("WH1", "U", None, True),
        ("WH2", "I", TS(2024, 6, 1), False),
        ("WH2", "D", None, True),
    ]
    current = {r.warehouse_id: r for r in current_state(history, "warehouse_id").collect()}
    assert current["WH1"].region == "EAST" and current["WH1"].is_active
    assert current["WH1"].first_seen_at == TS(2024, 1, 1)
    assert not current["WH2"].is_active  # deleted, but kept so old facts still conform


def test_a_key_only_delete_keeps_the_last_known_attributes(spark):
    changes = spark.createDataFrame(
        [
            ("I", TS(2024, 1, 1), "WH3", "WEST", 70, "f1", 2),
            ("U", TS(2024, 2, 1), "WH3", "CENTRAL", None, "f2", 2),  # an update that leaves capacity unknown
            ("D", TS(2024, 5, 1), "WH3", None, None, "f3", 2),  # DMS without full supplemental logging
        ],
        "op string, commit_ts timestamp, warehouse_id string, region string, capacity_units int, "
        "source_file string, source_line int",
    )
    history = change_history(changes, "warehouse_id")
    rows = history.orderBy("valid_from").collect()
    assert [(r.op, r.region, r.capacity_units) for r in rows] == [
        ("I", "WEST", 70),
        ("U", "CENTRAL", None),  # only a delete is filled: an update's null is what the source said
        ("D", "CENTRAL", 70),
    ]
    current = current_state(history, "warehouse_id").collect()[0]
    assert (current.region, current.is_active) == ("CENTRAL", False)

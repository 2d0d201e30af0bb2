"""Applies a DMS-style change stream (Op = I/U/D, commit timestamp) to a master table.

Produces the full change history with validity intervals and the latest state per key, deletes kept as inactive
rows so facts that point at a closed warehouse still conform.
"""

from __future__ import annotations

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

# Columns that say where and when a change came from, not what the row is: never filled from an earlier change.
CHANGE_METADATA = ("op", "commit_ts", "source_file", "source_line")


def change_history(changes: DataFrame, key: str) -> DataFrame:
    """Every change with valid_from/valid_to; re-delivered change rows (same key, op and commit time) count once.

    A delete carries the row's last known attributes: DMS writes only the key for a delete when the source lacks
    full supplemental logging, and a deleted warehouse must keep the region its facts were booked to."""
    distinct = changes.dropDuplicates([key, "op", "commit_ts"])
    window = Window.partitionBy(key).orderBy("commit_ts", "source_file", "source_line")
    before = window.rowsBetween(Window.unboundedPreceding, -1)
    attributes = [c for c in distinct.columns if c != key and c not in CHANGE_METADATA and not c.startswith("_")]
    distinct = distinct.select(
        *[
            F.when(F.col("op") == "D", F.coalesce(F.col(c), F.last(c, ignorenulls=True).over(before)))
            .otherwise(F.col(c))
            .alias(c)
            if c in attributes
            else F.col(c)
            for c in distinct.columns
        ]
    )
    return distinct.select(
        "*",
        F.col("commit_ts").alias("valid_from"),
        F.lead("commit_ts").over(window).alias("valid_to"),
        (F.lead("commit_ts").over(window).isNull()).alias("is_current"),
        (F.col("op") == "D").alias("is_deleted"),
    )


def current_state(history: DataFrame, key: str) -> DataFrame:
    """The latest version of each key; first_seen_at comes from its first change."""
    first_seen = history.groupBy(key).agg(F.min("commit_ts").alias("first_seen_at"))
    latest = latest_changes(history, key).drop("valid_from", "valid_to", "is_current")
    return (
        latest.join(first_seen, key)
        .select("*", (~F.col("is_deleted")).alias("is_active"), F.col("commit_ts").alias("last_changed_at"))
        .drop("is_deleted", "commit_ts", "op")
    )


def latest_changes(history: DataFrame, key: str) -> DataFrame:
    """Each key's latest change: the rows `current_state` keeps, before it joins their first change's time.

    A reader that needs only a key's current attributes (the facts' warehouse state) takes these: no aggregate and
    no join with it, so the history is computed once, not once in each branch of a self-join. A null key has no row
    in `current_state` (the join drops it); here neither."""
    return history.where(F.col("is_current") & F.col(key).isNotNull())

"""Reading and replacing processed tables: merge a batch into the partitions it touches, stage, publish."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from pyspark.sql import DataFrame, Observation, SparkSession
from pyspark.sql import functions as F

from foundation.lake import Lake
from ingestion.file_lookup import by_file
from ingestion.transforms.dedupe import latest_per_key


@dataclass(frozen=True)
class Table:
    path: str  # lake-relative, e.g. processed/sales
    key: tuple[str, ...]
    version: tuple[str, ...] = ()
    partition_column: str | None = None


@dataclass
class MergeResult:
    rows: DataFrame  # the full new content of every touched partition (or of the table)
    partitions: list[str] | None
    batch_kept: int | None  # None when not counted (see merge_batch)
    existing_kept: int
    observed: Observation  # the version ties and rows, known once `rows` has been computed (written)
    existing_rows: int = 0
    cached: DataFrame | None = None  # the persisted frame behind `rows`, when counting needed one

    def ties(self) -> int:
        """Keys whose winner tied on its version with a different record; call only after `rows` was written."""
        return int(self.observed.get["ties"] or 0)

    def written(self) -> int:
        """The rows `rows` held as it was written; call only after it was."""
        return int(self.observed.get["rows"])

    def release(self) -> None:
        if self.cached is not None:
            self.cached.unpersist()


def read_table(spark: SparkSession, lake: Lake, table: Table, partitions: list[str] | None = None) -> DataFrame | None:
    if not lake.exists(table.path):
        return None
    frame = spark.read.parquet(lake.uri(table.path))
    if table.partition_column and partitions is not None:
        frame = frame.where(F.col(table.partition_column).isin(partitions))
    return frame


def merge_batch(
    spark: SparkSession,
    lake: Lake,
    table: Table,
    batch: DataFrame,
    partitions: list[str] | None,
    count: bool = True,
    landing: dict[str, int] | None = None,
) -> MergeResult:
    """Latest version per key across the batch and what the touched partitions (`partitions`) already hold.

    With count=True the result is persisted and counted, to tell how many batch and existing rows survived.
    `landing` ranks the batch's files by landing order, the tie-break between versions with the same timestamp.
    """
    existing = read_table(spark, lake, table, partitions)
    tagged = batch.withColumn("_from_batch", F.lit(True))
    if landing:
        tagged = tagged.withColumn("_landing", by_file(landing, "int"))
    if existing is not None:
        tagged = tagged.unionByName(existing.withColumn("_from_batch", F.lit(False)), allowMissingColumns=True)
    key = list(table.key)
    if table.partition_column:
        # One shuffle serves both the dedupe and the partitioned write: a key's business date never changes, so
        # clustering by partition first keeps every version of a key together.
        tagged = tagged.repartition(table.partition_column)
        key = [table.partition_column, *key]
    merged = latest_per_key(tagged, key, list(table.version))
    if not count or existing is None:
        # Nothing to tell apart: the caller counts what it publishes, and the result is not cached.
        rows, observed = _observed_ties(merged)
        return MergeResult(rows, partitions, None, 0, observed)
    merged = merged.persist()
    counts = {row["_from_batch"]: row["count"] for row in merged.groupBy("_from_batch").count().collect()}
    rows, observed = _observed_ties(merged)
    return MergeResult(
        observed=observed,
        rows=rows,
        partitions=partitions,
        batch_kept=counts.get(True, 0),
        existing_kept=counts.get(False, 0),
        existing_rows=existing.count(),
        cached=merged,
    )


def _observed_ties(merged: DataFrame) -> tuple[DataFrame, Observation]:
    """The rows to publish, and their count and version ties taken as they are written (no extra pass)."""
    observed = Observation(f"ties-{uuid.uuid4().hex}")
    rows = merged.observe(observed, F.sum(F.col("_tie").cast("int")).alias("ties"), F.count(F.lit(1)).alias("rows"))
    return rows.drop("_from_batch", "_tie"), observed


def replace_partitions(lake: Lake, table: Table, rows: DataFrame, partitions: list[str] | None) -> None:
    """Writes rows to a staging area, one sorted snappy Parquet file per partition, then publishes them."""
    staged = lake.staging_area(table.path.rsplit("/", 1)[-1])
    if table.partition_column:
        # Rows arrive clustered by partition from merge_batch; each task writes whole partitions.
        ordered = rows.sortWithinPartitions(table.partition_column, *table.key)
        ordered.write.partitionBy(table.partition_column).parquet(lake.uri(staged), compression="snappy")
        names = [f"{table.partition_column}={p}" for p in partitions or []]
        lake.publish(staged, table.path, names)
    else:
        ordered = rows.coalesce(1).sortWithinPartitions(*table.key)
        ordered.write.parquet(lake.uri(staged), compression="snappy")
        lake.publish(staged, table.path, None)

"""The checked batch, written once to staging with its profile taken as it is written.

Before the quality gate the batch must be counted (rows, rejects per rule, null rates, the partitions it touches);
after it, the good records are merged and the rejects quarantined. Writing the checked batch once to a staging
folder, with the profile observed on that write (`DataFrame.observe`: no extra pass), gives both: the merge and the
quarantine read the staged Parquet back, column by column, instead of an in-memory cache of every row that a
separate aggregation then scanned. Nothing is published from the staging folder; the caller removes it.
A partitioned source's batch is staged by ingestion/laid_out_batch.py instead, with the same profile.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

from pyspark.sql import DataFrame, Observation, SparkSession
from pyspark.sql import functions as F

from foundation.lake import Lake
from ingestion.fields import Field
from ingestion.file_lookup import from_files
from ingestion.sources import Source
from ingestion.transforms.rules import RULE_NUMBER, RULE_ORDER, quarantine_month


@dataclass
class BatchProfile:
    rows: int
    quarantined_by_rule: dict[str, int]
    null_rates: dict[str, float]
    partitions: list[str] | None  # partitions the good records fall in
    quarantine_months: list[str]
    replayed: int = 0  # quarantined records retried (ingestion/replay.py)
    released: int = 0  # ... of which now good
    returns: int = 0  # good records with a negative signed field (Source.returns)
    returns_partitions: list[str] | None = None


def stage_checked(
    spark: SparkSession, lake: Lake, checked: DataFrame, source: Source, drops: list[str] | None = None
) -> tuple[str, DataFrame, BatchProfile]:
    """Writes the checked batch to a new staging folder; returns the folder, the batch read back, its profile."""
    staged = lake.staging_area(f"{source.entity}-checked")
    observation = Observation(f"profile-{uuid.uuid4().hex}")
    try:
        checked.observe(observation, *profile_metrics(source, drops)).write.parquet(lake.uri(staged))
    except Exception:
        lake.delete_dir(staged)
        raise
    # Read back with the schema just written: inferring it from the files' footers costs jobs that wait for a core.
    return staged, spark.read.schema(checked.schema).parquet(lake.uri(staged)), batch_profile(observation.get, source)


# The profile's sets of values: the partitions its good records and its returns fall in, the quarantine's months.
PARTITION_SETS = ("partitions", "returns_partitions", "quarantine_months")


def profile_metrics(source: Source, drops: list[str] | None, partition_sets: bool = True) -> list:
    """The profile's aggregates over the checked batch. `drops`: the files read as new drops (other files' records
    are replayed ones; None: none are). Without `partition_sets`, the caller takes those from the folders it wrote
    (ingestion/laid_out_batch.py): a `collect_set` is evaluated record by record outside Spark's generated code."""
    partition = F.col(source.partition[0]) if source.partition else F.lit(None).cast("string")
    good = F.col("quarantine_rule").isNull()
    bad = ~good
    replayed = ~from_files(drops) if drops is not None else F.lit(False)
    is_return = F.coalesce(good & (F.col(source.signed) < 0), F.lit(False)) if source.signed else F.lit(False)

    def count(condition):
        return F.count(F.when(condition, F.lit(1)))

    def distinct(value):  # as JSON text: Spark 3.5 (Glue 5.0) hands an observed array to Python as a Java object
        return F.to_json(F.collect_set(value))

    sets = [
        distinct(F.when(good & ~is_return, partition)).alias("partitions"),
        distinct(F.when(is_return, partition)).alias("returns_partitions"),
        distinct(F.when(bad, quarantine_month(F.col("source_file")))).alias("quarantine_months"),
    ]
    return [
        F.count(F.lit(1)).alias("rows"),
        count(good).alias("good"),
        # By the rule's number, not its name: an integer test per rule per record instead of a string comparison.
        *[count(F.col(RULE_NUMBER) == i + 1).alias(f"rule_{i}") for i in range(len(RULE_ORDER))],
        *[
            (count(good & F.col(f.name).isNull()) if _may_be_null(f) else F.lit(0)).alias(f"null_{i}")
            for i, f in enumerate(source.fields)
        ],
        *(sets if partition_sets else []),
        count(is_return).alias("returns"),
        count(replayed).alias("replayed"),
        count(replayed & good).alias("released"),
    ]


def _may_be_null(spec: Field) -> bool:
    """Can a good record hold a null here? Not in a required column (its null or unreadable value breaks a rule),
    nor in one with a default: those columns' null counts are 0 without an aggregate per record."""
    return not spec.required and spec.default is None


def batch_profile(metrics: dict, source: Source, partition_sets: dict[str, list[str]] | None = None) -> BatchProfile:
    """The profile from the observed metrics; `partition_sets` (PARTITION_SETS, sorted) when they were not
    observed."""
    sets = partition_sets or {name: sorted(json.loads(metrics[name])) for name in PARTITION_SETS}
    good = metrics["good"]
    by_rule = {rule: metrics[f"rule_{i}"] for i, rule in enumerate(RULE_ORDER) if metrics[f"rule_{i}"]}
    return BatchProfile(
        rows=metrics["rows"],
        quarantined_by_rule=dict(sorted(by_rule.items())),
        null_rates={c: round(metrics[f"null_{i}"] / good, 6) if good else 0.0 for i, c in enumerate(source.columns)},
        partitions=sets["partitions"] if source.partition else None,
        returns=metrics["returns"],
        returns_partitions=sets["returns_partitions"] if source.partition else None,
        quarantine_months=sets["quarantine_months"],
        replayed=metrics["replayed"],
        released=metrics["released"],
    )

"""Keeps one record per business key: the latest version, as the ERP's re-sends and corrections intend."""

from __future__ import annotations

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

# Where a record came from, not what it says: two records differing only here are the same version re-sent.
PROVENANCE = ("source_file", "source_line")


def latest_per_key(records: DataFrame, key: list[str], version: list[str]) -> DataFrame:
    """The record with the highest version per key (`ranked_versions`' first), carrying `_tie`."""
    ranked = ranked_versions(records, key, version)
    return ranked.where(F.col("_rank") == 1).drop("_rank", "_landing")


def ranked_versions(records: DataFrame, key: list[str], version: list[str]) -> DataFrame:
    """Every record with its rank among its key's versions (`_rank`, 1 for the latest) and `_tie`.

    Ties on the version go to landing order: a record of this batch over one already published (`_from_batch`),
    then the later-landed file (`_landing`, the batch's landing rank), then the later file name and line. `_tie`
    is true when the record after it had the same version but said something else (on the winner: a real conflict
    the ERP left to chance, reported), false for exact re-sends. The output is sorted by key, then rank, within
    each of its partitions (the window's own sort): a partitioned write by a prefix of the key needs no other.
    """
    order = [F.col(c).desc_nulls_last() for c in version]
    order += [F.col(c).desc_nulls_last() for c in ("_from_batch", "_landing") if c in records.columns]
    order += [F.col("source_file").desc(), F.col("source_line").desc()]
    window = Window.partitionBy(*key).orderBy(*order)
    content = [c for c in records.columns if not c.startswith("_") and c not in PROVENANCE]
    same_version = F.lit(True)
    for column in version:
        same_version = same_version & F.lead(F.col(column)).over(window).eqNullSafe(F.col(column))
    fingerprint = F.xxhash64(*content)
    tie = F.coalesce(same_version & (F.lead(fingerprint).over(window) != fingerprint), F.lit(False))
    # One select, not two withColumn calls: Spark then plans one Window operator over the sorted rows, not two
    # (each buffering every key's rows again); about 2 s of JVM CPU per million rows (BENCHMARKS.md, session 34).
    return records.select("*", F.row_number().over(window).alias("_rank"), tie.alias("_tie"))

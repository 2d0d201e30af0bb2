"""Keeps one record per business key: the latest version, as the ERP's re-sends and corrections intend."""

from __future__ import annotations

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F


def latest_per_key(records: DataFrame, key: list[str], version: list[str]) -> DataFrame:
    """The record with the highest version per key; ties (exact duplicates) go to the later file and line."""
    order = [F.col(c).desc_nulls_last() for c in version] + [F.col("source_file").desc(), F.col("source_line").desc()]
    ranked = records.withColumn("_rank", F.row_number().over(Window.partitionBy(*key).orderBy(*order)))
    return ranked.where(F.col("_rank") == 1).drop("_rank")

"""Conformance with the masters beyond id checks: fill what the master knows and the drop left empty."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F


def fill_region_from_warehouse(records: DataFrame, warehouses: DataFrame) -> DataFrame:
    """A record without a region takes its warehouse's current region."""
    regions = warehouses.select("warehouse_id", F.col("region").alias("_warehouse_region"))
    filled = records.join(F.broadcast(regions), "warehouse_id", "left")
    return filled.withColumn("region", F.coalesce("region", "_warehouse_region")).select(*records.columns)

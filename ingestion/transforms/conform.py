"""Conformance with the masters beyond id checks: fill what the master knows and the drop left empty."""

from __future__ import annotations

import json

from pyspark.sql import DataFrame
from pyspark.sql import functions as F


def fill_region_from_warehouse(
    records: DataFrame, warehouses: DataFrame, regions: dict[str, str | None] | None = None
) -> DataFrame:
    """A record without a region takes its warehouse's current region: from `regions` (the state's rows, already
    collected) as a map in the record's own expression, else by a broadcast join with `warehouses`.

    The map costs no Spark job. The join's broadcast is a small job of its own that waits for a free core behind the
    other sources' long tasks, and the fact's read cannot start before it: the largest fact started last and its
    last task ran alone at the end of the run (BENCHMARKS.md, session 40)."""
    if regions is not None:
        by_id = F.from_json(F.lit(json.dumps(regions)), "map<string,string>")
        return records.withColumn("region", F.coalesce(F.col("region"), by_id[F.col("warehouse_id")]))
    current = warehouses.select("warehouse_id", F.col("region").alias("_warehouse_region"))
    filled = records.join(F.broadcast(current), "warehouse_id", "left")
    return filled.withColumn("region", F.coalesce("region", "_warehouse_region")).select(*records.columns)


def regions_of_rows(rows: list) -> dict[str, str | None] | None:
    """Each warehouse's region from a state's collected (warehouse_id, region) rows; None when an id has two regions
    (the join, a record per match, stays the rule there)."""
    regions: dict[str, str | None] = {}
    for warehouse_id, region in rows:
        if warehouse_id is None:
            continue  # a null id matches nothing in the join either
        if regions.setdefault(warehouse_id, region) != region:
            return None
    return regions

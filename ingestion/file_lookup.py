"""Per-record values looked up by the record's `source_file` (a rank, a flag), as one Spark expression."""

from __future__ import annotations

import json

from pyspark.sql import Column
from pyspark.sql import functions as F


def by_file(values: dict[str, object], value_type: str) -> Column:
    """The value of each record's `source_file` in `values` (null for a file not in it).

    The mapping travels as one JSON literal that Spark folds into a map once, at planning: one call to the JVM
    however many files, where a literal per file costs the driver a round trip each (thousands on a first run).
    """
    return F.from_json(F.lit(json.dumps(values)), f"map<string,{value_type}>")[F.col("source_file")]


def from_files(paths: list[str]) -> Column:
    """Is each record's `source_file` one of `paths`? (`isin` would cost a literal per path.)"""
    return by_file(dict.fromkeys(paths, True), "boolean").isNotNull()

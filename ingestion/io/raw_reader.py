"""Reads raw drops into string columns, keeping each record's source file and line number.

Spark's CSV reader loses line numbers and rejects files whose header differs from the schema, so drops are read as
text and parsed per header: a file with an extra column (schema drift) still maps by column name, and a record cut
short by an interrupted upload is flagged instead of silently padded with nulls.
"""

from __future__ import annotations

import csv
from collections import defaultdict

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from ingestion.io.lake import Lake, RawFile

# Splits on commas outside double quotes, to count a CSV record's fields.
FIELD_SEPARATOR = ',(?=(?:[^"]*"[^"]*")*[^"]*$)'


class RawFileError(ValueError):
    """A drop that cannot be read at all: the job fails naming the file, before anything is written."""

    def __init__(self, path: str, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path = path


def read_lines(spark: SparkSession, lake: Lake, files: list[RawFile]) -> DataFrame:
    """One row per non-empty line: source_file (lake-relative), source_line (1-based) and the text."""
    text = spark.read.text([lake.uri(f.path) for f in files], wholetext=True)
    return number_lines(text.select("value", F.col("_metadata.file_path").alias("spark_path")), lake)


def number_lines(text: DataFrame, lake: Lake) -> DataFrame:
    """Splits whole files (value, spark_path) into numbered lines.

    Each drop is read whole, so a line's number is its position in the file: no shuffle, no reliance on task
    order. Daily drops are kilobytes to a few megabytes; a single file must fit in an executor's memory.
    """
    lines = text.select("spark_path", F.posexplode(F.split("value", "\n")).alias("position", "line"))
    # Spark writes local paths as file:/... or file:///...; cut everything up to the lake root either way.
    base = lake.base + "/"
    relative = F.expr(f"substring(spark_path, instr(spark_path, '{base}') + {len(base)})")
    return lines.select(
        relative.alias("source_file"),
        (F.col("position") + 1).cast("int").alias("source_line"),
        F.regexp_replace("line", "\r$", "").alias("raw_record"),
    ).where(F.length(F.trim("raw_record")) > 0)


def read_headers(lake: Lake, files: list[RawFile]) -> dict[str, str]:
    """First line of every drop, read directly: cheaper than a Spark pass and fails fast on unreadable files."""
    headers = {}
    for raw in files:
        with lake.fs.open_input_file(f"{lake.base}/{raw.path}") as handle:
            head = handle.read(min(raw.size, 64 << 10))
        if not head.strip():
            raise RawFileError(raw.path, "file is empty: no header line (truncated or failed upload)")
        try:
            headers[raw.path] = head.split(b"\n", 1)[0].decode("utf-8").rstrip("\r")
        except UnicodeDecodeError:
            raise RawFileError(raw.path, "header is not UTF-8 text (binary or wrongly encoded file)") from None
    return headers


def read_csv_drops(
    spark: SparkSession, lake: Lake, files: list[RawFile], columns: list[str], required: list[str]
) -> tuple[DataFrame, list[dict]]:
    """Parses CSV drops by each file's own header.

    Returns the records (string columns named as `columns`, plus source_file, source_line, raw_record and
    is_malformed) and the schema-drift findings: files whose header carries columns the job does not know.
    """
    by_header: dict[str, list[str]] = defaultdict(list)
    for path, header in read_headers(lake, files).items():
        by_header[header].append(path)
    data = read_lines(spark, lake, files).where("source_line > 1")
    drift, parts = [], []
    for header, paths in sorted(by_header.items()):
        names = _header_names(header, paths[0])
        missing = [c for c in required if c not in names]
        if missing:
            raise RawFileError(
                paths[0],
                f"header lacks required column(s) {', '.join(missing)}; the file is truncated, unreadable or not "
                f"a drop of this source (header: {header[:120]!r})",
            )
        extra = [n for n in names if n not in columns]
        if extra:
            drift.extend({"file": p, "extra_columns": extra} for p in paths)
        # The common case, one header for every file, needs no filter.
        group = data if len(by_header) == 1 else data.where(F.col("source_file").isin(paths))
        parts.append(_parse_csv(group, names, columns))
    records = parts[0]
    for part in parts[1:]:
        records = records.unionByName(part)
    return records, drift


def _parse_csv(lines: DataFrame, names: list[str], columns: list[str]) -> DataFrame:
    ddl = ", ".join(f"`c{i}` string" for i in range(len(names)))
    parsed = lines.withColumn("_fields", F.from_csv("raw_record", ddl, {"mode": "PERMISSIVE"}))
    selected: list[Column] = [
        F.col(f"_fields.c{names.index(c)}").alias(c) if c in names else F.lit(None).cast("string").alias(c)
        for c in columns
    ]
    # Counting commas is cheap; only records with quotes need the quote-aware split.
    commas = F.length("raw_record") - F.length(F.regexp_replace("raw_record", ",", "")) + 1
    field_count = F.when(F.instr("raw_record", '"') == 0, commas).otherwise(
        F.size(F.split("raw_record", FIELD_SEPARATOR))
    )
    return parsed.select(
        *selected, "source_file", "source_line", "raw_record", (field_count != len(names)).alias("is_malformed")
    )


def _header_names(header: str, path: str) -> list[str]:
    if "\ufffd" in header or any(ord(ch) < 32 and ch != "\t" for ch in header):
        raise RawFileError(path, "header is not readable text (binary or wrongly encoded file)")
    return [name.strip().lower() for name in next(csv.reader([header]))]


def read_json_drops(spark: SparkSession, lake: Lake, files: list[RawFile], columns: list[str]) -> DataFrame:
    """Parses JSON-lines drops; any value arrives as text so typing rules apply uniformly afterwards."""
    lines = read_lines(spark, lake, files)
    return parse_json_records(lines, columns)


def parse_json_records(lines: DataFrame, columns: list[str]) -> DataFrame:
    ddl = ", ".join(f"`{c}` string" for c in columns) + ", `_corrupt` string"
    parsed = lines.withColumn("_json", F.from_json("raw_record", ddl, {"columnNameOfCorruptRecord": "_corrupt"}))
    return parsed.select(
        *[F.col(f"_json.{c}").alias(c) for c in columns],
        "source_file",
        "source_line",
        "raw_record",
        (F.col("_json._corrupt").isNotNull() | F.col("_json").isNull()).alias("is_malformed"),
    )

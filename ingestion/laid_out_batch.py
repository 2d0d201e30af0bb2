"""The checked batch of a partitioned source, written once and laid out as its tables want it.

A fact's good records used to be written twice: staged as checked, read back, merged with what the table held,
and written again, sorted, to be published. A partition the table does not hold yet has nothing to merge with, so
the one staged write lays the batch out as it will be published:

    _output=table/<partition>=<value>/        the source's table: one sorted snappy file per partition
    _output=returns/<partition>=<value>/      its returns table (Source.returns), apart
    _output=quarantine/<partition>=<month>/   the rejected records

In a partition the table does not hold, only each key's latest version is written (`ranked_versions`, the rule of
`latest_per_key`), sorted by key: after the quality gate the folder is published as it is, by a move. In one the
table holds, every good record of the batch is written, to be merged with the published rows after the gate
(tables.merge_batch), as before. The batch's profile is observed on the same write, before anything is dropped,
but for the partitions each output touches, which are the folders it wrote.

A Parquet write gives every file the same columns, and a table's files hold the table's columns and no others (the
contract the loaders check), so a rejected record's quarantine entry (its file, rule, message and raw text) travels
in its `source_file` column, each piece hex-encoded (byte for byte, whatever the text holds) until `rejected`
unpacks it.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from urllib.parse import unquote

from pyspark.sql import Column, DataFrame, Observation, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import StructType

from foundation.lake import Lake
from ingestion.checked_batch import BatchProfile, batch_profile, profile_metrics
from ingestion.file_lookup import by_file
from ingestion.sources import Source
from ingestion.transforms.conform import fill_region_from_warehouse
from ingestion.transforms.dedupe import ranked_versions
from ingestion.transforms.rules import RULE_NUMBER, References, quarantine_month

OUTPUT = "_output"
TABLE, RETURNS, QUARANTINE = "table", "returns", "quarantine"
_ENTRY = ("source_file", "quarantine_rule", "quarantine_error", "raw_record")  # packed in this order
_NULL = "-"  # a null piece (hex digits never hold it)
_HIVE_DEFAULT = "__HIVE_DEFAULT_PARTITION__"


def laid_out(source: Source) -> bool:
    """Sources whose batches take this path: partitioned, latest version per key."""
    return source.partition is not None and source.merge == "latest"


def output_tables(source: Source) -> dict[str, str]:
    """Each output's table (lake-relative path)."""
    tables = {TABLE: source.table}
    if source.signed:
        tables[RETURNS] = f"processed/{source.returns}"
    return tables


@dataclass
class LaidOutBatch:
    folder: str  # the staging folder; the caller removes it
    profile: BatchProfile
    partition: str
    schema: StructType  # the good records' columns as written (the partition column is the folder)
    held: dict[str, set[str]]  # per output, the partitions its table held when the batch was written
    written: Observation  # per output, the rows and version ties written to partitions its table did not hold

    def folder_of(self, output: str) -> str:
        return f"{self.folder}/{OUTPUT}={output}"

    def new_partitions(self, output: str, partitions: list[str]) -> list[str]:
        return [p for p in partitions if p not in self.held[output]]

    def kept(self, output: str) -> int:
        """Batch rows written to partitions the output's table did not hold (one per key)."""
        return int(self.written.get[f"kept_{output}"])

    def ties(self, output: str) -> int:
        return int(self.written.get[f"ties_{output}"])

    def rows(self, spark: SparkSession, lake: Lake, output: str, partitions: list[str]) -> DataFrame:
        """Every good record of the batch in these partitions (ones the table held), with the partition column."""
        staged = spark.read.schema(self.schema).parquet(lake.uri(self.folder_of(output)))
        return staged.where(F.col(self.partition).isin(partitions))

    def rejected(self, spark: SparkSession, lake: Lake, entity: str) -> DataFrame:
        """The batch's rejects as the quarantine keeps them (ingestion.transforms.rules.quarantined_records)."""
        if self.profile.quarantined_by_rule:
            staged = spark.read.schema(self.schema).parquet(lake.uri(self.folder_of(QUARANTINE)))
        else:
            staged = spark.createDataFrame([], self.schema)
        return _unpacked(staged, entity)


def stage_laid_out(
    spark: SparkSession,
    lake: Lake,
    checked: DataFrame,
    source: Source,
    drops: list[str] | None = None,
    landing: dict[str, int] | None = None,
    fill: References | None = None,
) -> LaidOutBatch:
    """Writes the checked batch (with its partition column) once, laid out by output and partition, to a new
    staging folder. `landing` ranks the batch's files (the tie-break of equal versions); `fill`, when given, fills a
    good record's missing region from its warehouses."""
    partition = source.partition[0]
    tables = output_tables(source)
    held = {output: lake.partitions(path, partition) for output, path in tables.items()}
    staged = lake.staging_area(f"{source.entity}-checked")
    profiled = Observation(f"profile-{uuid.uuid4().hex}")
    written = Observation(f"written-{uuid.uuid4().hex}")
    batch = checked.observe(profiled, *profile_metrics(source, drops, partition_sets=False))
    if fill is not None:
        batch = fill_region_from_warehouse(batch, fill.warehouses, fill.regions)
    good = F.col("quarantine_rule").isNull()
    output = F.when(~good, F.lit(QUARANTINE))
    if source.signed:  # a record whose signed field is null goes to neither table (as `where(~is_return)`)
        output = output.when(F.col(source.signed) < 0, F.lit(RETURNS)).when(F.col(source.signed) >= 0, F.lit(TABLE))
    else:
        output = output.otherwise(F.lit(TABLE))
    columns = [c for c in checked.columns if c not in (*_ENTRY[1:], RULE_NUMBER, partition)]
    laid = batch.select(
        *[F.when(good, F.col(c)).otherwise(_packed_entry()).alias(c) if c == "source_file" else c for c in columns],
        F.when(good, F.col(partition)).otherwise(quarantine_month(F.col("source_file"))).alias(partition),
        output.alias(OUTPUT),
    ).where(F.col(OUTPUT).isNotNull())
    if landing:
        laid = laid.withColumn("_landing", by_file(landing, "int"))
    laid = laid.withColumn("_new", _not_held(held, partition))
    # One shuffle clusters each output's partition in one task (one file per partition folder); the window's sort
    # (output, partition, key, version) is the order the partitioned write needs, so the write adds no sort.
    ranked = ranked_versions(
        laid.repartition(OUTPUT, partition), [OUTPUT, partition, *source.key], list(source.version)
    )
    kept = ranked.where((F.col(OUTPUT) == QUARANTINE) | ~F.col("_new") | (F.col("_rank") == 1))
    kept = kept.observe(written, *_written_metrics(tables))
    rows = kept.drop("_rank", "_tie", "_landing", "_new").sortWithinPartitions(OUTPUT, partition, *source.key)
    try:
        rows.write.partitionBy(OUTPUT, partition).parquet(lake.uri(staged), compression="snappy")
        profile = batch_profile(profiled.get, source, _written_partitions(lake, staged, partition, source))
    except Exception:
        lake.delete_dir(staged)
        raise
    schema = StructType([f for f in checked.schema.fields if f.name in columns])
    return LaidOutBatch(staged, profile, partition, schema, held, written)


def _written_partitions(lake: Lake, staged: str, partition: str, source: Source) -> dict[str, list[str]]:
    """The profile's partition sets (checked_batch.PARTITION_SETS), read from the folders the write made: one per
    output and value a record was written to, and every record but a key's older versions was, so these are the
    sets a `collect_set` per record gave (without its cost). A good record always has an output: a signed field is
    required (ingestion/sources.py)."""

    def values(output: str, default: str | None) -> list[str]:
        # Spark escapes a value's special characters (%XX) and writes "" and null as Hive's default partition:
        # a quarantine month may be "" (never null); a good record's partition may be null (never ""), which
        # collect_set skipped.
        listed = lake.partitions(f"{staged}/{OUTPUT}={output}", partition)
        found = (default if v == _HIVE_DEFAULT else unquote(v) for v in listed)
        return sorted(v for v in found if v is not None)

    return {
        "partitions": values(TABLE, None),
        "returns_partitions": values(RETURNS, None) if source.signed else [],
        "quarantine_months": values(QUARANTINE, ""),
    }


def _not_held(held: dict[str, set[str]], partition: str) -> Column:
    """Is the record's partition one its output's table did not hold? (One folded literal however many.)"""
    names = {f"{output}/{value}": True for output, values in held.items() for value in values}
    if not names:
        return F.lit(True)
    lookup = F.from_json(F.lit(json.dumps(names)), "map<string,boolean>")
    return lookup[F.concat_ws("/", F.col(OUTPUT), F.col(partition))].isNull()


def _written_metrics(tables: dict[str, str]) -> list[Column]:
    metrics = []
    for output in tables:
        new = (F.col(OUTPUT) == output) & F.col("_new")
        metrics += [
            F.count(F.when(new, F.lit(1))).alias(f"kept_{output}"),
            F.count(F.when(new & F.col("_tie"), F.lit(1))).alias(f"ties_{output}"),
        ]
    return metrics


def _packed_entry() -> Column:
    return F.concat_ws(",", *[F.coalesce(F.hex(F.col(c)), F.lit(_NULL)) for c in _ENTRY])


def _unpacked(staged: DataFrame, entity: str) -> DataFrame:
    pieces = F.split(F.col("source_file"), ",")

    def piece(index: int) -> Column:
        return F.when(pieces[index] != _NULL, F.unhex(pieces[index]).cast("string"))

    source_file = piece(0)
    return staged.select(
        F.lit(entity).alias("entity"),
        source_file.alias("source_file"),
        "source_line",
        piece(1).alias("rule"),
        piece(2).alias("error"),
        piece(3).alias("raw_record"),
        quarantine_month(source_file).alias("ingest_month"),
    )

"""The quarantine of a source, and the replay of what later data can cure.

A record quarantined as `unknown_product` or `unknown_warehouse` is waiting for its master, not wrong: a run
that reads drops of its source (or in which one of its masters gets a drop) parses it again from the raw text the
quarantine keeps, by its own file's header, and checks it with the batch. When its master now knows the id it
lands and leaves the quarantine; otherwise it stays, once. Other rules (a bad date, a cut-short record) need a new
drop, which is a new version of the file: its records replace everything the quarantine held for that file.

Such a run replays only when one of the source's masters changed since the quarantine was last replayed against
them (ingestion/replay_marker.py): until then a replay cures nothing. A run that does not replay rewrites only the
quarantine's months of the files it read (replace_quarantine_months), not every month the quarantine holds.

Counts over the whole history: each run reports `rows_replayed` (records retried, part of `rows_read` and of the
written / deduplicated / quarantined split; 0 when the replay was skipped), so Σ(read - replayed) =
Σ(written + deduplicated) + what the quarantine holds now: a record not retried is simply still held.
"""

from __future__ import annotations

import re

import pyarrow.parquet as pq
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from foundation.lake import Lake
from ingestion.file_lookup import from_files
from ingestion.io.raw_reader import parse_json_records, reparse_csv_records
from ingestion.sources import Source
from ingestion.tables import Table, read_table, replace_partitions

CURABLE = ("unknown_product", "unknown_warehouse")
_MONTH = re.compile(r"year=(\d{4})/month=(\d{2})")  # as rules.quarantine_month finds it


def quarantine_table(entity: str) -> Table:
    return Table(f"processed/_quarantine/{entity}", key=("source_file", "source_line"), partition_column="ingest_month")


def held_quarantine(spark: SparkSession, lake: Lake, entity: str) -> DataFrame | None:
    """What the source's quarantine holds at the start of its run (None when it holds nothing). Read once per run:
    the replay and the quarantine's replacement read the same files, and each read of a Parquet table costs a
    listing and a Spark job to infer its schema."""
    return read_table(spark, lake, quarantine_table(entity))


def replayable(
    spark: SparkSession, lake: Lake, source: Source, drops: list[str], held: DataFrame | None
) -> DataFrame | None:
    """The source's quarantined records (`held`, from held_quarantine) a master may since have cured, parsed again
    (None when there are none).

    Records of a file this run reads again are left out: the file's new reading replaces them."""
    if not source.references:
        return None
    if held is None:
        return None
    waiting = held.where(F.col("rule").isin(*CURABLE) & ~from_files(drops))
    paths = [row["source_file"] for row in waiting.select("source_file").distinct().collect()]
    files = [raw for raw in (lake.stat(path) for path in paths) if raw is not None]
    if not files:
        return None
    waiting = waiting.where(from_files([f.path for f in files]))
    if source.format == "csv":
        return reparse_csv_records(lake, waiting, files, source.columns)
    return parse_json_records(waiting.select("source_file", "source_line", "raw_record"), source.columns)


def replace_quarantine(
    spark: SparkSession,
    lake: Lake,
    entity: str,
    rejected: DataFrame,
    replayed: DataFrame | None,
    drops: list[str],
    months: list[str] | None,
    held: DataFrame | None,
) -> None:
    """The quarantine after this batch: what it held (`held`, from held_quarantine at the start of the run), less
    the records this batch read again (every record of a file in `drops`, and the replayed curable ones: `replayed`
    holds their source_file and source_line), plus this batch's rejects (`rejected`, as `quarantined_records` gives
    them). Emptied months are removed.

    `months`, the months of this batch's rejects when known (the batch's profile), spares a pass over them when the
    quarantine holds nothing yet."""
    table = quarantine_table(entity)
    if held is None and months is not None:
        # Only this batch's rejects, read from its staged files: no quarantine file is replaced under them.
        if months:
            replace_partitions(lake, table, rejected, sorted(months))
        return
    if held is not None:
        kept = held.where(~from_files(drops))
        if replayed is not None:
            kept = kept.join(replayed.withColumn("_replayed", F.lit(True)), ["source_file", "source_line"], "left")
            kept = kept.where(F.col("_replayed").isNull() | ~F.col("rule").isin(*CURABLE))
        rejected = rejected.unionByName(kept.select(*rejected.columns))
    rejected = rejected.localCheckpoint(eager=True)  # cut from the files about to be replaced
    # The months it held are its partition folders: no Spark job to find them.
    before = lake.partitions(table.path, table.partition_column) if held is not None else set()
    after = {r["ingest_month"] for r in rejected.select("ingest_month").distinct().collect()}
    if not after:
        lake.delete_dir(table.path)  # nothing held any more (an empty folder is no Parquet table)
        return
    replace_partitions(lake, table, rejected, sorted(after))
    for month in sorted(before - after):
        lake.delete_dir(f"{table.path}/{table.partition_column}={month}")


def replace_quarantine_months(
    spark: SparkSession, lake: Lake, entity: str, rejected: DataFrame, drops: list[str], months: list[str]
) -> None:
    """The quarantine after a batch that replayed nothing: only the months it changes are rewritten, those of this
    batch's rejects (`months`) and those holding records of a file it read (`drops`: a file read again replaces
    what the quarantine held of it; so does the re-run of a run that crashed before its bookmark moved). A record's
    month is its file's, so the months to look at are known from the paths; which of them hold records of `drops`
    is read from their files' `source_file` column alone, on the driver. The months rewritten are read with the
    batch's schema (no job to infer it); a month left with nothing is removed."""
    table = quarantine_table(entity)
    drop_months = {_drop_month(path) for path in drops}
    if "" in drop_months:  # a drop outside a date partition: its records' month is not in its path
        replace_quarantine(spark, lake, entity, rejected, None, drops, months, held_quarantine(spark, lake, entity))
        return
    held = lake.partitions(table.path, table.partition_column)
    # month -> (records of `drops`, other records) it holds
    found = {month: _records_of(lake, f"{table.path}/{table.partition_column}={month}", set(drops))
             for month in sorted((drop_months | set(months)) & held)}  # fmt: skip
    rewrite = sorted(m for m, (of_drops, _) in found.items() if of_drops or m in months)
    if not rewrite and not months:
        return  # no reject, and nothing held of the files read: the quarantine stays as it is
    if rewrite:
        folders = [lake.uri(f"{table.path}/{table.partition_column}={month}") for month in rewrite]
        kept = spark.read.schema(rejected.schema).option("basePath", lake.uri(table.path)).parquet(*folders)
        # Read as the staged rows are written, into a staging folder: nothing is replaced before the write ends.
        rejected = rejected.unionByName(kept.where(~from_files(drops)).select(*rejected.columns))
    emptied = [m for m in rewrite if m not in months and not found[m][1]]
    after = sorted(set(months) | {m for m in rewrite if m not in emptied})
    if not after and held <= set(emptied):
        lake.delete_dir(table.path)  # nothing held any more (an empty folder is no Parquet table)
        return
    if after:
        replace_partitions(lake, table, rejected, after)
    for month in emptied:
        lake.delete_dir(f"{table.path}/{table.partition_column}={month}")


def _records_of(lake: Lake, folder: str, files: set[str]) -> tuple[int, int]:
    """How many records of `files`, and of other files, a quarantine month's Parquet files hold."""
    of_files = others = 0
    for part in lake.list_files(folder):
        if part.name.startswith((".", "_")):
            continue
        column = pq.read_table(f"{lake.base}/{part.path}", columns=["source_file"], filesystem=lake.fs)
        for source_file in column.column("source_file").to_pylist():
            if source_file in files:
                of_files += 1
            else:
                others += 1
    return of_files, others


def _drop_month(path: str) -> str:
    match = _MONTH.search(path)
    return f"{match.group(1)}-{match.group(2)}" if match else ""

"""Order events: a Structured Streaming file source over Firehose's hourly folders.

`trigger(availableNow=True)` with a checkpoint makes each run pick up exactly the event files that landed since
the last one, then stop, so the same job runs on a schedule like the batch jobs. Each micro-batch goes through the
same rules, quality gate and merge as batch drops; merging on event_id makes a replayed micro-batch harmless.

Which files are events follows ingestion/drops.py: any case of .json/.jsonl, optionally .gz or .bz2 (lower case,
as Spark decodes them). Every other file in the zone is listed in each run's report with the reason; an event file
whose bytes are compressed under an uncompressed name is left out of its micro-batch and reported in that run.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from foundation.lake import Lake, MissingInputError
from ingestion.batch import RunOptions, ingest_records, new_run_id, write_report
from ingestion.drops import content_problem, glob_filter, unread_names
from ingestion.io.raw_reader import literal_path, number_lines, parse_json_records
from ingestion.masters import MasterSnapshot
from ingestion.quality import QualityGateError, QualityReport
from ingestion.sources import ORDER_EVENTS, Source

log = logging.getLogger(__name__)
CHECKPOINT = "processed/_checkpoints/order_events"


def ingest_events(
    spark: SparkSession,
    lake: Lake,
    options: RunOptions,
    source: Source = ORDER_EVENTS,
    masters: MasterSnapshot | None = None,
) -> QualityReport:
    began = time.perf_counter()
    if not lake.exists(source.raw_folder):
        raise MissingInputError(f"{lake.uri(source.raw_folder)} does not exist: no order events have landed yet")
    if options.full_refresh:
        lake.delete_dir(CHECKPOINT)
    total = QualityReport(source.entity, new_run_id(), max_quarantine_rate=options.max_quarantine_rate)
    total.skipped_files = unread_names(lake.list_files(source.raw_folder), source)
    stream = (
        spark.readStream.format("text")
        .option("recursiveFileLookup", "true")
        .option("pathGlobFilter", glob_filter(source))
        .option("wholetext", "true")
        .load(literal_path(lake.uri(source.raw_folder)))
        .select("value", F.col("_metadata.file_path").alias("spark_path"))
    )

    gate_failures: list[QualityGateError] = []

    def process(batch: DataFrame, batch_id: int) -> None:
        lines = number_lines(batch, lake)
        # The micro-batch's files with a record, listed once: each listing is a job that reads every event file.
        files = [r[0] for r in lines.select("source_file").distinct().collect()]
        misnamed = _compressed_under_plain_names(lake, files)
        if misnamed:
            total.skipped_files.extend(misnamed)
            left_out = {s["file"] for s in misnamed}
            lines = lines.where(~F.col("source_file").isin(sorted(left_out)))
            files = [f for f in files if f not in left_out]
        records = parse_json_records(lines, source.columns)
        report = QualityReport(
            source.entity, f"{total.run_id}-b{batch_id}", max_quarantine_rate=options.max_quarantine_rate
        )
        try:
            ingest_records(spark, lake, source, records, report, options, masters)
        except QualityGateError as failure:
            gate_failures.append(failure)
            raise
        report.files = sorted(files)
        _accumulate(total, report)
        log.info(
            "order_events: micro-batch %d: %d events read, %d written", batch_id, report.rows_read, report.rows_written
        )

    query = (
        stream.writeStream.foreachBatch(process)
        .option("checkpointLocation", lake.uri(CHECKPOINT))
        .trigger(availableNow=True)
        .start()
    )
    try:
        with _quiet_gate_failures(spark, gate_failures):
            query.awaitTermination()
    except Exception:
        # The stream wraps a micro-batch's failure; surface the gate's own message, as batch jobs do. The
        # checkpoint did not commit that micro-batch, so the next run retries it.
        if gate_failures:
            raise gate_failures[0] from None
        raise
    for skipped in total.skipped_files:
        log.warning("%s: not read: %s: %s", source.entity, skipped["file"], skipped["reason"])
    total.status = "succeeded" if total.rows_read else "no_new_files"
    total.seconds = round(time.perf_counter() - began, 2)
    write_report(lake, total)
    return total


def _compressed_under_plain_names(lake: Lake, files: list[str]) -> list[dict]:
    """The micro-batch's files whose first bytes are a codec's under a name without its suffix (Spark read them raw)."""
    skipped = []
    for path in files:
        with lake.fs.open_input_stream(f"{lake.base}/{path}") as stream:
            problem = content_problem(path, stream.read(4))
        if problem is not None:
            skipped.append({"file": path, "reason": problem})
    return skipped


@contextmanager
def _quiet_gate_failures(spark, gate_failures: list[QualityGateError]) -> Iterator[None]:
    """Keeps a failed gate to its one-line message, as in batch runs.

    Raising in foreachBatch is what stops the checkpoint from committing the micro-batch, but py4j logs the
    Python traceback and Spark's stream executor logs the Java one (about 100 lines). The failure itself still
    reaches the caller through awaitTermination, so both logs are muted: py4j's only once the gate has failed,
    the executor's for the query's life (its other errors surface through awaitTermination too).
    """
    py4j_log = logging.getLogger("py4j.clientserver")

    def after_gate_failure(record: logging.LogRecord) -> bool:
        return not gate_failures

    py4j_log.addFilter(after_gate_failure)
    restore = _mute_java_logger(spark, "org.apache.spark.sql.execution.streaming")
    try:
        yield
    finally:
        py4j_log.removeFilter(after_gate_failure)
        restore()


def _mute_java_logger(spark, name: str):
    """Sets a log4j2 logger to OFF; returns how to put it back. Where log4j2 is not reachable, does nothing."""
    try:
        jvm = spark.sparkContext._jvm
        configurator = jvm.org.apache.logging.log4j.core.config.Configurator
        previous = jvm.org.apache.logging.log4j.LogManager.getLogger(name).getLevel()
        configurator.setLevel(name, jvm.org.apache.logging.log4j.Level.OFF)
    except Exception:
        return lambda: None
    return lambda: configurator.setLevel(name, previous)


def _accumulate(total: QualityReport, batch: QualityReport) -> None:
    total.files_read += len(batch.files)
    total.files.extend(batch.files)
    total.rows_read += batch.rows_read
    total.rows_written += batch.rows_written
    total.rows_deduplicated += batch.rows_deduplicated
    total.rows_replaced += batch.rows_replaced
    total.rows_quarantined += batch.rows_quarantined
    for rule, count in batch.quarantined_by_rule.items():
        total.quarantined_by_rule[rule] = total.quarantined_by_rule.get(rule, 0) + count
    total.partitions_written = sorted(set(total.partitions_written) | set(batch.partitions_written))
    total.null_rates = batch.null_rates
    total.quarantine_rate = round(total.rows_quarantined / total.rows_read, 6) if total.rows_read else 0.0

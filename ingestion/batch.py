"""One ingestion run of one source: new raw drops -> checked records -> quality gate -> merged, published tables.

Order of effects is what makes a run safe to fail and to repeat: nothing is written before the quality gate
passes; tables are staged and then swapped in; the bookmark moves last, so a crashed run is simply run again.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Protocol

from pyspark.sql import DataFrame, Observation, SparkSession
from pyspark.sql import functions as F

from foundation.lake import Lake, MissingInputError, RawFile
from foundation.settings import Settings, plausible_dates
from ingestion.checked_batch import BatchProfile, stage_checked
from ingestion.drops import DropSelection, bookmark_entries, select_drops
from ingestion.drops import bookmark_path as bookmark_path  # where callers have always found it
from ingestion.drops import save_bookmark as record_drops
from ingestion.io.raw_reader import RawFileError, read_csv_drops, read_json_drops
from ingestion.laid_out_batch import RETURNS, TABLE, LaidOutBatch, laid_out, output_tables, stage_laid_out
from ingestion.quality import QualityGateError, QualityReport
from ingestion.replay import (
    held_quarantine,
    quarantine_table,
    replace_quarantine,
    replace_quarantine_months,
    replayable,
)
from ingestion.replay_marker import checked_against, replay_may_cure
from ingestion.replay_marker import record as record_replay
from ingestion.sources import BATCH_SOURCES, Source
from ingestion.tables import Table, merge_batch, read_table, replace_partitions
from ingestion.transforms.cdc import change_history, current_state
from ingestion.transforms.conform import fill_region_from_warehouse
from ingestion.transforms.rules import (
    DateBounds,
    References,
    check_records,
    good_records,
    quarantined_records,
)

log = logging.getLogger(__name__)


class MasterSnapshot(Protocol):
    """What a fact's job asks of the masters as this run leaves them (ingestion.masters.MasterSnapshot; a protocol
    here, because that module builds on this one)."""

    def references(self, source: Source) -> References | None: ...

    def wait_for_masters(self, source: Source) -> None: ...

    def settle_master(self, entity: str) -> None: ...


WAREHOUSE_HISTORY = Table("processed/warehouse_history", key=("warehouse_id", "commit_ts"))
WAREHOUSES = Table("processed/warehouses", key=("warehouse_id",))
PRODUCTS_TABLE = "processed/products"
MASTER_TABLES = {"products": PRODUCTS_TABLE, "warehouses": WAREHOUSES.path}  # what a fact's checks read of each
_SELECTING = threading.Lock()


@contextmanager
def phase(entity: str, what: str):
    """Logs how long each step of a run takes: progress for whoever watches a long ingestion."""
    began = time.perf_counter()
    yield
    log.info("%s: %s in %.1fs", entity, what, time.perf_counter() - began)


@dataclass(frozen=True)
class RunOptions:
    run_date: dt.date | None = None  # only drops in partitions up to this date; None means all that landed
    full_refresh: bool = False  # ignore the bookmark and re-read every drop (the result is the same)
    max_quarantine_rate: float = 0.05
    dates: DateBounds = field(default_factory=lambda: DateBounds(*plausible_dates(Settings.from_env())))
    settle_seconds: float = field(default_factory=lambda: Settings.from_env().settle_seconds)
    # Each source's drop selection, made once per run: the masters' snapshot and their jobs read the same drops.
    selections: dict = field(default_factory=dict, compare=False, repr=False)


def drop_selection(lake: Lake, source: Source, options: RunOptions) -> DropSelection:
    """This run's drops of a source (ingestion/drops.py), selected once per run and lake."""
    key = (lake.root, source.entity)
    with _SELECTING:  # a fact asks for its masters' selection from its own thread
        if key not in options.selections:
            options.selections[key] = select_drops(
                lake, source, options.run_date, options.full_refresh, options.settle_seconds
            )
        return options.selections[key]


def new_drops(lake: Lake, source: Source, options: RunOptions) -> list[RawFile]:
    """Drops not yet ingested (as Glue job bookmarks track them, by content), landed in full, up to the run date."""
    return drop_selection(lake, source, options).new


def save_bookmark(lake: Lake, entity: str, files: list[RawFile]) -> None:
    """Records these files as read, by content."""
    record_drops(lake, entity, bookmark_entries(lake, files))


def load_references(spark: SparkSession, lake: Lake, source: Source) -> References | None:
    if not source.references:
        return None
    masters = {}
    for master in set(source.references.values()):
        path = PRODUCTS_TABLE if master == "products" else WAREHOUSES.path
        if not lake.exists(path):
            raise MissingInputError(
                f"{lake.uri(path)} does not exist: ingest the {master} master before {source.entity} "
                "(`supplychain ingest` runs the jobs in order)"
            )
        masters[master] = spark.read.parquet(lake.uri(path))
    return References(checks=dict(source.references), **masters)


def ingest_source(
    spark: SparkSession, lake: Lake, source: Source, options: RunOptions, masters: MasterSnapshot | None = None
) -> QualityReport:
    """One source's new drops. With `masters` (one pass over every source) the facts are checked against the
    masters' state after this run; without (a Glue job, one per source), against the published masters."""
    began = time.perf_counter()
    report = QualityReport(source.entity, new_run_id(), max_quarantine_rate=options.max_quarantine_rate)
    selection = drop_selection(lake, source, options)
    files = selection.new
    report.skipped_files, report.rewritten_files = selection.skipped, selection.rewritten
    for skipped in selection.skipped:
        log.warning("%s: not read: %s: %s", source.entity, skipped["file"], skipped["reason"])
    # Asked once: whether a master has a new drop decides both whether to go on and whether to replay.
    masters_new = _masters_have_new_drops(lake, source, options)
    if not files and not (masters_new and lake.exists(quarantine_table(source.entity).path)):
        report.status = "no_new_files"
        log.info("%s: no new drops under %s", source.entity, lake.uri(source.raw_folder))
        record_drops(lake, source.entity, selection.entries)  # files touched but unchanged: their new times
        write_report(lake, report)
        return report
    log.info("%s: ingesting %d new drop(s)", source.entity, len(files))
    report.files = [f.path for f in files]
    report.files_read = len(files)
    replay, state = _replay_check(lake, source, options, masters_new, one_pass=masters is not None)
    try:
        records, drift = _read_drops(spark, lake, source, files)
        held = held_quarantine(spark, lake, source.entity) if replay else None
        waiting = replayable(spark, lake, source, report.files, held) if replay else None
        if waiting is not None:
            records = waiting if records is None else records.unionByName(waiting)
    except RawFileError as failure:
        # The report must say so: a latest.json still reading "succeeded" would hide a blocked source.
        report.status, report.error = "failed", str(failure)
        write_report(lake, report)
        raise
    report.schema_drift = drift
    for finding in drift:
        log.warning(
            "%s: schema drift in %s: extra column(s) %s kept out of processed/",
            source.entity,
            finding["file"],
            ", ".join(finding["extra_columns"]),
        )
    if records is None:  # no new drop and nothing the masters' new drops could cure
        report.status = "no_new_files"
        write_report(lake, report)
        return report
    replayed = waiting.select("source_file", "source_line") if waiting is not None else None
    ingest_records(
        spark,
        lake,
        source,
        records,
        report,
        options,
        masters,
        selection.landing_order,
        report.files,
        replayed,
        held,
        replay,
    )
    if source.references:
        # After the quarantine's replacement, before the bookmark: its curable records were checked against this.
        record_replay(lake, source.entity, state or checked_against(lake, source, options.dates, MASTER_TABLES))
    record_drops(lake, source.entity, selection.entries)
    report.seconds = round(time.perf_counter() - began, 2)
    write_report(lake, report)
    return report


def _masters_have_new_drops(lake: Lake, source: Source, options: RunOptions) -> bool:
    """Has a master of this source a new drop in this run, which may cure records its quarantine holds?"""
    masters = [BATCH_SOURCES[m] for m in sorted(set(source.references.values())) if m in BATCH_SOURCES]
    return any(lake.exists(m.raw_folder) and drop_selection(lake, m, options).new for m in masters)


def _replay_check(lake: Lake, source: Source, options: RunOptions, masters_new: bool,
                  one_pass: bool) -> tuple[bool, dict | None]:  # fmt: skip
    """Does this run replay the source's quarantine (ingestion/replay_marker.py)? And the masters' state its checks
    use, taken before anything reads them: None when it is the state the masters publish in this one pass, which is
    taken once they have published. `masters_new`: has a master a new drop in this run."""
    if not source.references:
        return False, None  # nothing in its quarantine waits for a master
    if masters_new and one_pass:
        return True, None  # checked against the masters with their new drops, whose state is taken once published
    now = checked_against(lake, source, options.dates, MASTER_TABLES)
    if masters_new:  # a Glue job: checked against the published masters
        return True, now
    return replay_may_cure(lake, source.entity, now), now


def _read_drops(spark: SparkSession, lake: Lake, source: Source, files: list[RawFile]):
    if not files:
        return None, []
    if source.format == "csv":
        return read_csv_drops(spark, lake, files, source.columns, source.required)
    return read_json_drops(spark, lake, files, source.columns), []


def ingest_records(
    spark: SparkSession,
    lake: Lake,
    source: Source,
    records: DataFrame,
    report: QualityReport,
    options: RunOptions,
    masters: MasterSnapshot | None = None,
    landing: dict[str, int] | None = None,
    drops: list[str] | None = None,
    replayed: DataFrame | None = None,
    held: DataFrame | None = None,
    replay: bool = True,
) -> None:
    """Checks, gates, merges and publishes one batch of parsed records (used by batch and streaming runs).

    `landing` ranks the batch's files by landing order: between two versions of a key with the same version
    timestamp, the later-landed file wins (and a batch wins over what is already published). With `drops` (the
    files read, from a batch run) records from other files are quarantined ones replayed (ingestion/replay.py),
    whose `source_file` and `source_line` `replayed` holds, and `held` is what the quarantine held as the run
    began (replay.held_quarantine). Without `replay` (a batch run that replayed nothing), only the quarantine's
    months this batch can change are rewritten."""
    references = load_references(spark, lake, source) if masters is None else masters.references(source)
    checked = check_records(records, source.fields, references, options.dates)
    if source.partition:
        checked = checked.withColumn(source.partition[0], F.expr(source.partition[1]))
    # Only a quarantined record's raw text is read again (the quarantine keeps it): the staged batch holds none for
    # good records.
    checked = checked.withColumn("raw_record", F.when(F.col("quarantine_rule").isNotNull(), F.col("raw_record")))
    fill = references if source.fill_region and references is not None else None  # the warehouses' regions
    # With nothing replayed every record came from a drop: its profile counts no replayed record, without a lookup
    # of each record's file.
    read_from = drops if replayed is not None else None
    with phase(source.entity, "read, checked and staged the batch"):
        if laid_out(source):
            batch = stage_laid_out(spark, lake, checked, source, read_from, landing, fill)
            staged, profile = batch.folder, batch.profile
        else:
            staged, checked, profile = stage_checked(spark, lake, checked, source, read_from)
    try:
        report.rows_read = profile.rows
        report.rows_replayed, report.rows_released = profile.replayed, profile.released
        report.quarantined_by_rule = profile.quarantined_by_rule
        report.rows_quarantined = sum(profile.quarantined_by_rule.values())
        report.null_rates = profile.null_rates
        try:
            report.check_gate()
        except QualityGateError as failure:
            report.status, report.error = "failed", str(failure)
            write_report(lake, report)
            raise
        if masters is not None:
            # Nothing is written before the masters this batch was checked against have published; a master
            # about to replace its tables first pins the state the facts read (the snapshot outlives the swap).
            masters.wait_for_masters(source)
            masters.settle_master(source.entity)
        with phase(source.entity, "merged and published processed/ tables"):
            if laid_out(source):
                _publish_laid_out(spark, lake, source, batch, report, landing or {})
            elif source.merge == "cdc":
                _publish_cdc(spark, lake, good_records(checked), report)
            else:
                good = good_records(checked)
                if fill is not None:
                    good = fill_region_from_warehouse(good, fill.warehouses, fill.regions)
                _publish_sales_and_returns(spark, lake, source, good, profile, report, landing or {})
        if laid_out(source):
            rejected = batch.rejected(spark, lake, source.entity)
        else:
            rejected = quarantined_records(checked, source.entity)
        if drops is not None and not replay:
            if report.rows_quarantined or lake.exists(quarantine_table(source.entity).path):
                with phase(source.entity, f"quarantined {report.rows_quarantined} records"):
                    replace_quarantine_months(spark, lake, source.entity, rejected, drops, profile.quarantine_months)
        elif drops is not None and (report.rows_quarantined or held is not None):
            with phase(source.entity, f"quarantined {report.rows_quarantined} records"):
                replace_quarantine(
                    spark, lake, source.entity, rejected, replayed, drops, profile.quarantine_months, held
                )
        elif report.rows_quarantined:
            with phase(source.entity, f"quarantined {report.rows_quarantined} records"):
                table = quarantine_table(source.entity)
                merged = merge_batch(spark, lake, table, rejected, profile.quarantine_months, count=False)
                replace_partitions(lake, table, merged.rows, merged.partitions)
        report.status = "succeeded"
    finally:
        lake.delete_dir(staged)


def _publish_laid_out(
    spark: SparkSession, lake: Lake, source: Source, batch: LaidOutBatch, report: QualityReport, landing: dict
) -> None:
    """Each output table of a laid-out batch: a partition the table did not hold is moved in as it was written; one
    it held is merged with the batch's rows of it (as `_publish_latest`). A return never supersedes a sale."""
    profile, partition = batch.profile, batch.partition
    touched = {TABLE: profile.partitions or []}
    if source.signed and profile.returns:
        touched[RETURNS] = profile.returns_partitions or []
    report.rows_written = report.rows_replaced = report.version_ties = 0
    for output, partitions in touched.items():
        table = Table(output_tables(source)[output], source.key, source.version, partition)
        new = batch.new_partitions(output, partitions)
        held = [p for p in partitions if p not in new]
        kept = batch.kept(output)
        report.rows_written += kept
        report.version_ties += batch.ties(output)
        if held:  # merged first: their rows are read from the output's folder, which the move below removes
            kept += _publish_latest(spark, lake, table, batch.rows(spark, lake, output, held), held, report, landing)
        lake.publish(batch.folder_of(output), table.path, [f"{partition}={p}" for p in new])
        report.partitions_written = sorted(set(report.partitions_written) | set(new))
        if output == RETURNS:
            report.rows_returns = kept
    report.rows_deduplicated = report.rows_read - report.rows_quarantined - report.rows_written


def _publish_sales_and_returns(
    spark: SparkSession,
    lake: Lake,
    source: Source,
    good: DataFrame,
    profile: BatchProfile,
    report: QualityReport,
    landing: dict[str, int],
) -> None:
    """The source's own table and, for a source with returns, its returns table (records with a negative signed
    field), each merged on its own: a return never supersedes the sale it reverses."""
    partition = source.partition[0] if source.partition else None
    outputs = [(Table(source.table, source.key, source.version, partition), good, profile.partitions)]
    if source.signed:
        is_return = F.col(source.signed) < 0
        returns = Table(f"processed/{source.returns}", source.key, source.version, partition)
        outputs = [(outputs[0][0], good.where(~is_return), profile.partitions)]
        if profile.returns:
            outputs.append((returns, good.where(is_return), profile.returns_partitions))
    batch_rows = report.rows_read - report.rows_quarantined
    report.rows_written = report.rows_replaced = report.version_ties = 0
    for table, rows, partitions in outputs:
        kept = _publish_latest(spark, lake, table, rows, partitions, report, landing)
        if table.path != source.table:
            report.rows_returns = kept
    report.rows_deduplicated = batch_rows - report.rows_written


def _publish_latest(
    spark: SparkSession,
    lake: Lake,
    table: Table,
    good: DataFrame,
    partitions: list[str] | None,
    report: QualityReport,
    landing: dict[str, int],
) -> int:
    """Merges and publishes one table; adds its figures to the report and returns how many batch rows it kept."""
    merged = merge_batch(spark, lake, table, good, partitions, landing=landing)
    replace_partitions(lake, table, merged.rows, merged.partitions)
    report.version_ties += merged.ties()
    if merged.batch_kept is None:
        # A first load: everything published came from this batch, counted as it was written.
        merged.batch_kept = merged.written()
    report.rows_written += merged.batch_kept
    report.rows_replaced += merged.existing_rows - merged.existing_kept
    report.partitions_written = sorted(set(report.partitions_written) | set(merged.partitions or []))
    merged.release()
    return merged.batch_kept


def _publish_cdc(spark: SparkSession, lake: Lake, changes: DataFrame, report: QualityReport) -> None:
    """Warehouse master: the change history grows; the current state is rebuilt from it."""
    # Both tables come from this one materialised history, cut from the published files before either is replaced.
    history = change_history(warehouse_changes(spark, lake, changes), "warehouse_id").localCheckpoint(eager=True)
    observed = Observation(f"kept-{uuid.uuid4().hex}")
    kept_rows = F.count(F.when(F.col("_from_batch"), F.lit(1))).alias("kept")
    replace_partitions(lake, WAREHOUSE_HISTORY, history.observe(observed, kept_rows).drop("_from_batch"), None)
    replace_partitions(lake, WAREHOUSES, current_state(history.drop("_from_batch"), "warehouse_id"), None)
    kept = observed.get["kept"]
    report.rows_written = kept
    report.rows_deduplicated = report.rows_read - report.rows_quarantined - kept


def warehouse_changes(spark: SparkSession, lake: Lake, changes: DataFrame) -> DataFrame:
    """A batch of good warehouse changes (tagged _from_batch) with the published history they apply to."""
    existing = read_table(spark, lake, WAREHOUSE_HISTORY)
    tagged = changes.withColumn("_from_batch", F.lit(True))
    if existing is not None:
        tagged = tagged.unionByName(existing.select(*changes.columns).withColumn("_from_batch", F.lit(False)))
    return tagged


def write_report(lake: Lake, report: QualityReport) -> None:
    payload = report.as_dict()
    lake.write_json(f"processed/_reports/{report.entity}/{report.run_id}.json", payload)
    lake.write_json(f"processed/_reports/{report.entity}/latest.json", payload)


def new_run_id() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]

"""Runs ingestion jobs in one Spark session (a JVM start costs seconds; pay it once), every source in one pass.

The sources are submitted from parallel threads: Spark interleaves their jobs, which keeps both cores busy while
one source is in driver-side planning or a small single-task stage. The facts do not wait for a wave of masters:
they are checked against the masters' state after this run (ingestion/masters.py) and publish once the masters
have. (On AWS each source is its own Glue job, so the state machine keeps the waves.)
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

from pyspark.sql import SparkSession

from foundation.lake import Lake
from ingestion.batch import RunOptions, ingest_source
from ingestion.masters import MasterSnapshot
from ingestion.quality import QualityReport
from ingestion.sources import SOURCES, Source, by_entity, waves
from ingestion.streaming import ingest_events

log = logging.getLogger(__name__)


def ingest_entity(
    spark: SparkSession,
    lake: Lake,
    entity: str,
    options: RunOptions,
    sources: tuple[Source, ...] = SOURCES,
    masters: MasterSnapshot | None = None,
) -> QualityReport:
    source = by_entity(sources).get(entity)
    if source is None:
        raise ValueError(f"unknown source {entity!r}; known: {', '.join(s.entity for s in sources)}")
    # Names this thread's Spark jobs after the source: the UI and the event log then say which source a stage served.
    spark.sparkContext.setJobDescription(f"ingest {entity}")
    # And runs them in a scheduler pool of its own (the local session schedules FAIR, foundation/spark.py), so a
    # source's short jobs get cores while another source's long stage runs. (FIFO sessions ignore the pool.)
    spark.sparkContext.setLocalProperty("spark.scheduler.pool", entity)
    try:
        if source.arrival == "stream":
            report = ingest_events(spark, lake, options, source, masters)
        else:
            report = ingest_source(spark, lake, source, options, masters)
    except BaseException as failure:
        if masters is not None:
            masters.master_done(entity, failure)
        raise
    if masters is not None:
        masters.master_done(entity, None)
    log.info(
        "%s: %s; read %d, written %d, deduplicated %d, quarantined %d (%.2f%%) in %.1fs",
        entity,
        report.status,
        report.rows_read,
        report.rows_written,
        report.rows_deduplicated,
        report.rows_quarantined,
        100 * report.quarantine_rate,
        report.seconds,
    )
    return report


def ingest_all(
    spark: SparkSession,
    lake: Lake,
    options: RunOptions,
    only: list[str] | None = None,
    parallel: int | None = None,
    sources: tuple[Source, ...] = SOURCES,
) -> list[QualityReport]:
    """Every source (or those in `only`) in one pass; the first failure (a master's before its facts') is raised once
    every job has ended. A fact whose master failed publishes nothing."""
    order = [s.entity for s in sources]
    unknown = set(only or ()) - set(order)
    if unknown:
        raise ValueError(f"unknown source(s) {', '.join(sorted(unknown))}; known: {', '.join(order)}")
    # Masters first: the pool starts them before any fact, so a fact waiting for its masters never holds the
    # worker a master needs. By default every source has its own thread: with fewer, the small sources (lanes,
    # events) queued behind the masters, which finish late as their small jobs wait behind the facts' big stages.
    entities = [e for wave in waves(sources) for e in wave if not only or e in only]
    masters = MasterSnapshot(spark, lake, options, set(entities))
    with ThreadPoolExecutor(max_workers=max(1, parallel or len(entities))) as pool:
        futures = {e: pool.submit(ingest_entity, spark, lake, e, options, sources, masters) for e in entities}
    failures = [futures[e].exception() for e in order if e in futures and futures[e].exception() is not None]
    if failures:
        raise failures[0]
    return [futures[e].result() for e in order if e in futures]

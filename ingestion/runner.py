"""Runs ingestion jobs in one Spark session (a JVM start costs seconds; pay it once), masters before facts.

Sources within a wave are independent, so they are submitted from parallel threads: Spark interleaves their jobs,
which keeps both cores busy while one source is in driver-side planning or a small single-task stage.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

from pyspark.sql import SparkSession

from ingestion.batch import RunOptions, ingest_source
from ingestion.io.lake import Lake
from ingestion.quality import QualityReport
from ingestion.sources import BATCH_SOURCES, RUN_ORDER, WAVES
from ingestion.streaming import ingest_events

log = logging.getLogger(__name__)


def ingest_entity(spark: SparkSession, lake: Lake, entity: str, options: RunOptions) -> QualityReport:
    if entity == "order_events":
        report = ingest_events(spark, lake, options)
    elif entity in BATCH_SOURCES:
        report = ingest_source(spark, lake, BATCH_SOURCES[entity], options)
    else:
        raise ValueError(f"unknown source {entity!r}; known: {', '.join(RUN_ORDER)}")
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
    spark: SparkSession, lake: Lake, options: RunOptions, only: list[str] | None = None, parallel: int = 5
) -> list[QualityReport]:
    """Every source (or those in `only`), wave by wave; a failure stops later waves and is raised after its wave."""
    unknown = set(only or ()) - set(RUN_ORDER)
    if unknown:
        raise ValueError(f"unknown source(s) {', '.join(sorted(unknown))}; known: {', '.join(RUN_ORDER)}")
    reports: dict[str, QualityReport] = {}
    for wave in WAVES:
        entities = [e for e in wave if not only or e in only]
        with ThreadPoolExecutor(max_workers=max(1, parallel)) as pool:
            futures = {e: pool.submit(ingest_entity, spark, lake, e, options) for e in entities}
        failures = [f.exception() for f in futures.values() if f.exception() is not None]
        if failures:
            raise failures[0]
        reports.update({e: f.result() for e, f in futures.items()})
    return [reports[e] for e in RUN_ORDER if e in reports]

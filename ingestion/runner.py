"""Runs ingestion jobs in one Spark session (a JVM start costs seconds; pay it once), masters before facts.

Sources within a wave are independent, so they are submitted from parallel threads: Spark interleaves their jobs,
which keeps both cores busy while one source is in driver-side planning or a small single-task stage.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

from pyspark.sql import SparkSession

from foundation.lake import Lake
from ingestion.batch import RunOptions, ingest_source
from ingestion.quality import QualityReport
from ingestion.sources import SOURCES, Source, by_entity, waves
from ingestion.streaming import ingest_events

log = logging.getLogger(__name__)


def ingest_entity(spark: SparkSession, lake: Lake, entity: str, options: RunOptions,
                  sources: tuple[Source, ...] = SOURCES) -> QualityReport:  # fmt: skip
    source = by_entity(sources).get(entity)
    if source is None:
        raise ValueError(f"unknown source {entity!r}; known: {', '.join(s.entity for s in sources)}")
    if source.arrival == "stream":
        report = ingest_events(spark, lake, options, source)
    else:
        report = ingest_source(spark, lake, source, options)
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
    spark: SparkSession, lake: Lake, options: RunOptions, only: list[str] | None = None, parallel: int = 5,
    sources: tuple[Source, ...] = SOURCES,
) -> list[QualityReport]:
    """Every source (or those in `only`), wave by wave; a failure stops later waves and is raised after its wave."""
    order = [s.entity for s in sources]
    unknown = set(only or ()) - set(order)
    if unknown:
        raise ValueError(f"unknown source(s) {', '.join(sorted(unknown))}; known: {', '.join(order)}")
    reports: dict[str, QualityReport] = {}
    for wave in waves(sources):
        entities = [e for e in wave if not only or e in only]
        with ThreadPoolExecutor(max_workers=max(1, parallel)) as pool:
            futures = {e: pool.submit(ingest_entity, spark, lake, e, options, sources) for e in entities}
        failures = [f.exception() for f in futures.values() if f.exception() is not None]
        if failures:
            raise failures[0]
        reports.update({e: f.result() for e, f in futures.items()})
    return [reports[e] for e in order if e in reports]

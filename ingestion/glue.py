"""What makes a job script run unchanged locally (spark-submit, local[*]) and as an AWS Glue job."""

from __future__ import annotations

import argparse
import logging
import sys
from dataclasses import dataclass

from foundation.settings import Settings, parse_date, parse_rate
from foundation.spark import Job, spark_session


@dataclass(frozen=True)
class JobArguments:
    lake_root: str
    run_date: object
    full_refresh: bool
    max_quarantine_rate: float
    job_name: str


def parse_job_arguments(argv: list[str], job_name: str) -> JobArguments:
    """Accepts --lake-root and Glue's --lake_root spelling; Glue's own arguments (--JOB_ID, ...) are ignored."""
    settings = Settings.from_env()
    parser = argparse.ArgumentParser(prog=job_name, description=f"Ingest the {job_name} source into processed/")
    parser.add_argument("--lake-root", "--lake_root", default=settings.lake_root)
    parser.add_argument(
        "--run-date", "--run_date", type=lambda s: parse_date(s, "--run-date"), default=settings.run_date
    )
    parser.add_argument("--full-refresh", "--full_refresh", action="store_true")
    parser.add_argument(
        "--max-quarantine-rate", "--max_quarantine_rate", type=parse_rate, default=settings.max_quarantine_rate
    )
    parser.add_argument("--JOB_NAME", default=job_name)
    known, _ = parser.parse_known_args(argv)
    return JobArguments(known.lake_root, known.run_date, known.full_refresh, known.max_quarantine_rate, known.JOB_NAME)


def run_job(job_name: str) -> int:
    """Entry point for a job script: parse arguments, build the session, ingest, map errors to exit codes."""
    from foundation.lake import Lake, MissingInputError
    from ingestion.batch import RunOptions
    from ingestion.io.raw_reader import RawFileError
    from ingestion.quality import QualityGateError
    from ingestion.runner import ingest_entity

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    args = parse_job_arguments(sys.argv[1:], job_name)
    spark = spark_session(f"ingest-{job_name}")
    glue_job = None
    if Job is not None:
        from foundation.spark import GlueContext

        glue_job = Job(GlueContext(spark.sparkContext))
        glue_job.init(args.job_name, {"JOB_NAME": args.job_name})
    try:
        options = RunOptions(args.run_date, args.full_refresh, args.max_quarantine_rate)
        ingest_entity(spark, Lake(args.lake_root), job_name, options)
    except (MissingInputError, RawFileError, QualityGateError) as failure:
        # Printed as well as logged: Spark may own the root logger's handlers in a spark-submit run.
        print(f"ERROR {job_name}: {failure}", file=sys.stderr)
        return 2
    if glue_job is not None:
        glue_job.commit()
    return 0

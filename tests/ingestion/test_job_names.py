"""Each source's Spark jobs carry its name, so a stage in the UI or an event log says which source it served
(benchmarks/event_log_profile.py groups a run's task time by it)."""

from __future__ import annotations

import os
import shutil

import pytest

from foundation.lake import Lake
from ingestion.batch import RunOptions
from ingestion.runner import ingest_entity
from sample_data.generate import generate
from tests.ingestion.test_one_pass import TINY

pytestmark = pytest.mark.spark


def test_a_sources_jobs_are_named_after_it(spark, tmp_path):
    generate(tmp_path / "sample", TINY)
    shutil.copytree(tmp_path / "sample" / "raw", tmp_path / "lake" / "raw")
    spark.sparkContext.setJobDescription(None)
    report = ingest_entity(spark, Lake(str(tmp_path / "lake")), "warehouses", RunOptions())
    assert report.status == "succeeded"
    assert spark.sparkContext.getLocalProperty("spark.job.description") == "ingest warehouses"


def test_a_sources_jobs_run_in_a_scheduler_pool_of_its_own(spark, tmp_path):
    """Sources run at once in one session: under FIFO scheduling a source's small jobs queued behind another
    source's large stage; each source's thread submits to its own pool of the FAIR scheduler instead."""
    generate(tmp_path / "sample", TINY)
    shutil.copytree(tmp_path / "sample" / "raw", tmp_path / "lake" / "raw")
    report = ingest_entity(spark, Lake(str(tmp_path / "lake")), "warehouses", RunOptions())
    assert report.status == "succeeded"
    assert spark.sparkContext.getLocalProperty("spark.scheduler.pool") == "warehouses"
    # The pool exists once a job ran in it: FIFO sessions (Glue's, where each source is a job) have none.
    if spark.sparkContext.getConf().get("spark.scheduler.mode") == "FAIR":
        assert spark.sparkContext._jsc.sc().getPoolForName("warehouses").isDefined()


def test_the_local_session_schedules_its_sources_fairly(spark):
    from foundation.spark import apply_project_settings

    if os.environ.get("SUPPLYCHAIN_TEST_SESSION") == "glue":
        pytest.skip("a Glue session is built by Glue, with its own scheduler")
    assert apply_project_settings(spark).sparkContext.getConf().get("spark.scheduler.mode") == "FAIR"

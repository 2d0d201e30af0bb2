"""Each source's Spark jobs carry its name, so a stage in the UI or an event log says which source it served
(benchmarks/event_log_profile.py groups a run's task time by it)."""

from __future__ import annotations

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

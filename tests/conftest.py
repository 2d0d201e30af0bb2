"""Shared fixtures: one local SparkSession for the whole test run (a JVM start costs seconds)."""

from __future__ import annotations

import os
import sys

import pytest

# Spark's Python workers must run the interpreter that runs the tests.
os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)


@pytest.fixture(scope="session")
def spark():
    from foundation.settings import Settings
    from foundation.spark import spark_session

    if os.environ.get("SUPPLYCHAIN_TEST_SESSION") == "glue":
        session = glue_like_session()
    else:
        session = spark_session("supplychain-tests", Settings(spark_master="local[2]", spark_memory="2g"))
    yield session
    session.stop()


def glue_like_session():
    """A session built the way a Glue job gets one: Spark's own defaults (nothing of the project's local builder),
    then the project's settings applied by the job itself, through the function the Glue jobs call."""
    from pyspark.sql import SparkSession

    from foundation.spark import apply_project_settings

    plain = SparkSession.builder.master("local[2]").config("spark.driver.memory", "2g").getOrCreate()
    return apply_project_settings(plain)

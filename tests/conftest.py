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
    from ingestion.glue import spark_session
    from supplychain.config import Settings

    session = spark_session("supplychain-tests", Settings(spark_master="local[2]", spark_memory="2g"))
    yield session
    session.stop()

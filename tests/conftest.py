"""Shared fixtures: one local SparkSession per worker (a JVM start costs seconds), and the small sample lake ingested
and built once per test run for every package and worker that reads it (warehouse, analyst)."""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from unittest import mock

import pytest

from tests.samples import WAREHOUSE_SAMPLE

if TYPE_CHECKING:  # imported lazily: the Glue 5.0 run of tests/ingestion has no dbt
    from foundation.warehouse.build import WarehouseOptions

# Spark's Python workers must run the interpreter that runs the tests.
os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
# The child processes (CLI runs, Spark's workers) skip the Sphinx import a test-only dependency's .pth makes in every
# Python process (0.2 s CPU each; see the Makefile). This process has paid it already.
os.environ.setdefault("NO_SPHINX_JINJA2_COMPAT", "1")


@pytest.fixture(scope="session")
def spark():
    from foundation.settings import Settings
    from foundation.spark import spark_session

    if os.environ.get("SUPPLYCHAIN_TEST_SESSION") == "glue":
        session = glue_like_session()
    else:
        # The class archive as the CLI finds it (SUPPLYCHAIN_JVM_ARCHIVE_DIR=off: the suite without it).
        archive = os.environ.get("SUPPLYCHAIN_JVM_ARCHIVE_DIR", "")
        settings = Settings(spark_master="local[2]", spark_memory="2g", jvm_archive_dir=archive)
        session = spark_session("supplychain-tests", settings)
    yield session
    session.stop()


def glue_like_session():
    """A session built the way a Glue job gets one: Spark's own defaults (nothing of the project's local builder),
    then the project's settings applied by the job itself, through the function the Glue jobs call."""
    from pyspark.sql import SparkSession

    from foundation.spark import apply_project_settings

    plain = SparkSession.builder.master("local[2]").config("spark.driver.memory", "2g").getOrCreate()
    return apply_project_settings(plain)


@pytest.fixture(scope="session")
def processed_lake(request, tmp_path_factory) -> Path:
    """A lake whose processed zone the real ingestion jobs wrote, once per test run for every worker. Nothing
    writes into it: tests that alter it work on a copy."""
    from foundation.lake import Lake
    from ingestion.batch import RunOptions
    from ingestion.runner import ingest_all
    from sample_data.generate import generate
    from tests.once_per_run import built_once

    def ingest(root: Path) -> None:
        generate(root, WAREHOUSE_SAMPLE)
        reports = ingest_all(request.getfixturevalue("spark"), Lake(str(root)), RunOptions())
        assert all(r.status == "succeeded" for r in reports), [(r.entity, r.status) for r in reports]

    return built_once(tmp_path_factory, "warehouse-lake", ingest)


@dataclass(frozen=True)
class BuiltWarehouse:
    options: WarehouseOptions
    target_path: Path  # the build's dbt target folder: manifest.json and semantic_manifest.json


@pytest.fixture(scope="session")
def duckdb_warehouse(processed_lake, tmp_path_factory) -> BuiltWarehouse:
    """The DuckDB warehouse built over processed_lake once per test run; each worker gets its own copy of the file
    and of the build's dbt target folder (DuckDB locks a file to one process). Tests that change it work on a
    further copy."""
    from foundation.lake import Lake
    from foundation.warehouse.build import WarehouseOptions, build
    from tests.once_per_run import built_once

    def build_warehouse(folder: Path) -> None:
        options = WarehouseOptions(target="local", duckdb_path=folder / "warehouse.duckdb")
        # Its own dbt target folder: built before any module's dbt_scratch, it would otherwise write the project's.
        dbt_folders = {"DBT_TARGET_PATH": str(folder / "target"), "DBT_LOG_PATH": str(folder / "logs")}
        with mock.patch.dict(os.environ, dbt_folders):
            build(Lake(str(processed_lake)), options)

    built = built_once(tmp_path_factory, "duckdb-warehouse", build_warehouse)
    folder = tmp_path_factory.mktemp("duckdb")
    shutil.copyfile(built / "warehouse.duckdb", folder / "warehouse.duckdb")
    shutil.copytree(built / "target", folder / "target")
    return BuiltWarehouse(WarehouseOptions(target="local", duckdb_path=folder / "warehouse.duckdb"), folder / "target")

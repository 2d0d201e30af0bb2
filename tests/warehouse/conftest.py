"""A small lake ingested once per test session, and the throwaway PostgreSQL server, for the warehouse tests."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import pytest

from foundation.lake import Lake
from foundation.warehouse.build import WarehouseOptions, build
from ingestion.batch import RunOptions
from ingestion.runner import ingest_all
from sample_data.generate import GeneratorOptions, generate

# Four months: enough for weekly grain, lags and a warehouse that opens mid-way; small enough to build in seconds.
WAREHOUSE_SAMPLE = GeneratorOptions(
    seed=11,
    sales_rows=5000,
    start=dt.date(2024, 1, 1),
    end=dt.date(2024, 4, 30),
    products=25,
    warehouses=5,
    dirty_rate=0.01,
    event_days=5,
)


@pytest.fixture(scope="session")
def processed_lake(spark, tmp_path_factory) -> Path:
    """A lake whose processed zone the real ingestion jobs wrote. Tests that alter it work on a copy."""
    root = tmp_path_factory.mktemp("warehouse-lake")
    generate(root, WAREHOUSE_SAMPLE)
    reports = ingest_all(spark, Lake(str(root)), RunOptions())
    assert all(r.status == "succeeded" for r in reports), [(r.entity, r.status) for r in reports]
    return root


@dataclass(frozen=True)
class BuiltWarehouse:
    options: WarehouseOptions
    target_path: Path  # the build's dbt target folder: manifest.json and semantic_manifest.json


@pytest.fixture(scope="session")
def duckdb_warehouse(processed_lake, tmp_path_factory) -> BuiltWarehouse:
    """The DuckDB warehouse built once over processed_lake. Tests that change it work on a copy."""
    folder = tmp_path_factory.mktemp("duckdb")
    options = WarehouseOptions(target="local", duckdb_path=folder / "warehouse.duckdb")
    # Its own dbt target folder: built before any module's dbt_scratch, it would otherwise write the project's.
    with mock.patch.dict(os.environ, {"DBT_TARGET_PATH": str(folder / "target"), "DBT_LOG_PATH": str(folder / "logs")}):
        build(Lake(str(processed_lake)), options)
    return BuiltWarehouse(options, folder / "target")


@pytest.fixture
def lake_copy(processed_lake, tmp_path) -> Path:
    root = tmp_path / "lake"
    shutil.copytree(processed_lake / "processed", root / "processed")
    return root


@pytest.fixture(scope="session")
def warehouse(duckdb_warehouse) -> WarehouseOptions:
    """The options of the DuckDB warehouse built once over processed_lake; tests that build on it copy the file."""
    return duckdb_warehouse.options


@pytest.fixture(autouse=True, scope="module")
def dbt_scratch(tmp_path_factory):
    """dbt's target and log folders per test module, so tests never touch the developer's target/."""
    scratch = tmp_path_factory.mktemp("dbt")
    with mock.patch.dict(
        os.environ, {"DBT_TARGET_PATH": str(scratch / "target"), "DBT_LOG_PATH": str(scratch / "logs")}
    ):
        yield scratch


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory):
    from foundation.testing.postgres_server import start

    server = start(tmp_path_factory.mktemp("pg"))
    with mock.patch.dict(os.environ, server.env):
        yield server
    server.stop()
    shutil.rmtree(server.folder, ignore_errors=True)

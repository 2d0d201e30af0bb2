"""The warehouse tests' copies of the shared small lake (tests/conftest.py builds it once per session), dbt's scratch
folders, and the throwaway PostgreSQL server."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from unittest import mock

import pytest

from foundation.warehouse.build import WarehouseOptions


@pytest.fixture
def lake_copy(processed_lake, tmp_path) -> Path:
    root = tmp_path / "lake"
    shutil.copytree(processed_lake / "processed", root / "processed")
    return root


@pytest.fixture(scope="session")
def warehouse(duckdb_warehouse) -> WarehouseOptions:
    """The options of the DuckDB warehouse built once over processed_lake; tests that build on it copy the file."""
    return duckdb_warehouse.options


@pytest.fixture(scope="session")
def dbt_scratch_folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("dbt")


@pytest.fixture(autouse=True, scope="module")
def dbt_scratch(dbt_scratch_folder):
    """dbt's target and log folders, so tests never touch the developer's target/: one for every module (modules
    that run dbt with the same target and environment share one kept parse, foundation.warehouse.dbt_runner)."""
    scratch = dbt_scratch_folder
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

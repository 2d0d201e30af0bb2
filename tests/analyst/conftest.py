"""A small lake ingested and built once per session, its docs site, a copy with forecasts and a plan for the
report, and headless Chromium for the browser tests."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from unittest import mock

import duckdb
import pytest

from foundation.lake import Lake
from foundation.warehouse.build import WarehouseOptions, build
from foundation.warehouse.contract import PROJECT_DIR
from ingestion.batch import RunOptions
from ingestion.runner import ingest_all
from sample_data.generate import generate
from supplychain.cli import main
from tests.analyst.synthetic_outputs import add_synthetic_forecasts, add_synthetic_plan
from tests.warehouse.conftest import WAREHOUSE_SAMPLE

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = PROJECT_DIR / "test-artifacts" / "screenshots"


@pytest.fixture(scope="session")
def dbt_folders(tmp_path_factory):
    """dbt's target and logs for this package's tests, never the developer's target/."""
    scratch = tmp_path_factory.mktemp("analyst-dbt")
    with mock.patch.dict(
        os.environ, {"DBT_TARGET_PATH": str(scratch / "target"), "DBT_LOG_PATH": str(scratch / "logs")}
    ):
        yield scratch


@pytest.fixture(scope="session")
def built_warehouse(spark, dbt_folders, tmp_path_factory) -> Path:
    """The small sample lake, ingested by the real Spark jobs and built by `dbt build` into a DuckDB file."""
    lake = tmp_path_factory.mktemp("analyst-lake")
    generate(lake, WAREHOUSE_SAMPLE)
    reports = ingest_all(spark, Lake(str(lake)), RunOptions())
    assert all(r.status == "succeeded" for r in reports), [(r.entity, r.status) for r in reports]
    database = tmp_path_factory.mktemp("analyst-duckdb") / "warehouse.duckdb"
    build(Lake(str(lake)), WarehouseOptions(target="local", duckdb_path=database))
    return database


@pytest.fixture(scope="session")
def docs_site(built_warehouse, dbt_folders) -> Path:
    """The docs site as `supplychain docs --no-serve` generates it for the built warehouse."""
    with mock.patch.dict(os.environ, {"SUPPLYCHAIN_DUCKDB_PATH": str(built_warehouse), "SUPPLYCHAIN_TARGET": "local"}):
        assert main(["docs", "--no-serve"]) == 0
    return dbt_folders / "target"


@pytest.fixture(scope="session")
def planning_warehouse(built_warehouse, tmp_path_factory) -> Path:
    """A copy of the built warehouse with forecasts and an optimisation plan shaped like the real marts."""
    database = tmp_path_factory.mktemp("planning") / "warehouse.duckdb"
    shutil.copyfile(built_warehouse, database)
    with duckdb.connect(str(database)) as connection:
        add_synthetic_forecasts(connection)
        add_synthetic_plan(connection)
    return database


@pytest.fixture(scope="session")
def chromium():
    """Headless Debian Chromium driven by Playwright (it never downloads a browser of its own)."""
    from playwright.sync_api import sync_playwright

    assert CHROMIUM.exists(), f"{CHROMIUM} is missing: `make setup` installs it (scripts/ensure_chromium.sh)"
    with sync_playwright() as playwright:
        # --no-sandbox: the tests run as root in CI, where Chromium's sandbox refuses to start.
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS

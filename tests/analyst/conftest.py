"""The session's small built warehouse (tests/conftest.py), its docs site, a copy with forecasts and a plan for the
report, and headless Chromium for the browser tests."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from unittest import mock

import duckdb
import pytest

from foundation.warehouse.contract import PROJECT_DIR
from supplychain.cli import main
from tests.analyst.synthetic_outputs import add_synthetic_forecasts, add_synthetic_plan

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = PROJECT_DIR / "test-artifacts" / "screenshots"


@pytest.fixture(scope="session")
def dbt_folders(duckdb_warehouse, tmp_path_factory):
    """dbt's target and logs for this package's tests, never the developer's target/. The target starts with the
    shared warehouse build's artifacts (manifest, semantic manifest), as `supplychain build` leaves them."""
    scratch = tmp_path_factory.mktemp("analyst-dbt")
    shutil.copytree(duckdb_warehouse.target_path, scratch / "target")
    with mock.patch.dict(
        os.environ, {"DBT_TARGET_PATH": str(scratch / "target"), "DBT_LOG_PATH": str(scratch / "logs")}
    ):
        yield scratch


@pytest.fixture(scope="session")
def built_warehouse(duckdb_warehouse, dbt_folders) -> Path:
    """The small sample lake, ingested by the real Spark jobs and built by `dbt build` into a DuckDB file: the
    session's one (tests/conftest.py), read here and never changed (the planning report works on a copy)."""
    return duckdb_warehouse.options.duckdb_path


@pytest.fixture(scope="session")
def docs_site(built_warehouse, dbt_folders, tmp_path_factory) -> Path:
    """The docs site as `supplychain docs --no-serve` generates it for the built warehouse (a copy: dbt opens the
    file for writing, and the warehouse tests read the shared one)."""
    database = tmp_path_factory.mktemp("docs-warehouse") / "warehouse.duckdb"
    shutil.copyfile(built_warehouse, database)
    with mock.patch.dict(os.environ, {"SUPPLYCHAIN_DUCKDB_PATH": str(database), "SUPPLYCHAIN_TARGET": "local"}):
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

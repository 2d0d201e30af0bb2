"""dbt run in this process (foundation.warehouse.dbt_runner): the parse is kept between invocations, a failure
still names the failing node and leaves the process fit for the next invocation, and every invocation leaves the
DuckDB file closed and complete (no write-ahead log), as write-audit-publish needs before it swaps the file in."""

from __future__ import annotations

import os
from pathlib import Path
from unittest import mock

import duckdb
import pytest

from foundation.warehouse import dbt_runner

pytestmark = pytest.mark.dbt


@pytest.fixture
def warehouse(tmp_path) -> Path:
    database = tmp_path / "warehouse.duckdb"
    scratch = {"SUPPLYCHAIN_DUCKDB_PATH": str(database), "DBT_TARGET_PATH": str(tmp_path / "target"),
               "DBT_LOG_PATH": str(tmp_path / "logs")}  # fmt: skip
    dbt_runner._kept.clear()  # another test in this process may have left its parse
    with mock.patch.dict(os.environ, scratch):
        yield database


def test_a_failure_is_named_and_the_next_invocation_runs_clean_on_a_closed_file(warehouse):
    seeded = dbt_runner.run_dbt(["seed"], "local")
    assert seeded.ok and len(dbt_runner._kept) == 1  # parsed once, kept
    manifest = next(iter(dbt_runner._kept.values()))[0]

    # No processed schema in this warehouse: the staging model fails, and the failure names it and the cause.
    failed = dbt_runner.run_dbt(["run", "--select", "stg_erp__sales"], "local")
    assert not failed.ok
    assert len(failed.failures) == 1 and failed.failures[0].startswith("model.supplychain.stg_erp__sales: error:")
    assert "processed" in failed.failures[0]
    assert dbt_runner._kept == {}  # dropped after a failure: the next invocation parses afresh

    again = dbt_runner.run_dbt(["seed"], "local")
    assert again.ok
    assert next(iter(dbt_runner._kept.values()))[0] is not manifest
    # The file is closed and complete: no log left beside it, and this process may open it for writing.
    assert not Path(f"{warehouse}.wal").exists()
    with duckdb.connect(str(warehouse)) as connection:
        assert connection.execute("select count(*) from analytics_reference.regions").fetchone()[0] > 0


def test_a_command_dbt_refuses_says_why(warehouse):
    result = dbt_runner.run_dbt(["run", "--select", "stg_erp__sales", "--vars", "{not yaml"], "local")
    assert not result.ok and result.failures and result.failures[0].startswith("dbt run: ")
    assert dbt_runner.run_dbt(["seed"], "local").ok

"""The DuckDB target's memory limit: DuckDB's own default takes 80% of the machine, which a 10M-line build reached
while the run's Spark driver held the rest, and the kernel killed the run. The profile caps it (half the machine
unless SUPPLYCHAIN_DUCKDB_MEMORY_LIMIT says otherwise), and DuckDB spills past it."""

from __future__ import annotations

import os
from pathlib import Path
from unittest import mock

import duckdb
import pytest
from dbt.cli.main import dbtRunner

pytestmark = pytest.mark.dbt

REPO = Path(__file__).resolve().parents[2]


def _dbt_session_limit(tmp_path) -> str:
    scratch = {"SUPPLYCHAIN_DUCKDB_PATH": str(tmp_path / "warehouse.duckdb"),
               "DBT_TARGET_PATH": str(tmp_path / "target"), "DBT_LOG_PATH": str(tmp_path / "logs")}  # fmt: skip
    with mock.patch.dict(os.environ, scratch):
        query = "select current_setting('memory_limit') as memory_limit"
        places = ["--project-dir", str(REPO), "--profiles-dir", str(REPO / "profiles")]
        shown = dbtRunner().invoke(["show", "--inline", query, "--target", "local", *places, "--quiet"])
    assert shown.success, shown.exception
    return shown.result.results[0].agate_table.rows[0][0]


def _duckdb_reads(limit: str) -> str:
    with duckdb.connect() as connection:
        connection.execute(f"set memory_limit = '{limit}'")
        return connection.execute("select current_setting('memory_limit')").fetchone()[0]


def test_a_dbt_session_on_duckdb_holds_half_the_machine_by_default_and_the_variable_when_set(tmp_path, monkeypatch):
    monkeypatch.delenv("SUPPLYCHAIN_DUCKDB_MEMORY_LIMIT", raising=False)
    assert _dbt_session_limit(tmp_path) == _duckdb_reads("50%")
    assert _duckdb_reads("50%") != _duckdb_reads("80%")  # DuckDB's own default, which the profile replaces

    monkeypatch.setenv("SUPPLYCHAIN_DUCKDB_MEMORY_LIMIT", "1GB")
    assert _dbt_session_limit(tmp_path) == _duckdb_reads("1GB")

"""dbt run in this process (foundation.warehouse.dbt_runner): the parse is kept between invocations, a failure
still names the failing node and leaves the process fit for the next invocation, and every invocation leaves the
DuckDB file closed and complete (no write-ahead log), as write-audit-publish needs before it swaps the file in."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from unittest import mock

import duckdb
import pytest
import yaml

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


def test_a_parse_started_ahead_is_waited_for_and_used_by_the_next_invocation(warehouse, monkeypatch):
    parses = []
    real_parse = dbt_runner._parse
    monkeypatch.setattr(dbt_runner, "_parse", lambda *args, **kw: parses.append(args[1][0]) or real_parse(*args, **kw))

    ahead = dbt_runner.parse_in_background("local")
    for _ in range(1000):  # until the parse holds the lock (it takes seconds), so the seed surely starts after it
        if dbt_runner._lock.locked():
            break
        time.sleep(0.01)
    seeded = dbt_runner.run_dbt(["seed"], "local")  # started while the parse runs: waits for it, then uses it
    dbt_runner.wait_for_parse_ahead()
    assert not ahead.is_alive() and dbt_runner._ahead == []
    assert seeded.ok and parses == ["parse"]  # one parse in all, the one started ahead
    # A node that reads a variable as it runs (the freshness clock) adds it to the manifest's list: still the parse's.
    next(iter(dbt_runner._kept.values()))[0].env_vars["SUPPLYCHAIN_FRESHNESS_CLOCK"] = "now"
    assert dbt_runner.run_dbt(["seed"], "local").ok and parses == ["parse"]
    with duckdb.connect(str(warehouse)) as connection:
        assert connection.execute("select count(*) from analytics_reference.regions").fetchone()[0] > 0


def test_the_files_a_parse_reads_are_the_projects_paths_and_not_the_pytest_tree():
    config = yaml.safe_load((dbt_runner.PROJECT_DIR / "dbt_project.yml").read_text())
    declared = {path for key, paths in config.items() if key.endswith("-paths") and key != "clean-targets"
                for path in paths}  # fmt: skip
    assert declared <= set(dbt_runner.PROJECT_INPUTS), declared - set(dbt_runner.PROJECT_INPUTS)
    read = {file.relative_to(dbt_runner.PROJECT_DIR).parts[0:2] for file in dbt_runner.project_files()}
    assert ("tests", "orchestration") not in read and ("tests", "dbt") in read


def test_a_build_keeps_the_parses_manifest_and_a_failing_test_keeps_its_rows_in_the_audit_schema(warehouse):
    built = dbt_runner.run_dbt(["build", "--select", "regions"], "local")  # the seed and its two tests, passing
    assert built.ok
    manifest = Path(os.environ["DBT_TARGET_PATH"]) / "manifest.json"
    parsed_at = manifest.stat().st_mtime_ns  # written by the parse, not rewritten by each build
    assert dbt_runner.run_dbt(["build", "--select", "regions"], "local").ok
    assert manifest.stat().st_mtime_ns == parsed_at

    with duckdb.connect(str(warehouse)) as connection:
        connection.execute("insert into analytics_reference.regions (region_code) values (null)")
    tested = dbt_runner.run_dbt(["test", "--select", "regions"], "local")
    assert not tested.ok and len(tested.failures) == 1
    failure = tested.failures[0]
    assert failure.startswith("test.supplychain.not_null_regions_region_code") and ": fail: " in failure
    assert "failing rows kept in" in failure and "analytics_audit" in failure
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        rows = connection.execute("select count(*) from analytics_audit.not_null_regions_region_code").fetchone()
    assert rows[0] == 1
    # run_results.json is this invocation's (written by the runner): both tests, one failing.
    results = json.loads((Path(os.environ["DBT_TARGET_PATH"]) / "run_results.json").read_text())["results"]
    assert sorted(r["status"] for r in results if r["unique_id"].startswith("test.")) == ["fail", "pass"]


def test_a_kept_parse_serves_only_its_own_schema_and_target_and_leaves_its_own_manifest_json(warehouse, monkeypatch):
    # A long-lived process (tests, a pipeline) running dbt with one target folder: a parse for another target writes
    # that folder's manifest.json meanwhile; the kept parse reused next puts its own back (what a run keeps).
    monkeypatch.setenv("SUPPLYCHAIN_MART_SCHEMA", "first")
    assert dbt_runner.run_dbt(["seed", "--select", "regions"], "local").ok
    assert dbt_runner.project_manifest(["seed"], "postgres") is not None  # parsed (no server needed) into the folder
    manifest_json = Path(os.environ["DBT_TARGET_PATH"]) / "manifest.json"
    assert json.loads(manifest_json.read_text())["metadata"]["adapter_type"] == "postgres"
    assert dbt_runner.run_dbt(["seed", "--select", "regions"], "local").ok  # the kept local parse, not parsed again
    assert len(dbt_runner._kept) == 2
    assert json.loads(manifest_json.read_text())["metadata"]["adapter_type"] == "duckdb"

    # SUPPLYCHAIN_MART_SCHEMA is read only by profiles.yml: a change must not reuse the parse of the first schema.
    monkeypatch.setenv("SUPPLYCHAIN_MART_SCHEMA", "second")
    assert dbt_runner.run_dbt(["seed", "--select", "regions"], "local").ok
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        schemas = {row[0] for row in connection.execute("select schema_name from duckdb_tables()").fetchall()}
    assert schemas == {"first_reference", "second_reference"}


def test_what_the_profile_reads_counts_by_target_and_a_working_copy_reads_as_its_live_file(monkeypatch):
    monkeypatch.setenv("SUPPLYCHAIN_DUCKDB_PATH", "/data/warehouse.duckdb")
    local = dbt_runner.environment_read("local")
    assert local["SUPPLYCHAIN_DUCKDB_PATH"] == "warehouse" and "SUPPLYCHAIN_MART_SCHEMA" in local
    assert not any(name.startswith("SUPPLYCHAIN_PG_") for name in local)  # another output's connection
    monkeypatch.setenv("SUPPLYCHAIN_DUCKDB_PATH", "/data/warehouse.building.duckdb")
    assert dbt_runner.environment_read("local") == local  # the parse made ahead for the live file serves the copy
    monkeypatch.delenv("SUPPLYCHAIN_DUCKDB_PATH")
    assert dbt_runner.environment_read("local") == local  # unset: the profile's default, data/warehouse.duckdb
    postgres = dbt_runner.environment_read("postgres")
    assert {"SUPPLYCHAIN_PG_HOST", "SUPPLYCHAIN_PG_PORT", "SUPPLYCHAIN_MART_SCHEMA"} <= set(postgres)

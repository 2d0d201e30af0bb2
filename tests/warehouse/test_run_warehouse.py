"""`supplychain run` copies the DuckDB warehouse once per run, not once per dbt step: its steps build on one working
copy, and the live file is replaced once, when the run succeeds. A failed run leaves the live file as it was, and
its --resume carries on from the working copy, keeping what the steps before the failure built."""

from __future__ import annotations

import io
import shutil

import duckdb
import pytest

from foundation.lake import Lake
from foundation.settings import Settings
from foundation.stage import Resources
from foundation.warehouse.build import WarehouseOptions
from orchestration.change_check import skip_unchanged
from orchestration.local_runner import Actions, new_run_id, run_pipeline
from orchestration.pipeline import select_steps
from orchestration.run_records import new_record
from orchestration.step_actions import PipelineOptions, RunContext, run_step

STEPS = ["load", "build-warehouse", "snapshot"]


def _run(lake, database, runs, actions, resumes=None, only=STEPS):
    steps = select_steps("local", only=only)
    record = new_record(runs, new_run_id(), "local", [s.name for s in steps], resumes)
    resources = Resources(Settings(), Lake(str(lake)), WarehouseOptions(duckdb_path=database))
    context = RunContext(resources, PipelineOptions(), record.folder)
    code = run_pipeline(context, steps, record, actions, out=io.StringIO())
    return code, record


def _identity(path):
    stat = path.stat()
    return stat.st_ino, stat.st_mtime_ns


def _relations(path) -> set[str]:
    with duckdb.connect(str(path), read_only=True) as connection:
        return {row[0] for row in connection.execute("select table_name from information_schema.tables").fetchall()}


@pytest.fixture
def live(warehouse, tmp_path):
    database = tmp_path / "warehouse.duckdb"
    shutil.copyfile(warehouse.duckdb_path, database)
    return database


def test_a_run_copies_the_warehouse_once_and_publishes_it_once(lake_copy, live, tmp_path, monkeypatch):
    copies, live_after_step = [], {}
    real_copy = shutil.copyfile

    def counted_copy(source, destination, **kwargs):
        if str(source) == str(live):
            copies.append(destination)
        return real_copy(source, destination, **kwargs)

    monkeypatch.setattr(shutil, "copyfile", counted_copy)

    def step(step, context):
        figures = run_step(step, context)
        live_after_step[step.name] = _identity(live)
        return figures

    before = _identity(live)
    code, _ = _run(lake_copy, live, tmp_path / "runs", Actions(step=step))
    assert code == 0
    assert len(copies) == 1  # two dbt steps, one copy
    # Once the first dbt step has copied it (the load before wrote its views in one transaction), the live file is
    # left alone until the run ends, and then replaced once, by the built copy.
    assert live_after_step["load"] == live_after_step["build-warehouse"] == live_after_step["snapshot"]
    assert _identity(live) not in (before, live_after_step["snapshot"])
    assert not (tmp_path / "warehouse.building.duckdb").exists()


def test_a_failed_run_leaves_the_live_file_and_its_resume_keeps_what_was_built(lake_copy, live, tmp_path):
    def fail_snapshot(step, context):
        if step.name == "snapshot":
            # The step after the build sees the build: the run's copy holds it, the live file does not yet.
            assert "marker_of_this_run" in _relations(context.resources.warehouse.duckdb_path)
            raise RuntimeError("snapshot failed")
        figures = run_step(step, context)
        if step.name == "build-warehouse":
            with duckdb.connect(str(context.run_warehouse.work)) as connection:
                connection.execute("create table marker_of_this_run as select 1 as built")
        return figures

    before = _identity(live)
    code, failed = _run(lake_copy, live, tmp_path / "runs", Actions(step=fail_snapshot),
                        only=["build-warehouse", "snapshot"])  # fmt: skip
    assert code == 1 and _identity(live) == before and "marker_of_this_run" not in _relations(live)

    code, _ = _run(lake_copy, live, tmp_path / "runs", Actions(step=run_step), resumes=failed.run_id,
                   only=["snapshot"])  # fmt: skip
    assert code == 0
    assert "marker_of_this_run" in _relations(live)  # the resumed run published the failed run's build with its own
    assert not (tmp_path / "warehouse.building.duckdb").exists()


def test_a_run_started_afresh_after_a_failed_one_builds_again_what_the_failed_run_built(lake_copy, live, tmp_path):
    """The failed run's build-warehouse succeeded on the working copy, which a fresh run discards: the fresh run
    must not skip build-warehouse as if that build were in the live file."""

    def fail_snapshot(step, context):
        if step.name == "snapshot":
            raise RuntimeError("snapshot failed")
        return run_step(step, context)

    steps = ["build-warehouse", "snapshot"]
    code, _ = _run(lake_copy, live, tmp_path / "runs", Actions(step=skip_unchanged(fail_snapshot)), only=steps)
    assert code == 1
    code, again = _run(lake_copy, live, tmp_path / "runs", Actions(step=skip_unchanged(run_step)), only=steps)
    assert code == 0
    figures = {s.name: s.figures for s in again.steps}
    assert "skipped" not in figures["build-warehouse"] and figures["build-warehouse"]["nodes"] > 0
    # Published now: the next run with nothing new skips both.
    code, third = _run(lake_copy, live, tmp_path / "runs", Actions(step=skip_unchanged(run_step)), only=steps)
    assert code == 0 and all(s.figures.get("skipped") == "nothing new" for s in third.steps)

"""The local runner's control flow with stand-in step actions: waves, retries, the stop on a real failure, run
records, resume after a failure or a kill, and `supplychain runs`."""

from __future__ import annotations

import argparse
import io

import pytest

from foundation.lake import Lake
from foundation.settings import Settings
from foundation.stage import Resources
from foundation.warehouse.build import WarehouseOptions
from orchestration import local_runner
from orchestration.local_runner import Actions, plan, run_pipeline
from orchestration.pipeline import select_steps
from orchestration.run_records import RunRecord, all_runs, latest_failed_run, new_record
from orchestration.step_actions import RunContext, StepFailedError
from supplychain.cli import main


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch):
    monkeypatch.setattr(local_runner, "RETRY_DELAYS_SECONDS", (0.0, 0.0))


def runner_args(runs_dir, **overrides):
    values = {"runs_dir": runs_dir, "from_step": None, "only_steps": None, "resume": False}
    return argparse.Namespace(**{**values, **overrides})


class Recorder(Actions):
    """Records every call; fails a step as told (a transient error some times, or a real failure)."""

    def __init__(self, transient: dict[str, int] | None = None, broken: set[str] | None = None):
        self.calls: list[list[str]] = []
        self.transient, self.broken = dict(transient or {}), set(broken or ())
        super().__init__(ingest=self._ingest, step=self._step)

    def _ingest(self, steps, context):
        self.calls.append([s.name for s in steps])
        return {s.name: {"rows_read": 10} for s in steps}

    def _step(self, step, context):
        self.calls.append([step.name])
        if self.transient.get(step.name, 0) > 0:
            self.transient[step.name] -= 1
            raise ConnectionError("warehouse connection reset")
        if step.name in self.broken:
            raise StepFailedError(f"dbt build failed: not_null_fct_sales_quantity ({step.name})")
        return {"nodes": 3}


def execute(tmp_path, actions, steps=None, resumes=None, resources=None):
    steps = steps or select_steps("local")
    record = new_record(tmp_path, "run-1" if resumes is None else "run-2", "local", [s.name for s in steps], resumes)
    out = io.StringIO()
    code = run_pipeline(RunContext(resources, None, record.folder), steps, record, actions, out=out)
    return code, RunRecord.load(record.path), out.getvalue()


def test_every_step_runs_in_order_with_every_ingestion_job_in_one_group(tmp_path):
    actions = Recorder()
    code, record, out = execute(tmp_path, actions)
    assert code == 0 and record.status == "succeeded"
    # One pass: the masters' wave and the facts' wave of the state machine run together (one Spark session).
    assert actions.calls[:2] == [
        ["generate-sample"],
        ["ingest-products", "ingest-warehouses", "ingest-inventory", "ingest-sales", "ingest-shipments",
         "ingest-transfer-lanes", "ingest-order-events"],
    ]  # fmt: skip
    assert [c[0] for c in actions.calls[2:]] == [
        "load", "source-freshness", "build-warehouse", "snapshot", "forecast", "load-forecasts",
        "build-forecast-marts", "optimize", "load-plan", "build-plan-marts", "docs-generate", "planning-report",
    ]  # fmt: skip
    assert all(s.status == "succeeded" and s.seconds is not None for s in record.steps)
    assert next(s for s in record.steps if s.name == "ingest-sales").figures == {"rows_read": 10}
    assert "✔ build-warehouse" in out and "pipeline succeeded" in out


def test_a_transient_failure_is_retried(tmp_path):
    actions = Recorder(transient={"load": 2})
    code, record, out = execute(tmp_path, actions)
    assert code == 0
    assert next(s for s in record.steps if s.name == "load").attempts == 3
    assert out.count("↻ load") == 2


def test_the_retries_and_their_waits_come_from_the_runs_settings(tmp_path):
    settings = Settings.from_env({"SUPPLYCHAIN_STEP_RETRY_DELAYS": "0.05"})
    resources = Resources(settings, Lake(str(tmp_path / "lake")), WarehouseOptions(target="postgres"))
    code, record, out = execute(tmp_path, Recorder(transient={"load": 2}), resources=resources)
    assert code == 1 and record.failed_step == "load"  # one retry, not the default two
    assert next(s for s in record.steps if s.name == "load").attempts == 2
    assert "retrying in 0.05s" in out
    assert Settings.from_env({"SUPPLYCHAIN_STEP_RETRY_DELAYS": ""}).step_retry_delays == ()
    assert Settings.from_env({}).step_retry_delays == (2.0, 8.0)
    with pytest.raises(ValueError, match="SUPPLYCHAIN_STEP_RETRY_DELAYS 'soon' is not a number of seconds"):
        Settings.from_env({"SUPPLYCHAIN_STEP_RETRY_DELAYS": "1, soon"})


def test_a_real_failure_stops_the_run_and_names_the_step_and_the_fix(tmp_path):
    actions = Recorder(broken={"build-warehouse"})
    code, record, out = execute(tmp_path, actions)
    assert code == 1 and record.status == "failed" and record.failed_step == "build-warehouse"
    failed = next(s for s in record.steps if s.name == "build-warehouse")
    assert failed.attempts == 1 and "not_null_fct_sales_quantity" in failed.error
    assert "supplychain run --resume" in failed.fix
    assert [s.status for s in record.steps if s.name in ("snapshot", "forecast")] == ["pending", "pending"]
    assert "✘ step build-warehouse failed" in out


def test_a_step_that_may_not_repeat_is_not_retried(tmp_path):
    actions = Recorder(transient={"forecast": 1})
    code, record, _ = execute(tmp_path, actions)
    assert code == 1 and record.failed_step == "forecast"
    assert actions.calls.count(["forecast"]) == 1


def test_resume_picks_up_at_the_failed_step(tmp_path):
    execute(tmp_path, Recorder(broken={"forecast"}))
    steps, resumes = plan(runner_args(tmp_path, resume=True))
    assert resumes == "run-1" and steps[0].name == "forecast"
    code, record, _ = execute(tmp_path, Recorder(), steps=steps, resumes=resumes)
    assert code == 0 and record.resumes == "run-1"
    assert latest_failed_run(tmp_path) is None  # the newest run succeeded


def test_a_killed_run_resumes_at_the_step_it_was_in(tmp_path):
    steps = select_steps("local")
    record = new_record(tmp_path, "killed", "local", [s.name for s in steps], None)
    record.start_step("generate-sample", 1)
    record.end_step("generate-sample", "succeeded", 0.1, {})
    record.start_step("ingest-products", 1)  # ... and the process died here
    assert latest_failed_run(tmp_path).failed_step == "ingest-products"
    assert plan(runner_args(tmp_path, resume=True))[0][0].name == "ingest-products"


def test_resume_without_a_failed_run_says_so(tmp_path):
    with pytest.raises(ValueError, match="no failed run"):
        plan(runner_args(tmp_path, resume=True))


def test_runs_lists_the_records_newest_first(tmp_path, capsys):
    execute(tmp_path, Recorder(broken={"snapshot"}))
    assert main(["runs", "--runs-dir", str(tmp_path)]) == 0
    listing = capsys.readouterr().out
    assert "run-1" in listing and "failed" in listing and "snapshot" in listing
    assert [r.run_id for r in all_runs(tmp_path)] == ["run-1"]


def test_an_unknown_step_is_refused_with_the_list(tmp_path, caplog):
    assert main(["run", "--from", "publish", "--runs-dir", str(tmp_path)]) == 2
    assert "unknown step(s) publish" in caplog.text and "build-warehouse" in caplog.text


def test_a_waves_progress_line_shows_the_totals_of_all_its_jobs():
    from orchestration.local_runner import _brief

    figures = {
        "ingest-sales": {"status": "succeeded", "rows_read": 1000, "rows_quarantined": 8},
        "ingest-inventory": {"status": "succeeded", "rows_read": 109, "rows_quarantined": 0},
    }
    assert _brief(figures) == "(status succeeded, rows_read 1109, rows_quarantined 8)"
    figures["ingest-inventory"]["status"] = "no_new_files"
    assert _brief(figures).startswith("(status mixed, ")

"""Run records that went wrong: a corrupt run.json is named and never blocks the listing; a killed run reads as
killed, not `running` for ever."""

from __future__ import annotations

import subprocess
import sys

import pytest

from orchestration.local_runner import plan
from orchestration.run_records import UnreadableRunError, new_record, read_runs
from supplychain.cli import main
from tests.orchestration.test_local_runner import runner_args


def test_a_corrupt_record_is_named_and_the_others_still_list(tmp_path, capsys):
    good = new_record(tmp_path, "20260101T000000Z-000001", "local", ["ingest-products"], None)
    good.finish("succeeded", 1.0)
    corrupt = tmp_path / "20260102T000000Z-000001" / "run.json"
    corrupt.parent.mkdir()
    corrupt.write_text('{"run_id": "20260102T000000Z-000001", "steps": [')  # a disk filled mid-write
    assert main(["runs", "--runs-dir", str(tmp_path)]) == 0
    listing = capsys.readouterr().out
    assert "20260101T000000Z-000001" in listing and "succeeded" in listing
    assert f"{corrupt}: unreadable run record" in listing and "Traceback" not in listing
    # The newest record cannot be read: resuming would guess which run to continue, so it refuses, naming it.
    with pytest.raises(UnreadableRunError, match=str(corrupt)):
        plan(runner_args(tmp_path, resume=True))


def test_a_run_whose_process_died_reads_as_killed_and_resumes_at_its_step(tmp_path, capsys):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    record = new_record(tmp_path, "20260103T000000Z-000001", "local", ["ingest-products", "snapshot"], None)
    record.pid = int(dead.stdout)  # that process has exited: as after a kill -9
    record.start_step("snapshot", 1)
    runs, unreadable = read_runs(tmp_path)
    assert [r.state for r in runs] == ["killed"] and not unreadable
    assert main(["runs", "--runs-dir", str(tmp_path)]) == 0
    assert "killed" in capsys.readouterr().out
    steps, resumes = plan(runner_args(tmp_path, resume=True))
    assert resumes == "20260103T000000Z-000001" and steps[0].name == "snapshot"
    live = new_record(tmp_path, "20260104T000000Z-000001", "local", ["snapshot"], None)
    live.save()  # this very process, alive
    states = {r.run_id: r.state for r in read_runs(tmp_path)[0]}
    assert states == {"20260103T000000Z-000001": "killed", "20260104T000000Z-000001": "running"}

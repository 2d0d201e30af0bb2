"""Run records: one folder per pipeline run under the runs folder, holding run.json (the steps, their times,
status and figures) and each dbt step's artifacts; `supplychain runs` lists them."""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from foundation.redaction import redact


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


@dataclass
class StepRecord:
    name: str
    status: str = "pending"  # running, succeeded, failed
    attempts: int = 0
    started_at: str | None = None
    finished_at: str | None = None
    seconds: float | None = None
    figures: dict = field(default_factory=dict)
    error: str | None = None
    fix: str | None = None


@dataclass
class RunRecord:
    run_id: str
    folder: Path
    target: str
    steps: list[StepRecord]
    resumes: str | None = None  # the failed run this one picks up from
    status: str = "running"
    started_at: str = field(default_factory=_now)
    finished_at: str | None = None
    seconds: float | None = None
    detail: str | None = None  # the failure's traceback

    @property
    def path(self) -> Path:
        return self.folder / "run.json"

    @property
    def failed_step(self) -> str | None:
        return next((s.name for s in self.steps if s.status == "failed"), None)

    def _step(self, name: str) -> StepRecord:
        return next(s for s in self.steps if s.name == name)

    def start_step(self, name: str, attempt: int) -> None:
        step = self._step(name)
        step.status, step.attempts, step.started_at = "running", attempt, _now()
        self.save()

    def end_step(self, name: str, status: str, seconds: float, figures: dict, error=None, fix=None) -> None:
        step = self._step(name)
        step.status, step.seconds, step.figures = status, round(seconds, 2), figures
        step.finished_at, step.error, step.fix = _now(), error, fix
        self.save()

    def finish(self, status: str, seconds: float) -> None:
        self.status, self.finished_at, self.seconds = status, _now(), round(seconds, 2)
        self.save()

    def save(self) -> None:
        """Write-then-rename: a reader (or a killed run) never sees half a record."""
        self.folder.mkdir(parents=True, exist_ok=True)
        payload = {k: v for k, v in asdict(self).items() if k != "folder"}
        staged = self.path.with_suffix(".json.tmp")
        staged.write_text(redact(json.dumps(payload, indent=2, default=str)) + "\n")  # no credential on disk
        os.replace(staged, self.path)

    @classmethod
    def load(cls, path: Path) -> RunRecord:
        data = json.loads(path.read_text())
        steps = [StepRecord(**s) for s in data.pop("steps")]
        return cls(folder=path.parent, steps=steps, **data)


def new_record(runs_dir: Path, run_id: str, target: str, step_names: list[str], resumes: str | None) -> RunRecord:
    return RunRecord(run_id, runs_dir / run_id, target, [StepRecord(n) for n in step_names], resumes)


def all_runs(runs_dir: Path) -> list[RunRecord]:
    """Every run under runs_dir, newest first; a run killed mid-step still reads as `running`."""
    if not runs_dir.is_dir():
        return []
    records = [RunRecord.load(p) for p in runs_dir.glob("*/run.json")]
    return sorted(records, key=lambda r: r.started_at, reverse=True)


def latest_failed_run(runs_dir: Path) -> RunRecord | None:
    """The newest run, when it failed or was killed mid-step (so a resume continues it)."""
    runs = all_runs(runs_dir)
    if not runs or runs[0].status == "succeeded":
        return None
    latest = runs[0]
    for step in latest.steps:  # a run killed mid-step resumes from the step it was in
        if step.status == "running":
            step.status = "failed"
    return latest if latest.failed_step else None


def format_runs(runs: list[RunRecord]) -> str:
    lines = [f"{'run id':<28}{'started (UTC)':<27}{'status':<11}{'seconds':>9}  failed step / resumes"]
    for run in runs:
        note = run.failed_step or (f"resumes {run.resumes}" if run.resumes else "")
        seconds = f"{run.seconds:.1f}" if run.seconds is not None else "-"
        lines.append(f"{run.run_id:<28}{run.started_at:<27}{run.status:<11}{seconds:>9}  {note}")
    return "\n".join(lines)

"""Run records: one folder per pipeline run under the runs folder, holding run.json (the steps, their times,
status and figures) and each dbt step's artifacts; `supplychain runs` lists them.

A record names the process and host that run it, so a run killed mid-step (kill -9, a lost machine) shows as
`killed`, not `running` for ever, once its process is gone. A record that cannot be read (a disk filled mid-write,
a hand edit) is listed by its path and reason; it never stops the listing, and `run --resume` refuses to guess past
it when it is the newest.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
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
    pid: int | None = field(default_factory=os.getpid)  # the process running it (None in a record from before)
    host: str | None = field(default_factory=socket.gethostname)

    @property
    def state(self) -> str:
        """The status, with a run whose process is gone from this host while it was `running` read as `killed`."""
        here = self.pid is not None and self.host == socket.gethostname()
        return "killed" if self.status == "running" and here and not _alive(self.pid) else self.status

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
        data.setdefault("pid", None)  # a record from before pids were kept: its process cannot be checked
        data.setdefault("host", None)
        return cls(folder=path.parent, steps=steps, **data)


class UnreadableRunError(ValueError):
    """A run record that is not a run record any more: named with its path and what is wrong with it."""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


def read_runs(runs_dir: Path) -> tuple[list[RunRecord], list[str]]:
    """Every readable run under runs_dir, newest first, and one line per record that cannot be read."""
    if not runs_dir.is_dir():
        return [], []
    records, unreadable = [], []
    for path in sorted(runs_dir.glob("*/run.json")):
        try:
            records.append(RunRecord.load(path))
        except (OSError, ValueError, TypeError, KeyError, AttributeError) as failure:
            reason = str(failure).splitlines()[0] if str(failure) else type(failure).__name__
            unreadable.append(f"{path}: unreadable run record ({reason[:200]})")
    return sorted(records, key=lambda r: (r.started_at, r.folder.name), reverse=True), unreadable


def new_record(runs_dir: Path, run_id: str, target: str, step_names: list[str], resumes: str | None) -> RunRecord:
    return RunRecord(run_id, runs_dir / run_id, target, [StepRecord(n) for n in step_names], resumes)


def all_runs(runs_dir: Path) -> list[RunRecord]:
    """Every readable run under runs_dir, newest first (read_runs also says which records could not be read)."""
    return read_runs(runs_dir)[0]


def latest_failed_run(runs_dir: Path) -> RunRecord | None:
    """The newest run, when it failed or was killed mid-step (so a resume continues it)."""
    runs, unreadable = read_runs(runs_dir)
    newest = runs[0].folder.name if runs else ""
    later = [line for line in unreadable if Path(line.split(": unreadable", 1)[0]).parent.name > newest]
    if later:
        raise UnreadableRunError(
            f"--resume: {later[-1]}; it may be the run to resume: fix or remove that folder, or run without --resume"
        )
    if not runs or runs[0].status == "succeeded":
        return None
    latest = runs[0]
    for step in latest.steps:  # a run killed mid-step resumes from the step it was in
        if step.status == "running":
            step.status = "failed"
    return latest if latest.failed_step else None


def format_runs(runs: list[RunRecord], unreadable: list[str] = ()) -> str:
    lines = [f"{'run id':<28}{'started (UTC)':<27}{'status':<11}{'seconds':>9}  failed step / resumes"]
    for run in runs:
        running = next((s.name for s in run.steps if s.status == "running"), None)
        note = run.failed_step or (f"in {running}" if running and run.state == "killed" else "")
        note = note or (f"resumes {run.resumes}" if run.resumes else "")
        seconds = f"{run.seconds:.1f}" if run.seconds is not None else "-"
        lines.append(f"{run.run_id:<28}{run.started_at:<27}{run.state:<11}{seconds:>9}  {note}")
    return "\n".join([*lines, *unreadable])

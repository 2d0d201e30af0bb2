"""`supplychain run`: the pipeline definition walked on this machine, wave by wave, with a live progress line per
step, retries for transient failures, a clear stop on the first real one, and a run record for each run.

Every step is safe to repeat (ingestion keeps bookmarks and publishes atomically, a DuckDB warehouse is built on
one working copy per run and published when the run succeeds, outputs replace whole files), so a killed or failed
run resumed from its failed step ends with the same warehouse as a run that was never interrupted.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field

from foundation.redaction import redact
from foundation.settings import Settings
from foundation.warehouse.dbt_runner import wait_for_parse_ahead
from orchestration.change_check import commit_fingerprints, skip_unchanged, skip_without_new_drops
from orchestration.pipeline import Step, select_steps, waves
from orchestration.run_records import RunRecord, latest_failed_run
from orchestration.run_warehouse import RunWarehouse
from orchestration.step_actions import RunContext, StepFailedError, run_ingest, run_step

# Failures worth another try: the machine or a connection hiccuped, not the data or the code.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (ConnectionError, TimeoutError, InterruptedError)
# The waits before each retry when a run has no settings of its own (SUPPLYCHAIN_STEP_RETRY_DELAYS otherwise).
RETRY_DELAYS_SECONDS = Settings.step_retry_delays


@dataclass
class Actions:
    """How steps run; tests swap in their own."""

    # Steps with nothing new to do finish at once (orchestration.change_check).
    ingest: Callable[[list[Step], RunContext], dict[str, dict]] = field(
        default_factory=lambda: skip_without_new_drops(run_ingest, on_new_drops=parse_dbt_ahead)
    )
    step: Callable[[Step, RunContext], dict] = field(default_factory=lambda: skip_unchanged(run_step))


def parse_dbt_ahead(context: RunContext) -> None:
    """dbt's parse of the project (6-9 s on a first run, dbt's import included) overlapped with ingestion, whose
    Python side mostly waits for Spark: started before the first wave with new drops, so the first dbt step finds it
    done. A daily run with nothing new starts none. dbt steps wait for it (dbt_runner's lock) and the run waits for
    it before it ends, so no step starts earlier or later than before."""
    from foundation.warehouse.dbt_runner import parse_in_background

    parse_in_background(context.resources.warehouse.target)


def plan(runtime_args) -> tuple[tuple[Step, ...], str | None]:
    """The steps this invocation runs and, with --resume, the run it resumes."""
    resumes = None
    from_step, only = runtime_args.from_step, runtime_args.only_steps
    if runtime_args.resume:
        failed = latest_failed_run(runtime_args.runs_dir)
        if failed is None:
            raise ValueError(f"--resume: no failed run under {runtime_args.runs_dir} to resume")
        # The rest of that run's own steps: a run of `--only A,B` resumes within A,B, not the whole pipeline.
        names = [s.name for s in failed.steps]
        resumes, from_step, only = failed.run_id, None, names[names.index(failed.failed_step) :]
    return select_steps("local", from_step=from_step, only=only), resumes


def run_pipeline(context: RunContext, steps: tuple[Step, ...], record: RunRecord, actions: Actions | None = None,
                 out=sys.stderr) -> int:  # fmt: skip
    """Runs the steps; returns 0, or 1 after the first real failure (named, with the fix, in the record)."""
    actions = actions or Actions()
    started = time.perf_counter()
    record.save()
    context = with_run_warehouse(context, resuming=record.resumes is not None)
    try:
        for groups in step_groups(steps):
            for group in groups:
                if not _run_group(group, on_current_warehouse(context), record, actions, out):
                    record.finish("failed", time.perf_counter() - started)
                    return 1
    finally:
        wait_for_parse_ahead()  # a run with ingestion but no dbt step still ends only after the parse it started
    if context.run_warehouse is not None:
        try:
            if context.run_warehouse.publish():
                print(f"published the run's warehouse to {context.run_warehouse.live}", file=out, flush=True)
            commit_fingerprints(context)  # the dbt steps' fingerprints now describe the live file
        except OSError as failure:  # the run ends "failed", never stuck "running"; the live file is unchanged
            print(f"✘ publishing the run's warehouse failed: {one_line(failure)}", file=out, flush=True)
            record.detail = one_line(failure)
            record.finish("failed", time.perf_counter() - started)
            return 1
    record.finish("succeeded", time.perf_counter() - started)
    print(f"pipeline succeeded in {record.seconds:.1f}s; run record {record.path}", file=out, flush=True)
    return 0


def with_run_warehouse(context: RunContext, resuming: bool) -> RunContext:
    """The context with the run's one working copy of a local DuckDB warehouse (orchestration.run_warehouse)."""
    resources = context.resources
    if resources is None or resources.warehouse.target != "local" or context.run_warehouse is not None:
        return context
    run_warehouse = RunWarehouse(resources.warehouse.duckdb_path)
    run_warehouse.start(resuming)
    return dataclasses.replace(context, run_warehouse=run_warehouse)


def on_current_warehouse(context: RunContext) -> RunContext:
    """The context whose warehouse is the file the run's steps read now: its working copy once a step built."""
    if context.run_warehouse is None:
        return context
    warehouse = dataclasses.replace(context.resources.warehouse, duckdb_path=context.run_warehouse.current())
    return dataclasses.replace(context, resources=dataclasses.replace(context.resources, warehouse=warehouse))


def step_groups(steps: tuple[Step, ...]) -> list[list[list[Step]]]:
    """The waves' steps in the groups that run together: every ingestion job in one group, at the first ingestion
    wave (one Spark session, one pass: the facts are checked against the masters' state after this run, see
    ingestion/masters.py; on AWS the Glue jobs keep the waves), every other step alone."""
    ingest = [s for s in steps if s.stage == "ingest"]
    waves_groups: list[list[list[Step]]] = []
    for wave in waves(steps):
        groups = [ingest] if ingest and any(s.stage == "ingest" for s in wave) else []
        if groups:
            ingest = []  # ran with the first ingestion wave
        groups += [[s] for s in wave if s.stage != "ingest"]
        waves_groups.append(groups)
    return waves_groups


def _run_group(group: list[Step], context: RunContext, record: RunRecord, actions: Actions, out) -> bool:
    label = ", ".join(step.name for step in group)
    retryable = all(step.retryable for step in group)
    delays = context.resources.settings.step_retry_delays if context.resources else RETRY_DELAYS_SECONDS
    for attempt in range(len(delays) + 1):
        for step in group:
            record.start_step(step.name, attempt + 1)
        print(f"▶ {label}{f' (attempt {attempt + 1})' if attempt else ''}", file=out, flush=True)
        began = time.perf_counter()
        try:
            if group[0].stage == "ingest":
                figures = actions.ingest(group, context)
            else:
                figures = {group[0].name: actions.step(group[0], context)}
        except TRANSIENT_ERRORS as failure:
            if retryable and attempt < len(delays):
                delay = delays[attempt]
                print(f"  ↻ {label}: {one_line(failure)}; retrying in {delay:g}s", file=out, flush=True)
                time.sleep(delay)
                continue
            return _stop(group, record, failure, began, out)
        except Exception as failure:  # any other failure ends the run "failed", never stuck "running"
            return _stop(group, record, failure, began, out)
        seconds = time.perf_counter() - began
        for step in group:
            record.end_step(step.name, "succeeded", seconds, figures.get(step.name, {}))
        print(f"✔ {label} in {seconds:.1f}s {_brief(figures)}", file=out, flush=True)
        return True
    return False


def _stop(group: list[Step], record: RunRecord, failure: BaseException, began: float, out) -> bool:
    seconds = time.perf_counter() - began
    name = group[0].name
    fix = (
        f"fix the cause, then `supplychain run --resume` (or `--from {name}`); the warehouse still holds the last "
        "good build"
    )
    message = one_line(failure)
    for step in group:
        record.end_step(step.name, "failed", seconds, {}, error=message, fix=fix)
    record.detail = "".join(traceback.format_exception(failure))[-4000:]  # redacted when the record is saved
    print(f"✘ step {name} failed after {seconds:.1f}s: {message}\n  {fix}", file=out, flush=True)
    return False


def one_line(failure: BaseException) -> str:
    """The failure for a person: our own errors are already sentences; a foreign one (a Py4J or DuckDB error) is
    cut to its first telling line, its type named."""
    if isinstance(failure, StepFailedError | ValueError | OSError | RuntimeError) and not _is_foreign(failure):
        return redact(str(failure))
    lines = [line.strip(" :") for line in str(failure).splitlines() if line.strip() and not line.startswith("\t")]
    telling = [line for line in lines if "Exception: " in line or "Error: " in line]
    return redact(f"{type(failure).__name__}: {(telling or lines or [''])[0]}"[:500])


def _is_foreign(failure: BaseException) -> bool:
    return not type(failure).__module__.startswith(("builtins", "ingestion", "supplychain", "orchestration",
                                                     "forecasting", "optimization", "sample_data",
                                                     "analyst"))  # fmt: skip


def _brief(figures: dict[str, dict]) -> str:
    """The first few figures of a group; a wave of several steps shows their totals (every job's rows read), not one
    job's."""
    flat: dict[str, object] = {}
    for step in figures.values():
        for key, value in step.items():
            if isinstance(value, int | float) and not isinstance(value, bool):
                flat[key] = flat.get(key, 0) + value  # counts and seconds add up over the group
            elif isinstance(value, str | bool):
                flat[key] = value if flat.get(key, value) == value else "mixed"
    return "(" + ", ".join(f"{k} {v}" for k, v in list(flat.items())[:5]) + ")" if flat else ""


def new_run_id() -> str:
    now = dt.datetime.now(dt.timezone.utc)
    return f"{now:%Y%m%dT%H%M%S}Z-{now.microsecond:06d}"

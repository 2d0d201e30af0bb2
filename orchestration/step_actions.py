"""What each pipeline step does: one action per entry point, called in this process by the local runner (one Spark
session for every ingestion job) and by the pipeline image's entry script on AWS, each returning the figures the run
record keeps. A stage step calls the stage's `run(options, resources)`; the warehouse load and the dbt commands are
the pipeline's own steps (stages never load the warehouse or build marts)."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from forecasting.options import ForecastStageOptions
from foundation.stage import Resources
from ingestion.stage import IngestOptions
from optimization.options import OptimizeOptions
from orchestration.pipeline import Step
from orchestration.run_warehouse import RunWarehouse
from sample_data.options import GeneratorOptions


class StepFailedError(RuntimeError):
    """A step failed for a reason a retry will not fix (bad data, a failing dbt test)."""


@dataclass(frozen=True)
class PipelineOptions:
    """The stages' options for one run (each with its own defaults) and where the planning report goes."""

    generate: GeneratorOptions = field(default_factory=GeneratorOptions)
    ingest: IngestOptions = field(default_factory=IngestOptions)
    forecast: ForecastStageOptions = field(default_factory=ForecastStageOptions)
    optimize: OptimizeOptions = field(default_factory=OptimizeOptions)
    report: Path = Path("reports") / "planning_report.html"


@dataclass
class RunContext:
    """Everything a step needs: the shared resources, the stages' options, and this run's folder (dbt artifacts go
    to <artifacts>/<step>/)."""

    resources: Resources
    options: PipelineOptions
    artifacts: Path
    # The local runner's one working copy of a DuckDB warehouse per run (orchestration.run_warehouse); None: each
    # dbt step builds aside and publishes on its own (the pipeline image on AWS, one step per task).
    run_warehouse: RunWarehouse | None = None
    # The source tables (`source.table`) whose processed files differ from those the current dbt step last built
    # from (orchestration.change_check); None: not known, so the step builds everything it names.
    changed_sources: tuple[str, ...] | None = None


def with_forecaster(resources: Resources) -> Resources:
    """The resources with the forecast stage's forecaster, which optimisation's hold-out replay re-forecasts with."""
    from forecasting.forecaster import StatsForecaster

    return dataclasses.replace(resources, forecaster=resources.forecaster or StatsForecaster())


def run_ingest(steps: list[Step], context: RunContext) -> dict[str, dict]:
    """Several ingestion jobs of one wave together: one Spark session, the jobs in parallel threads."""
    from ingestion.stage import run

    jobs = {step.ingestion_job: step.name for step in steps}
    options = dataclasses.replace(context.options.ingest, only=tuple(jobs))
    figures = run(options, context.resources)
    failed = {entity: f for entity, f in figures.items() if f["status"] == "failed"}
    if failed:
        raise StepFailedError(
            "; ".join(f"{entity}: {f['error']}" for entity, f in failed.items())
            + " (see processed/_reports/ and the quarantine; fix the drop and run again)"
        )
    return {jobs[entity]: f for entity, f in figures.items()}


def _generate(step: Step, context: RunContext) -> dict:
    from sample_data.generate import run

    lake = context.resources.lake
    if not lake.is_local:
        return {"skipped": "the lake is on S3: its raw zone is uploaded, not generated"}
    raw = Path(lake.root) / "raw"
    if raw.exists() and any(raw.iterdir()):
        return {"skipped": "raw zone already holds data"}
    return run(context.options.generate, context.resources)


def _load(step: Step, context: RunContext) -> dict:
    from foundation.warehouse.build import load

    checked = load(context.resources.lake, context.resources.warehouse, sources=step.args or None)
    return {"tables": len(checked), "rows": sum(t.rows for t in checked), "loaded": [t.table.name for t in checked]}


def _forecast(step: Step, context: RunContext) -> dict:
    from forecasting.run import run

    return run(dataclasses.replace(context.options.forecast, input=None, output=None), context.resources)


def _optimize(step: Step, context: RunContext) -> dict:
    from optimization.run import run

    options = dataclasses.replace(context.options.optimize, evaluate=False)
    return run(options, with_forecaster(context.resources))


def _report(step: Step, context: RunContext) -> dict:
    from analyst.commands import write_planning_report

    write_planning_report(context.resources.warehouse, context.options.report)
    return {"report": str(context.options.report)}


def _dbt(step: Step, context: RunContext) -> dict:
    from foundation.warehouse.build import BuildFailedError, run_dbt_in_place, run_dbt_step
    from foundation.warehouse.dbt_runner import run_dbt, target_folder

    options = context.resources.warehouse
    dbt_args = list(step.args)
    # The DuckDB file the step reads: the run's working copy once it has one (a server target names none).
    reads = {"SUPPLYCHAIN_DUCKDB_PATH": str(options.duckdb_path)} if options.target == "local" else {}
    if context.run_warehouse is not None and options.target == "local":
        narrowed = _changed_only(dbt_args, context.changed_sources, context.run_warehouse)
        if narrowed == []:
            return {"skipped": "no source table its nodes read changed"}
        dbt_args = narrowed or dbt_args
    try:
        if dbt_args[:2] == ["docs", "generate"]:
            result = run_dbt(dbt_args, options.target, env=reads)
            if not result.ok:
                raise StepFailedError("dbt docs generate failed: " + "; ".join(result.failures or ["see output"]))
        elif dbt_args[:2] == ["source", "freshness"]:
            return _run_freshness(dbt_args, options.target, context.artifacts / step.name, reads)
        elif context.run_warehouse is not None and options.target == "local":
            run_dbt_in_place(context.run_warehouse.for_building(), dbt_args)  # published when the run succeeds
        else:
            # The pipeline loaded the warehouse in its own step: the dbt step only builds.
            run_dbt_step(context.resources.lake, options, dbt_args, load_first=False)
    except BuildFailedError as failure:
        raise StepFailedError(str(failure)) from failure
    finally:
        kept = _keep_artifacts(Path(target_folder()), context.artifacts / step.name)
    return {**_dbt_figures(context.artifacts / step.name / "run_results.json"), "artifacts": kept}


def _changed_only(dbt_args: list[str], changed: tuple[str, ...] | None,
                  run_warehouse: RunWarehouse) -> list[str] | None:  # fmt: skip
    """The step's dbt args narrowed to what the changed source tables can change (foundation.warehouse.selection):
    [] when nothing (a snapshot whose sources did not change), None for the step's own args."""
    if changed is None or dbt_args[0] not in ("build", "snapshot"):
        return None
    from foundation.warehouse.dbt_runner import project_manifest
    from foundation.warehouse.selection import changed_only, snapshots_unaffected

    # The parse the invocation itself uses (same args and environment), so asking costs no second parse.
    database = run_warehouse.for_building()
    try:
        manifest = project_manifest(dbt_args, "local", env={"SUPPLYCHAIN_DUCKDB_PATH": str(database)})
    except Exception:  # the invocation parses on its own and reports what is wrong; here: build everything
        return None
    if dbt_args == ["snapshot"]:
        return [] if snapshots_unaffected(list(changed), manifest) else None
    return changed_only(dbt_args, list(changed), manifest)


ACTIONS: dict[str, Callable[[Step, RunContext], dict]] = {
    "generate": _generate,
    "ingest": lambda step, context: run_ingest([step], context)[step.name],
    "load": _load,
    "dbt": _dbt,
    "forecast": _forecast,
    "optimize": _optimize,
    "report": _report,
}


def run_step(step: Step, context: RunContext) -> dict:
    """One step, by the entry point it names; returns its figures."""
    action = ACTIONS.get(step.action)
    if action is None:
        raise StepFailedError(f"step {step.name} has no action here (it is an AWS API call)")
    return action(step, context)


def _run_freshness(dbt_args: list[str], target: str, folder: Path, env: dict[str, str]) -> dict:
    """`dbt source freshness`; stops the run on a stale input. On a laptop the drops are often replayed or the
    generated sample, dated in the past, so freshness is measured against the latest landed drop unless
    SUPPLYCHAIN_FRESHNESS_CLOCK says otherwise (`now` for live feeds; see macros/freshness/)."""
    from foundation.warehouse.dbt_runner import run_dbt, target_folder

    clock = os.environ.get("SUPPLYCHAIN_FRESHNESS_CLOCK", "latest_drop")
    # The clock through the environment, not --vars: the parse (and dbt's kept manifest) stays the other steps' own.
    result = run_dbt(dbt_args, target, env={**env, "SUPPLYCHAIN_FRESHNESS_CLOCK": clock})
    sources = Path(target_folder()) / "sources.json"
    folder.mkdir(parents=True, exist_ok=True)
    results = json.loads(sources.read_text())["results"] if sources.is_file() else []
    if sources.is_file():
        shutil.copyfile(sources, folder / "sources.json")
    stale = [f"{r['unique_id']}: {r['status']} ({r.get('max_loaded_at_time_ago_in_s', 0) / 3600:.1f} h old)"
             for r in results if r["status"] in ("error", "runtime error")]  # fmt: skip
    if not result.ok or stale:
        raise StepFailedError(
            f"dbt source freshness (clock {clock}) failed: " + "; ".join(stale or result.failures or ["see output"])
        )
    statuses: dict[str, int] = {}
    for entry in results:
        statuses[entry["status"]] = statuses.get(entry["status"], 0) + 1
    return {"clock": clock, "sources": len(results), **statuses, "artifacts": ["sources.json"]}


def _keep_artifacts(target: Path, folder: Path) -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    kept = []
    for name in ("manifest.json", "run_results.json", "catalog.json"):
        if (target / name).is_file():
            shutil.copyfile(target / name, folder / name)
            kept.append(name)
    return kept


def _dbt_figures(run_results: Path) -> dict:
    if not run_results.is_file():
        return {}
    results = json.loads(run_results.read_text())["results"]
    statuses: dict[str, int] = {}
    for result in results:
        statuses[result["status"]] = statuses.get(result["status"], 0) + 1
    return {"nodes": len(results), **statuses}

"""What each pipeline step does on a laptop: the same stages the AWS containers run, called in this process
(one Spark session for every ingestion job), each returning the figures the run record keeps."""

from __future__ import annotations

import argparse
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from orchestration.pipeline import Step


class StepFailedError(RuntimeError):
    """A step failed for a reason a retry will not fix (bad data, a failing dbt test)."""


@dataclass
class RunContext:
    """Everything a step needs: the CLI's arguments (lake root, target, stage options) and the settings."""

    args: argparse.Namespace
    settings: object
    artifacts: Path  # this run's folder; dbt artifacts go to <artifacts>/<step>/

    def stage_args(self, **overrides) -> argparse.Namespace:
        return argparse.Namespace(**{**vars(self.args), **overrides})


def run_ingest(steps: list[Step], context: RunContext) -> dict[str, dict]:
    """Several ingestion jobs of one wave together: one Spark session, the jobs in parallel threads."""
    from ingestion.batch import RunOptions
    from ingestion.glue import spark_session
    from ingestion.io.lake import Lake
    from ingestion.runner import ingest_all

    args = context.args
    spark = spark_session("supplychain-run", context.settings)
    options = RunOptions(args.run_date, args.full_refresh, args.max_quarantine_rate)
    jobs = {step.ingestion_job: step.name for step in steps}
    reports = ingest_all(spark, Lake(args.lake_root), options, list(jobs))
    failed = [r for r in reports if r.status == "failed"]
    if failed:
        raise StepFailedError(
            "; ".join(f"{r.entity}: {r.error or 'quality gate failed'}" for r in failed)
            + " (see processed/_reports/ and the quarantine; fix the drop and run again)"
        )
    figures = {}
    for report in reports:
        figures[jobs[report.entity]] = {
            "status": report.status, "rows_read": report.rows_read, "rows_written": report.rows_written,
            "rows_quarantined": report.rows_quarantined,
        }  # fmt: skip
    return figures


def run_step(step: Step, context: RunContext) -> dict:
    """One non-ingestion step; returns its figures."""
    from supplychain import cli

    args = context.args
    if step.name == "generate-sample":
        raw = Path(args.lake_root) / "raw"
        if args.lake_root.startswith("s3://") or (raw.exists() and any(raw.iterdir())):
            return {"skipped": "raw zone already holds data"}
        cli._generate(context.stage_args(), context.settings)
        return {"generated": True}
    if step.stage == "load":
        from ingestion.io.lake import Lake
        from supplychain.warehouse.build import WarehouseOptions, load

        checked = load(Lake(args.lake_root), WarehouseOptions.from_env(args.target))
        return {"tables": len(checked), "rows": sum(t.rows for t in checked)}
    if step.stage == "forecast":
        cli._forecast(context.stage_args(input=None, output=None, skip_marts=True), context.settings)
        return _report_figures(args.lake_root, "forecast", ("series",))
    if step.stage == "optimize":
        cli._optimize(context.stage_args(skip_marts=True, evaluate=False), context.settings)
        return _report_figures(args.lake_root, "optimize", ("sites", "transfers", "units_moved", "transfer_cost"))
    if step.stage == "report":
        from supplychain.analyst.commands import report_command

        report_command(context.stage_args(output=args.report), context.settings)
        return {"report": str(args.report)}
    if step.is_dbt:
        return _run_dbt(step, context)
    raise StepFailedError(f"step {step.name} has no local action")


def _run_dbt(step: Step, context: RunContext) -> dict:
    from ingestion.io.lake import Lake
    from supplychain.warehouse.build import BuildFailedError, WarehouseOptions, run_dbt_step
    from supplychain.warehouse.dbt_runner import run_dbt, target_folder

    options = WarehouseOptions.from_env(context.args.target)
    dbt_args = list(step.command[1:])
    try:
        if dbt_args[:2] == ["docs", "generate"]:
            result = run_dbt(dbt_args, options.target)
            if not result.ok:
                raise StepFailedError("dbt docs generate failed: " + "; ".join(result.failures or ["see output"]))
        elif dbt_args[:2] == ["source", "freshness"]:
            return _run_freshness(dbt_args, options.target, context.artifacts / step.name)
        else:
            run_dbt_step(Lake(context.args.lake_root), options, dbt_args)
    except BuildFailedError as failure:
        raise StepFailedError(str(failure)) from failure
    finally:
        kept = _keep_artifacts(Path(target_folder()), context.artifacts / step.name)
    return {**_dbt_figures(context.artifacts / step.name / "run_results.json"), "artifacts": kept}


def _run_freshness(dbt_args: list[str], target: str, folder: Path) -> dict:
    """`dbt source freshness`; stops the run on a stale input. On a laptop the drops are often replayed or the
    generated sample, dated in the past, so freshness is measured against the latest landed drop unless
    SUPPLYCHAIN_FRESHNESS_CLOCK says otherwise (`now` for live feeds; see macros/freshness/)."""
    from supplychain.warehouse.dbt_runner import run_dbt, target_folder

    clock = os.environ.get("SUPPLYCHAIN_FRESHNESS_CLOCK", "latest_drop")
    # The clock through the environment, not --vars: the parse (and dbt's kept manifest) stays the other steps' own.
    result = run_dbt(dbt_args, target, env={"SUPPLYCHAIN_FRESHNESS_CLOCK": clock})
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


def _report_figures(lake_root: str, stage: str, keys: tuple[str, ...]) -> dict:
    path = Path(lake_root) / "processed" / "_reports" / stage / "latest.json"
    if not path.is_file():
        return {}
    report = json.loads(path.read_text())
    figures = {}
    for key in keys:
        value = report.get(key)
        if isinstance(value, dict):  # e.g. series: {modelled: 809, rejected: 0} -> series_modelled, ...
            figures.update({f"{key}_{name}": count for name, count in value.items()})
        elif value is not None:
            figures[key] = value
    return figures

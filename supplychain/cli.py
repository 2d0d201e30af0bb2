"""`supplychain`: one command for every stage.

supplychain generate [--seed N] [--sales-rows N] [--start D] [--end D] ...   sample ERP drops into raw/
supplychain ingest [--only sales,shipments] [--run-date D] [--full-refresh]  raw/ -> processed/ (Spark)
supplychain load [--target local|postgres|redshift]                        processed/ -> the target's processed schema
supplychain build [--target T] [-- dbt build flags]                         load, then dbt build (models + tests)
supplychain forecast [--target T] [--input history.csv --output f.parquet]  weekly forecasts, backtested
supplychain optimize [--target T] [--service-level L] [--evaluate]           policy, transfer plan (PuLP), simulation
supplychain run                                                             every stage, in order
supplychain docs [--port N] [--no-serve]                                    dbt docs site, served on 127.0.0.1
supplychain report [--target T] [--output reports/planning_report.html]    self-contained HTML planning report
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from analyst.commands import add_analyst_commands
from forecasting.options import ForecastStageOptions
from foundation.options import add_flags
from foundation.redaction import install_log_redaction, redact
from foundation.settings import Settings
from foundation.stage import Resources
from ingestion.stage import IngestOptions, source_names
from optimization.options import OptimizeOptions
from orchestration.cli import add_aws_commands, run_aws_command
from sample_data.options import GeneratorOptions

log = logging.getLogger("supplychain")


def main(argv: list[str] | None = None) -> int:
    settings = Settings.from_env()
    parser = argparse.ArgumentParser(
        prog="supplychain", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--lake-root", default=settings.lake_root, help="lake folder or s3:// URI (default %(default)s)"
    )
    parser.add_argument("-v", "--verbose", action="store_true")
    commands = parser.add_subparsers(dest="command", required=True)
    add_aws_commands(commands)  # supplychain aws bootstrap|deploy|upload-data|start|status (orchestration/cli.py)

    gen = commands.add_parser("generate", help="write realistic sample ERP drops into the raw zone")
    add_flags(gen, GeneratorOptions)

    ingest = commands.add_parser("ingest", help="run the Spark ingestion jobs: raw/ -> processed/")
    _ingest_flags(ingest, settings)

    load = commands.add_parser("load", help="check processed/ against the warehouse contract and load the target")
    _target_flags(load)
    load.add_argument(
        "--sql-only",
        metavar="FILE",
        help="Redshift: write the COPY script to FILE instead of running it (needs no connection)",
    )

    build = commands.add_parser("build", help="load, then dbt build; on DuckDB publish only a passing build")
    _target_flags(build)
    build.add_argument("dbt_args", nargs=argparse.REMAINDER, help="extra `dbt build` flags after --")

    forecast = commands.add_parser(
        "forecast", help="backtest, choose and forecast weekly demand per series; then load and build its marts"
    )
    _target_flags(forecast)
    add_flags(forecast, ForecastStageOptions)

    optimize = commands.add_parser(
        "optimize", help="inventory policy and stock reallocation plan from the forecasts; then load and build marts"
    )
    _target_flags(optimize)
    add_flags(optimize, OptimizeOptions)

    run = commands.add_parser("run", help="the whole pipeline, step by step, with a run record (see `runs`)")
    _ingest_flags(run, settings, skip=("only",))
    _pipeline_flags(run)
    add_flags(run, GeneratorOptions)
    _target_flags(run)
    add_flags(run, ForecastStageOptions, skip=("input", "output"))
    add_flags(run, OptimizeOptions, skip=("evaluate", "holdout_weeks", "evaluate_service_levels"))

    runs = commands.add_parser("runs", help="list the pipeline's run records, newest first")
    runs.add_argument("--runs-dir", type=Path, default=_default_runs_dir())

    analyst_commands = add_analyst_commands(commands)  # docs, report

    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        datefmt="%H:%M:%S",
    )
    for noisy in ("py4j", "pyspark"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    install_log_redaction()
    try:
        commands_by_name = {
            "aws": run_aws_command,
            "generate": _generate,
            "ingest": _ingest,
            "load": _load,
            "build": _build,
            "forecast": _forecast,
            "optimize": _optimize,
            "run": _run,
            "runs": _runs,
            **analyst_commands,
        }
        with _lake_held(args):
            return commands_by_name[args.command](args, settings)
    except (ValueError, OSError, RuntimeError) as failure:  # OSError: permissions, unreachable servers
        log.error("%s", failure)
        return 2
    except KeyboardInterrupt:
        log.error("interrupted; the lake and warehouse keep their last published state (run the command again)")
        return 130
    except Exception as failure:  # the last resort: one line, the trace only with -v
        log.error("%s failed: %s: %s", args.command, type(failure).__name__, _first_line(failure))
        log.debug("the failure in full", exc_info=failure)
        if not args.verbose:
            log.error("run again with -v for the full traceback")
        return 2


# Commands that read or write the lake's processed zone hold the lake lock for their whole run.
LAKE_COMMANDS = ("generate", "ingest", "load", "build", "forecast", "optimize", "run")


def _lake_held(args):
    import contextlib

    if args.command not in LAKE_COMMANDS or getattr(args, "list_steps", False) or getattr(args, "input", None):
        return contextlib.nullcontext()
    from foundation.lake import Lake
    from foundation.lake_lock import lake_lock

    return lake_lock(Lake(args.lake_root), f"supplychain {args.command}")


def _first_line(failure: BaseException) -> str:
    """A Py4J error's first line is the Java exception and its message; the JVM stack follows."""
    lines = [line.strip(" :") for line in str(failure).splitlines() if line.strip() and not line.startswith("\t")]
    telling = [line for line in lines if "Exception: " in line or "Error: " in line]
    return redact((telling or lines or [repr(failure)])[0])[:500]


def _ingest_flags(parser: argparse.ArgumentParser, settings: Settings, skip: tuple[str, ...] = ()) -> None:
    add_flags(parser, IngestOptions, skip=skip)
    parser.set_defaults(**IngestOptions.settings_defaults(settings))


def _target_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--target",
        choices=("local", "postgres", "redshift"),
        default=None,
        help="dbt target (default: SUPPLYCHAIN_TARGET or local, the embedded DuckDB)",
    )


def _resources(args, settings: Settings) -> Resources:
    return Resources.from_settings(settings, args.lake_root, args.target if hasattr(args, "target") else None)


def _build_marts(resources: Resources, selector: str) -> None:
    """After a stage run from the command line: load its outputs and build what reads them (published only if every
    test passes). The pipeline does the same as two steps of its own."""
    from foundation.warehouse.build import build

    build(resources.lake, resources.warehouse, ["--select", selector])


def _optimize(args, settings: Settings) -> int:
    from forecasting.forecaster import StatsForecaster
    from optimization.run import run

    options = OptimizeOptions.from_args(args)
    resources = _resources(args, settings)
    resources.forecaster = StatsForecaster()
    run(options, resources)
    _build_marts(resources, "source:optimization+")
    return 0


def _forecast(args, settings: Settings) -> int:
    from forecasting.run import run

    options = ForecastStageOptions.from_args(args)
    resources = _resources(args, settings)
    run(options, resources)
    if options.input is None:
        _build_marts(resources, "source:forecasts+")
    return 0


def _load(args, settings: Settings) -> int:
    from foundation.warehouse.build import load

    resources = _resources(args, settings)
    if args.sql_only:
        from foundation.warehouse.build import check_processed_zone, redshift_load_sql

        lake, options = resources.lake, resources.warehouse
        tables = [t.table.name for t in check_processed_zone(lake)]
        processed_uri = options.processed_uri or f"{lake.root}/processed"
        iam_role = options.iam_role or "arn:aws:iam::<account-id>:role/<redshift-copy-role>"
        Path(args.sql_only).write_text(redshift_load_sql(processed_uri, iam_role, tables))
        log.info("wrote the Redshift load for %d tables to %s", len(tables), args.sql_only)
        return 0
    load(resources.lake, resources.warehouse)
    return 0


def _build(args, settings: Settings) -> int:
    from foundation.warehouse.build import build

    resources = _resources(args, settings)
    dbt_args = [a for a in (getattr(args, "dbt_args", None) or []) if a != "--"]
    seconds = build(resources.lake, resources.warehouse, dbt_args)
    log.info("warehouse built and tested on %s in %.1fs", args.target or "the default target", seconds)
    return 0


def _generate(args, settings: Settings) -> int:
    from sample_data.generate import run

    run(GeneratorOptions.from_args(args), _resources(args, settings))
    return 0


def _ingest(args, settings: Settings) -> int:
    from ingestion.stage import run

    figures = run(IngestOptions.from_args(args), _resources(args, settings))
    return 1 if any(f["status"] == "failed" for f in figures.values()) else 0


def _default_runs_dir() -> Path:
    from foundation.warehouse.options import PROJECT_DIR

    return Path(os.environ.get("SUPPLYCHAIN_RUNS_DIR", PROJECT_DIR / "runs"))


def _pipeline_flags(parser: argparse.ArgumentParser) -> None:
    chosen = parser.add_mutually_exclusive_group()
    chosen.add_argument("--from", dest="from_step", metavar="STEP", help="start at this step (see `--list-steps`)")
    chosen.add_argument(
        "--only", dest="only_steps", type=lambda text: list(source_names(text)), metavar="STEP[,STEP]",
        help="run just these steps",
    )
    chosen.add_argument(
        "--resume", action="store_true", help="resume the latest failed or killed run at its failed step"
    )
    parser.add_argument("--list-steps", action="store_true", help="print the pipeline's steps and exit")
    parser.add_argument("--runs-dir", type=Path, default=_default_runs_dir(), help="where run records go")
    parser.add_argument(
        "--report", type=Path, default=Path("reports") / "planning_report.html", help="where the planning report goes"
    )


def _run(args, settings: Settings) -> int:
    from orchestration.local_runner import new_run_id, plan, run_pipeline
    from orchestration.pipeline import steps_for
    from orchestration.run_records import new_record
    from orchestration.step_actions import PipelineOptions, RunContext

    if args.list_steps:
        for step in steps_for("local"):
            print(f"{step.name:<24}{step.summary:<70}{step.description}")
        return 0
    # Every stage's options are built (and checked) before any work starts, so a bad flag never fails a late step.
    options = PipelineOptions(
        generate=GeneratorOptions.from_args(args),
        ingest=IngestOptions.from_args(args, only=None),
        forecast=ForecastStageOptions.from_args(args),
        optimize=OptimizeOptions.from_args(args),
        report=args.report,
    )
    steps, resumes = plan(args)
    run_id = new_run_id()
    target = args.target or os.environ.get("SUPPLYCHAIN_TARGET", "local")
    record = new_record(args.runs_dir, run_id, target, [s.name for s in steps], resumes)
    log.info("run %s: %d steps on %s%s", run_id, len(steps), target, f", resuming {resumes}" if resumes else "")
    return run_pipeline(RunContext(_resources(args, settings), options, record.folder), steps, record)


def _runs(args, settings: Settings) -> int:
    from orchestration.run_records import format_runs, read_runs

    print(format_runs(*read_runs(args.runs_dir)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

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
import json
import logging
import os
import sys
from pathlib import Path

from orchestration.cli import add_aws_commands, run_aws_command
from supplychain.analyst.commands import add_analyst_commands
from supplychain.config import Settings, parse_date, parse_rate
from supplychain.redaction import install_log_redaction, redact

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
    _generator_flags(gen)

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

    forecast = commands.add_parser("forecast", help="backtest, choose and forecast weekly demand per series")
    _target_flags(forecast)
    _forecast_flags(forecast)
    forecast.add_argument("--input", type=Path, help="weekly history (unique_id, ds, y) as CSV or Parquet")
    forecast.add_argument("--output", type=Path, help="with --input: where to write the forecasts")
    _skip_marts_flag(forecast)

    optimize = commands.add_parser("optimize", help="inventory policy and stock reallocation plan from the forecasts")
    _target_flags(optimize)
    _optimize_flags(optimize)
    _skip_marts_flag(optimize)
    optimize.add_argument(
        "--evaluate", action="store_true", help="also replay the held-out weeks of actual demand under each policy"
    )
    optimize.add_argument(
        "--holdout-weeks", type=int, default=8, help="with --evaluate: weeks of actual demand to replay (default 8)"
    )
    optimize.add_argument(
        "--evaluate-service-levels", type=_levels, default=None, metavar="L1,L2",
        help="with --evaluate: service levels to compare, `cost` for the cost rule (default: the run's own rule)",
    )  # fmt: skip

    run = commands.add_parser("run", help="the whole pipeline, step by step, with a run record (see `runs`)")
    _ingest_flags(run, settings, sources=False)
    _pipeline_flags(run)
    _generator_flags(run)
    _target_flags(run)
    _forecast_flags(run)
    _optimize_flags(run)

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
    from ingestion.io.lake import Lake
    from ingestion.io.lake_lock import lake_lock

    return lake_lock(Lake(args.lake_root), f"supplychain {args.command}")


def _first_line(failure: BaseException) -> str:
    """A Py4J error's first line is the Java exception and its message; the JVM stack follows."""
    lines = [line.strip(" :") for line in str(failure).splitlines() if line.strip() and not line.startswith("\t")]
    telling = [line for line in lines if "Exception: " in line or "Error: " in line]
    return redact((telling or lines or [repr(failure)])[0])[:500]


def _generator_flags(parser: argparse.ArgumentParser) -> None:
    from supplychain.sample_data.generate import GeneratorOptions

    defaults = GeneratorOptions()
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--sales-rows", type=int, default=defaults.sales_rows, help="about this many sales lines")
    parser.add_argument("--start", type=parse_date, default=defaults.start)
    parser.add_argument("--end", type=parse_date, default=defaults.end)
    parser.add_argument("--products", type=int, default=defaults.products)
    parser.add_argument("--warehouses", type=int, default=defaults.warehouses)
    parser.add_argument("--dirty-rate", type=float, default=defaults.dirty_rate, help="share of defective records")
    parser.add_argument("--event-days", type=int, default=defaults.event_days, help="days of streamed order events")
    parser.add_argument("--force", action="store_true", help="replace raw data already in the lake")


def _names(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _ingest_flags(parser: argparse.ArgumentParser, settings: Settings, sources: bool = True) -> None:
    if sources:
        parser.add_argument("--only", type=_names, default=None, help="comma-separated sources (default: all)")
    parser.add_argument("--run-date", type=parse_date, default=settings.run_date)
    parser.add_argument("--full-refresh", action="store_true", help="ignore bookmarks and re-read every drop")
    parser.add_argument("--max-quarantine-rate", type=parse_rate, default=settings.max_quarantine_rate)


def _target_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--target",
        choices=("local", "postgres", "redshift"),
        default=None,
        help="dbt target (default: SUPPLYCHAIN_TARGET or local, the embedded DuckDB)",
    )


def _forecast_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--horizon", type=int, default=8, help="weeks to forecast (default %(default)s)")
    parser.add_argument("--windows", type=int, default=4, help="backtest windows, at least 3 (default %(default)s)")
    parser.add_argument(
        "--engine",
        choices=("local", "spark"),
        default="local",
        help="where statsforecast runs: this machine's cores, or Spark through Fugue (Glue/EMR at scale)",
    )


def _skip_marts_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--skip-marts", action="store_true",
        help="write and load the outputs but leave building their marts to the pipeline's next (dbt) step",
    )  # fmt: skip


def _levels(text: str) -> list[float | None]:
    """`cost,0.99` -> [None, 0.99]: None is the cost rule."""
    return [None if part.strip() == "cost" else float(part) for part in text.split(",") if part.strip()]


def _optimize_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--service-level", type=float, default=None,
        help="one cycle service level for every product (default: each product x warehouse's level chosen by cost, "
        "its margin against the cost of holding a unit one more review period)",
    )  # fmt: skip
    parser.add_argument(
        "--default-lead-time-days", type=int, default=14,
        help="supplier lead time for a series with none measured (default %(default)s)",
    )  # fmt: skip
    parser.add_argument("--solver", choices=("cbc", "highs"), default="cbc", help="MILP solver (default %(default)s)")
    parser.add_argument("--time-limit", type=float, default=10.0, help="seconds per product (default %(default)s)")
    parser.add_argument("--gap", type=float, default=0.001, help="relative optimality gap (default %(default)s)")
    parser.add_argument("--workers", type=int, default=2, help="products solved in parallel (default %(default)s)")


def _check_service_level(level: float | None) -> None:
    """Checked before any work starts, so a pipeline run does not fail at the optimisation step."""
    if level is not None and not 0.5 <= level < 1:
        raise ValueError(f"--service-level {level} must be in [0.5, 1)")


def _optimize(args, settings: Settings) -> int:
    from optimization.run import optimize_command

    _check_service_level(args.service_level)
    args.evaluate = getattr(args, "evaluate", False)
    args.evaluate_service_levels = getattr(args, "evaluate_service_levels", None)
    return optimize_command(args)


def _forecast(args, settings: Settings) -> int:
    from forecasting.run import forecast_command

    if args.windows < 3:
        raise ValueError("--windows must be at least 3: the last one scores the choice made on the others")
    return forecast_command(args)


def _load(args, settings: Settings) -> int:
    from ingestion.io.lake import Lake
    from supplychain.warehouse.build import WarehouseOptions, load

    options = WarehouseOptions.from_env(args.target)
    if args.sql_only:
        from supplychain.warehouse.build import check_processed_zone, redshift_load_sql

        lake = Lake(args.lake_root)
        tables = [t.table.name for t in check_processed_zone(lake)]
        processed_uri = options.processed_uri or f"{lake.root}/processed"
        iam_role = options.iam_role or "arn:aws:iam::<account-id>:role/<redshift-copy-role>"
        Path(args.sql_only).write_text(redshift_load_sql(processed_uri, iam_role, tables))
        log.info("wrote the Redshift load for %d tables to %s", len(tables), args.sql_only)
        return 0
    load(Lake(args.lake_root), options)
    return 0


def _build(args, settings: Settings) -> int:
    from ingestion.io.lake import Lake
    from supplychain.warehouse.build import WarehouseOptions, build

    dbt_args = [a for a in (getattr(args, "dbt_args", None) or []) if a != "--"]
    seconds = build(Lake(args.lake_root), WarehouseOptions.from_env(args.target), dbt_args)
    log.info("warehouse built and tested on %s in %.1fs", args.target or "the default target", seconds)
    return 0


def _generate(args, settings: Settings) -> int:
    from supplychain.sample_data.generate import GeneratorOptions, generate

    options = GeneratorOptions(
        seed=args.seed,
        sales_rows=args.sales_rows,
        start=args.start,
        end=args.end,
        products=args.products,
        warehouses=args.warehouses,
        dirty_rate=args.dirty_rate,
        event_days=args.event_days,
        force=args.force,
    )
    manifest = generate(Path(args.lake_root), options)
    log.info("generated %s in %.1fs", json.dumps(manifest["rows"]), manifest["seconds"])
    return 0


def _ingest(args, settings: Settings) -> int:
    from ingestion.batch import RunOptions
    from ingestion.glue import spark_session
    from ingestion.io.lake import Lake
    from ingestion.runner import ingest_all

    spark = spark_session("supplychain-ingest", settings)
    options = RunOptions(args.run_date, args.full_refresh, args.max_quarantine_rate)
    reports = ingest_all(spark, Lake(args.lake_root), options, args.only)
    failed = [r for r in reports if r.status == "failed"]
    return 1 if failed else 0


def _default_runs_dir() -> Path:
    from supplychain.warehouse.contract import PROJECT_DIR

    return Path(os.environ.get("SUPPLYCHAIN_RUNS_DIR", PROJECT_DIR / "runs"))


def _pipeline_flags(parser: argparse.ArgumentParser) -> None:
    chosen = parser.add_mutually_exclusive_group()
    chosen.add_argument("--from", dest="from_step", metavar="STEP", help="start at this step (see `--list-steps`)")
    chosen.add_argument("--only", dest="only_steps", type=_names, metavar="STEP[,STEP]", help="run just these steps")
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
    from orchestration.step_actions import RunContext

    if args.list_steps:
        for step in steps_for("local"):
            print(f"{step.name:<24}{' '.join(step.command):<70}{step.description}")
        return 0
    _check_service_level(args.service_level)
    steps, resumes = plan(args)
    run_id = new_run_id()
    target = args.target or os.environ.get("SUPPLYCHAIN_TARGET", "local")
    record = new_record(args.runs_dir, run_id, target, [s.name for s in steps], resumes)
    log.info("run %s: %d steps on %s%s", run_id, len(steps), target, f", resuming {resumes}" if resumes else "")
    return run_pipeline(RunContext(args, settings, record.folder), steps, record)


def _runs(args, settings: Settings) -> int:
    from orchestration.run_records import all_runs, format_runs

    print(format_runs(all_runs(args.runs_dir)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

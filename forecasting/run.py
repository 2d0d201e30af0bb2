"""`supplychain forecast`: from the warehouse (or a planner's file) to forecasts, scores and the warehouse again."""

from __future__ import annotations

import datetime as dt
import logging

from forecasting.outputs import output_tables
from forecasting.pipeline import ForecastOptions, ForecastResult, run_forecast
from forecasting.warehouse_io import read_demand, read_history_file, report_json, write_file, write_outputs

log = logging.getLogger(__name__)
SUMMARY_LEVELS = ("product_warehouse", "product_region", "category_region", "total")


def accuracy_summary(result: ForecastResult) -> str:
    """The chosen method next to both baselines, accuracy (1 - WAPE) per level, as a small text table."""
    accuracy = result.accuracy
    chosen = accuracy.loc[accuracy["is_chosen"], "model"].iloc[0]
    rows = [chosen, "SeasonalNaive", "MovingAverage7d"]
    table = accuracy[accuracy["model"].isin(rows)].pivot(index="model", columns="level", values="accuracy")
    table = table.reindex(index=rows, columns=[c for c in SUMMARY_LEVELS if c in table.columns])
    lines = [f"{'accuracy (1 - WAPE), held-out window':<38}" + "".join(f"{c:>19}" for c in table.columns)]
    for model, values in table.iterrows():
        lines.append(f"{model:<38}" + "".join(f"{v:>19.1%}" for v in values))
    return "\n".join(lines)


def forecast_command(args) -> int:
    spark = None
    if getattr(args, "engine", "local") == "spark":
        from ingestion.glue import spark_session
        from supplychain.config import Settings

        spark = spark_session("supplychain-forecast", Settings.from_env())
    options = ForecastOptions(horizon=args.horizon, n_windows=args.windows, spark=spark)
    run_at = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    if args.input is not None:
        if args.output is None:
            raise ValueError("--input needs --output: where to write the forecasts")
        result = run_forecast(read_history_file(args.input), None, options)
        write_file(args.output, output_tables(result, None, run_at)["demand_forecast"])
        log.info("wrote %d forecast rows to %s", len(result.forecasts), args.output)
    else:
        from ingestion.io.lake import Lake
        from supplychain.warehouse.build import WarehouseOptions, build, load

        warehouse = WarehouseOptions.from_env(args.target)
        history, attributes = read_demand(warehouse.target, warehouse.duckdb_path)
        result = run_forecast(history, attributes, options)
        lake = Lake(args.lake_root)
        write_outputs(lake, output_tables(result, attributes, run_at), result.report)
        if getattr(args, "skip_marts", False):
            load(lake, warehouse)  # the pipeline's next step builds the marts over them
        else:
            # Load the new outputs and build what reads them (published only if every test passes).
            build(lake, warehouse, ["--select", "source:forecasts+"])
    for message in list(result.report["rejected"].values())[:20]:
        log.warning("rejected %s", message)
    log.debug("%s", report_json(result.report))
    log.info(
        "forecast: %s series, rules %s, chosen models %s, in %.1fs",
        result.report["series"], result.report["rules"], result.report["chosen_models"],
        result.report["timings"]["total_seconds"],
    )  # fmt: skip
    print(accuracy_summary(result), flush=True)
    return 0

"""`supplychain optimize`: policy and transfer plan from the warehouse, written to the lake and modelled by dbt;
with --evaluate, the hold-out simulation that scores the policies on actual demand."""

from __future__ import annotations

import datetime as dt
import logging

from forecasting.warehouse_io import write_outputs
from optimization.holdout import HoldoutOptions, evaluate_holdout
from optimization.outputs import plan_tables, simulation_table
from optimization.plan import make_plan
from optimization.policy import PolicyOptions
from optimization.reallocation import SolverOptions
from optimization.warehouse_io import read_inputs

log = logging.getLogger(__name__)
SIMULATION_COLUMNS = [
    "policy", "stockout_units", "fill_rate", "avg_on_hand_units", "avg_overstock_units", "transfer_units",
    "transfer_cost", "stockout_units_change", "avg_overstock_units_change",
]  # fmt: skip


def options_from(args) -> tuple[PolicyOptions, SolverOptions]:
    policy = PolicyOptions(service_level=args.service_level, lead_time_days=args.default_lead_time_days)
    solver = SolverOptions(solver=args.solver, time_limit_seconds=args.time_limit, gap=args.gap, workers=args.workers)
    return policy, solver


def optimize_command(args) -> int:
    from ingestion.io.lake import Lake
    from supplychain.warehouse.build import WarehouseOptions, build, load

    warehouse = WarehouseOptions.from_env(args.target)
    policy_options, solver_options = options_from(args)
    inputs = read_inputs(warehouse.target, warehouse.duckdb_path)
    log.info("optimize: %d forecast series as of %s", inputs.forecasts[["product_id", "warehouse_id"]]
             .drop_duplicates().shape[0], inputs.plan_date)  # fmt: skip
    plan = make_plan(inputs, policy_options, solver_options)
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    tables = plan_tables(plan, now)
    if args.evaluate:
        if warehouse.target != "local":
            raise ValueError("--evaluate replays the local DuckDB warehouse; run it with --target local")
        levels = tuple(args.evaluate_service_levels or (policy_options.service_level,))
        weeks = getattr(args, "holdout_weeks", 8)
        holdout = HoldoutOptions(
            holdout_weeks=weeks, horizon_weeks=min(weeks, 8), service_levels=levels, policy=policy_options,
            solver=solver_options,
        )  # fmt: skip
        result = evaluate_holdout(warehouse.duckdb_path, holdout)
        tables["policy_simulation"] = simulation_table(result, now)
        print(result.table.set_index(["service_level", "policy"])[SIMULATION_COLUMNS[1:]].round(3).to_string())
    lake = Lake(args.lake_root)
    write_outputs(lake, tables, {**plan.summary, "problems": plan.problems}, source="optimization", stage="optimize")
    if getattr(args, "skip_marts", False):
        load(lake, warehouse)  # the pipeline's next step builds the marts over them
    else:
        build(lake, warehouse, ["--select", "source:optimization+"])
    for message in plan.problems[:20]:
        log.warning("%s", message)
    log.info("optimize: %s", {k: v for k, v in plan.summary.items() if k != "plan_date"})
    return 0

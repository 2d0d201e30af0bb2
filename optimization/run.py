"""`supplychain optimize`: policy and transfer plan from the warehouse, written to the lake and modelled by dbt,
with the proof beside them: every run replays the last held-out weeks of actual demand under the run's own policy,
the heuristic and no reallocation (planned with the forecast stage's own backtest forecasts, see
backtest_replay.py); --evaluate runs the full sweep instead (a fresh forecast each week, every policy, several
service levels)."""

from __future__ import annotations

import datetime as dt
import logging

from forecasting.warehouse_io import write_outputs
from optimization.holdout import HistoryTooShort, HoldoutOptions, evaluate_holdout
from optimization.outputs import plan_tables, simulation_table
from optimization.plan import make_plan
from optimization.policy import PolicyOptions
from optimization.reallocation import SolverOptions
from optimization.service_levels import level_report
from optimization.warehouse_io import read_inputs

log = logging.getLogger(__name__)
SIMULATION_COLUMNS = [
    "stockout_units", "fill_rate", "avg_on_hand_units", "avg_overstock_units", "transfer_units", "transfer_cost",
    "stockout_units_change", "avg_overstock_units_change", "avg_on_hand_units_change",
]  # fmt: skip
# The daily replay's policies: the run's own (computed reorder points, weekly optimised transfers) against the
# baseline and the heuristic on the same reorder points.
REPLAY_POLICIES = ("no_reallocation", "reorder_policy_heuristic", "optimised")
REPLAY_WEEKS = 8
# The daily replay holds out the forecast stage's last backtest window (8 weeks), whose models were chosen on the
# three before it as the live forecast's are; benchmarks/optimize_benchmark.py --replay also runs the longer replay
# the opening cover asks for (HoldoutOptions.replay_windows=None).
REPLAY_WINDOWS = 1


def options_from(args) -> tuple[PolicyOptions, SolverOptions]:
    fixed = args.service_level is not None
    policy = PolicyOptions(
        level_rule="fixed" if fixed else "cost", service_level=args.service_level if fixed else 0.95,
        lead_time_days=args.default_lead_time_days,
    )  # fmt: skip
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
    print(f"service levels ({policy_options.level_rule} rule):")
    print(level_report(plan.sites, policy_options.review_days).to_string())
    if args.evaluate or getattr(args, "replay", True):
        own_level = None if policy_options.level_rule == "cost" else policy_options.service_level
        if args.evaluate:
            weeks = getattr(args, "holdout_weeks", REPLAY_WEEKS)
            holdout = HoldoutOptions(
                holdout_weeks=weeks, horizon_weeks=min(weeks, 8),
                service_levels=tuple(args.evaluate_service_levels or (own_level,)), policy=policy_options,
                solver=solver_options,
            )  # fmt: skip
        else:
            holdout = HoldoutOptions(
                holdout_weeks=REPLAY_WEEKS, service_levels=(own_level,), rolling=False, forecasts_from="backtest",
                replay_windows=REPLAY_WINDOWS,
                policy=policy_options, solver=solver_options, policies=REPLAY_POLICIES,
            )  # fmt: skip
        try:
            result = evaluate_holdout(warehouse.duckdb_path, holdout, target=warehouse.target)
        except HistoryTooShort as too_short:
            if args.evaluate:
                raise
            # The plan stands without its proof; the report says the simulation is missing.
            log.warning("optimize: no hold-out replay: %s", too_short)
        else:
            tables["policy_simulation"] = simulation_table(result, now, "sweep" if args.evaluate else "replay")
            print(result.table.set_index(["level_rule", "service_level", "policy"])[SIMULATION_COLUMNS].round(3)
                  .to_string())  # fmt: skip
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

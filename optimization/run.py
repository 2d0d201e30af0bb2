"""The optimisation stage, `run(options, resources)`: policy and transfer plan from the warehouse, written to the
lake for the next load and modelled by dbt, with the proof beside them: every run replays the last held-out weeks
of actual demand under the run's own policy, the heuristic and no reallocation (planned with the forecast stage's
own backtest forecasts, see backtest_replay.py); --evaluate runs the full sweep instead (a fresh forecast each
week, every policy, several service levels)."""

from __future__ import annotations

import datetime as dt
import logging
from functools import partial

from foundation.stage import Resources
from foundation.warehouse.io import write_outputs
from optimization.holdout import HistoryTooShort, HoldoutOptions, evaluate_holdout
from optimization.options import OptimizeOptions
from optimization.outputs import plan_tables, simulation_table
from optimization.plan import make_plan
from optimization.policy import PolicyOptions
from optimization.reallocation import SolverOptions
from optimization.replay_reuse import reused_replay
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


def options_from(options: OptimizeOptions) -> tuple[PolicyOptions, SolverOptions]:
    fixed = options.service_level is not None
    policy = PolicyOptions(
        level_rule="fixed" if fixed else "cost", service_level=options.service_level if fixed else 0.95,
        lead_time_days=options.default_lead_time_days,
    )  # fmt: skip
    solver = SolverOptions(solver=options.solver, time_limit_seconds=options.time_limit, gap=options.gap,
                           workers=options.workers)  # fmt: skip
    return policy, solver


def run(options: OptimizeOptions, resources: Resources) -> dict:
    """The plan from the warehouse's forecasts and positions, with its hold-out replay, written to
    processed/optimization/; loading it and building the plan marts is the pipeline's (or the CLI's) next step."""
    warehouse = resources.warehouse
    policy_options, solver_options = options_from(options)
    inputs = read_inputs(warehouse.target, warehouse.duckdb_path)
    log.info("optimize: %d forecast series as of %s", inputs.forecasts[["product_id", "warehouse_id"]]
             .drop_duplicates().shape[0], inputs.plan_date)  # fmt: skip
    plan = make_plan(inputs, policy_options, solver_options)
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    tables = plan_tables(plan, now)
    print(f"service levels ({policy_options.level_rule} rule):")
    print(level_report(plan.sites, policy_options.review_days).to_string())
    if options.evaluate or options.replay:
        own_level = None if policy_options.level_rule == "cost" else policy_options.service_level
        if options.evaluate:
            weeks = options.holdout_weeks
            holdout = HoldoutOptions(
                holdout_weeks=weeks, horizon_weeks=min(weeks, 8),
                service_levels=tuple(options.evaluate_service_levels or (own_level,)), policy=policy_options,
                solver=solver_options,
            )  # fmt: skip
        else:
            holdout = HoldoutOptions(
                holdout_weeks=REPLAY_WEEKS, service_levels=(own_level,), rolling=False, forecasts_from="backtest",
                replay_windows=REPLAY_WINDOWS,
                policy=policy_options, solver=solver_options, policies=REPLAY_POLICIES,
            )  # fmt: skip
        try:
            replay = partial(evaluate_holdout, warehouse.duckdb_path, holdout, target=warehouse.target,
                             forecaster=resources.forecaster)  # fmt: skip
            # The sweep always runs; the daily replay is reused until a week closes (replay_reuse.py).
            key = (resources.lake, warehouse.target, warehouse.duckdb_path, holdout, resources.forecaster)
            result, evaluated_at = (replay(), now) if options.evaluate else reused_replay(replay, *key)
        except HistoryTooShort as too_short:
            if options.evaluate:
                raise
            # The plan stands without its proof; the report says the simulation is missing.
            log.warning("optimize: no hold-out replay: %s", too_short)
        else:
            evaluation = "sweep" if options.evaluate else "replay"
            tables["policy_simulation"] = simulation_table(result, evaluated_at, evaluation)
            print(result.table.set_index(["level_rule", "service_level", "policy"])[SIMULATION_COLUMNS].round(3)
                  .to_string())  # fmt: skip
    write_outputs(resources.lake, tables, {**plan.summary, "problems": plan.problems}, source="optimization",
                  stage="optimize")  # fmt: skip
    for message in plan.problems[:20]:
        log.warning("%s", message)
    log.info("optimize: %s", {k: v for k, v in plan.summary.items() if k != "plan_date"})
    return {key: plan.summary[key] for key in ("sites", "transfers", "units_moved", "transfer_cost")
            if plan.summary.get(key) is not None}  # fmt: skip

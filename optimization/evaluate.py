"""Three policies on the same held-out demand: no reallocation, the proportional heuristic, and the optimiser's
plan, all with the same reorder points, scored against the baseline."""

from __future__ import annotations

import pandas as pd

from optimization.heuristic import proportional_rebalance
from optimization.reallocation import SolverOptions, plan_reallocation
from optimization.simulate import simulate


def compare_policies(
    sites: pd.DataFrame, lanes: pd.DataFrame, demand: pd.DataFrame, lead_time_weeks: int, options: SolverOptions
) -> tuple[pd.DataFrame, dict[str, pd.DataFrame], list[str]]:
    """Returns one row per policy (stock-outs, lost value, overstock, fill rate, transfer cost, and the change
    against no reallocation), each policy's transfers, and the problems the optimiser reported."""
    optimised, problems = plan_reallocation(sites, lanes, options)
    plans = {
        "no_reallocation": optimised.iloc[0:0],
        "proportional_heuristic": proportional_rebalance(sites, lanes, options.horizon_days),
        "optimised": optimised,
    }
    rows = [simulate(sites, demand, plan, lead_time_weeks, name).summary for name, plan in plans.items()]
    table = pd.DataFrame(rows).set_index("policy")
    base = table.loc["no_reallocation"]
    for metric in ("stockout_units", "avg_overstock_units", "peak_overstock_units", "lost_sales_value"):
        table[f"{metric}_change"] = (table[metric] - base[metric]) / base[metric] if base[metric] else 0.0
    return table.reset_index(), plans, problems

"""Policies scored on the same held-out demand: which transfers (none, the proportional heuristic, the optimiser's
plan) and which replenishment (the ERP's own receipts as they actually happened, or the computed reorder points),
each against the baseline of no reallocation.

With the actual receipts, the baseline is exactly what happened and the transfer rows isolate what reallocation
adds; the reorder-point rows add what the computed policy changes. Without actual receipts (synthetic networks)
every policy uses the reorder points.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from optimization.heuristic import proportional_rebalance
from optimization.netting import SurplusNetting
from optimization.policy import protect_lead_time
from optimization.reallocation import SolverOptions, plan_reallocation
from optimization.recent_demand import with_recent
from optimization.simulate import Replan, simulate
from optimization.sites import priced_holding

CHANGE_METRICS = (
    "stockout_units", "avg_overstock_units", "peak_overstock_units", "lost_sales_value", "avg_on_hand_units",
)  # fmt: skip


@dataclass(frozen=True)
class Policy:
    name: str
    transfers: str  # none | heuristic | optimised
    replenishment: str  # actual (the ERP's receipts replayed) | reorder_point (the computed policy)
    # At the reorder point, pull siblings' surplus over a faster lane before buying (netting.py): the run's policy.
    nets_surplus: bool = False


def policies(with_actual_receipts: bool) -> list[Policy]:
    if not with_actual_receipts:
        return [
            Policy("no_reallocation", "none", "reorder_point"),
            Policy("proportional_heuristic", "heuristic", "reorder_point"),
            Policy("optimised", "optimised", "reorder_point", nets_surplus=True),
        ]
    return [
        Policy("no_reallocation", "none", "actual"),
        Policy("proportional_heuristic", "heuristic", "actual"),
        Policy("optimised_transfers", "optimised", "actual"),
        Policy("reorder_policy", "none", "reorder_point"),
        Policy("reorder_policy_heuristic", "heuristic", "reorder_point"),
        Policy("optimised", "optimised", "reorder_point", nets_surplus=True),
    ]


def compare_policies(
    sites: pd.DataFrame,
    lanes: pd.DataFrame,
    demand: pd.DataFrame,
    options: SolverOptions,
    actual_receipts: pd.DataFrame | None = None,
    opening_receipts: pd.DataFrame | None = None,
    phased: pd.DataFrame | None = None,
    names: tuple[str, ...] | None = None,
    review_days: int = 7,
    weekly_recent: list[pd.DataFrame] | None = None,
) -> tuple[pd.DataFrame, dict[str, pd.DataFrame], list[str]]:
    """Returns one row per policy (stock-outs, lost value, overstock, fill rate, transfer cost, and the change
    against no reallocation), the transfers of each plan, and the problems the optimiser reported.
    actual_receipts: every receipt in the held-out weeks; opening_receipts: the part of them that was already
    on order at the start (it still arrives under the computed policy); phased: the reorder points and targets
    day by day (see policy.phased_levels); names: the policies to run (None: all; the baseline always runs);
    review_days: the order cycle the hindsight overstock allows beyond each lead time; weekly_recent: per replayed
    week, what each series sold in the weeks closed before it (recent_demand.py), which with that week's phased
    levels prices the week's surplus pulls (weekly_views)."""
    optimised, problems = plan_reallocation(sites, lanes, options)
    plans = {
        "none": optimised.iloc[0:0],
        "heuristic": proportional_rebalance(sites, lanes, options.horizon_days),
        "optimised": optimised,
    }
    rows, moves = [], {}
    for policy in policies(actual_receipts is not None):
        if names is not None and policy.name not in names and policy.name != "no_reallocation":
            continue
        actual = policy.replenishment == "actual"
        netting = SurplusNetting(sites, lanes, weekly_views(sites, phased, weekly_recent), review_days) if (
            policy.nets_surplus and {"unit_cost", "weekly_demand"} <= set(sites.columns)) else None  # fmt: skip
        result = simulate(
            sites, demand, plans[policy.transfers], policy.name,
            receipts=actual_receipts if actual else opening_receipts, reorder=not actual, phased=phased,
            replan=weekly_review(policy.transfers, sites, lanes, phased, options), cover_review_days=review_days,
            netting=netting,
        )  # fmt: skip
        rows.append({
            **result.summary, "transfers": policy.transfers, "replenishment": policy.replenishment,
            "is_baseline": policy.name == "no_reallocation",
        })  # fmt: skip
        moves[policy.name] = result.transfers
    table = pd.DataFrame(rows).set_index("policy")
    base = table.loc["no_reallocation"]
    for metric in CHANGE_METRICS:
        table[f"{metric}_change"] = (table[metric] - base[metric]) / base[metric] if base[metric] else 0.0
    return table.reset_index(), moves, problems


def weekly_review(
    transfers: str, sites: pd.DataFrame, lanes: pd.DataFrame, phased: pd.DataFrame | None, options: SolverOptions
) -> Replan | None:
    """The transfer review a planner runs each week: the same heuristic or optimiser, on that day's stock and
    levels (without phased levels, the opening ones)."""
    if transfers == "none":
        return None
    levels = ["lead_time_demand", "lead_sigma", "cover_demand", "safety_stock", "reorder_point", "target_level"]
    keys = ["product_id", "warehouse_id"]

    def replan(day: int, state: pd.DataFrame) -> pd.DataFrame:
        current = sites.drop(columns=["on_hand_qty", "inventory_position"]).merge(state, on=keys)
        if phased is not None:
            today = phased.loc[phased["day"] == day, [*keys, *levels]]
            current = current.drop(columns=levels).merge(today, on=keys, how="left")
            current = current.fillna(sites.set_index(keys)[levels].reindex(pd.MultiIndex.from_frame(current[keys]))
                                     .reset_index(drop=True))  # fmt: skip
            current = protect_lead_time(current)
        current["inventory_position"] = current["on_hand_qty"] + current["inbound_qty"]
        if {"weekly_demand", "unit_cost"} <= set(current.columns):
            current = priced_holding(current)  # today's surplus, not the opening day's
        if transfers == "heuristic":
            return proportional_rebalance(current, lanes, options.horizon_days)
        return plan_reallocation(current, lanes, options)[0]

    return replan


PRICED_LEVELS = ["lead_time_demand", "lead_sigma", "reorder_point", "target_level"]


def weekly_views(sites: pd.DataFrame, phased: pd.DataFrame | None, weekly_recent: list[pd.DataFrame] | None
                 ) -> dict[int, pd.DataFrame]:  # fmt: skip
    """First day of each replayed week -> the sites (same rows) with that day's levels (phased) and the recent sales
    before the week: what the week's pulls are priced from. Why: priced from the opening day alone, a 24-week
    replay judged week 24's pulls on week 1's forecast and sales."""
    if not weekly_recent:
        return {}
    keys = ["product_id", "warehouse_id"]
    index = pd.MultiIndex.from_frame(sites[keys])
    views = {}
    for week, recent in enumerate(weekly_recent):
        view = sites.copy()
        if phased is not None:
            today = phased.loc[phased["day"] == 7 * week].set_index(keys)[PRICED_LEVELS].reindex(index)
            for column in PRICED_LEVELS:
                levels = today[column].to_numpy()
                view[column] = np.where(np.isnan(levels), view[column].to_numpy(dtype=float), levels) if (
                    column in view) else levels  # fmt: skip
            lead = view["lead_time_days"].where(view["lead_time_days"] > 0)
            view["weekly_demand"] = (7 * view["lead_time_demand"] / lead).fillna(view["weekly_demand"])
        views[7 * week] = with_recent(view, recent).reset_index(drop=True)
    return views

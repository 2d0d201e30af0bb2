"""Today's plan from the warehouse's inputs: the inventory policy per product x warehouse, the transfers that
pay for themselves, and what the plan is expected to change (scored on the same model the optimiser solves)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from optimization.move_value import expected_shortage
from optimization.netting import netting_transfers
from optimization.policy import KEYS, PolicyOptions, inventory_policy, phased_levels, with_lead_times
from optimization.reallocation import SolverOptions, plan_reallocation
from optimization.recent_demand import floor_by_recent, with_recent
from optimization.service_levels import with_service_levels
from optimization.simulate import source_keeps
from optimization.sites import build_sites
from optimization.warehouse_io import PlanningInputs


@dataclass
class Plan:
    plan_date: dt.date
    policy: pd.DataFrame  # one row per product x warehouse (see policy.inventory_policy) with region_code
    sites: pd.DataFrame
    transfers: pd.DataFrame  # reallocation.TRANSFER_COLUMNS
    problems: list[str]
    summary: dict


def plan_effect(sites: pd.DataFrame, transfers: pd.DataFrame) -> dict:
    """Expected stock-out units over the lead time and units above target, before and after the transfers."""
    moved = pd.Series(0.0, index=pd.MultiIndex.from_frame(sites[KEYS]))
    for column, sign in (("to_warehouse_id", 1.0), ("from_warehouse_id", -1.0)):
        flows = transfers.groupby(["product_id", column])["units"].sum() * sign
        flows.index.names = KEYS
        moved = moved.add(flows, fill_value=0).reindex(moved.index)
    before = sites["inventory_position"].to_numpy(dtype=float)
    after = before + moved.to_numpy()
    mean, sigma = sites["protected_demand"].to_numpy(dtype=float), sites["protected_sigma"].to_numpy(dtype=float)
    avoided = expected_shortage(before, mean, sigma) - expected_shortage(after, mean, sigma)
    excess = np.maximum(before - sites["target_level"], 0) - np.maximum(after - sites["target_level"], 0)
    value = (avoided * sites["unit_margin"]).sum() + (excess * sites["holding_cost"]).sum()
    cost = float(transfers["transfer_cost"].sum()) if not transfers.empty else 0.0
    return {
        "expected_stockout_units_avoided": round(float(avoided.sum()), 2),
        "expected_excess_units_reduced": round(float(excess.sum()), 2),
        "expected_value": round(float(value) - cost, 2),
    }


def merge_lanes(transfers: pd.DataFrame, pulls: pd.DataFrame) -> pd.DataFrame:
    """The model's moves and today's pulls, one row per product and lane (the plan marts key a move by them): a pull
    on a lane the model already uses adds to that move."""
    if pulls.empty:
        return transfers
    both = pd.concat([transfers, pulls], ignore_index=True)
    merged = both.groupby(["product_id", "from_warehouse_id", "to_warehouse_id"], as_index=False, sort=False).agg(
        units=("units", "sum"), transfer_cost=("transfer_cost", "sum"), lead_time_days=("lead_time_days", "first"),
        arrival_week=("arrival_week", "first"), reason=("reason", "; ".join),
        expected_benefit=("expected_benefit", "sum"),
    )  # fmt: skip
    return merged[transfers.columns]


def coming_targets(sites: pd.DataFrame, forecasts: pd.DataFrame, options: PolicyOptions) -> pd.DataFrame:
    """sites with coming_target: the highest target level of each site's lead time + review from today, by the
    time-phased levels (what a pull must leave its source, simulate.source_keeps)."""
    levels = phased_levels(forecasts, options)
    targets = levels.pivot_table(index=KEYS, columns="day", values="target_level")
    lead = levels.drop_duplicates(KEYS).set_index(KEYS)["lead_time_days"].reindex(targets.index)
    window = lead.to_numpy(dtype=int) + options.review_days
    coming = pd.Series(source_keeps(targets.to_numpy(dtype=float), window)[:, 0], index=targets.index)
    return sites.assign(coming_target=coming.reindex(pd.MultiIndex.from_frame(sites[KEYS])).to_numpy())


def make_plan(inputs: PlanningInputs, policy_options: PolicyOptions, solver_options: SolverOptions) -> Plan:
    # The forecast no lower than what sold in the weeks just closed, and a dear product's spread no narrower than its
    # recent weeks' (recent_demand.py), whatever forecaster made it.
    floored = floor_by_recent(inputs.forecasts, inputs.recent, inputs.products)
    forecasts = with_lead_times(floored, inputs.lead_times, policy_options)
    forecasts = with_service_levels(forecasts, inputs.products, policy_options)
    policy = inventory_policy(forecasts, inputs.positions, policy_options)
    regions = forecasts[[*KEYS, "region_code"]].drop_duplicates(KEYS)
    policy = policy.merge(regions, on=KEYS, how="left")
    sites = with_recent(build_sites(policy, inputs.warehouses, inputs.products), inputs.recent)
    lanes = inputs.lanes[
        inputs.lanes["from_warehouse_id"].isin(inputs.warehouses["warehouse_id"])
        & inputs.lanes["to_warehouse_id"].isin(inputs.warehouses["warehouse_id"])
    ]
    transfers, problems = plan_reallocation(sites, lanes, solver_options)
    transfers = merge_lanes(transfers, netting_transfers(coming_targets(sites, forecasts, policy_options), lanes,
                                                         transfers, policy_options.review_days))  # fmt: skip
    summary = {
        "plan_date": inputs.plan_date,
        "service_level": float(sites["service_level"].median()) if len(sites) else policy_options.service_level,
        "solver": solver_options.solver,
        "products_planned": int(sites["product_id"].nunique()),
        "sites": len(sites),
        "transfers": len(transfers),
        "units_moved": int(transfers["units"].sum()) if not transfers.empty else 0,
        "transfer_cost": round(float(transfers["transfer_cost"].sum()), 2) if not transfers.empty else 0.0,
        **plan_effect(sites, transfers),
        "problems": len(problems),
    }
    return Plan(inputs.plan_date, policy, sites, transfers, problems, summary)

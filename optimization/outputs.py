"""The optimiser's outputs as the dbt sources declare them (processed/optimization/<table>)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from foundation.warehouse.contract import REDSHIFT_VARCHAR_BYTES
from optimization.holdout import HoldoutResult
from optimization.plan import Plan


def plan_tables(plan: Plan, planned_at: dt.datetime) -> dict[str, pd.DataFrame]:
    policy = plan.policy.assign(
        plan_date=plan.plan_date,
        days_of_cover=plan.policy["days_of_cover"].replace(np.inf, np.nan),
    )
    transfers = plan.transfers.assign(
        plan_date=plan.plan_date,
        arrival_date=[plan.plan_date + dt.timedelta(days=int(d)) for d in plan.transfers["lead_time_days"]],
    )
    summary = pd.DataFrame([{
        **plan.summary, "planned_at": planned_at, "problem_messages": problem_text(plan.problems),
    }])  # fmt: skip
    return {"inventory_policy": policy, "transfer_plan": transfers, "optimization_run_summary": summary}


def problem_text(problems: list[str], width: int = REDSHIFT_VARCHAR_BYTES) -> str | None:
    """The problems one per line, as many whole lines as fit the column's width on Redshift (bytes of UTF-8: COPY
    cannot truncate), then how many more there are: the stage report lists every one."""
    kept: list[str] = []
    for message in problems:
        left = len(problems) - len(kept) - 1
        if len(_with_count([*kept, message], left).encode()) > width:
            break
        kept.append(message)
    text = _with_count(kept, len(problems) - len(kept))
    return text or None


def _with_count(lines: list[str], more: int) -> str:
    note = [f"... and {more} more (processed/_reports/optimize/latest.json lists them all)"] if more else []
    return "\n".join(lines + note)


def simulation_table(result: HoldoutResult, evaluated_at: dt.datetime, evaluation: str) -> pd.DataFrame:
    """evaluation: replay (the daily run's) or sweep (`--evaluate`)."""
    return result.table.rename(columns={"policy": "policy_name"}).assign(
        evaluation=evaluation, holdout_start=result.first_day.date(), holdout_weeks=result.weeks,
        evaluated_at=evaluated_at,
    )

"""The run's tables beside the forecasts: the selection per series, per-series backtest metrics and the report."""

from __future__ import annotations

import pandas as pd

from forecasting.accuracy import series_mase
from forecasting.backtest import series_errors
from forecasting.prepare import PreparedHistory
from forecasting.reconciliation import to_bottom
from forecasting.simple import MODEL as RECENT_MEAN


def bottom_rules(plan: pd.DataFrame, prepared: PreparedHistory, paths) -> pd.Series:
    """unique_id (bottom series) -> the rule its history length gave it: seasonal, trend, flat, or zero."""
    rules = to_bottom(plan["rule"].rename_axis("unique_id").reset_index(), paths).set_index("unique_id")["rule"]
    rules = rules.reindex(prepared.history["unique_id"].unique()).fillna("flat")
    return rules.where(~rules.index.isin(prepared.all_zero), "zero")


def run_report(prepared, run, nodes, method, bottom_choice, timings, notes, rules=None) -> dict:
    return {
        "freq": prepared.freq,
        "horizon": run.horizon,
        "backtest_windows": run.n_windows,
        "history_rules": rules.value_counts().to_dict() if rules is not None else {},
        "reconciliation": method,
        "series": {
            "modelled": len(prepared.modelled),
            "short": len(prepared.short),
            "all_zero": len(prepared.all_zero),
            "rejected": len(prepared.rejected),
            "hierarchy_nodes": int(nodes.history["unique_id"].nunique()),
        },
        "rules": dict(prepared.counts),
        "notes": notes,
        "rejected": prepared.rejected,
        "chosen_models": bottom_choice.value_counts().to_dict(),
        "timings": {k: round(v, 2) for k, v in timings.items()},
    }


def series_metrics(scored: pd.DataFrame, history: pd.DataFrame, paths) -> pd.DataFrame:
    metrics = series_errors(scored)
    metrics["wape"] = metrics["abs_error"] / metrics["actual"].where(metrics["actual"] > 0)
    errors = scored.assign(error=scored["forecast"] - scored["y_observed"])
    metrics = metrics.merge(errors.groupby(["unique_id", "model"], as_index=False)["error"].sum(), how="left")
    metrics = metrics.merge(series_mase(scored, history), on=["unique_id", "model"], how="left")
    return to_bottom(metrics.rename(columns={"error": "bias_units"}), paths)


def selection_table(prepared: PreparedHistory, patterns: pd.Series, choice: pd.Series, method: str,
                    rules: pd.Series | None = None) -> pd.DataFrame:  # fmt: skip
    weeks = prepared.history.groupby("unique_id").size()
    rows = []
    for uid in weeks.index:
        if uid in prepared.short:
            treatment, model = "short_history", RECENT_MEAN
        elif uid in prepared.all_zero:
            treatment, model = "all_zero", "Zero"
        else:
            treatment, model = "backtested", choice.get(uid, RECENT_MEAN)
        rows.append(
            {
                "unique_id": uid,
                "demand_pattern": patterns.get(uid, "zero"),
                "treatment": treatment,
                "model": model,
                "reconciliation": method,
                "history_weeks": int(weeks[uid]),
                "history_rule": rules.get(uid, "flat") if rules is not None else "flat",
            }
        )
    for uid, message in prepared.rejected.items():
        rows.append({"unique_id": uid, "demand_pattern": None, "treatment": "rejected", "model": None,
                     "history_weeks": 0, "message": message})  # fmt: skip
    return pd.DataFrame(rows)

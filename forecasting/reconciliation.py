"""The hierarchy's side of a run: every node's history, reconciling base forecasts by a method, choosing that
method on the choosing windows, and mapping nodes back to the bottom series."""

from __future__ import annotations

import logging

import pandas as pd

from forecasting.accuracy import level_accuracy
from forecasting.backtest import selected_backtest
from forecasting.contract import ForecastOptions
from forecasting.hierarchy import aggregate_history, hierarchy_paths, reconcile
from forecasting.prepare import PreparedHistory, prepare_history

log = logging.getLogger(__name__)


def node_history(prepared: PreparedHistory, attributes: pd.DataFrame | None, options: ForecastOptions):
    """The series to model: every hierarchy node when attributes are known, else the bottom series alone."""
    if attributes is None:
        return prepared, None, None, None
    nodes, summing, tags = aggregate_history(prepared.history, attributes)
    node_prepared = prepare_history(nodes[["unique_id", "ds", "y"]], options.min_weeks, freq=prepared.freq)
    flags = nodes[["unique_id", "ds", "is_censored", "y_observed"]]
    node_prepared.history = node_prepared.history.drop(columns=["is_censored", "y_observed"]).merge(
        flags, on=["unique_id", "ds"], how="left"
    )
    return node_prepared, summing, tags, hierarchy_paths(attributes)


def reconciled(selected: pd.DataFrame, summing, tags, method: str) -> pd.DataFrame:
    """Reconciles each forecast origin of the selected base forecasts with one method."""
    if method == "BottomUp" or summing is None:
        return selected
    pieces = []
    for _, origin in selected.groupby("cutoff"):
        reconciled = reconcile(origin[["unique_id", "ds", "forecast"]], summing, tags, method)
        pieces.append(origin.drop(columns="forecast").merge(reconciled, on=["unique_id", "ds"]))
    return pd.concat(pieces, ignore_index=True)


def to_bottom(frame: pd.DataFrame, paths: pd.DataFrame | None) -> pd.DataFrame:
    """Keeps the bottom nodes and gives them back their series ids."""
    if paths is None:
        return frame
    bottom = frame[frame["unique_id"].isin(paths["node_id"])]
    return bottom.assign(
        unique_id=bottom["unique_id"].map(dict(zip(paths["node_id"], paths["unique_id"], strict=True)))
    )


def reconcile_forecasts(forecasts: pd.DataFrame, summing, tags, method: str) -> pd.DataFrame:
    """Reconciles the points; each interval moves with its point (the base spread is kept)."""
    reconciled = reconcile(forecasts[["unique_id", "ds", "forecast"]], summing, tags, method)
    merged = forecasts.merge(reconciled.rename(columns={"forecast": "reconciled"}), on=["unique_id", "ds"])
    # A series that never sold stays at zero whatever the reconciliation would hand it.
    zero = merged["model"] == "Zero"
    merged.loc[zero, "reconciled"] = 0.0
    shift = merged["reconciled"] - merged["forecast"]
    for column in [c for c in merged if c.startswith(("lo_", "hi_"))]:
        merged[column] = merged[column] + shift
    merged["forecast"] = merged["reconciled"]
    merged.loc[~zero, "model"] = merged.loc[~zero, "model"] + "+" + method
    return merged.drop(columns="reconciled")


def choose_reconciliation(choosing, choice, methods, summing, tags, paths, attributes, history) -> str:
    """The reconciliation with the least mean scaled error (MASE, as the models are chosen) over the hierarchy's
    levels on the choosing windows (never the held-out one, so the held-out figures stay out of sample): the
    forecast has to serve every level."""
    if len(methods) == 1:
        return methods[0]
    selected = selected_backtest(choosing, choice)
    frames = [to_bottom(reconciled(selected, summing, tags, m), paths).assign(model=m) for m in methods]
    accuracy = level_accuracy(pd.concat(frames, ignore_index=True), attributes, history)
    mean_mase = accuracy.groupby("model")["mase"].mean().sort_values()
    log.info("reconciliation on the choosing windows, mean MASE over levels: %s", mean_mase.round(4).to_dict())
    return mean_mase.index[0]

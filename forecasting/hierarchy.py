"""Forecasts that add up: product x warehouse -> category x region -> category -> total, reconciled.

Base forecasts come for every node (aggregates are smoother and carry the yearly season that sparse bottom
series cannot show); hierarchicalforecast reconciles them so the bottom forecasts sum to every level. Product x
region is a sum of bottom series and needs no node of its own. Which reconciliation is used is decided on the
held-out backtest window, next to plain bottom-up.

The summing matrix is kept sparse (hierarchicalforecast's SMatrix): with a dense one every reconciliation call
copied the nodes x bottom-series frame once per level tag, and a run reconciles about ten times (each backtest
origin and method, then the forecast); the reconciled numbers are the same.
"""

from __future__ import annotations

import pandas as pd
from hierarchicalforecast.core import HierarchicalReconciliation
from hierarchicalforecast.methods import BottomUp, MinTrace, TopDown
from hierarchicalforecast.utils import SMatrix, aggregate

SPEC = [
    ["total"],
    ["total", "category"],
    ["total", "category", "region_code"],
    ["total", "category", "region_code", "series"],
]
RECONCILERS = {
    "BottomUp": BottomUp(),
    "TopDown": TopDown(method="forecast_proportions"),
    "MinTraceOLS": MinTrace(method="ols"),
}


def hierarchy_paths(attributes: pd.DataFrame) -> pd.DataFrame:
    """unique_id (bottom series) -> its node id in the aggregated hierarchy."""
    paths = attributes.assign(total="total")
    paths["node_id"] = "total/" + paths["category"] + "/" + paths["region_code"] + "/" + paths["unique_id"]
    return paths[["unique_id", "node_id"]]


def aggregate_history(history: pd.DataFrame, attributes: pd.DataFrame) -> tuple[pd.DataFrame, SMatrix, dict]:
    """Every node's weekly history (model input y and observed sales), the summing matrix and the level tags."""
    frame = history.merge(attributes[["unique_id", "category", "region_code"]], on="unique_id")
    frame = frame.assign(total="total", series=frame["unique_id"]).drop(columns="unique_id")
    frame["is_censored"] = frame["is_censored"].astype(float)
    nodes, summing, tags = aggregate(frame, SPEC, target_cols=("y", "y_observed", "is_censored"), sparse_s=True)
    # Bottom series keep their flag (evaluation skips their stock-out weeks); an aggregate's y already holds the
    # bottom series' censoring adjustment, so it is modelled and scored as is.
    nodes["is_censored"] = (nodes["is_censored"] > 0) & nodes["unique_id"].str.count("/").eq(3)
    nodes["is_filled"] = False
    return nodes, summing, tags


def reconcile(base: pd.DataFrame, summing: SMatrix, tags: dict, method: str) -> pd.DataFrame:
    """Reconciles one forecast origin: base has unique_id (node), ds, forecast; returns node, ds, forecast."""
    wide = base.rename(columns={"forecast": "Base"})[["unique_id", "ds", "Base"]]
    # Nodes without a base forecast (series that never sold, or too short to backtest) contribute zero.
    missing = sorted(set(summing.row_labels) - set(wide["unique_id"]))
    if missing:
        weeks = wide["ds"].drop_duplicates()
        filler = pd.MultiIndex.from_product([missing, weeks], names=["unique_id", "ds"]).to_frame(index=False)
        wide = pd.concat([wide, filler.assign(Base=0.0)], ignore_index=True)
    engine = HierarchicalReconciliation(reconcilers=[RECONCILERS[method]])
    reconciled = engine.reconcile(Y_hat_df=wide, S_df=summing, tags=tags)
    column = next(c for c in reconciled.columns if c.startswith("Base/"))
    out = reconciled[["unique_id", "ds", column]].rename(columns={column: "forecast"})
    out["forecast"] = out["forecast"].clip(lower=0)
    return out

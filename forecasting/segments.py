"""Which candidate models each series is backtested with (by demand family and history rule), and the segment
its model is chosen for."""

from __future__ import annotations

import pandas as pd

from forecasting.models import CONTINUOUS_PATTERNS, continuous_models, intermittent_models
from forecasting.prepare import PreparedHistory
from forecasting.windows import SEASONAL


def candidate_groups(
    prepared: PreparedHistory, patterns: pd.Series, plan: pd.DataFrame
) -> list[tuple[str, list, pd.DataFrame]]:
    """(name, candidate models, history) per demand family and history rule: the season only where two seasons are."""
    modelled = prepared.history[prepared.history["unique_id"].isin(prepared.modelled)]
    continuous = set(patterns[patterns.isin(CONTINUOUS_PATTERNS)].index)
    season = prepared.season_length
    groups = []
    for rule in sorted(plan["rule"].unique()):
        ids = set(plan.index[plan["rule"] == rule]) & set(prepared.modelled)
        steady, sparse = sorted(ids & continuous), sorted(ids - continuous)
        seasonal = rule == SEASONAL
        models = continuous_models(season, seasonal=seasonal, series=len(steady))
        groups.append((f"continuous/{rule}", models, modelled[modelled["unique_id"].isin(steady)]))
        sparse_history = modelled[modelled["unique_id"].isin(sparse)]
        groups.append((f"intermittent/{rule}", intermittent_models(season), sparse_history))
    return [group for group in groups if not group[2].empty]


def choice_segments(patterns: pd.Series, ids, plan: pd.DataFrame, hierarchical: bool) -> pd.Series:
    """unique_id -> segment the model is chosen for: its demand pattern and history rule, or, in a hierarchy, its
    level for an aggregate node (the total, "total", is level_0: it is chosen on its own, not with the bottom
    series of its pattern; in file mode an id with a slash is just an id)."""
    segments = patterns.reindex(list(ids)).fillna("zero") + "/" + plan["rule"].reindex(list(ids)).fillna(SEASONAL)
    if not hierarchical:
        return segments
    depth = segments.index.to_series().str.count("/")
    return segments.where(depth >= 3, "level_" + depth.astype(str))

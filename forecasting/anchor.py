"""The total's forecast anchored to last year's same weeks: the equal mean of the forecast chosen for it and its
SeasonalNaive, on every backtest window and in the forecast itself.

Why the total alone: it is a segment of one node with four choosing windows, which barely rank its candidates
(Spearman 0.30 with the held-out errors, median over seven generated scenarios; 0.75 at category x region, a segment
of many nodes), so its choice is close to a draw among nine. Its candidates' errors and SeasonalNaive's are of
different kinds: SeasonalNaive carries the season's shape but last year's level (a first year still growing), the
chosen models a level with a smoothed season or none. Their mean cancels part of each. Judged on 201 weekly origins
of the seven scenarios (every origin with two seasons of history; benchmarks/total_origins.py), the anchored choice's
mean scaled error at the total was 0.746 against the choice alone's 0.896, SeasonalNaive's 1.035 and MovingAverage7d's
1.225: ahead on five of the seven scenarios, level on E (5 origins), behind on B's one origin, and ahead on all seven
from 90 weeks of history (BENCHMARKS.md, issue 23, session 37). The lower levels were not measured so: they keep
their choice.
"""

from __future__ import annotations

import pandas as pd

ANCHORED = "Anchored"
ANCHOR_MODEL = "SeasonalNaive"
ANCHOR_SEGMENT = "level_0"  # the hierarchy's total (forecasting.segments.choice_segments)
KEYS = ["unique_id", "ds", "cutoff"]


def anchor_choice(scored: pd.DataFrame, choice: pd.Series, segments: pd.Series) -> tuple[pd.DataFrame, pd.Series]:
    """scored with ANCHORED rows for the total (the mean of its chosen model's and SeasonalNaive's forecast each
    week), and the choice naming ANCHORED for it. Left as chosen: SeasonalNaive chosen itself, or a total whose
    SeasonalNaive misses some of its choice's backtest weeks (less than a season of history before its oldest
    window, as in a two-year history's season windows): the anchor would be unmeasured there."""
    total = choice[segments.reindex(choice.index).eq(ANCHOR_SEGMENT) & choice.ne(ANCHOR_MODEL)]
    if total.empty:
        return scored, choice
    picked = scored.merge(total.rename("model").rename_axis("unique_id").reset_index(), on=["unique_id", "model"])
    naive = scored.loc[scored["unique_id"].isin(total.index) & scored["model"].eq(ANCHOR_MODEL), [*KEYS, "forecast"]]
    rows = picked.merge(naive.rename(columns={"forecast": "naive"}), on=KEYS)
    counts = rows.groupby("unique_id").size()
    complete = counts.eq(picked.groupby("unique_id").size().reindex(counts.index))
    complete = complete.reindex(total.index, fill_value=False)
    rows = rows[rows["unique_id"].isin(complete.index[complete])]
    if rows.empty:
        return scored, choice
    rows = rows.assign(forecast=(rows["forecast"] + rows["naive"]) / 2, model=ANCHORED)
    anchored = choice.copy()
    anchored[complete.index[complete]] = ANCHORED
    return pd.concat([scored, rows[scored.columns]], ignore_index=True), anchored


def anchor_members(choice: pd.Series, anchored: pd.Series, members: pd.DataFrame) -> pd.DataFrame:
    """The members the final forecast combines for each anchored series (unique_id, model, weight, combination):
    SeasonalNaive at half the weight, the chosen model (or a chosen combination's own members, in their proportions)
    at the other half. members: the combinations' members (forecasting.backtest)."""
    rows = []
    for uid in anchored.index[anchored.eq(ANCHORED)]:
        own = members[(members["unique_id"] == uid) & (members["combination"] == choice[uid])]
        parts = dict(zip(own["model"], own["weight"] / own["weight"].sum(), strict=True)) or {choice[uid]: 1.0}
        parts = {model: weight / 2 for model, weight in parts.items()}
        parts[ANCHOR_MODEL] = parts.get(ANCHOR_MODEL, 0.0) + 0.5
        rows += [{"unique_id": uid, "model": m, "weight": w, "combination": ANCHORED} for m, w in parts.items()]
    return pd.DataFrame(rows, columns=["unique_id", "model", "weight", "combination"])

"""The choice made on the choosing windows, scored on each series' held-out window: accuracy and interval
coverage per level, the reconciliation chosen, and the honest backtest errors the intervals are calibrated on."""

from __future__ import annotations

from functools import partial

import numpy as np
import pandas as pd

from forecasting.accuracy import level_accuracy
from forecasting.anchor import anchor_choice
from forecasting.backtest import add_ensembles, choose_models, left_out_windows, selected_backtest
from forecasting.intervals import MIN_ERRORS, apply_intervals, calibrate, coverage
from forecasting.reconciliation import choose_reconciliation, reconciled, to_bottom


def calibration_choices(earlier_choice, scored, choosing, segments, scales) -> pd.DataFrame:
    """The windows' forecasts the intervals are calibrated on: each by the choice made on the windows before it
    (earlier_choice), except a series' window whose choice rested on one window alone (its second oldest; the oldest,
    chosen on itself, honest_errors leaves out), which is forecast by the choice made on all the other choosing
    windows instead. At the aggregate levels a one-window choice was another model than the final one and missed by
    up to 1.8 times more (BENCHMARKS.md, issue 23, session 27), widening every aggregate interval. The forecast's
    intervals are calibrated on these errors too; the replaced window's choice has seen the windows after it, so the
    rolling coverage is a little kinder there than a strictly forward replay."""
    keys = ["unique_id", "cutoff"]
    numbered = earlier_choice.merge(scored[[*keys, "window"]].drop_duplicates(), on=keys)
    oldest = numbered.groupby("unique_id")["window"].transform("max")
    # A held-out window chosen on one window stays so: no other choosing window is left to choose it on.
    swap = (numbered["window"] == oldest - 1) & numbered["window"].isin(choosing)
    others = left_out_windows(scored, choosing, segments, scales, sorted(set(numbered.loc[swap, "window"])))
    others = others.merge(numbered.loc[swap, keys].drop_duplicates(), on=keys)
    return pd.concat([numbered.loc[~swap, others.columns], others], ignore_index=True)


def honest_errors(earlier_choice: pd.DataFrame, scored: pd.DataFrame, hierarchy: tuple, method: str) -> pd.DataFrame:
    """The backtest windows as forecast by the choice made on the windows before each (reconciled by method), with
    actuals; a series' oldest window, chosen on itself, is left out. Intervals calibrated on these errors carry the
    uncertainty of the choice itself, which errors of the model chosen on the same windows hide."""
    summing, tags, _ = hierarchy
    actuals = scored[["unique_id", "cutoff", "ds", "window", "y_observed", "is_censored"]].drop_duplicates(
        ["unique_id", "cutoff", "ds"]
    )
    rows = earlier_choice.merge(actuals, on=["unique_id", "cutoff", "ds"])
    rows = rows[rows["window"] < rows.groupby("unique_id")["window"].transform("max")]
    return reconciled(rows, summing, tags, method) if not rows.empty else rows


def own_errors(rows: pd.DataFrame, choice: pd.Series, hierarchy: tuple, method: str) -> pd.DataFrame:
    """The chosen forecast on the windows it was chosen on, reconciled."""
    summing, tags, _ = hierarchy
    return reconciled(selected_backtest(rows, choice), summing, tags, method)


def enough(honest: pd.DataFrame, own) -> pd.DataFrame:
    """The honest errors, or, where the history left fewer than MIN_ERRORS of them (every series with one or two
    windows), the chosen forecast's errors on the windows it was chosen on (own(), reconciled only when needed):
    too narrow rather than none."""
    return honest if len(honest) >= MIN_ERRORS else own()


def held_out_accuracy(scored, windows, segments, scales, hierarchy, attributes, prepared, run, earlier_choice,
                      interval_scales=None):  # fmt: skip
    """Models (per segment), ensemble, reconciliation and intervals chosen on the choosing windows, scored on each
    series' latest (window 0): the accuracy and interval coverage by level (the choice marked), the reconciliation
    method chosen, and the honest backtest errors the intervals are calibrated on (honest_errors). Intervals are
    scaled by interval_scales (intervals.recent_scales; scales when not given)."""
    interval_scales = scales if interval_scales is None else interval_scales
    summing, tags, paths = hierarchy
    choosing = [w for w in windows if w > 0] or windows  # one window only: nothing held out, say so by equality
    with_ensemble, _ = add_ensembles(scored, choosing, segments, scales)
    chosen = choose_models(with_ensemble, choosing, segments, scales)
    with_ensemble, choice_early = anchor_choice(with_ensemble, chosen, segments)
    held_out = with_ensemble[with_ensemble["window"] == 0]
    methods = ("BottomUp", "TopDown", "MinTraceOLS") if summing is not None else ("BottomUp",)
    choosing_rows = with_ensemble[with_ensemble["window"].isin(choosing)]
    # The reconciliation is chosen for the choice as made, before the total's anchor: the choosing windows are where
    # SeasonalNaive is judged on a still-growing first year (forecasting.anchor), and on them the anchor flipped F's
    # choice to MinTraceOLS (1.067 against TopDown's 1.074), 12% worse at product x warehouse on the held-out window.
    method = choose_reconciliation(choosing_rows, chosen, methods, summing, tags, paths, attributes,
                                   prepared.history)  # fmt: skip
    selected = selected_backtest(held_out, choice_early)
    honest = honest_errors(calibration_choices(earlier_choice, scored, choosing, segments, scales), scored, hierarchy,
                           method)  # fmt: skip
    own = partial(own_errors, choosing_rows, choice_early, hierarchy, method)
    quantiles = calibrate(enough(honest[honest["window"] >= 1], own), interval_scales, segments, run.levels)
    held = apply_intervals(reconciled(selected, summing, tags, method), quantiles, interval_scales, segments,
                           run.levels)  # fmt: skip
    candidates = [to_bottom(held_out, paths), to_bottom(selected.assign(model="Selected"), paths)]
    for other in methods[1:]:
        other_method = reconciled(selected, summing, tags, other)
        candidates.append(to_bottom(other_method, paths).assign(model=f"Selected+{other}"))
    accuracy = level_accuracy(pd.concat(candidates, ignore_index=True), attributes, prepared.history)
    best = "Selected" if method == "BottomUp" else f"Selected+{method}"
    accuracy["is_chosen"] = accuracy["model"] == best
    accuracy = _with_coverage(accuracy, held, paths, run.levels)
    rolling = rolling_intervals(honest, interval_scales, segments, run.levels)
    return _with_coverage(accuracy, rolling, paths, run.levels, prefix="rolling_"), method, honest


def rolling_intervals(honest: pd.DataFrame, scales: pd.Series, segments: pd.Series, levels) -> pd.DataFrame:
    """Every honest backtest window (forecast by the choice made before it) with intervals calibrated only on the
    honest errors whose weeks were observed by its cutoff (a series' oldest honest window left out): out-of-sample
    coverage over many windows, beside the single held-out one (the total's held-out window is 8 values; 75%, 87.5%
    or 100% are its only outcomes). An origin with fewer than MIN_ERRORS such errors is not measured. Scales are the
    run's recent naive scales."""
    # A series' oldest honest window has none of its own errors before it (its calibration would be other series'
    # errors only: 24% / 30% coverage at product x warehouse on the sample); the stage never calibrates a series so.
    targets = honest[honest["window"] < honest.groupby("unique_id")["window"].transform("max")]
    observed = np.sort(honest["ds"].to_numpy())
    known_count = np.searchsorted(observed, targets["cutoff"].to_numpy(), side="right")
    pieces = []
    # Origins with the same errors observed before them share one calibration (each origin its own cost otherwise).
    for count, windows in targets.groupby(known_count):
        if count >= MIN_ERRORS:
            known = honest[honest["ds"] <= windows["cutoff"].min()]
            quantiles = calibrate(known, scales, segments, levels)
            pieces.append(apply_intervals(windows, quantiles, scales, segments, levels))
    return pd.concat(pieces, ignore_index=True) if pieces else honest.iloc[0:0]


def _with_coverage(accuracy: pd.DataFrame, held: pd.DataFrame, paths, levels, prefix: str = "") -> pd.DataFrame:
    """<prefix>coverage_<level> on the chosen rows: the share of actuals inside the interval, per level whose series
    are forecast nodes (product x region is a sum of nodes, with no interval of its own), and <prefix>coverage_weeks,
    how many actuals that share is of."""
    depth = held["unique_id"].str.count("/")
    node_levels = {"product_warehouse": depth == 3, "category_region": depth == 2, "total": depth == 0}
    if paths is None:
        node_levels = {"product_warehouse": pd.Series(True, index=held.index)}
    usable = ~held["is_censored"].fillna(False).astype(bool) if len(held) else pd.Series(dtype=bool)
    for level in levels:
        figures = {name: coverage(held[rows], level) for name, rows in node_levels.items() if rows.any()}
        accuracy[f"{prefix}coverage_{level}"] = accuracy["level"].map(figures).where(accuracy["is_chosen"])
    weeks = {name: int((rows & usable).sum()) for name, rows in node_levels.items() if rows.any()}
    accuracy[f"{prefix}coverage_weeks"] = accuracy["level"].map(weeks).where(accuracy["is_chosen"])
    return accuracy

"""One forecasting run: prepare, classify, backtest, choose, forecast with intervals, score against baselines."""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from functools import partial

import pandas as pd

from forecasting.accuracy import ACCURACY_COLUMNS
from forecasting.anchor import anchor_choice, anchor_members
from forecasting.backtest import (
    add_ensembles,
    choice_ranks,
    choose_models,
    comb_members,
    naive_scales,
    out_of_sample_windows,
)
from forecasting.backtest_run import rolling_only, run_backtests
from forecasting.classify import classify
from forecasting.contract import ForecastOptions, ForecastResult, forecast_columns
from forecasting.final_forecast import chosen_forecasts, complete, own_weekdays, simple_forecasts
from forecasting.held_out import enough, held_out_accuracy, own_errors
from forecasting.intervals import calibrate, recent_scales
from forecasting.prepare import PreparedHistory, prepare_history
from forecasting.reconciliation import node_history, to_bottom
from forecasting.run_tables import bottom_rules, run_report, selection_table, series_metrics
from forecasting.segments import candidate_groups, choice_segments
from forecasting.simple import MODEL as RECENT_MEAN
from forecasting.windows import window_plan

__all__ = ["ForecastOptions", "ForecastResult", "forecast_columns", "run_forecast"]

log = logging.getLogger(__name__)


def run_forecast(
    frame: pd.DataFrame, attributes: pd.DataFrame | None = None, options: ForecastOptions | None = None
) -> ForecastResult:
    """frame: unique_id, ds, y (+ is_censored); attributes: unique_id -> product_id, region_code, category.

    Prepare the series, backtest every candidate over rolling windows, choose models (per segment) and the
    reconciliation on the earlier windows, score the choice on the last, then forecast with the choice."""
    options = options or ForecastOptions()
    if options.horizon < 1:
        raise ValueError(f"--horizon {options.horizon} must be at least 1 week")
    timings = {}
    started = time.perf_counter()
    prepared = _prepared(frame, options)
    if attributes is not None:
        attributes = attributes[attributes["unique_id"].isin(prepared.history["unique_id"].unique())]
    run = replace(options, freq=prepared.freq)
    nodes, summing, tags, paths = node_history(prepared, attributes, run)
    patterns = classify(nodes.history)
    plan = window_plan(nodes.history.groupby("unique_id").size(), run.horizon, nodes.season_length, run.n_windows)
    segments = choice_segments(patterns, nodes.modelled, plan, hierarchical=paths is not None)
    scales = naive_scales(nodes.history)
    interval_scales = recent_scales(nodes.history, nodes.season_length)
    timings["prepare_seconds"] = time.perf_counter() - started
    log.info(
        "forecast: %d series modelled, %d short, %d all zero, %d rejected (%s); %d nodes with the hierarchy",
        len(prepared.modelled), len(prepared.short), len(prepared.all_zero), len(prepared.rejected), prepared.freq,
        nodes.history["unique_id"].nunique(),
    )  # fmt: skip

    began = time.perf_counter()
    groups = candidate_groups(nodes, patterns, plan)
    scored = run_backtests(nodes, groups, plan, run)
    timings["backtest_seconds"] = time.perf_counter() - began
    notes = list(prepared.notes)
    if scored.empty:
        return _rule_only(prepared, run, nodes, timings, notes, started)

    season_windows = scored.loc[scored["is_season_window"], ["unique_id", "cutoff"]].drop_duplicates()
    scored = scored.drop(columns="is_season_window")
    windows = sorted(scored["window"].unique())
    hierarchy = (summing, tags, paths)
    # Each window forecast by the choice made on the windows before it: honest errors for the intervals, and the
    # optimiser's replay (its rolling windows: consecutive weeks up to the end).
    earlier_choice = out_of_sample_windows(scored, segments, scales)
    kept = to_bottom(rolling_only(earlier_choice, season_windows), paths)
    accuracy, method, honest = held_out_accuracy(scored, windows, segments, scales, hierarchy, attributes, prepared,
                                                 run, earlier_choice, interval_scales)  # fmt: skip
    final_scored, members = add_ensembles(scored, windows, segments, scales)
    members = pd.concat([members, comb_members(scored)], ignore_index=True)
    chosen = choose_models(final_scored, windows, segments, scales)
    anchored_scored, choice = anchor_choice(final_scored, chosen, segments)
    anchored_members = anchor_members(chosen, choice, members)
    if not anchored_members.empty:
        members = pd.concat([members, anchored_members], ignore_index=True)
    metrics = series_metrics(final_scored, nodes.history, paths)
    own = partial(own_errors, anchored_scored, choice, hierarchy, method)
    quantiles = calibrate(enough(honest, own), interval_scales, segments, run.levels)

    began = time.perf_counter()
    calibration = (quantiles, interval_scales, segments)
    forecasts = chosen_forecasts(nodes, groups, choice, members, run, method, hierarchy, prepared, calibration)
    timings["forecast_seconds"] = time.perf_counter() - began
    timings["total_seconds"] = time.perf_counter() - started

    bottom_choice = to_bottom(choice.rename("model").reset_index(), paths).set_index("unique_id")["model"]
    rules = bottom_rules(plan, prepared, paths)
    selection = selection_table(prepared, classify(prepared.history), bottom_choice, method, rules)
    report = run_report(prepared, run, nodes, method, bottom_choice, timings, notes, rules)
    report["season_window_cutoffs"] = sorted(str(c.date()) for c in season_windows["cutoff"].unique())
    # Whether the windows agree on a choice or it is within noise: each segment's top candidates' per-window ranks.
    report["choice_ranks"] = choice_ranks(final_scored, windows, segments, choice, scales)
    for segment, ranks in report["choice_ranks"].items():
        log.info("choice for %s: %s; ranks per window, oldest first: %s", segment, ranks["chosen"],
                 ", ".join(f"{model} {r}" for model, r in ranks["ranks"].items()))  # fmt: skip
    return ForecastResult(forecasts[forecast_columns(run.levels)], selection, metrics, accuracy, report, kept)


def _prepared(frame: pd.DataFrame, options: ForecastOptions) -> PreparedHistory:
    """The input as series to forecast; fails with one sentence (each rejected series named) when none is left."""
    prepared = prepare_history(frame, options.min_weeks, freq=options.freq)
    if prepared.history.empty:
        for message in prepared.rejected.values():
            log.warning("rejected %s", message)
        reasons = (
            f"all {len(prepared.rejected)} series were rejected (each named above), e.g. "
            + next(iter(prepared.rejected.values()))
            if prepared.rejected
            else "the input holds no rows"
        )
        raise ValueError(f"no series can be forecast: {reasons}")
    return prepared


def _rule_only(prepared, run: ForecastOptions, nodes, timings: dict, notes: list, started: float) -> ForecastResult:
    """Nothing long enough to backtest: every series gets the stated rule, and the report says so."""
    notes.append(
        f"no series has the {run.min_weeks} {prepared.period}s (two horizons of {run.horizon}) a model is tested "
        f"on: every series is forecast by the {RECENT_MEAN} rule and no accuracy is measured"
    )
    prepared.short, prepared.modelled = [*prepared.short, *prepared.modelled], []
    began = time.perf_counter()
    forecasts = complete(simple_forecasts(prepared, run), prepared, run)
    timings["forecast_seconds"] = time.perf_counter() - began
    timings["total_seconds"] = time.perf_counter() - started
    accuracy = pd.DataFrame(columns=[*ACCURACY_COLUMNS, "is_chosen"])
    metrics = pd.DataFrame(columns=["unique_id", "model", "abs_error", "actual", "weeks", "wape", "bias_units",
                                    "mase"])  # fmt: skip
    selection = selection_table(prepared, classify(prepared.history), pd.Series(dtype=object), "BottomUp")
    report = run_report(prepared, run, nodes, "BottomUp", pd.Series(dtype=object), timings, notes)
    forecasts = own_weekdays(forecasts, prepared.offsets)
    return ForecastResult(forecasts[forecast_columns(run.levels)], selection, metrics, accuracy, report)

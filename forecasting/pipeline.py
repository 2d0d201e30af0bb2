"""One forecasting run: prepare, classify, backtest, choose, forecast with intervals, score against baselines."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field, replace
from functools import partial

import pandas as pd
from statsforecast import StatsForecast

from forecasting.accuracy import ACCURACY_COLUMNS, level_accuracy, series_mase
from forecasting.backtest import (
    ENSEMBLE,
    add_ensembles,
    choose_models,
    combine,
    cross_validate,
    naive_scales,
    number_windows,
    out_of_sample_windows,
    selected_backtest,
    series_errors,
    with_actuals,
)
from forecasting.classify import classify
from forecasting.engines import from_engine, to_engine
from forecasting.global_model import ml_cross_validate, ml_forecast
from forecasting.hierarchy import aggregate_history, hierarchy_paths, reconcile
from forecasting.intervals import MIN_ERRORS, apply_intervals, calibrate, coverage
from forecasting.models import CONTINUOUS_PATTERNS, continuous_models, fallback_model, intermittent_models
from forecasting.prepare import PreparedHistory, prepare_history
from forecasting.simple import MODEL as RECENT_MEAN
from forecasting.simple import recent_mean_forecasts, zero_forecasts
from forecasting.windows import SEASON_TARGETS, SEASONAL, window_plan

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ForecastOptions:
    horizon: int = 8  # weeks ahead
    n_windows: int = 3  # at most this many rolling windows (as many as the history allows), plus two season windows
    levels: tuple[int, ...] = (80, 95)
    n_jobs: int = -1
    spark: object | None = None  # a SparkSession: statsforecast runs on Spark through Fugue
    freq: str | None = None  # pandas weekly frequency; inferred from the dates when not given
    global_model: bool = True  # the LightGBM candidate trained across all series (forecasting.global_model)

    @property
    def min_weeks(self) -> int:
        """Shortest history a model is fitted to: two horizons (one to fit on, one to test on); shorter series get
        the recent-mean rule (forecasting.windows)."""
        return 2 * self.horizon


@dataclass
class ForecastResult:
    forecasts: pd.DataFrame  # unique_id, ds, model, forecast, lo_<level>, hi_<level> (forecast_columns)
    selection: pd.DataFrame  # unique_id, demand_pattern, treatment, model, history_weeks
    backtest_metrics: pd.DataFrame  # unique_id, model, abs_error, actual, weeks, wape, bias, mase
    accuracy: pd.DataFrame  # level, model, series, wape, accuracy, bias, mase, rmsse, is_chosen (held-out window)
    report: dict = field(default_factory=dict)
    # unique_id, cutoff, ds, forecast: every backtest window's forecast per bottom series by the models chosen on
    # the windows before it (backtest.out_of_sample_windows), not reconciled (the reconciliation is chosen on
    # windows the optimiser's replay holds out); the replay plans its weeks with them (optimization/backtest_replay.py)
    backtest_forecasts: pd.DataFrame | None = None


def _groups(prepared: PreparedHistory, patterns: pd.Series, plan: pd.DataFrame) -> list[tuple[str, list, pd.DataFrame]]:
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


def _segments(patterns: pd.Series, ids, plan: pd.DataFrame, hierarchical: bool) -> pd.Series:
    """unique_id -> segment the model is chosen for: its demand pattern and history rule, or, in a hierarchy, its
    level for an aggregate node (the total, "total", is level_0: it is chosen on its own, not with the bottom
    series of its pattern; in file mode an id with a slash is just an id)."""
    segments = patterns.reindex(list(ids)).fillna("zero") + "/" + plan["rule"].reindex(list(ids)).fillna(SEASONAL)
    if not hierarchical:
        return segments
    depth = segments.index.to_series().str.count("/")
    return segments.where(depth >= 3, "level_" + depth.astype(str))


def _interval_columns(frame: pd.DataFrame, model: str, levels: tuple[int, ...]) -> pd.DataFrame:
    columns = {model: "forecast"}
    for level in levels:
        columns[f"{model}-lo-{level}"] = f"lo_{level}"
        columns[f"{model}-hi-{level}"] = f"hi_{level}"
    present = {k: v for k, v in columns.items() if k in frame}
    out = frame[["unique_id", "ds", *present]].rename(columns=present)
    for name in columns.values():
        if name not in out:
            out[name] = out["forecast"]
    return out.assign(model=model)


def needed_models(choice: pd.Series, members: pd.DataFrame) -> set[str]:
    """The models the final forecast needs: each series' chosen one and, where the ensemble is chosen, its members."""
    ensemble_ids = choice.index[choice == ENSEMBLE]
    return set(choice[choice != ENSEMBLE]) | set(members.loc[members["unique_id"].isin(ensemble_ids), "model"])


def _forecast_group(history, models, choice, members, options, ml_wide=None) -> pd.DataFrame:
    # Only the models some series uses are fitted: each model (its fallback included) is fitted on its own, so
    # leaving the others out changes no number and saves most of the stage's final fits. Points only: the
    # intervals come from the backtest's errors (forecasting.intervals), which also saves the conformal refits.
    needed = needed_models(choice, members)
    models = [model for model in models if repr(model) in needed]
    if models:
        engine = StatsForecast(models=models, freq=options.freq, n_jobs=options.n_jobs,
                               fallback_model=fallback_model())  # fmt: skip
        wide = engine.forecast(df=to_engine(history[["unique_id", "ds", "y"]], options.spark), h=options.horizon)
        wide = from_engine(wide)
        if ml_wide is not None:
            wide = wide.merge(ml_wide, on=["unique_id", "ds"], how="left")
    elif ml_wide is not None:  # every series of the group chose the global model
        wide = ml_wide[ml_wide["unique_id"].isin(history["unique_id"].unique())]
    else:
        return pd.DataFrame()
    pieces = []
    for model, ids in choice.groupby(choice).groups.items():
        rows = wide[wide["unique_id"].isin(ids)]
        if model != ENSEMBLE and model not in rows:
            continue  # a candidate that failed to forecast: _complete gives these series the recent-mean rule
        if model != ENSEMBLE:
            pieces.append(_interval_columns(rows, model, options.levels))
            continue
        # The ensemble's point is its members' weighted mean, with the weights of the backtest (add_ensembles).
        member_frames = [
            _interval_columns(rows[rows["unique_id"].isin(m_rows["unique_id"])], m, options.levels).merge(
                m_rows[["unique_id", "weight"]], on="unique_id"
            )
            for m, m_rows in members[members["unique_id"].isin(ids)].groupby("model")
            if m in rows
        ]
        if member_frames:
            pooled = combine(pd.concat(member_frames), ["unique_id", "ds"])
            pieces.append(pooled.assign(model=ENSEMBLE))
    return pd.concat(pieces, ignore_index=True) if pieces else pd.DataFrame()


def _simple_forecasts(prepared: PreparedHistory, options, ids=None) -> pd.DataFrame:
    """Short series (or ids): the recent-mean rule with its own or a pooled error; all-zero series: zero."""
    short_ids = prepared.short if ids is None else ids
    short = prepared.history[prepared.history["unique_id"].isin(short_ids)]
    pool = prepared.history[~prepared.history["unique_id"].isin(prepared.all_zero)]
    pieces = [recent_mean_forecasts(short, options.horizon, options.levels, options.freq, pool=pool)]
    if prepared.all_zero and ids is None:
        zero = prepared.history[prepared.history["unique_id"].isin(prepared.all_zero)]
        pieces.append(
            zero_forecasts(zero.groupby("unique_id")["ds"].max(), options.horizon, options.levels, options.freq)
        )
    pieces = [p for p in pieces if not p.empty]
    return pd.concat(pieces, ignore_index=True) if pieces else pd.DataFrame()


def _complete(forecasts: pd.DataFrame, prepared: PreparedHistory, options) -> pd.DataFrame:
    """Every accepted series gets its horizon with both intervals around the point: a series a model left without
    (a failed fit, a missing or non-finite value) gets the recent-mean rule instead."""
    numbers = ["forecast", *[f"{side}_{level}" for level in options.levels for side in ("lo", "hi")]]
    finite = forecasts[numbers].notna().all(axis=1) & (forecasts[numbers].abs() < float("inf")).all(axis=1)
    rows = forecasts[finite].groupby("unique_id").size()
    accepted = prepared.history["unique_id"].unique()
    lacking = [uid for uid in accepted if rows.get(uid, 0) != options.horizon]
    if lacking:
        log.warning("%d series had no complete model forecast; the recent-mean rule forecasts them", len(lacking))
        forecasts = pd.concat(
            [forecasts[~forecasts["unique_id"].isin(lacking)], _simple_forecasts(prepared, options, lacking)],
            ignore_index=True,
        )
    forecasts[numbers] = forecasts[numbers].clip(lower=0)
    for level in options.levels:
        forecasts[f"lo_{level}"] = forecasts[[f"lo_{level}", "forecast"]].min(axis=1)
        forecasts[f"hi_{level}"] = forecasts[[f"hi_{level}", "forecast"]].max(axis=1)
    return forecasts


def _own_weekdays(forecasts: pd.DataFrame, offsets: dict[str, int]) -> pd.DataFrame:
    """Series labelled on another weekday get their forecast weeks labelled on that weekday again."""
    if not offsets:
        return forecasts
    shift = pd.to_timedelta(forecasts["unique_id"].map(offsets).fillna(0), unit="D")
    return forecasts.assign(ds=forecasts["ds"] + shift)


def _node_history(prepared: PreparedHistory, attributes: pd.DataFrame | None, options: ForecastOptions):
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


def _reconciled(selected: pd.DataFrame, summing, tags, method: str) -> pd.DataFrame:
    """Reconciles each forecast origin of the selected base forecasts with one method."""
    if method == "BottomUp" or summing is None:
        return selected
    pieces = []
    for _, origin in selected.groupby("cutoff"):
        reconciled = reconcile(origin[["unique_id", "ds", "forecast"]], summing, tags, method)
        pieces.append(origin.drop(columns="forecast").merge(reconciled, on=["unique_id", "ds"]))
    return pd.concat(pieces, ignore_index=True)


def _to_bottom(frame: pd.DataFrame, paths: pd.DataFrame | None) -> pd.DataFrame:
    """Keeps the bottom nodes and gives them back their series ids."""
    if paths is None:
        return frame
    bottom = frame[frame["unique_id"].isin(paths["node_id"])]
    return bottom.assign(
        unique_id=bottom["unique_id"].map(dict(zip(paths["node_id"], paths["unique_id"], strict=True)))
    )


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
    nodes, summing, tags, paths = _node_history(prepared, attributes, run)
    patterns = classify(nodes.history)
    plan = window_plan(nodes.history.groupby("unique_id").size(), run.horizon, nodes.season_length, run.n_windows)
    segments = _segments(patterns, nodes.modelled, plan, hierarchical=paths is not None)
    scales = naive_scales(nodes.history)
    timings["prepare_seconds"] = time.perf_counter() - started
    log.info(
        "forecast: %d series modelled, %d short, %d all zero, %d rejected (%s); %d nodes with the hierarchy",
        len(prepared.modelled), len(prepared.short), len(prepared.all_zero), len(prepared.rejected), prepared.freq,
        nodes.history["unique_id"].nunique(),
    )  # fmt: skip

    began = time.perf_counter()
    groups = _groups(nodes, patterns, plan)
    scored = _backtest(nodes, groups, plan, run)
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
    kept = _to_bottom(_rolling_only(earlier_choice, season_windows), paths)
    accuracy, method, honest = _held_out_accuracy(scored, windows, segments, scales, hierarchy, attributes, prepared,
                                                  run, earlier_choice)  # fmt: skip
    final_scored, members = add_ensembles(scored, windows, segments, scales)
    choice = choose_models(final_scored, windows, segments, scales)
    metrics = _series_metrics(final_scored, nodes.history, paths)
    own = partial(_own_errors, final_scored, choice, hierarchy, method)
    quantiles = calibrate(_enough(honest, own), scales, segments, run.levels)

    began = time.perf_counter()
    calibration = (quantiles, scales, segments)
    forecasts = _chosen_forecasts(nodes, groups, choice, members, run, method, hierarchy, prepared, calibration)
    timings["forecast_seconds"] = time.perf_counter() - began
    timings["total_seconds"] = time.perf_counter() - started

    bottom_choice = _to_bottom(choice.rename("model").reset_index(), paths).set_index("unique_id")["model"]
    rules = _bottom_rules(plan, prepared, paths)
    selection = _selection_table(prepared, classify(prepared.history), bottom_choice, method, rules)
    report = _report(prepared, run, nodes, method, bottom_choice, timings, notes, rules)
    report["season_window_cutoffs"] = sorted(str(c.date()) for c in season_windows["cutoff"].unique())
    return ForecastResult(forecasts[forecast_columns(run.levels)], selection, metrics, accuracy, report, kept)


def _rolling_only(frame: pd.DataFrame, season_windows: pd.DataFrame) -> pd.DataFrame:
    marked = frame.merge(season_windows.assign(is_season=True), on=["unique_id", "cutoff"], how="left")
    return frame[marked["is_season"].isna().to_numpy()]


def _bottom_rules(plan: pd.DataFrame, prepared: PreparedHistory, paths) -> pd.Series:
    """unique_id (bottom series) -> the rule its history length gave it: seasonal, trend, flat, or zero."""
    rules = _to_bottom(plan["rule"].rename_axis("unique_id").reset_index(), paths).set_index("unique_id")["rule"]
    rules = rules.reindex(prepared.history["unique_id"].unique()).fillna("flat")
    return rules.where(~rules.index.isin(prepared.all_zero), "zero")


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


def _season_cut(history: pd.DataFrame, plan: pd.DataFrame, target: int) -> pd.DataFrame:
    """Each series with the target's season window, without its last season_offset periods (forecasting.windows)."""
    offsets = history["unique_id"].map(plan[f"season_offset_{target}"])
    from_end = history.sort_values(["unique_id", "ds"]).groupby("unique_id").cumcount(ascending=False)
    return history[offsets.notna() & (from_end >= offsets.fillna(0))]


def _backtest(nodes: PreparedHistory, groups: list, plan: pd.DataFrame, run: ForecastOptions) -> pd.DataFrame:
    """Every candidate's forecasts on each series' rolling windows and season window, with the actuals beside them
    and the windows numbered (empty: nothing long enough)."""
    backtests = []
    for _, models, history in groups:
        rolling = history["unique_id"].map(plan["rolling"])
        for count in sorted(rolling[rolling > 0].unique()):
            same = history[rolling == count]
            backtests.append(cross_validate(same, models, run.freq, run.horizon, int(count), run.n_jobs, run.spark))
        for target in SEASON_TARGETS:
            season = _season_cut(history, plan, target)
            season_backtest = cross_validate(season, models, run.freq, run.horizon, 1, run.n_jobs, run.spark)
            backtests.append(season_backtest.assign(is_season_window=True))
    backtests = [b for b in backtests if not b.empty]
    if run.global_model and backtests:
        backtests.append(_global_backtest(nodes, plan, run, pd.concat(backtests)[["unique_id", "cutoff"]]))
    if not backtests:
        return pd.DataFrame()
    scored = pd.concat(backtests, ignore_index=True)
    # Monthly data with a horizon of 12: the season windows are rolling ones already, so none is added.
    season = scored["is_season_window"] if "is_season_window" in scored else pd.Series(False, index=scored.index)
    scored["is_season_window"] = season.astype("boolean").fillna(False).astype(bool)
    return number_windows(with_actuals(scored, nodes.history))


def _global_backtest(nodes, plan: pd.DataFrame, run: ForecastOptions, windows: pd.DataFrame) -> pd.DataFrame:
    """LightGBM on the same windows as the statistical models (one model across series: run over the most windows
    any series has, then cut to each series' own, so no series is scored on weeks the others were not)."""
    modelled = nodes.history[nodes.history["unique_id"].isin(nodes.modelled)]
    count = int(plan.loc[plan.index.isin(nodes.modelled), "rolling"].max())
    pieces = [ml_cross_validate(modelled, run.freq, nodes.season_length, run.horizon, count)]
    for target in SEASON_TARGETS:
        season = _season_cut(modelled, plan, target)
        if not season.empty:
            season_backtest = ml_cross_validate(season, run.freq, nodes.season_length, run.horizon, 1)
            pieces.append(season_backtest.assign(is_season_window=True))
    ml = pd.concat(pieces, ignore_index=True)
    return ml.merge(windows.drop_duplicates(), on=["unique_id", "cutoff"])


def _rule_only(prepared, run: ForecastOptions, nodes, timings: dict, notes: list, started: float) -> ForecastResult:
    """Nothing long enough to backtest: every series gets the stated rule, and the report says so."""
    notes.append(
        f"no series has the {run.min_weeks} {prepared.period}s (two horizons of {run.horizon}) a model is tested "
        f"on: every series is forecast by the {RECENT_MEAN} rule and no accuracy is measured"
    )
    prepared.short, prepared.modelled = [*prepared.short, *prepared.modelled], []
    began = time.perf_counter()
    forecasts = _complete(_simple_forecasts(prepared, run), prepared, run)
    timings["forecast_seconds"] = time.perf_counter() - began
    timings["total_seconds"] = time.perf_counter() - started
    accuracy = pd.DataFrame(columns=[*ACCURACY_COLUMNS, "is_chosen"])
    metrics = pd.DataFrame(columns=["unique_id", "model", "abs_error", "actual", "weeks", "wape", "bias_units",
                                    "mase"])  # fmt: skip
    selection = _selection_table(prepared, classify(prepared.history), pd.Series(dtype=object), "BottomUp")
    report = _report(prepared, run, nodes, "BottomUp", pd.Series(dtype=object), timings, notes)
    forecasts = _own_weekdays(forecasts, prepared.offsets)
    return ForecastResult(forecasts[forecast_columns(run.levels)], selection, metrics, accuracy, report)


def _honest_errors(earlier_choice: pd.DataFrame, scored: pd.DataFrame, hierarchy: tuple, method: str) -> pd.DataFrame:
    """The backtest windows as forecast by the choice made on the windows before each (reconciled by method), with
    actuals; a series' oldest window, chosen on itself, is left out. Intervals calibrated on these errors carry the
    uncertainty of the choice itself, which errors of the model chosen on the same windows hide."""
    summing, tags, _ = hierarchy
    actuals = scored[["unique_id", "cutoff", "ds", "window", "y_observed", "is_censored"]].drop_duplicates(
        ["unique_id", "cutoff", "ds"]
    )
    rows = earlier_choice.merge(actuals, on=["unique_id", "cutoff", "ds"])
    rows = rows[rows["window"] < rows.groupby("unique_id")["window"].transform("max")]
    return _reconciled(rows, summing, tags, method) if not rows.empty else rows


def _own_errors(rows: pd.DataFrame, choice: pd.Series, hierarchy: tuple, method: str) -> pd.DataFrame:
    """The chosen forecast on the windows it was chosen on, reconciled."""
    summing, tags, _ = hierarchy
    return _reconciled(selected_backtest(rows, choice), summing, tags, method)


def _enough(honest: pd.DataFrame, own) -> pd.DataFrame:
    """The honest errors, or, where the history left fewer than MIN_ERRORS of them (every series with one or two
    windows), the chosen forecast's errors on the windows it was chosen on (own(), reconciled only when needed):
    too narrow rather than none."""
    return honest if len(honest) >= MIN_ERRORS else own()


def _held_out_accuracy(scored, windows, segments, scales, hierarchy, attributes, prepared, run, earlier_choice):
    """Models (per segment), ensemble, reconciliation and intervals chosen on the choosing windows, scored on each
    series' latest (window 0): the accuracy and interval coverage by level (the choice marked), the reconciliation
    method chosen, and the honest backtest errors the intervals are calibrated on (_honest_errors)."""
    summing, tags, paths = hierarchy
    choosing = [w for w in windows if w > 0] or windows  # one window only: nothing held out, say so by equality
    with_ensemble, _ = add_ensembles(scored, choosing, segments, scales)
    choice_early = choose_models(with_ensemble, choosing, segments, scales)
    held_out = with_ensemble[with_ensemble["window"] == 0]
    methods = ("BottomUp", "TopDown", "MinTraceOLS") if summing is not None else ("BottomUp",)
    choosing_rows = with_ensemble[with_ensemble["window"].isin(choosing)]
    method = _choose_reconciliation(choosing_rows, choice_early, methods, summing, tags, paths, attributes,
                                    prepared.history)  # fmt: skip
    selected = selected_backtest(held_out, choice_early)
    honest = _honest_errors(earlier_choice, scored, hierarchy, method)
    own = partial(_own_errors, choosing_rows, choice_early, hierarchy, method)
    quantiles = calibrate(_enough(honest[honest["window"] >= 1], own), scales, segments, run.levels)
    held = apply_intervals(_reconciled(selected, summing, tags, method), quantiles, scales, segments, run.levels)
    candidates = [_to_bottom(held_out, paths), _to_bottom(selected.assign(model="Selected"), paths)]
    for other in methods[1:]:
        reconciled = _reconciled(selected, summing, tags, other)
        candidates.append(_to_bottom(reconciled, paths).assign(model=f"Selected+{other}"))
    accuracy = level_accuracy(pd.concat(candidates, ignore_index=True), attributes, prepared.history)
    best = "Selected" if method == "BottomUp" else f"Selected+{method}"
    accuracy["is_chosen"] = accuracy["model"] == best
    return _with_coverage(accuracy, held, paths, run.levels), method, honest


def _with_coverage(accuracy: pd.DataFrame, held: pd.DataFrame, paths, levels) -> pd.DataFrame:
    """coverage_<level> on the chosen rows: the share of held-out actuals inside the interval, per level whose
    series are forecast nodes (product x region is a sum of nodes, with no interval of its own)."""
    depth = held["unique_id"].str.count("/")
    node_levels = {"product_warehouse": depth == 3, "category_region": depth == 2, "total": depth == 0}
    if paths is None:
        node_levels = {"product_warehouse": pd.Series(True, index=held.index)}
    for level in levels:
        figures = {name: coverage(held[rows], level) for name, rows in node_levels.items() if rows.any()}
        accuracy[f"coverage_{level}"] = accuracy["level"].map(figures).where(accuracy["is_chosen"])
    return accuracy


def _chosen_forecasts(nodes, groups, choice, members, run: ForecastOptions, method: str, hierarchy: tuple,
                      prepared, calibration: tuple) -> pd.DataFrame:  # fmt: skip
    """The forecast of every node by its chosen model (the global model fitted only when chosen), reconciled, with
    intervals calibrated on the backtest, back on the bottom series and their own weekdays."""
    summing, tags, paths = hierarchy
    ml_wide = None
    if (choice == "LightGBM").any() or members["model"].eq("LightGBM").any():
        modelled_history = nodes.history[nodes.history["unique_id"].isin(nodes.modelled)]
        ml_wide = ml_forecast(modelled_history, run.freq, nodes.season_length, run.horizon, ())
    pieces = [
        _forecast_group(h, models, choice[choice.index.isin(h["unique_id"].unique())], members, run, ml_wide)
        for _, models, h in groups
        if not h.empty
    ]
    pieces.append(_simple_forecasts(nodes, run))
    forecasts = pd.concat([f for f in pieces if not f.empty], ignore_index=True)
    if method != "BottomUp":
        forecasts = _reconcile_forecasts(forecasts, summing, tags, method)
    quantiles, scales, segments = calibration
    modelled = forecasts["unique_id"].isin(choice.index) & ~forecasts["model"].isin([RECENT_MEAN, "Zero"])
    forecasts = pd.concat([apply_intervals(forecasts[modelled], quantiles, scales, segments, run.levels),
                           forecasts[~modelled]], ignore_index=True)  # fmt: skip
    forecasts = _complete(_to_bottom(forecasts, paths), prepared, run)
    return _own_weekdays(forecasts, prepared.offsets)


def _choose_reconciliation(choosing, choice, methods, summing, tags, paths, attributes, history) -> str:
    """The reconciliation with the least mean scaled error (MASE, as the models are chosen) over the hierarchy's
    levels on the choosing windows (never the held-out one, so the held-out figures stay out of sample): the
    forecast has to serve every level."""
    if len(methods) == 1:
        return methods[0]
    selected = selected_backtest(choosing, choice)
    frames = [_to_bottom(_reconciled(selected, summing, tags, m), paths).assign(model=m) for m in methods]
    accuracy = level_accuracy(pd.concat(frames, ignore_index=True), attributes, history)
    mean_mase = accuracy.groupby("model")["mase"].mean().sort_values()
    log.info("reconciliation on the choosing windows, mean MASE over levels: %s", mean_mase.round(4).to_dict())
    return mean_mase.index[0]


def _report(prepared, run, nodes, method, bottom_choice, timings, notes, rules=None) -> dict:
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


def _reconcile_forecasts(forecasts: pd.DataFrame, summing, tags, method: str) -> pd.DataFrame:
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


def _series_metrics(scored: pd.DataFrame, history: pd.DataFrame, paths) -> pd.DataFrame:
    metrics = series_errors(scored)
    metrics["wape"] = metrics["abs_error"] / metrics["actual"].where(metrics["actual"] > 0)
    errors = scored.assign(error=scored["forecast"] - scored["y_observed"])
    metrics = metrics.merge(errors.groupby(["unique_id", "model"], as_index=False)["error"].sum(), how="left")
    metrics = metrics.merge(series_mase(scored, history), on=["unique_id", "model"], how="left")
    return _to_bottom(metrics.rename(columns={"error": "bias_units"}), paths)


def forecast_columns(levels: tuple[int, ...]) -> list[str]:
    """A result's forecast columns: the point forecast and one interval per configured level (lo_80, hi_80, ...)."""
    return ["unique_id", "ds", "model", "forecast", *[f"{side}_{level}" for level in levels for side in ("lo", "hi")]]


def _selection_table(prepared: PreparedHistory, patterns: pd.Series, choice: pd.Series, method: str,
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

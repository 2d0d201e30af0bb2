"""One forecasting run: prepare, classify, backtest, choose, forecast with intervals, score against baselines."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field, replace

import pandas as pd
from statsforecast import StatsForecast
from statsforecast.utils import ConformalIntervals

from forecasting.accuracy import ACCURACY_COLUMNS, level_accuracy, series_mase
from forecasting.backtest import (
    ENSEMBLE,
    add_ensembles,
    choose_models,
    cross_validate,
    out_of_sample_windows,
    selected_backtest,
    series_errors,
    with_actuals,
)
from forecasting.classify import classify
from forecasting.engines import from_engine, to_engine
from forecasting.global_model import ml_cross_validate, ml_forecast
from forecasting.hierarchy import aggregate_history, hierarchy_paths, reconcile
from forecasting.models import CONTINUOUS_PATTERNS, continuous_models, fallback_model, intermittent_models
from forecasting.prepare import PreparedHistory, prepare_history
from forecasting.simple import MODEL as RECENT_MEAN
from forecasting.simple import recent_mean_forecasts, zero_forecasts

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ForecastOptions:
    horizon: int = 8  # weeks ahead
    n_windows: int = 4  # backtest windows: all but the last choose the model, the last scores the choice
    levels: tuple[int, ...] = (80, 95)
    n_jobs: int = -1
    spark: object | None = None  # a SparkSession: statsforecast runs on Spark through Fugue
    freq: str | None = None  # pandas weekly frequency; inferred from the dates when not given
    global_model: bool = True  # the LightGBM candidate trained across all series (forecasting.global_model)

    @property
    def min_weeks(self) -> int:
        """Shortest history that leaves two horizons of training before the first backtest window."""
        return self.horizon * (self.n_windows + 2)


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


def _groups(prepared: PreparedHistory, patterns: pd.Series) -> list[tuple[str, list, pd.DataFrame]]:
    modelled = prepared.history[prepared.history["unique_id"].isin(prepared.modelled)]
    continuous = patterns[patterns.isin(CONTINUOUS_PATTERNS)].index
    season = prepared.season_length
    return [
        ("continuous", continuous_models(season), modelled[modelled["unique_id"].isin(continuous)]),
        ("intermittent", intermittent_models(season), modelled[~modelled["unique_id"].isin(continuous)]),
    ]


def _segments(patterns: pd.Series, ids) -> pd.Series:
    """unique_id -> segment the model is chosen for: its demand pattern, or its level for an aggregate node."""
    segments = patterns.reindex(list(ids)).fillna("zero")
    depth = segments.index.to_series().str.count("/")
    is_aggregate = segments.index.str.contains("/") & (depth < 3)
    return segments.where(~is_aggregate, "level_" + depth.astype(str))


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
    # Only the models some series uses are fitted: each model (its conformal intervals and fallback included)
    # is fitted on its own, so leaving the others out changes no number and saves most of the stage's final fits.
    needed = needed_models(choice, members)
    models = [model for model in models if repr(model) in needed]
    if models:
        engine = StatsForecast(models=models, freq=options.freq, n_jobs=options.n_jobs,
                               fallback_model=fallback_model())  # fmt: skip
        wide = engine.forecast(
            df=to_engine(history[["unique_id", "ds", "y"]], options.spark),
            h=options.horizon,
            level=list(options.levels),
            prediction_intervals=ConformalIntervals(h=options.horizon, n_windows=2),
        )
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
        # The ensemble's point and bounds are the means of its members' (a conservative pooling of intervals).
        member_frames = [
            _interval_columns(rows[rows["unique_id"].isin(m_ids)], m, options.levels)
            for m, m_ids in members[members["unique_id"].isin(ids)].groupby("model")["unique_id"]
            if m in rows
        ]
        if member_frames:
            pooled = pd.concat(member_frames).groupby(["unique_id", "ds"], as_index=False).mean(numeric_only=True)
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
    segments = _segments(patterns, nodes.modelled)
    timings["prepare_seconds"] = time.perf_counter() - started
    log.info(
        "forecast: %d series modelled, %d short, %d all zero, %d rejected (%s); %d nodes with the hierarchy",
        len(prepared.modelled), len(prepared.short), len(prepared.all_zero), len(prepared.rejected), prepared.freq,
        nodes.history["unique_id"].nunique(),
    )  # fmt: skip

    began = time.perf_counter()
    groups = _groups(nodes, patterns)
    scored = _backtest(nodes, groups, run)
    timings["backtest_seconds"] = time.perf_counter() - began
    notes = list(prepared.notes)
    if scored.empty:
        return _rule_only(prepared, run, nodes, timings, notes, started)

    cutoffs = sorted(scored["cutoff"].unique())
    accuracy, method = _held_out_accuracy(scored, cutoffs, segments, summing, tags, paths, attributes, prepared)
    kept = _to_bottom(out_of_sample_windows(scored, segments), paths)  # for the optimiser's replay
    final_scored, members = add_ensembles(scored, cutoffs, segments)
    choice = choose_models(final_scored, cutoffs, segments)
    metrics = _series_metrics(final_scored, nodes.history, paths)

    began = time.perf_counter()
    forecasts = _chosen_forecasts(nodes, groups, choice, members, run, method, (summing, tags, paths), prepared)
    timings["forecast_seconds"] = time.perf_counter() - began
    timings["total_seconds"] = time.perf_counter() - started

    bottom_choice = _to_bottom(choice.rename("model").reset_index(), paths).set_index("unique_id")["model"]
    selection = _selection_table(prepared, classify(prepared.history), bottom_choice, method)
    report = _report(prepared, run, nodes, method, bottom_choice, timings, notes)
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


def _backtest(nodes: PreparedHistory, groups: list, run: ForecastOptions) -> pd.DataFrame:
    """Every candidate's rolling-window forecasts with the actuals beside them (empty: nothing long enough)."""
    backtests = [
        cross_validate(h, models, run.freq, run.horizon, run.n_windows, run.n_jobs, run.spark)
        for _, models, h in groups
    ]
    if run.global_model:
        modelled_history = nodes.history[nodes.history["unique_id"].isin(nodes.modelled)]
        backtests.append(ml_cross_validate(modelled_history, run.freq, nodes.season_length, run.horizon, run.n_windows))
    backtests = [b for b in backtests if not b.empty]
    return with_actuals(pd.concat(backtests, ignore_index=True), nodes.history) if backtests else pd.DataFrame()


def _rule_only(prepared, run: ForecastOptions, nodes, timings: dict, notes: list, started: float) -> ForecastResult:
    """Nothing long enough to backtest: every series gets the stated rule, and the report says so."""
    notes.append(
        f"no series has the {run.min_weeks} {prepared.period}s a {run.n_windows}-window backtest of "
        f"{run.horizon} needs: every series is forecast by the {RECENT_MEAN} rule and no accuracy is measured"
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


def _held_out_accuracy(scored, cutoffs, segments, summing, tags, paths, attributes, prepared) -> tuple:
    """Models (per segment), ensemble and reconciliation chosen on the earlier windows, scored on the last: the
    accuracy by level (the choice marked) and the reconciliation method chosen."""
    choosing, holdout = cutoffs[:-1], cutoffs[-1:]
    with_ensemble, _ = add_ensembles(scored, choosing, segments)
    choice_early = choose_models(with_ensemble, choosing, segments)
    held_out = with_ensemble[with_ensemble["cutoff"].isin(holdout)]
    methods = ("BottomUp", "TopDown", "MinTraceOLS") if summing is not None else ("BottomUp",)
    method = _choose_reconciliation(with_ensemble[with_ensemble["cutoff"].isin(choosing)], choice_early, methods,
                                    summing, tags, paths, attributes)  # fmt: skip
    selected = selected_backtest(held_out, choice_early)
    candidates = [_to_bottom(held_out, paths), _to_bottom(selected.assign(model="Selected"), paths)]
    for other in methods[1:]:
        reconciled = _reconciled(selected, summing, tags, other)
        candidates.append(_to_bottom(reconciled, paths).assign(model=f"Selected+{other}"))
    accuracy = level_accuracy(pd.concat(candidates, ignore_index=True), attributes, prepared.history)
    best = "Selected" if method == "BottomUp" else f"Selected+{method}"
    accuracy["is_chosen"] = accuracy["model"] == best
    return accuracy, method


def _chosen_forecasts(nodes, groups, choice, members, run: ForecastOptions, method: str, hierarchy: tuple,
                      prepared) -> pd.DataFrame:  # fmt: skip
    """The forecast of every node by its chosen model (the global model fitted only when chosen), reconciled,
    back on the bottom series and their own weekdays."""
    summing, tags, paths = hierarchy
    ml_wide = None
    if (choice == "LightGBM").any() or members["model"].eq("LightGBM").any():
        modelled_history = nodes.history[nodes.history["unique_id"].isin(nodes.modelled)]
        ml_wide = ml_forecast(modelled_history, run.freq, nodes.season_length, run.horizon, run.levels)
    pieces = [
        _forecast_group(h, models, choice[choice.index.isin(h["unique_id"].unique())], members, run, ml_wide)
        for _, models, h in groups
        if not h.empty
    ]
    pieces.append(_simple_forecasts(nodes, run))
    forecasts = pd.concat([f for f in pieces if not f.empty], ignore_index=True)
    if method != "BottomUp":
        forecasts = _reconcile_forecasts(forecasts, summing, tags, method)
    forecasts = _complete(_to_bottom(forecasts, paths), prepared, run)
    return _own_weekdays(forecasts, prepared.offsets)


def _choose_reconciliation(choosing, choice, methods, summing, tags, paths, attributes) -> str:
    """The reconciliation with the best mean accuracy over the hierarchy's levels on the choosing windows (never the
    held-out one, so the held-out figures stay out of sample): the forecast has to serve every level."""
    if len(methods) == 1:
        return methods[0]
    selected = selected_backtest(choosing, choice)
    frames = [_to_bottom(_reconciled(selected, summing, tags, m), paths).assign(model=m) for m in methods]
    accuracy = level_accuracy(pd.concat(frames, ignore_index=True), attributes)
    mean_accuracy = accuracy.groupby("model")["accuracy"].mean().sort_values(ascending=False)
    log.info("reconciliation on the choosing windows, mean 1 - WAPE over levels: %s", mean_accuracy.round(4).to_dict())
    return mean_accuracy.index[0]


def _report(prepared, run, nodes, method, bottom_choice, timings, notes) -> dict:
    return {
        "freq": prepared.freq,
        "horizon": run.horizon,
        "backtest_windows": run.n_windows,
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


def _selection_table(prepared: PreparedHistory, patterns: pd.Series, choice: pd.Series, method: str) -> pd.DataFrame:
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
            }
        )
    for uid, message in prepared.rejected.items():
        rows.append({"unique_id": uid, "demand_pattern": None, "treatment": "rejected", "model": None,
                     "history_weeks": 0, "message": message})  # fmt: skip
    return pd.DataFrame(rows)

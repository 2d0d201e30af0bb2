"""One forecasting run: prepare, classify, backtest, choose, forecast with intervals, score against baselines."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field, replace

import pandas as pd
from statsforecast import StatsForecast
from statsforecast.models import Naive
from statsforecast.utils import ConformalIntervals

from forecasting.accuracy import level_accuracy, series_mase
from forecasting.backtest import (
    ENSEMBLE,
    add_ensembles,
    choose_models,
    cross_validate,
    selected_backtest,
    series_errors,
    with_actuals,
)
from forecasting.classify import classify
from forecasting.engines import from_engine, to_engine
from forecasting.hierarchy import aggregate_history, hierarchy_paths, reconcile
from forecasting.models import CONTINUOUS_PATTERNS, continuous_models, fallback_model, intermittent_models
from forecasting.prepare import PreparedHistory, prepare_history

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ForecastOptions:
    horizon: int = 8  # weeks ahead
    n_windows: int = 4  # backtest windows: all but the last choose the model, the last scores the choice
    levels: tuple[int, ...] = (80, 95)
    n_jobs: int = -1
    spark: object | None = None  # a SparkSession: statsforecast runs on Spark through Fugue
    freq: str | None = None  # pandas weekly frequency; inferred from the dates when not given

    @property
    def min_weeks(self) -> int:
        """Shortest history that leaves two horizons of training before the first backtest window."""
        return self.horizon * (self.n_windows + 2)


@dataclass
class ForecastResult:
    forecasts: pd.DataFrame  # unique_id, ds, model, forecast, lo_80, hi_80, lo_95, hi_95
    selection: pd.DataFrame  # unique_id, demand_pattern, treatment, model, history_weeks
    backtest_metrics: pd.DataFrame  # unique_id, model, abs_error, actual, weeks, wape, bias, mase
    accuracy: pd.DataFrame  # level, model, series, wape, accuracy, bias (held-out window)
    report: dict = field(default_factory=dict)


def _groups(prepared: PreparedHistory, patterns: pd.Series) -> list[tuple[str, list, pd.DataFrame]]:
    modelled = prepared.history[prepared.history["unique_id"].isin(prepared.modelled)]
    continuous = patterns[patterns.isin(CONTINUOUS_PATTERNS)].index
    return [
        ("continuous", continuous_models(), modelled[modelled["unique_id"].isin(continuous)]),
        ("intermittent", intermittent_models(), modelled[~modelled["unique_id"].isin(continuous)]),
    ]


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


def _forecast_group(history, models, choice, members, options) -> pd.DataFrame:
    engine = StatsForecast(models=models, freq=options.freq, n_jobs=options.n_jobs, fallback_model=fallback_model())
    wide = engine.forecast(
        df=to_engine(history[["unique_id", "ds", "y"]], options.spark),
        h=options.horizon,
        level=list(options.levels),
        prediction_intervals=ConformalIntervals(h=options.horizon, n_windows=2),
    )
    wide = from_engine(wide)
    pieces = []
    for model, ids in choice.groupby(choice).groups.items():
        rows = wide[wide["unique_id"].isin(ids)]
        if model != ENSEMBLE:
            pieces.append(_interval_columns(rows, model, options.levels))
            continue
        # The ensemble's point and bounds are the means of its members' (a conservative pooling of intervals).
        member_frames = [
            _interval_columns(rows[rows["unique_id"].isin(m_ids)], m, options.levels)
            for m, m_ids in members[members["unique_id"].isin(ids)].groupby("model")["unique_id"]
        ]
        pooled = pd.concat(member_frames).groupby(["unique_id", "ds"], as_index=False).mean(numeric_only=True)
        pieces.append(pooled.assign(model=ENSEMBLE))
    return pd.concat(pieces, ignore_index=True) if pieces else pd.DataFrame()


def _simple_forecasts(prepared: PreparedHistory, options) -> pd.DataFrame:
    """Short series: the fallback model with Naive's intervals; all-zero series: zero, no interval."""
    pieces = []
    short = prepared.history[prepared.history["unique_id"].isin(prepared.short)]
    if not short.empty:
        engine = StatsForecast(models=[fallback_model(), Naive()], freq=options.freq, n_jobs=1)
        wide = engine.forecast(df=short[["unique_id", "ds", "y"]], h=options.horizon, level=list(options.levels))
        point = wide[["unique_id", "ds", "WindowAverage4"]].rename(columns={"WindowAverage4": "forecast"})
        spread = _interval_columns(wide, "Naive", options.levels)
        for level in options.levels:
            half = (spread[f"hi_{level}"] - spread[f"lo_{level}"]) / 2
            point[f"lo_{level}"] = point["forecast"] - half.to_numpy()
            point[f"hi_{level}"] = point["forecast"] + half.to_numpy()
        pieces.append(point.assign(model="WindowAverage4"))
    if prepared.all_zero:
        last = prepared.history[prepared.history["unique_id"].isin(prepared.all_zero)].groupby("unique_id")["ds"].max()
        for uid, end in last.items():
            weeks = pd.date_range(end, periods=options.horizon + 1, freq=options.freq)[1:]
            zero = pd.DataFrame({"unique_id": uid, "ds": weeks, "forecast": 0.0, "model": "Zero"})
            for level in options.levels:
                zero[f"lo_{level}"] = 0.0
                zero[f"hi_{level}"] = 0.0
            pieces.append(zero)
    return pd.concat(pieces, ignore_index=True) if pieces else pd.DataFrame()


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
    """frame: unique_id, ds, y (+ is_censored); attributes: unique_id -> product_id, region_code, category."""
    options = options or ForecastOptions()
    timings = {}
    started = time.perf_counter()
    prepared = prepare_history(frame, options.min_weeks, freq=options.freq)
    if attributes is not None:
        attributes = attributes[attributes["unique_id"].isin(prepared.history["unique_id"].unique())]
    run = replace(options, freq=prepared.freq)
    nodes, summing, tags, paths = _node_history(prepared, attributes, run)
    patterns = classify(nodes.history)
    timings["prepare_seconds"] = time.perf_counter() - started
    log.info(
        "forecast: %d series modelled, %d short, %d all zero, %d rejected (%s); %d nodes with the hierarchy",
        len(prepared.modelled), len(prepared.short), len(prepared.all_zero), len(prepared.rejected), prepared.freq,
        nodes.history["unique_id"].nunique(),
    )  # fmt: skip

    began = time.perf_counter()
    groups = _groups(nodes, patterns)
    backtests = [
        cross_validate(h, models, run.freq, run.horizon, run.n_windows, run.n_jobs, run.spark)
        for _, models, h in groups
    ]
    scored = with_actuals(pd.concat(backtests, ignore_index=True), nodes.history)
    timings["backtest_seconds"] = time.perf_counter() - began

    if scored.empty:
        raise ValueError(
            f"no series has the {run.min_weeks} weeks a {run.n_windows}-window backtest of {run.horizon} weeks needs; "
            "shorten --horizon or --windows"
        )
    # Choose on the earlier windows, score on the last: models, ensemble, and how to reconcile.
    cutoffs = sorted(scored["cutoff"].unique())
    choosing, holdout = cutoffs[:-1], cutoffs[-1:]
    with_ensemble, _ = add_ensembles(scored, choosing)
    held_out = with_ensemble[with_ensemble["cutoff"].isin(holdout)]
    selected = selected_backtest(held_out, choose_models(with_ensemble, choosing))
    candidates = [_to_bottom(held_out, paths), _to_bottom(selected.assign(model="Selected"), paths)]
    methods = ("BottomUp", "TopDown", "MinTraceOLS") if summing is not None else ("BottomUp",)
    for method in methods[1:]:
        reconciled = _reconciled(selected, summing, tags, method)
        candidates.append(_to_bottom(reconciled, paths).assign(model=f"Selected+{method}"))
    accuracy = level_accuracy(pd.concat(candidates, ignore_index=True), attributes)
    target_level = "product_region" if attributes is not None else "product_warehouse"
    ranked = accuracy[(accuracy["level"] == target_level) & accuracy["model"].str.startswith("Selected")]
    best = ranked.sort_values("accuracy", ascending=False)["model"].iloc[0]
    method = best.split("+")[1] if "+" in best else "BottomUp"
    accuracy["is_chosen"] = accuracy["model"] == best

    final_scored, members = add_ensembles(scored, cutoffs)
    choice = choose_models(final_scored, cutoffs)
    metrics = _series_metrics(final_scored, nodes.history, paths)

    began = time.perf_counter()
    pieces = [
        _forecast_group(h, models, choice[choice.index.isin(h["unique_id"].unique())], members, run)
        for _, models, h in groups
        if not h.empty
    ]
    pieces.append(_simple_forecasts(nodes, run))
    forecasts = pd.concat([f for f in pieces if not f.empty], ignore_index=True)
    if method != "BottomUp":
        forecasts = _reconcile_forecasts(forecasts, summing, tags, method)
    forecasts = _to_bottom(forecasts, paths)
    bounds = [c for c in forecasts if c.startswith(("lo_", "hi_"))]
    forecasts[["forecast", *bounds]] = forecasts[["forecast", *bounds]].clip(lower=0)
    timings["forecast_seconds"] = time.perf_counter() - began
    timings["total_seconds"] = time.perf_counter() - started

    bottom_choice = _to_bottom(choice.rename("model").reset_index(), paths).set_index("unique_id")["model"]
    selection = _selection_table(prepared, classify(prepared.history), bottom_choice, method)
    report = {
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
        "rejected": prepared.rejected,
        "chosen_models": bottom_choice.value_counts().to_dict(),
        "timings": {k: round(v, 2) for k, v in timings.items()},
    }
    return ForecastResult(forecasts[_FORECAST_COLUMNS], selection, metrics, accuracy, report)


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


_FORECAST_COLUMNS = ["unique_id", "ds", "model", "forecast", "lo_80", "hi_80", "lo_95", "hi_95"]


def _selection_table(prepared: PreparedHistory, patterns: pd.Series, choice: pd.Series, method: str) -> pd.DataFrame:
    weeks = prepared.history.groupby("unique_id").size()
    rows = []
    for uid in weeks.index:
        if uid in prepared.short:
            treatment, model = "short_history", "WindowAverage4"
        elif uid in prepared.all_zero:
            treatment, model = "all_zero", "Zero"
        else:
            treatment, model = "backtested", choice.get(uid, "WindowAverage4")
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

"""The forecast itself: every node by its chosen model (or ensemble), reconciled, with calibrated intervals, completed
by the recent-mean rule where a model left a series without, on each series' own weekday."""

from __future__ import annotations

import logging

import pandas as pd
from statsforecast import StatsForecast

from forecasting.anchor import ANCHORED
from forecasting.backtest import COMBINATIONS, combine
from forecasting.contract import ForecastOptions
from forecasting.engines import from_engine, to_engine
from forecasting.global_model import ml_forecast
from forecasting.intervals import apply_intervals
from forecasting.models import fallback_model
from forecasting.prepare import PreparedHistory
from forecasting.reconciliation import reconcile_forecasts, to_bottom
from forecasting.simple import MODEL as RECENT_MEAN
from forecasting.simple import recent_mean_forecasts, zero_forecasts

log = logging.getLogger(__name__)
COMBINED = (*COMBINATIONS, ANCHORED)  # choices forecast as a weighted mean of their members


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
    """The models the final forecast needs: each series' chosen one and, where a combination is chosen, its members
    (members: unique_id, model, weight, combination)."""
    needed = set(choice[~choice.isin(COMBINED)])
    for name in COMBINED:
        ids = choice.index[choice == name]
        mine = members[(members["combination"] == name) & members["unique_id"].isin(ids)]
        needed |= set(mine["model"])
    return needed


def forecast_group(history, models, choice, members, options, ml_wide=None) -> pd.DataFrame:
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
        if model not in COMBINED and model not in rows:
            continue  # a candidate that failed to forecast: complete gives these series the recent-mean rule
        if model not in COMBINED:
            pieces.append(_interval_columns(rows, model, options.levels))
            continue
        # A combination's point is its members' weighted mean, with the weights of the backtest (add_ensembles;
        # equal ones for Comb).
        mine = members[members["combination"] == model]
        member_frames = [
            _interval_columns(rows[rows["unique_id"].isin(m_rows["unique_id"])], m, options.levels).merge(
                m_rows[["unique_id", "weight"]], on="unique_id"
            )
            for m, m_rows in mine[mine["unique_id"].isin(ids)].groupby("model")
            if m in rows
        ]
        if member_frames:
            pooled = combine(pd.concat(member_frames), ["unique_id", "ds"])
            pieces.append(pooled.assign(model=model))
    return pd.concat(pieces, ignore_index=True) if pieces else pd.DataFrame()


def simple_forecasts(prepared: PreparedHistory, options, ids=None) -> pd.DataFrame:
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


def complete(forecasts: pd.DataFrame, prepared: PreparedHistory, options) -> pd.DataFrame:
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
            [forecasts[~forecasts["unique_id"].isin(lacking)], simple_forecasts(prepared, options, lacking)],
            ignore_index=True,
        )
    forecasts[numbers] = forecasts[numbers].clip(lower=0)
    for level in options.levels:
        forecasts[f"lo_{level}"] = forecasts[[f"lo_{level}", "forecast"]].min(axis=1)
        forecasts[f"hi_{level}"] = forecasts[[f"hi_{level}", "forecast"]].max(axis=1)
    return forecasts


def own_weekdays(forecasts: pd.DataFrame, offsets: dict[str, int]) -> pd.DataFrame:
    """Series labelled on another weekday get their forecast weeks labelled on that weekday again."""
    if not offsets:
        return forecasts
    shift = pd.to_timedelta(forecasts["unique_id"].map(offsets).fillna(0), unit="D")
    return forecasts.assign(ds=forecasts["ds"] + shift)


def chosen_forecasts(nodes, groups, choice, members, run: ForecastOptions, method: str, hierarchy: tuple,
                     prepared, calibration: tuple) -> pd.DataFrame:  # fmt: skip
    """The forecast of every node by its chosen model (the global model fitted only when chosen), reconciled, with
    intervals calibrated on the backtest, back on the bottom series and their own weekdays."""
    summing, tags, paths = hierarchy
    ml_wide = None
    if (choice == "LightGBM").any() or members["model"].eq("LightGBM").any():
        modelled_history = nodes.history[nodes.history["unique_id"].isin(nodes.modelled)]
        ml_wide = ml_forecast(modelled_history, run.freq, nodes.season_length, run.horizon, ())
    pieces = [
        forecast_group(h, models, choice[choice.index.isin(h["unique_id"].unique())], members, run, ml_wide)
        for _, models, h in groups
        if not h.empty
    ]
    pieces.append(simple_forecasts(nodes, run))
    forecasts = pd.concat([f for f in pieces if not f.empty], ignore_index=True)
    if method != "BottomUp":
        forecasts = reconcile_forecasts(forecasts, summing, tags, method)
    quantiles, scales, segments = calibration
    modelled = forecasts["unique_id"].isin(choice.index) & ~forecasts["model"].isin([RECENT_MEAN, "Zero"])
    forecasts = pd.concat([apply_intervals(forecasts[modelled], quantiles, scales, segments, run.levels),
                           forecasts[~modelled]], ignore_index=True)  # fmt: skip
    forecasts = complete(to_bottom(forecasts, paths), prepared, run)
    return own_weekdays(forecasts, prepared.offsets)

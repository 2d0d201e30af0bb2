"""Rolling-origin backtests per model group, and the choice of model per segment of series.

The last backtest window is held out of the choice: models are chosen on the earlier windows and scored on the
last one, so the accuracy reported for "Selected" is what selection achieves on weeks it did not see. The final
choice for the forecast then uses every window.
"""

from __future__ import annotations

import pandas as pd
from statsforecast import StatsForecast

from forecasting.engines import from_engine, to_engine
from forecasting.models import fallback_model

ENSEMBLE = "Ensemble"
ENSEMBLE_SIZE = 3
KEYS = ["unique_id", "ds", "cutoff"]


def cross_validate(
    history: pd.DataFrame, models: list, freq: str, h: int, n_windows: int, n_jobs: int, spark=None
) -> pd.DataFrame:
    """Backtest forecasts in long form: unique_id, ds, cutoff, model, forecast (on Spark when given one)."""
    if history.empty:
        return pd.DataFrame(columns=[*KEYS, "model", "forecast"])
    engine = StatsForecast(models=models, freq=freq, n_jobs=n_jobs, fallback_model=fallback_model())
    data = to_engine(history[["unique_id", "ds", "y"]], spark)
    wide = from_engine(engine.cross_validation(df=data, h=h, step_size=h, n_windows=n_windows))
    wide = wide.drop(columns=["y"])
    long = wide.melt(id_vars=KEYS, var_name="model", value_name="forecast")
    long["forecast"] = long["forecast"].clip(lower=0)
    return long.dropna(subset=["forecast"])  # a model that cannot forecast a week is not scored on it


def with_actuals(backtest: pd.DataFrame, history: pd.DataFrame) -> pd.DataFrame:
    """Joins observed sales and the censoring flag; censored weeks stay in but are marked for exclusion."""
    actuals = history[["unique_id", "ds", "y_observed", "is_censored"]]
    return backtest.merge(actuals, on=["unique_id", "ds"], how="left")


def _segment_errors(scored: pd.DataFrame, cutoffs: list, segments: pd.Series) -> pd.DataFrame:
    """Absolute error and actuals per segment and model on the given windows.

    The baselines are candidates too: where last year's same weeks forecast an aggregate best (the yearly peak at
    the total), choosing them is what a planner would do; they still have to win on the earlier windows."""
    errors = series_errors(scored[scored["cutoff"].isin(cutoffs)])
    errors["segment"] = errors["unique_id"].map(segments)
    totals = errors.groupby(["segment", "model"], as_index=False)[["abs_error", "actual", "weeks"]].sum()
    # A model that could not forecast some weeks (too little history for its season) has fewer scored weeks and
    # would look better for it: only models that forecast every week of the segment compete.
    complete = totals["weeks"] == totals.groupby("segment")["weeks"].transform("max")
    return totals[complete]


def _per_series(table: pd.DataFrame, segments: pd.Series) -> pd.DataFrame:
    """A per-segment table (segment, model) spread to every series of the segment (unique_id, model)."""
    series = segments.rename("segment").rename_axis("unique_id").reset_index()
    return series.merge(table, on="segment")[["unique_id", "model"]]


def add_ensembles(scored: pd.DataFrame, cutoffs: list, segments: pd.Series) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Adds, per series, the mean of its segment's ENSEMBLE_SIZE best models on the given windows.

    Members are ranked over the whole segment (series of one demand pattern, or one aggregate level): one series'
    few backtest weeks rank models mostly by noise, a segment's many weeks by skill.
    """
    errors = _segment_errors(scored, cutoffs, segments).sort_values(["segment", "abs_error", "model"])
    members = _per_series(errors.groupby("segment").head(ENSEMBLE_SIZE), segments)
    pooled = scored.merge(members, on=["unique_id", "model"])
    ensemble = pooled.groupby(KEYS, as_index=False).agg(
        forecast=("forecast", "mean"), y_observed=("y_observed", "first"), is_censored=("is_censored", "first")
    )
    ensemble["model"] = ENSEMBLE
    return pd.concat([scored, ensemble[scored.columns]], ignore_index=True), members


def series_errors(scored: pd.DataFrame) -> pd.DataFrame:
    """Absolute error and actuals per series and model over uncensored weeks."""
    usable = scored[~scored["is_censored"].fillna(False).astype(bool)]
    usable = usable.assign(abs_error=(usable["forecast"] - usable["y_observed"]).abs())
    return usable.groupby(["unique_id", "model"], as_index=False).agg(
        abs_error=("abs_error", "sum"), actual=("y_observed", "sum"), weeks=("ds", "count")
    )


def choose_models(scored: pd.DataFrame, cutoffs: list, segments: pd.Series) -> pd.Series:
    """unique_id -> its segment's model (ensemble included) with the least absolute error."""
    errors = _segment_errors(scored, cutoffs, segments)
    # Ties go to the ensemble, then alphabetical, so the choice is deterministic.
    errors["tie_break"] = (errors["model"] != ENSEMBLE).astype(int)
    best = errors.sort_values(["segment", "abs_error", "tie_break", "model"]).groupby("segment").head(1)
    return _per_series(best, segments).set_index("unique_id")["model"]


def selected_backtest(scored: pd.DataFrame, choice: pd.Series, name: str = "Selected") -> pd.DataFrame:
    """The rows of each series' chosen model, relabelled as one model."""
    picked = scored.merge(choice.rename("model").reset_index(), on=["unique_id", "model"])
    return picked.assign(model=name)


def out_of_sample_windows(scored: pd.DataFrame, segments: pd.Series) -> pd.DataFrame:
    """Every backtest window's forecast by the models (ensembles included) chosen on the windows before it, so a
    window replayed later never chose its own model; the first window, with none before it, is chosen on itself
    (it is kept only to measure the next window's error). unique_id, cutoff, ds, forecast."""
    cutoffs = sorted(scored["cutoff"].unique())
    pieces = []
    for k, cutoff in enumerate(cutoffs):
        before = cutoffs[: max(k, 1)]
        ensembles, _ = add_ensembles(scored, before, segments)
        window = ensembles[ensembles["cutoff"] == cutoff]
        pieces.append(selected_backtest(window, choose_models(ensembles, before, segments)))
    return pd.concat(pieces, ignore_index=True)[["unique_id", "cutoff", "ds", "forecast"]]

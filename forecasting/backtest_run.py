"""Every candidate's backtest over each series' rolling and season windows (forecasting.windows), the global
model's on the same windows, with actuals beside them."""

from __future__ import annotations

import pandas as pd

from forecasting.backtest import add_comb, cross_validate, number_windows, with_actuals
from forecasting.contract import ForecastOptions
from forecasting.global_model import ml_cross_validate
from forecasting.prepare import PreparedHistory
from forecasting.windows import SEASON_TARGETS


def rolling_only(frame: pd.DataFrame, season_windows: pd.DataFrame) -> pd.DataFrame:
    marked = frame.merge(season_windows.assign(is_season=True), on=["unique_id", "cutoff"], how="left")
    return frame[marked["is_season"].isna().to_numpy()]


def _season_cut(history: pd.DataFrame, plan: pd.DataFrame, target: int) -> pd.DataFrame:
    """Each series with the target's season window, without its last season_offset periods (forecasting.windows)."""
    offsets = history["unique_id"].map(plan[f"season_offset_{target}"])
    from_end = history.sort_values(["unique_id", "ds"]).groupby("unique_id").cumcount(ascending=False)
    return history[offsets.notna() & (from_end >= offsets.fillna(0))]


def run_backtests(nodes: PreparedHistory, groups: list, plan: pd.DataFrame, run: ForecastOptions) -> pd.DataFrame:
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
    return add_comb(number_windows(with_actuals(scored, nodes.history)))


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

"""Which rule a series gets from its length, and the backtest windows its history allows.

Rules, by history length n (periods), horizon h and season S (52 weeks, 12 months):
- seasonal: n >= 2 S  -> level, trend and yearly-season models (a season is estimated from two seasons on);
- trend:    2 h <= n < 2 S -> level and trend models only (ETS, damped trend, Theta, ARIMA, recent means);
- flat:     n < 2 h -> the recent-mean rule (forecasting.simple): too short to test any model on.

Windows: every modelled series is backtested on as many rolling windows of h periods (step h, the last ending at its
last period) as leave at least h periods to fit on, up to max_windows; plus, when its history reaches that far, one
*season window* ending S - h periods before its end: the same weeks one season before the weeks to forecast, so the
choice has seen a peak like the one it must cross (a November-December forecast is chosen on last November-December).
The latest rolling window is held out of every choice; all the others choose.
"""

from __future__ import annotations

import pandas as pd

SEASONAL, TREND, FLAT = "seasonal", "trend", "flat"


def history_rule(length: int, horizon: int, season: int) -> str:
    if length >= 2 * season and length >= 2 * horizon:
        return SEASONAL
    if length >= 2 * horizon:
        return TREND
    return FLAT


def rolling_windows(length: int, horizon: int, max_windows: int) -> int:
    """Rolling windows of `horizon` that leave at least `horizon` periods of history before the first."""
    return max(0, min(max_windows, (length - horizon) // horizon))


def season_window_offset(length: int, horizon: int, season: int, rolling: int) -> int | None:
    """Periods cut from the end so that one window of `horizon` ends S - h periods before the series' end (its cutoff
    is S periods before the end), or None: already a rolling window, or too little history before it."""
    offset = season - horizon
    if offset <= 0 or (offset % horizon == 0 and offset // horizon < rolling):
        return None
    if length - offset - horizon < horizon:
        return None
    return offset


def window_plan(lengths: pd.Series, horizon: int, season: int, max_windows: int) -> pd.DataFrame:
    """unique_id -> rule, rolling (windows), season_offset (periods cut for the season window, or NA)."""
    plan = pd.DataFrame({"length": lengths})
    plan["rule"] = [history_rule(n, horizon, season) for n in plan["length"]]
    plan["rolling"] = [rolling_windows(n, horizon, max_windows) for n in plan["length"]]
    plan["season_offset"] = [
        season_window_offset(n, horizon, season, r) for n, r in zip(plan["length"], plan["rolling"], strict=True)
    ]
    plan["season_offset"] = plan["season_offset"].astype("Int64")
    return plan

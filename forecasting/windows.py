"""Which rule a series gets from its length, and the backtest windows its history allows.

Rules, by history length n (periods), horizon h and season S (52 weeks, 12 months):
- seasonal: n >= 2 S  -> level, trend and yearly-season models (a season is estimated from two seasons on);
- trend:    2 h <= n < 2 S -> level and trend models only (ETS, damped trend, Theta, ARIMA, recent means);
- flat:     n < 2 h -> the recent-mean rule (forecasting.simple): too short to test any model on.

Windows: every modelled series is backtested on as many rolling windows of h periods (step h, the last ending at its
last period) as leave at least h periods to fit on, up to max_windows; plus, where its history reaches that far, two
*season windows*: the same weeks one season before the weeks to forecast (cutoff S periods before the end), and the
same weeks one season before the held-out window (cutoff S + h before the end). A choice is always made on windows
that hold the season of the weeks it is for: a November-December forecast is chosen on last November-December, and so
is the held-out window's choice that measures it. The latest rolling window is held out of that measuring choice.
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


SEASON_TARGETS = (0, 1)  # season windows for the forecast (0 periods of horizon back) and for the held-out window (1)


def season_window_offset(length: int, horizon: int, season: int, rolling: int, target: int = 0) -> int | None:
    """Periods cut from the end so that one window of `horizon` has its cutoff S + target x h periods before the
    series' end (one season before the target window), or None: already a rolling window, or too little history
    before it to fit on."""
    back = season + target * horizon  # the cutoff, in periods before the end
    offset = back - horizon
    if offset <= 0 or (back % horizon == 0 and back // horizon <= rolling):
        return None
    if length - back < horizon:
        return None
    return offset


def window_plan(lengths: pd.Series, horizon: int, season: int, max_windows: int) -> pd.DataFrame:
    """unique_id -> rule, rolling (windows), season_offset_<target> (periods cut for each season window, or NA)."""
    plan = pd.DataFrame({"length": lengths})
    plan["rule"] = [history_rule(n, horizon, season) for n in plan["length"]]
    plan["rolling"] = [rolling_windows(n, horizon, max_windows) for n in plan["length"]]
    for target in SEASON_TARGETS:
        offsets = [season_window_offset(n, horizon, season, r, target)
                   for n, r in zip(plan["length"], plan["rolling"], strict=True)]  # fmt: skip
        plan[f"season_offset_{target}"] = pd.array(offsets, dtype="Int64")
    return plan

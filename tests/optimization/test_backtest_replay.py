"""The per-run replay plans the held-out weeks with the forecast stage's own last backtest window: forecasts made
before the weeks they plan, spread measured on the earlier windows only."""

from __future__ import annotations

import pandas as pd
import pytest

from optimization.backtest_replay import (
    NoBacktestForecasts,
    earlier_error,
    replay_forecasts,
    weekly_relevelled,
    windows_for,
)
from optimization.holdout import HoldoutOptions

WEEKS = pd.date_range("2025-01-06", periods=12, freq="W-MON")
ATTRIBUTES = pd.DataFrame([{"unique_id": "P1|W1", "product_id": "P1", "warehouse_id": "W1", "region_code": "N",
                            "category": "Toys"}])  # fmt: skip


def history(values, censored=()):
    return pd.DataFrame({"unique_id": "P1|W1", "ds": WEEKS[: len(values)], "y": [float(v) for v in values],
                         "is_censored": [i in censored for i in range(len(values))]})  # fmt: skip


def window(cutoff_index, forecasts):
    cutoff = WEEKS[cutoff_index]
    return pd.DataFrame({"series_id": "P1|W1", "backtest_cutoff": cutoff,
                         "week_start": [cutoff + pd.Timedelta(weeks=k + 1) for k in range(len(forecasts))],
                         "forecast_units": [float(f) for f in forecasts]})  # fmt: skip


def test_the_last_window_is_held_out_and_planned_with_its_own_forecast():
    # Windows from week 3 and week 7 (4 weeks each); the last one's weeks 8-11 are the replay.
    backtest = pd.concat([window(3, [10, 10, 10, 10]), window(7, [20, 21, 22, 23])], ignore_index=True)
    given = replay_forecasts(backtest, history([10] * 12), ATTRIBUTES)
    assert given.first_week == WEEKS[8]
    assert (given.weeks, given.window_weeks, len(given.windows)) == (4, 4, 1)
    assert given.windows[0]["forecast_units"].tolist() == [20, 21, 22, 23]
    assert given.windows[0]["week_start"].tolist() == list(WEEKS[8:12])


def test_longer_replays_take_earlier_windows_but_never_the_first():
    # Three windows of 3 weeks from weeks 2, 5 and 8: the first chose its model on itself, so at most two replay.
    backtest = pd.concat([window(2, [1, 1, 1]), window(5, [2, 2, 2]), window(8, [3, 3, 3])], ignore_index=True)
    given = replay_forecasts(backtest, history([1] * 12), ATTRIBUTES, windows=5)
    assert given.first_week == WEEKS[6]
    assert (given.weeks, len(given.windows)) == (6, 2)
    assert [w["forecast_units"].tolist() for w in given.windows] == [[2, 2, 2], [3, 3, 3]]
    assert given.windows[1]["week_start"].tolist() == list(WEEKS[9:12])


def test_the_spread_comes_from_the_earlier_windows_never_the_held_out_weeks():
    # The earlier window missed by 2 a week; the held-out weeks' actuals (100) must not widen the spread.
    backtest = pd.concat([window(3, [12, 12, 8, 8]), window(7, [10, 10, 10, 10])], ignore_index=True)
    given = replay_forecasts(backtest, history([10] * 8 + [100] * 4), ATTRIBUTES)
    assert given.windows[0]["backtest_mae"].unique().tolist() == [2.0]


def test_censored_weeks_are_not_scored():
    backtest = window(3, [12, 12, 12, 12])
    # Week 4 (the first after the origin) sold 0 in a stock-out: its error of 12 does not count.
    error = earlier_error(backtest, history([10, 10, 10, 10, 0, 10, 10, 10], censored={4}))
    assert error["P1|W1"] == pytest.approx(2.0)


def test_no_backtest_forecasts_is_a_clear_error():
    empty = pd.DataFrame(columns=["series_id", "backtest_cutoff", "week_start", "forecast_units"])
    with pytest.raises(NoBacktestForecasts, match="supplychain forecast"):
        replay_forecasts(empty, history([10] * 12), ATTRIBUTES)


def test_each_week_is_relevelled_only_by_the_weeks_before_it():
    backtest = pd.concat([window(3, [10, 10, 10, 10]), window(7, [10, 10, 10, 10])], ignore_index=True)
    origin = replay_forecasts(backtest, history([10] * 12), ATTRIBUTES).windows[0]
    # Week 0 sold 20 against 10 forecast, week 1 sold 10, weeks 2-3 sold 1000 (never seen before they are past).
    actual = pd.DataFrame({"unique_id": "P1|W1", "week": [0, 1, 2, 3], "units": [20.0, 10.0, 1000.0, 1000.0]})
    weekly = weekly_relevelled(origin, actual, weeks=4)
    assert [w["forecast_units"].iloc[0] for w in weekly[:3]] == [10, 15, pytest.approx(10 * 30 / 20)]
    # Week 1's forecast runs 4 weeks from week 1 (its last week repeats past the window) and starts on week 1.
    assert weekly[1]["week_start"].tolist() == list(pd.date_range(WEEKS[9], periods=4, freq="7D"))
    # Bounded: week 3 sees 1030 sold against 30 forecast and moves at most 1.5x.
    assert weekly[3]["forecast_units"].iloc[0] == pytest.approx(15)
    # No relevelling at all with recent=0.
    assert [w["forecast_units"].iloc[0] for w in weekly_relevelled(origin, actual, 4, recent=0)] == [10] * 4


def test_the_daily_replay_follows_a_ramp_by_its_latest_week():
    # Sales rise from the forecast's 10 to 14 a week: by week 3 the latest week ran 1.4x the forecast, where every
    # week since the origin averages 1.13x. A re-forecast made that week follows the ramp; so does the relevelling.
    backtest = pd.concat([window(3, [10, 10, 10, 10]), window(7, [10, 10, 10, 10])], ignore_index=True)
    origin = replay_forecasts(backtest, history([10] * 12), ATTRIBUTES).windows[0]
    actual = pd.DataFrame({"unique_id": "P1|W1", "week": [0, 1, 2, 3], "units": [10.0, 10.0, 14.0, 14.0]})
    weekly = weekly_relevelled(origin, actual, 4, HoldoutOptions().relevel_weeks)
    assert weekly[3]["forecast_units"].iloc[0] == pytest.approx(14.0)


def test_the_replay_lasts_whole_windows_covering_the_opening_stock():
    assert windows_for(170, window_weeks=8, available=3) == 3  # 170 days: 4 windows wanted, 3 held out of sample
    assert windows_for(60, window_weeks=8, available=3) == 2
    assert windows_for(0, window_weeks=8, available=3) == 1

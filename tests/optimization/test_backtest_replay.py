"""The per-run replay plans the held-out weeks with the forecast stage's own last backtest window: forecasts made
before the weeks they plan, spread measured on the earlier windows only."""

from __future__ import annotations

import pandas as pd
import pytest

from optimization.backtest_replay import NoBacktestForecasts, earlier_error, replay_forecasts

WEEKS = pd.date_range("2025-01-06", periods=12, freq="W-MON")
ATTRIBUTES = pd.DataFrame([{"unique_id": "P1|W1", "product_id": "P1", "warehouse_id": "W1", "region_code": "N",
                            "category": "Toys"}])  # fmt: skip


def history(values, censored=()):
    return pd.DataFrame({"unique_id": "P1|W1", "ds": WEEKS[: len(values)], "y": [float(v) for v in values],
                         "is_censored": [i in censored for i in range(len(values))]})  # fmt: skip


def window(cutoff_index, forecasts):
    cutoff = WEEKS[cutoff_index]
    return pd.DataFrame({"series_id": "P1|W1", "backtest_cutoff": cutoff.date(),
                         "week_start": [(cutoff + pd.Timedelta(weeks=k + 1)).date() for k in range(len(forecasts))],
                         "forecast_units": [float(f) for f in forecasts]})  # fmt: skip


def test_the_last_window_is_held_out_and_planned_with_its_own_forecast():
    # Windows from week 3 and week 7 (4 weeks each); the last one's weeks 8-11 are the replay.
    backtest = pd.concat([window(3, [10, 10, 10, 10]), window(7, [20, 21, 22, 23])], ignore_index=True)
    given = replay_forecasts(backtest, history([10] * 12), ATTRIBUTES)
    assert given.first_week == WEEKS[8]
    assert given.weeks == 4
    assert given.forecasts["forecast_units"].tolist() == [20, 21, 22, 23]
    assert given.forecasts["week_start"].tolist() == list(WEEKS[8:12])


def test_the_spread_comes_from_the_earlier_windows_never_the_held_out_weeks():
    # The earlier window missed by 2 a week; the held-out weeks' actuals (100) must not widen the spread.
    backtest = pd.concat([window(3, [12, 12, 8, 8]), window(7, [10, 10, 10, 10])], ignore_index=True)
    given = replay_forecasts(backtest, history([10] * 8 + [100] * 4), ATTRIBUTES)
    assert given.forecasts["backtest_mae"].unique().tolist() == [2.0]


def test_censored_weeks_are_not_scored():
    backtest = window(3, [12, 12, 12, 12]).assign(backtest_cutoff=pd.Timestamp(WEEKS[3]))
    # Week 4 (the first after the origin) sold 0 in a stock-out: its error of 12 does not count.
    error = earlier_error(backtest, history([10, 10, 10, 10, 0, 10, 10, 10], censored={4}))
    assert error["P1|W1"] == pytest.approx(2.0)


def test_no_backtest_forecasts_is_a_clear_error():
    empty = pd.DataFrame(columns=["series_id", "backtest_cutoff", "week_start", "forecast_units"])
    with pytest.raises(NoBacktestForecasts, match="supplychain forecast"):
        replay_forecasts(empty, history([10] * 12), ATTRIBUTES)

"""The stated rule for short series, and M5's scaled errors, on numbers worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from forecasting.accuracy import level_accuracy
from forecasting.simple import POOLED_RATIO_DEFAULT, recent_mean_forecasts


def frame(uid: str, values: list[float]) -> pd.DataFrame:
    return pd.DataFrame({"unique_id": uid, "ds": pd.date_range("2024-01-07", periods=len(values), freq="7D"),
                         "y": values})  # fmt: skip


def test_recent_mean_uses_its_own_error_when_it_has_enough_history_and_a_pooled_one_otherwise():
    long = frame("long", [10, 12, 8, 10, 14, 6, 10, 10])
    history = pd.concat([long, frame("two", [4, 6])])
    out = recent_mean_forecasts(history, 3, (80, 95), "W-SUN").set_index("unique_id")
    assert out.loc["long", "forecast"].tolist() == [10.0] * 3  # mean of 14, 6, 10, 10
    assert out.loc["two", "forecast"].tolist() == [5.0] * 3
    values = np.array([10, 12, 8, 10, 14, 6, 10, 10], dtype=float)
    errors = [values[t] - values[max(0, t - 4) : t].mean() for t in range(1, 8)]
    own = np.sqrt(np.mean(np.square(errors)))
    assert out.loc["long", "hi_95"].iloc[0] == pytest.approx(10 + norm.ppf(0.975) * own)
    pooled = own / values[-12:].mean()  # the only series with enough history sets the pooled relative error
    assert out.loc["two", "hi_80"].iloc[0] == pytest.approx(5 + norm.ppf(0.9) * pooled * 5)
    alone = recent_mean_forecasts(frame("one", [8]), 2, (80,), "W-SUN")
    assert alone["hi_80"].iloc[0] == pytest.approx(8 + norm.ppf(0.9) * POOLED_RATIO_DEFAULT * 8)
    assert (alone["ds"] == pd.Timestamp("2024-01-14")).any()


def test_mase_and_rmsse_scale_by_the_in_sample_naive_error():
    history = frame("a", [2, 4, 2, 4, 3, 5]).assign(y_observed=lambda f: f["y"])  # naive steps 2,2,2,1,2 before
    cutoff = pd.Timestamp("2024-01-28")  # the 4th week; scored weeks are the 5th and 6th
    scored = pd.DataFrame({"unique_id": "a", "ds": history["ds"].iloc[4:], "cutoff": cutoff, "model": "M",
                           "forecast": [4.0, 4.0], "y_observed": [3.0, 5.0], "is_censored": False})  # fmt: skip
    row = level_accuracy(scored, None, history).set_index("level").loc["product_warehouse"]
    assert row["mase"] == pytest.approx(1.0 / 2.0)  # MAE 1 over in-sample naive MAE 2 (weeks up to the cutoff)
    assert row["rmsse"] == pytest.approx(np.sqrt(1.0 / 4.0))
    assert row["accuracy"] == pytest.approx(1 - 2 / 8)


def test_an_aggregate_is_scored_on_the_origin_its_series_share_not_on_a_few_that_ended_early():
    # Three series sell to week 8 and are held out after week 6; one stopped at week 4 and is held out after week 2.
    # Summed alone at its own origin it is no "total": scoring it there, scaled by the whole total's naive error,
    # averaged a small sum with small errors into the total's figure.
    weeks = pd.date_range("2024-01-07", periods=8, freq="7D")
    steady = [frame(uid, [10, 12, 10, 12, 10, 12, 10, 12]) for uid in ("a", "b", "c")]
    history = pd.concat([*steady, frame("gone", [1, 1, 2, 1])]).assign(y_observed=lambda f: f["y"])
    late = pd.DataFrame({"unique_id": ["a", "b", "c"] * 2, "ds": [weeks[6]] * 3 + [weeks[7]] * 3,
                         "cutoff": weeks[5], "forecast": 12.0, "y_observed": [10.0] * 3 + [12.0] * 3})  # fmt: skip
    early = pd.DataFrame({"unique_id": "gone", "ds": weeks[2:4], "cutoff": weeks[1], "forecast": 1.0,
                          "y_observed": [2.0, 1.0]})  # fmt: skip
    scored = pd.concat([late, early]).assign(model="M", is_censored=False)
    total = level_accuracy(scored, None, history).set_index("level").loc["total"]
    # The total after week 6: forecasts 36 and 36 against 30 and 36, MAE 3; its naive steps up to week 6 are 6 each
    # (the early series' own steps of week 2 to 4 add 0, 1 and -1 to the sums, so the scale is their mean).
    sums = history[history["ds"] <= weeks[5]].groupby("ds")["y"].sum()
    assert total["mase"] == pytest.approx(3.0 / sums.diff().abs().mean())
    assert total["accuracy"] == pytest.approx(1 - 6 / 66)


def test_an_aggregate_is_scored_on_all_its_series_weeks_and_the_bottom_without_its_stock_outs():
    # Two series; "b" ran out in the scored week (it sold 8, above its forecast 6: it ran out because demand ran
    # high). The total's forecast, 16, is its sales, 16. Left out at the total, b's week made a "total" of a alone:
    # 10 forecast against 8 sold, an over-forecast of a forecast that was right.
    weeks = pd.date_range("2024-01-07", periods=4, freq="7D")
    history = pd.concat([frame("a", [8, 12, 8, 8]), frame("b", [6, 4, 6, 8])]).assign(y_observed=lambda f: f["y"])
    scored = pd.DataFrame({"unique_id": ["a", "b"], "ds": weeks[3], "cutoff": weeks[2], "model": "M",
                           "forecast": [10.0, 6.0], "y_observed": [8.0, 8.0],
                           "is_censored": [False, True]})  # fmt: skip
    accuracy = level_accuracy(scored, None, history).set_index("level")
    assert accuracy.loc["total", "accuracy"] == pytest.approx(1.0)
    assert accuracy.loc["total", "mase"] == pytest.approx(0.0)
    # The bottom level keeps leaving a stock-out week out: a's miss of 2 over 8 alone.
    assert accuracy.loc["product_warehouse", "accuracy"] == pytest.approx(1 - 2 / 8)

"""The backtest forecasts the forecast stage keeps for the optimiser's replay: each window's by the models chosen on
the windows before it, so a replayed window never chose its own model."""

from __future__ import annotations

import pandas as pd
import pytest

from forecasting.backtest import left_out_windows, number_windows, out_of_sample_windows
from forecasting.held_out import honest_errors

CUTOFFS = pd.to_datetime(["2025-01-06", "2025-02-03", "2025-03-03"])


def scored(forecasts: dict[str, list[float]]) -> pd.DataFrame:
    """One series selling 10 a week; per model, its forecast in each of the three one-week windows."""
    rows = [
        {"unique_id": "S1", "ds": cutoff + pd.Timedelta(weeks=1), "cutoff": cutoff, "model": model,
         "forecast": values[k], "y_observed": 10.0, "is_censored": False}
        for model, values in forecasts.items()
        for k, cutoff in enumerate(CUTOFFS)
    ]  # fmt: skip
    return pd.DataFrame(rows)


def test_each_window_uses_the_model_that_won_the_windows_before_it():
    # A is exact in window 1 and far off in window 2; B the reverse. Window 2 is forecast by A (it won window 1),
    # window 3 by the combination of A and B (each won one of windows 1-2: nothing separates them), weighted by
    # inverse error on windows 1-2 (A missed by 14, B by 10); window 1 has nothing before it and
    # is chosen on itself.
    kept = out_of_sample_windows(scored({"A": [10, 24, 11], "B": [20, 10, 12]}), pd.Series({"S1": "smooth"}))
    combined = (11 / 14 + 12 / 10) / (1 / 14 + 1 / 10)  # A missed by 14, B by 10 on windows 1-2
    assert kept.sort_values("cutoff")["forecast"].tolist() == pytest.approx([10, 24, combined])
    assert kept.columns.tolist() == ["unique_id", "cutoff", "ds", "forecast"]


def test_the_intervals_errors_come_from_the_choice_made_on_all_the_other_windows():
    # Leave one window out: the oldest window (A exact, B off by 10) is forecast by B, which won the two later
    # windows together (A missed by 15, B by 2; A too far behind to join a combination); the middle one by A (1
    # against 12 on the others); the latest by the combination of A and B, as before. On the old code the oldest
    # window was chosen on itself (A, error 0) and dropped, and the middle one rested on one window.
    rows = number_windows(scored({"A": [10, 24, 11], "B": [20, 10, 12]}))
    left_out = left_out_windows(rows, [0, 1, 2], pd.Series({"S1": "smooth"}))
    combined = (11 / 14 + 12 / 10) / (1 / 14 + 1 / 10)
    assert left_out.sort_values("cutoff")["forecast"].tolist() == pytest.approx([20, 24, combined])
    # What the intervals are calibrated on: every window, its error the left-out choice's (the oldest's is 10).
    honest = honest_errors(left_out, rows, (None, None, None), "BottomUp").sort_values("cutoff")
    errors = (honest["forecast"] - honest["y_observed"]).abs()
    assert errors.tolist() == pytest.approx([10, 14, combined - 10])
    assert honest["window"].tolist() == [2, 1, 0]

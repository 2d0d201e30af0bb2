"""The backtest forecasts the forecast stage keeps for the optimiser's replay: each window's by the models chosen on
the windows before it, so a replayed window never chose its own model."""

from __future__ import annotations

import pandas as pd
import pytest

from forecasting.backtest import number_windows, out_of_sample_windows
from forecasting.held_out import calibration_choices, honest_errors

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


def test_a_window_chosen_on_one_window_alone_is_calibrated_by_the_choice_on_all_the_other_windows():
    # Window 1 (the middle week) was forecast by the choice made on the oldest window alone: A, exact there, 14 off
    # here. The choice on the other windows (the oldest and the latest: A 5 off in total, B 2) is B, exact here, so
    # the intervals calibrate on B's error (0), not on a one-window choice's (14). The latest window keeps the choice
    # made on the two windows before it (B); the oldest, chosen on itself, is left out as before.
    rows = number_windows(scored({"A": [10, 24, 15], "B": [12, 10, 10]}))
    segments = pd.Series({"S1": "smooth"})
    earlier = out_of_sample_windows(rows, segments)
    honest = honest_errors(calibration_choices(earlier, rows, [0, 1, 2], segments, None), rows, (None, None, None),
                           "BottomUp")  # fmt: skip
    errors = (honest["forecast"] - honest["y_observed"]).abs().groupby(honest["window"]).sum()
    assert errors.to_dict() == {0: 0.0, 1: 0.0}
    # With the latest window held out of the choosing windows, no other window is left to choose window 1 on but
    # the oldest: it keeps that choice (A, 14 off).
    held = honest_errors(calibration_choices(earlier, rows, [1, 2], segments, None), rows, (None, None, None),
                         "BottomUp")  # fmt: skip
    held_errors = (held["forecast"] - held["y_observed"]).abs().groupby(held["window"]).sum()
    assert held_errors.to_dict() == {0: 0.0, 1: 14.0}

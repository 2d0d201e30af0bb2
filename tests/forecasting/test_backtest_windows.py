"""The backtest forecasts the forecast stage keeps for the optimiser's replay: each window's by the models chosen on
the windows before it, so a replayed window never chose its own model."""

from __future__ import annotations

import pandas as pd
import pytest

from forecasting.backtest import out_of_sample_windows

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

"""Coverage measured over every backtest window, each with intervals calibrated only on errors observed before its
cutoff, beside the single held-out window (8 values at the total: 75%, 87.5% or 100% are its only outcomes)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting.held_out import rolling_intervals
from forecasting.intervals import apply_intervals, calibrate
from forecasting.pipeline import ForecastOptions, run_forecast
from forecasting.run import coverage_line

WEEKS = 8
IDS = [f"S{k}" for k in range(10)]
SCALES = pd.Series(1.0, index=IDS)
SEGMENTS = pd.Series("smooth/seasonal", index=IDS)


def windows(spreads: list[float], seed: int = 3) -> pd.DataFrame:
    """Honest-backtest-like rows: one window of WEEKS per spread, consecutive, errors of that spread."""
    rng = np.random.default_rng(seed)
    rows = []
    for number, spread in enumerate(spreads):
        cutoff = pd.Timestamp("2024-01-07") + pd.Timedelta(weeks=WEEKS * number)
        for uid in IDS:
            for step in range(WEEKS):
                rows.append({"unique_id": uid, "cutoff": cutoff, "ds": cutoff + pd.Timedelta(weeks=step + 1),
                             "window": len(spreads) - 1 - number, "forecast": 100.0, "is_censored": False,
                             "y_observed": 100.0 + rng.normal(0, spread)})  # fmt: skip
    return pd.DataFrame(rows)


def test_each_window_is_calibrated_only_on_errors_observed_before_its_cutoff():
    honest = windows([1.0, 1.0, 1.0, 1.0])
    out = rolling_intervals(honest, SCALES, SEGMENTS, (80, 95)).sort_values(["cutoff", "unique_id", "ds"])
    first = honest["cutoff"].min()
    assert first not in set(out["cutoff"])  # nothing observed before the first window: not measured
    second = honest[honest["cutoff"] > first]["cutoff"].min()
    expected = apply_intervals(honest[honest["cutoff"] == second],
                               calibrate(honest[honest["ds"] <= second], SCALES, SEGMENTS, (80, 95)), SCALES,
                               SEGMENTS, (80, 95)).sort_values(["unique_id", "ds"])  # fmt: skip
    np.testing.assert_allclose(out[out["cutoff"] == second]["hi_95"].to_numpy(), expected["hi_95"].to_numpy())
    # A wild last window changes no earlier window's interval: nothing is calibrated on the future.
    wild = honest.copy()
    last = wild["cutoff"] == wild["cutoff"].max()
    wild.loc[last, "y_observed"] += 500.0
    again = rolling_intervals(wild, SCALES, SEGMENTS, (80, 95)).sort_values(["cutoff", "unique_id", "ds"])
    earlier = out["cutoff"] < honest["cutoff"].max()
    np.testing.assert_allclose(again.loc[again["cutoff"] < honest["cutoff"].max(), "hi_80"].to_numpy(),
                               out.loc[earlier, "hi_80"].to_numpy())  # fmt: skip


@pytest.fixture(scope="module")
def result():
    rng = np.random.default_rng(11)
    ds = pd.date_range(end="2025-06-29", periods=160, freq="W-SUN")
    frames = [pd.DataFrame({"unique_id": f"L{k}", "ds": ds, "y": np.round(50 + 0.2 * np.arange(160)
                            + 20 * np.sin(2 * np.pi * np.arange(160) / 52) + rng.normal(0, 4, 160))})
              for k in range(4)]  # fmt: skip
    return run_forecast(pd.concat(frames), None, ForecastOptions(horizon=8, n_jobs=1, global_model=False))


def test_the_run_reports_rolling_coverage_over_more_weeks_than_the_held_out_window(result):
    chosen = result.accuracy[result.accuracy["is_chosen"]].set_index("level").loc["product_warehouse"]
    assert chosen["coverage_weeks"] == 4 * 8  # the held-out window: 8 weeks of 4 series
    assert chosen["rolling_coverage_weeks"] > chosen["coverage_weeks"]
    assert 0 < chosen["rolling_coverage_80"] <= chosen["rolling_coverage_95"] <= 1
    assert "rolling windows" in coverage_line(result.accuracy)


def test_a_series_oldest_honest_window_is_not_measured():
    # Its calibration would hold none of its own errors (on the sample: 24% / 30% coverage at product x warehouse).
    honest = windows([1.0, 1.0, 1.0, 1.0])
    late = honest[(honest["unique_id"] == "S0") & (honest["window"] <= 1)].assign(unique_id="LATE")
    out = rolling_intervals(pd.concat([honest, late]), SCALES, SEGMENTS, (80, 95))
    assert set(out.loc[out["unique_id"] == "LATE", "window"]) == {0}
    assert set(out.loc[out["unique_id"] == "S0", "window"]) == {0, 1, 2}

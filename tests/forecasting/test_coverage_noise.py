"""benchmarks/coverage_noise.py: how far a calibrated interval's coverage figures scatter, and whether a level's
miss is a scenario's own direction (a calibration could fix it) or a draw from window to window."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from coverage_noise import chance_in_band, noise_split


def table(offsets, noise_sd: float, seed: int = 0) -> pd.DataFrame:
    """Coverage of 80% and 95% intervals per scenario (each its own offset) and three windows, with window noise."""
    rng = np.random.default_rng(seed)
    rows = [{"scenario": f"S{i}", "level": "total", "window": w, "band": band, "values": 160,
             "coverage": band + offset + rng.normal(0, noise_sd)}
            for i, offset in enumerate(offsets) for w in range(3) for band in (80, 95)]  # fmt: skip
    return pd.DataFrame(rows)


def test_eight_values_never_give_a_95_figure_in_band_and_many_calm_values_always_do():
    # 8 values cover 87.5% or 100%, never 90-98%, however calibrated the interval.
    assert chance_in_band(95, 5.0, 8) == 0.0
    assert chance_in_band(80, 0.5, 1000) == pytest.approx(1.0)
    # One value in 8 either way is all a calibrated 80% interval can miss by and stay in band (75%).
    assert 0.1 < chance_in_band(80, 14.0, 8) < 0.4


def test_a_scenario_own_direction_is_told_from_window_noise():
    systematic = noise_split(table([-8, 8, -8, 8, -8, 8] * 3, 2.0)).set_index("band")
    drawn = noise_split(table([0] * 18, 6.0)).set_index("band")
    assert (systematic["scenario_F"] > 10).all()
    assert (drawn["scenario_F"] < 3).all()
    # The window noise is what is left, and its size sets the design effect (binomial sd of 160 values: 3.16).
    assert drawn.loc[80, "residual_sd"] == pytest.approx(6.0, rel=0.25)
    assert drawn.loc[80, "design_effect"] == pytest.approx((drawn.loc[80, "residual_sd"] / 3.162) ** 2, rel=0.01)
    assert drawn.loc[80, "rolling_chance"] > drawn.loc[80, "held_chance"]

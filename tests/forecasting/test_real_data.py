"""Real public sales (pmdarima's wineind and airpassengers, shipped in the wheel) through file mode."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from forecast_real_data import benchmark
from real_data import real_monthly_sales


def test_the_series_are_the_published_ones():
    frame = real_monthly_sales()
    sizes = frame.groupby("unique_id").size().to_dict()
    assert sizes == {"airpassengers": 144, "wineind": 176}
    assert frame.loc[frame["unique_id"] == "wineind", "y"].iloc[0] == 15136.0
    assert frame.loc[frame["unique_id"] == "airpassengers", "y"].iloc[0] == 112.0


@pytest.mark.e2e
def test_file_mode_on_real_monthly_sales_beats_the_seasonal_naive_and_naive():
    table, extra = benchmark(horizon=12, windows=3)
    ours = table.loc["supplychain forecast"]
    for reference in ("SeasonalNaive", "Naive"):
        assert ours["accuracy"] > table.loc[reference, "accuracy"], table
        assert ours["mase"] < table.loc[reference, "mase"], table
    assert ours["mase"] < 1  # better than the one-step naive error of the history itself
    assert extra["coverage"][95] >= extra["coverage"][80] > 0

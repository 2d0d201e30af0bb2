"""The report's accuracy chart: the chosen bars say how often the held-out actuals fell inside the intervals."""

from __future__ import annotations

import pandas as pd

from analyst.report.charts import accuracy_vs_baselines


def test_the_chosen_bars_carry_the_interval_coverage():
    accuracy = pd.DataFrame(
        {
            "hierarchy_level": ["product_warehouse", "product_region", "product_warehouse", "product_region"],
            "forecast_model": ["Selected", "Selected", "SeasonalNaive", "SeasonalNaive"],
            "accuracy": [0.28, 0.34, 0.06, 0.13],
            "coverage_80": [0.79, None, None, None],  # product x region has no interval of its own
            "coverage_95": [0.94, None, None, None],
            "is_baseline": [False, False, True, True],
            "is_chosen": [True, True, False, False],
        }
    )
    chosen, baseline = accuracy_vs_baselines(accuracy).data
    assert list(chosen.text) == ["28%<br>in 80%/95%: 79%/94%", "34%"]
    assert list(baseline.text) == ["6%", "13%"]


def test_the_chosen_bars_carry_the_rolling_coverage_and_its_weeks():
    accuracy = pd.DataFrame(
        {
            "hierarchy_level": ["total", "total"],
            "forecast_model": ["Selected", "SeasonalNaive"],
            "accuracy": [0.9, 0.88],
            "coverage_80": [1.0, None],
            "coverage_95": [1.0, None],
            "rolling_coverage_80": [0.82, None],
            "rolling_coverage_95": [0.96, None],
            "rolling_coverage_weeks": [48, None],
            "is_baseline": [False, True],
            "is_chosen": [True, False],
        }
    )
    chosen, baseline = accuracy_vs_baselines(accuracy).data
    assert list(chosen.text) == ["90%<br>in 80%/95%: 100%/100%<br>rolling: 82%/96% of 48"]
    assert list(baseline.text) == ["88%"]

"""Real public series shipped inside PyPI wheels (benchmarks/real_data.py) through file mode."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from forecast_real_data import OURS, REFERENCES, benchmark_set, misses, ours
from real_data import REAL_SETS, quarterly_series, real_monthly_sales


def test_the_series_are_the_published_ones():
    frame = real_monthly_sales()
    sizes = frame.groupby("unique_id").size().to_dict()
    assert sizes == {"airpassengers": 144, "wineind": 176}
    assert frame.loc[frame["unique_id"] == "wineind", "y"].iloc[0] == 15136.0
    assert frame.loc[frame["unique_id"] == "airpassengers", "y"].iloc[0] == 112.0
    monthly, weekly, daily = (REAL_SETS[name][0]() for name in ("monthly", "weekly", "daily_to_weekly"))
    assert monthly.groupby("unique_id").size()["elec_equip"] == 257
    assert len(weekly) == 626 and weekly["y"].notna().all()  # co2 from 1990, its empty weeks interpolated
    assert daily["ds"].dt.dayofweek.max() <= 4 and len(daily) > 1900  # trading days, 2010-2017
    more, quarterly = (REAL_SETS[name][0]() for name in ("monthly_more", "quarterly"))
    assert more.groupby("unique_id").size().to_dict() == {"co2_monthly": 360, "elnino": 372, "sunspots": 360}
    sizes = quarterly.groupby("unique_id").size()
    assert sizes[["ausbeer", "austres", "woolyrnq", "realgdp"]].tolist() == [211, 89, 119, 203] and len(sizes) == 10
    assert quarterly["ds"].dt.month.isin([1, 4, 7, 10]).all() and (quarterly["y"] > 0).all()


@pytest.mark.e2e
def test_file_mode_on_real_monthly_sales_never_loses_to_a_baseline_or_the_median_model():
    table, _ = benchmark_set("monthly", origins=2)
    ours = table.loc[OURS]
    for baseline in ("SeasonalNaive", "Naive"):
        assert ours["mase"] <= table.loc[baseline, "mase"], table
        assert ours["accuracy"] >= table.loc[baseline, "accuracy"], table
    assert ours["mase"] <= table.loc[list(REFERENCES), "mase"].median(), table
    assert ours["coverage_95"] >= ours["coverage_80"] > 0.5


@pytest.mark.e2e
def test_file_mode_on_real_weekly_co2_is_within_two_percent_of_the_best_reference():
    # co2 is seasonal with a steady trend: a combination that took in a trend model three times worse than the two
    # seasonal ones lost to AutoTheta by 25% (MASE 1.168 against 0.936 over three origins); it is now left out.
    table, _ = benchmark_set("weekly", origins=2)
    ours = table.loc[OURS]
    assert ours["mase"] <= table.loc[["SeasonalNaive", "Naive"], "mase"].min(), table
    assert ours["mase"] <= 1.02 * table.loc[list(REFERENCES), "mase"].min(), table
    assert ours["coverage_95"] >= 0.90 and ours["coverage_80"] >= 0.70, table


@pytest.mark.e2e
def test_a_quarterly_file_is_forecast_quarter_by_quarter_and_beats_both_baselines():
    # Read as months, quarterly rows came back as 8 months of forecasts after zero-filled "gaps".
    frame = quarterly_series()
    frame = frame[frame["unique_id"].isin(["ausbeer", "woolyrnq", "austres"])]
    last = frame.groupby("unique_id")["ds"].transform("max")
    held = frame["ds"] > last - pd.DateOffset(months=24)
    train, actual = frame[~held], frame[held]
    forecasts = ours(train, 8).merge(actual, on=["unique_id", "ds"], how="outer", indicator=True)
    assert (forecasts["_merge"] == "both").all() and len(forecasts) == 24, forecasts
    error = (forecasts["forecast"] - forecasts["y"]).abs().groupby(forecasts["unique_id"]).sum()
    for lag in (4, 1):  # same quarter last year, last quarter
        repeated = train.groupby("unique_id")["y"].apply(lambda y, lag=lag: list(y.iloc[-lag:]) * (8 // lag))
        baseline = actual.groupby("unique_id")["y"].apply(list)
        baseline_error = pd.Series({u: sum(abs(a - b) for a, b in zip(baseline[u], repeated[u], strict=True))
                                    for u in baseline.index})  # fmt: skip
        assert error.sum() / baseline_error.sum() < 1, (lag, error, baseline_error)


def test_the_benchmark_names_each_miss_of_the_bar():
    # The daily-to-weekly figures of session 23: better than both baselines and the median, 7% behind AutoARIMA,
    # and a 95% interval that held 89% of the held-out weeks.
    summary = pd.DataFrame(
        {"mase": [0.382, 0.539, 0.564, 0.391, 0.401, 0.356], "coverage_80": [0.86, *[float("nan")] * 5],
         "coverage_95": [0.89, *[float("nan")] * 5]},
        index=[OURS, *REFERENCES],
    )  # fmt: skip
    assert misses(summary) == [
        "MASE 0.382 more than 2% above AutoARIMA's 0.356",
        "80% interval holds 86%, not 75%-85%",
        "95% interval holds 89%, not 90%-98%",
    ]
    summary.loc[OURS] = [0.360, 0.80, 0.95]
    assert misses(summary) == []
    summary.loc[OURS, "mase"] = 0.45
    assert misses(summary)[:1] == ["MASE 0.450 above the median reference's 0.401"]

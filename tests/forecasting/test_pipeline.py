"""The whole forecasting run on small synthetic histories with known behaviour, and the file-in, file-out command."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting.pipeline import ForecastOptions, run_forecast
from supplychain.cli import main

OPTIONS = ForecastOptions(horizon=4, n_windows=3, n_jobs=1)
WEEKS = 104


def synthetic_history(weekday_start: str = "2023-01-01") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Twelve series over four warehouses in two regions: steady sellers, intermittent ones, one never sold."""
    rng = np.random.default_rng(3)
    weeks = pd.date_range(weekday_start, periods=WEEKS, freq="7D")
    frames, attributes = [], []
    for product in range(3):
        for warehouse, region in (("W1", "EAST"), ("W2", "EAST"), ("W3", "WEST"), ("W4", "WEST")):
            uid = f"P{product}|{warehouse}"
            if product == 0:
                values = rng.poisson(40, WEEKS)  # steady
            elif product == 1:
                values = rng.poisson(2, WEEKS) * (rng.random(WEEKS) < 0.3)  # intermittent
            else:
                values = np.zeros(WEEKS) if warehouse == "W4" else rng.poisson(10, WEEKS)
            frames.append(pd.DataFrame({"unique_id": uid, "ds": weeks, "y": values.astype(float)}))
            attributes.append({"unique_id": uid, "product_id": f"P{product}", "warehouse_id": warehouse,
                               "region_code": region, "category": "Toys" if product < 2 else "Home"})  # fmt: skip
    return pd.concat(frames, ignore_index=True), pd.DataFrame(attributes)


@pytest.fixture(scope="module")
def result(synthetic_result):
    return synthetic_result


def test_every_series_gets_horizon_weeks_on_its_own_weekday(result):
    forecasts = result.forecasts
    assert forecasts.groupby("unique_id").size().eq(4).all()
    assert forecasts["unique_id"].nunique() == 12
    assert (forecasts["ds"].dt.dayofweek == 6).all()  # Sundays in, Sundays out
    assert forecasts["ds"].min() == pd.Timestamp("2023-01-01") + pd.Timedelta(weeks=WEEKS)


def test_intervals_are_nested_and_never_negative(result):
    f = result.forecasts
    assert (f[["forecast", "lo_80", "hi_80", "lo_95", "hi_95"]] >= 0).all().all()
    assert (f["lo_95"] <= f["lo_80"] + 1e-9).all() and (f["lo_80"] <= f["forecast"] + 1e-9).all()
    assert (f["forecast"] <= f["hi_80"] + 1e-9).all() and (f["hi_80"] <= f["hi_95"] + 1e-9).all()


def test_steady_series_forecast_their_level_and_never_sold_series_forecast_zero(result):
    f = result.forecasts.set_index("unique_id")
    assert f.loc["P0|W1", "forecast"].between(32, 48).all()
    assert (f.loc["P2|W4", "forecast"] == 0).all() and (f.loc["P2|W4", "model"] == "Zero").all()
    selection = result.selection.set_index("unique_id")
    assert selection.loc["P2|W4", "treatment"] == "all_zero"
    assert selection.loc["P1|W1", "demand_pattern"] in ("intermittent", "lumpy")


def test_accuracy_is_reported_per_level_against_both_baselines(result):
    accuracy = result.accuracy
    assert set(accuracy["level"]) == {"product_warehouse", "product_region", "category_region", "total"}
    assert accuracy["is_chosen"].sum() == 4  # one chosen method, at every level
    chosen = accuracy[accuracy["is_chosen"]].set_index("level")["accuracy"]
    for baseline in ("SeasonalNaive", "MovingAverage7d"):
        scores = accuracy[accuracy["model"] == baseline].set_index("level")["accuracy"]
        assert (chosen > scores).all(), (baseline, chosen, scores)


def test_one_bad_series_never_fails_the_run():
    history, _ = synthetic_history()
    bad = history[history["unique_id"] == "P0|W1"].head(3).assign(unique_id="BAD", y=-1.0)
    result = run_forecast(pd.concat([history, bad]), None, OPTIONS)
    assert "BAD" in result.report["rejected"]
    assert result.forecasts["unique_id"].nunique() == 12
    assert set(result.accuracy["level"]) == {"product_warehouse", "total"}


def test_forecast_command_reads_a_planners_csv_and_writes_parquet(tmp_path, capsys):
    history, _ = synthetic_history("2023-01-04")  # weeks labelled on Wednesdays
    source = tmp_path / "history.csv"
    history.to_csv(source, index=False)
    output = tmp_path / "forecasts.parquet"
    code = main(["forecast", "--input", str(source), "--output", str(output), "--horizon", "4", "--windows", "3"])
    assert code == 0
    written = pd.read_parquet(output)
    assert len(written) == 12 * 4
    assert list(written.columns) == ["unique_id", "ds", "model", "forecast", "lo_80", "hi_80", "lo_95", "hi_95"]
    assert (pd.to_datetime(written["ds"]).dt.dayofweek == 2).all()
    printed = capsys.readouterr().out
    assert "SeasonalNaive" in printed and "MovingAverage7d" in printed


def test_too_few_windows_is_refused(tmp_path):
    assert (
        main(["forecast", "--input", str(tmp_path / "x.csv"), "--output", str(tmp_path / "y"), "--windows", "2"]) == 2
    )

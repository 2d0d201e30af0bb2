"""Forecasting files this platform did not generate, through the file mode a new user runs.

The property test writes random histories (lengths, zero shares, gaps, weekdays, empty cells, negatives, text,
duplicates, horizons) and checks the documented contract of `supplychain forecast --input ... --output ...`:
exit 0 with a forecast and both intervals around the point for every accepted series, never negative, each
rejected series named in a warning; exit 2 with one sentence when no series can be forecast.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from supplychain.cli import main

COLUMNS = ["unique_id", "ds", "model", "forecast", "lo_80", "hi_80", "lo_95", "hi_95"]
DEFECTS = ("none", "none", "none", "duplicate", "negative", "text")


@st.composite
def histories(draw):
    """(rows for a CSV, {series: defect}, {series: weekday}, horizon)."""
    rng = np.random.default_rng(draw(st.integers(0, 2**31)))
    horizon = draw(st.integers(1, 12))
    rows, defects, weekdays = [], {}, {}
    for number in range(draw(st.integers(1, 6))):
        uid = f"S{number:02d}"
        weekday = draw(st.integers(0, 6))
        length = draw(st.integers(1, 60))
        start = pd.Timestamp("2024-01-01") + pd.Timedelta(days=weekday)
        weeks = pd.date_range(start, periods=length, freq="7D")
        keep = rng.random(length) >= draw(st.sampled_from([0.0, 0.3, 0.7]))  # gaps: weeks without a row
        keep[0] = True
        values = rng.poisson(rng.uniform(0.5, 30), length) * (rng.random(length) >= draw(st.sampled_from([0, 0.5, 1])))
        y = [str(float(v)) for v in values]
        if draw(st.booleans()):
            y[int(rng.integers(length))] = ""  # an empty cell: no sales that week
        defect = draw(st.sampled_from(DEFECTS))
        dated = zip(weeks, y, keep, strict=True)
        series = [{"unique_id": uid, "ds": d.date().isoformat(), "y": v} for d, v, k in dated if k]
        if defect == "duplicate":
            series.append(dict(series[-1]))
        elif defect == "negative":
            series[-1]["y"] = "-3"
        elif defect == "text":
            series[-1]["y"] = "twelve"
        rows.extend(series)
        defects[uid] = defect
        weekdays[uid] = weekday
    order = rng.permutation(len(rows))
    return [rows[i] for i in order], defects, weekdays, horizon


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=histories())
def test_every_accepted_series_gets_a_forecast_with_intervals_and_every_rejected_one_is_named(case, tmp_path, caplog):
    rows, defects, weekdays, horizon = case
    source, output = tmp_path / "history.csv", tmp_path / "forecasts.csv"
    output.unlink(missing_ok=True)
    pd.DataFrame(rows).to_csv(source, index=False)
    caplog.clear()
    with caplog.at_level(logging.INFO):
        code = main(["forecast", "--input", str(source), "--output", str(output), "--horizon", str(horizon)])
    rejected = {uid for uid, defect in defects.items() if defect != "none"}
    accepted = set(defects) - rejected
    warnings = " ".join(r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING)
    for uid in rejected:
        assert f"series {uid}:" in warnings, (uid, defects[uid], warnings)
    if not accepted:
        assert code == 2 and not output.exists()
        assert "no series can be forecast" in caplog.records[-1].getMessage()
        return
    assert code == 0
    written = pd.read_csv(output, parse_dates=["ds"])
    assert list(written.columns) == COLUMNS
    assert set(written["unique_id"]) == accepted
    assert written.groupby("unique_id").size().eq(horizon).all()
    numbers = written[COLUMNS[3:]]
    assert numbers.notna().all().all() and (numbers >= 0).all().all()
    assert (written["lo_95"] <= written["forecast"] + 1e-9).all() and (
        written["lo_80"] <= written["forecast"] + 1e-9
    ).all()
    assert (written["forecast"] <= written["hi_80"] + 1e-9).all() and (
        written["forecast"] <= written["hi_95"] + 1e-9
    ).all()
    own = written["unique_id"].map(weekdays)
    assert (written["ds"].dt.dayofweek == own).all()  # each series keeps its own weekday


def test_a_two_week_series_and_a_long_one_on_other_weekdays_all_get_forecasts(tmp_path, caplog):
    """The competition case from the issue: series too short for any backtest beside ones that have it."""
    rng = np.random.default_rng(5)
    long = pd.DataFrame({"unique_id": "long", "ds": pd.date_range("2022-01-07", periods=70, freq="7D"),
                         "y": rng.poisson(20, 70)})  # fmt: skip
    short = pd.DataFrame({"unique_id": "new", "ds": ["2023-04-26", "2023-05-03"], "y": [4, 6]})  # Wednesdays
    source, output = tmp_path / "h.csv", tmp_path / "f.parquet"
    pd.concat([long, short]).to_csv(source, index=False)
    with caplog.at_level(logging.INFO):
        assert main(["forecast", "--input", str(source), "--output", str(output), "--horizon", "30"]) == 0
    written = pd.read_parquet(output)
    new = written[written["unique_id"] == "new"]
    assert len(new) == 30 and (pd.to_datetime(new["ds"]).dt.dayofweek == 2).all()
    assert (new["forecast"] == 5.0).all() and (new["model"] == "RecentMean").all()
    assert (new["hi_95"] > new["hi_80"]).all() and (new["hi_80"] > new["forecast"]).all()
    messages = " ".join(r.getMessage() for r in caplog.records)
    assert "keep their own weekday" in messages
    # 70 weeks are two horizons of 30: the long series is modelled (level and trend models), the new one is not.
    assert "series long: 70 periods, rule trend" in messages
    assert "series new: 2 periods, rule flat, model RecentMean" in messages
    assert (written.loc[written["unique_id"] == "long", "model"] != "RecentMean").all()


@pytest.mark.parametrize(
    ("content", "expected"),
    [("", "not a readable"), ("a,b\n1,2\n", "missing column(s)"), ("unique_id,ds,y\n", "no rows"),
     ("unique_id,ds,y\nA,2024-01-07,-1\n", "no series can be forecast")],
)  # fmt: skip
def test_unusable_files_end_in_one_sentence_naming_the_file(tmp_path, caplog, content, expected):
    source = tmp_path / "bad.csv"
    source.write_text(content)
    assert main(["forecast", "--input", str(source), "--output", str(tmp_path / "f.csv")]) == 2
    message = caplog.records[-1].getMessage()
    assert expected in message and "bad.csv" in message and "\n" not in message

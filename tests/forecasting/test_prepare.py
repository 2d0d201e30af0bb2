"""Each history rule on tiny hand-made series: what happens to the series, and that the others carry on."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting.classify import demand_pattern
from forecasting.prepare import infer_weekly_freq, prepare_history


def weekly(uid: str, values: list[float], start: str = "2024-01-07", censored: list[bool] | None = None):
    frame = pd.DataFrame({"unique_id": uid, "ds": pd.date_range(start, periods=len(values), freq="7D"), "y": values})
    if censored is not None:
        frame["is_censored"] = censored
    return frame


def test_weekly_frequency_follows_the_weekday_the_weeks_are_labelled_with():
    assert infer_weekly_freq(pd.Series(pd.date_range("2024-01-07", periods=3, freq="7D"))) == "W-SUN"
    assert infer_weekly_freq(pd.Series(pd.date_range("2024-01-03", periods=3, freq="7D"))) == "W-WED"


def test_bad_series_are_rejected_by_rule_and_the_rest_go_on():
    duplicated = weekly("dup", [1, 2, 3, 4])
    duplicated = pd.concat([duplicated, duplicated.iloc[[2]]])
    frame = pd.concat([weekly("good", [3.0] * 12), duplicated, weekly("neg", [1, -2, 3, 4])])
    prepared = prepare_history(frame, min_weeks=10)
    assert prepared.modelled == ["good"]
    assert set(prepared.rejected) == {"dup", "neg"}
    assert "dup" in prepared.rejected["dup"] and "2024-01-21" in prepared.rejected["dup"]
    assert "negative quantity -2" in prepared.rejected["neg"]
    assert prepared.counts["duplicate_week"] == 1 and prepared.counts["negative_value"] == 1


def test_gaps_are_zero_filled_and_flagged():
    frame = weekly("gappy", [5.0] * 12).drop(index=[4, 5])
    prepared = prepare_history(frame, min_weeks=10)
    history = prepared.history
    assert len(history) == 12
    assert history.loc[history["is_filled"], "y"].tolist() == [0.0, 0.0]
    assert prepared.counts["gap_filled"] == 1


def test_a_series_on_another_weekday_keeps_it_and_one_on_mixed_weekdays_is_rejected():
    tuesday = pd.DataFrame({"unique_id": ["b"], "ds": ["2024-01-09"], "y": [1.0]})
    mixed = pd.DataFrame({"unique_id": ["c", "c"], "ds": ["2024-01-07", "2024-01-16"], "y": [1.0, 2.0]})
    prepared = prepare_history(pd.concat([weekly("a", [1.0] * 12), tuesday, mixed]), min_weeks=10)
    assert prepared.offsets == {"b": 2}  # modelled on the Sunday calendar, two days later in the forecast
    assert "b" in prepared.short
    assert "different weekdays" in prepared.rejected["c"] and "off_calendar" in prepared.rejected["c"]
    assert any("keep their own weekday" in note for note in prepared.notes)


def test_daily_rows_are_summed_into_monday_weeks_and_monthly_rows_stay_monthly():
    daily = pd.DataFrame({"unique_id": "d", "ds": pd.date_range("2024-01-01", periods=28, freq="D"), "y": 1.0})
    prepared = prepare_history(daily, min_weeks=3)
    assert prepared.freq == "W-MON" and prepared.history["y"].tolist() == [7.0] * 4
    assert any("daily input" in note for note in prepared.notes)
    monthly = pd.DataFrame({"unique_id": "m", "ds": pd.date_range("2020-01-31", periods=30, freq="ME"), "y": 5.0})
    prepared = prepare_history(monthly, min_weeks=12)
    assert prepared.freq == "MS" and prepared.season_length == 12 and len(prepared.history) == 30


def test_quarterly_rows_stay_quarterly_whichever_month_of_the_quarter_labels_them():
    # Read as months, a quarter apart looks like two empty months between rows, filled with zero sales.
    for start, freq in (("2015-01-01", "QS"), ("2015-03-31", "QE"), ("2015-02-15", "3MS")):
        frame = pd.DataFrame({"unique_id": "q", "ds": pd.date_range(start, periods=20, freq=freq), "y": 9.0})
        prepared = prepare_history(frame, min_weeks=8)
        assert prepared.freq == "QS" and prepared.season_length == 4 and prepared.period == "quarter"
        assert len(prepared.history) == 20 and not prepared.history["is_filled"].any()
        assert prepared.history["ds"].max() == pd.Timestamp("2019-10-01") and prepared.history["y"].sum() == 180
    # Monthly rows a few months apart are still months with gaps, not quarters.
    sparse = pd.DataFrame({"unique_id": "m", "ds": pd.to_datetime(["2020-01-01", "2020-04-01", "2020-06-01"]),
                           "y": 1.0})  # fmt: skip
    assert prepare_history(sparse, min_weeks=1).freq == "MS"


def test_a_weekday_only_series_keeps_its_complete_last_week_and_drops_a_partial_one():
    # Trading days (Monday-Friday): every full week has 5 rows. Counting a week as partial below 7 days dropped the
    # series' last, complete week, and the forecast's first week was one the input already held.
    days = pd.bdate_range("2024-01-01", periods=30)  # six full weekday weeks, ending on a Friday
    daily = pd.DataFrame({"unique_id": "t", "ds": days, "y": 2.0})
    prepared = prepare_history(daily, min_weeks=3)
    assert prepared.history["ds"].max() == pd.Timestamp("2024-02-05") and len(prepared.history) == 6
    assert prepared.history["y"].tolist() == [10.0] * 6
    cut = prepare_history(daily.iloc[:-2], min_weeks=3)  # the last week has 3 of its 5 days: left out
    assert cut.history["ds"].max() == pd.Timestamp("2024-01-29") and any("partial" in n for n in cut.notes)


def test_text_and_empty_quantities_and_bad_dates():
    frame = pd.DataFrame(
        {"unique_id": ["t", "t", "e", "e", "e", "x"], "ds": ["2024-01-07", "2024-01-14", "2024-01-07", "2024-01-14",
         "2024-01-21", "not a date"], "y": ["3", "abc", "2", "", "4", "1"]}
    )  # fmt: skip
    prepared = prepare_history(frame, min_weeks=10)
    assert "'abc'" in prepared.rejected["t"] and "non_numeric" in prepared.rejected["t"]
    assert "bad_date" in prepared.rejected["x"]
    assert prepared.history.loc[prepared.history["unique_id"] == "e", "y"].tolist() == [2.0, 0.0, 4.0]


def test_zero_and_short_series_get_their_own_treatment():
    frame = pd.concat([weekly("zero", [0.0] * 20), weekly("short", [1.0, 2.0, 3.0]), weekly("long", [1.0] * 20)])
    prepared = prepare_history(frame, min_weeks=10)
    assert prepared.all_zero == ["zero"] and prepared.short == ["short"] and prepared.modelled == ["long"]


def test_stockout_weeks_are_raised_to_recent_demand_never_lowered():
    sales = [10, 12, 11, 3, 14, 0]
    censored = [False, False, False, True, False, True]
    history = prepare_history(weekly("s", sales, censored=censored), min_weeks=3).history
    assert history["y_observed"].tolist() == sales
    assert history["y"].iloc[3] == pytest.approx(11.0)  # mean of 10, 12, 11
    assert history["y"].iloc[5] == pytest.approx((10 + 12 + 11 + 14) / 4)
    assert history["y"].iloc[:3].tolist() == [10, 12, 11]


def test_missing_columns_are_named():
    with pytest.raises(ValueError, match=r"lacks column\(s\) \['y'\]"):
        prepare_history(pd.DataFrame({"unique_id": ["a"], "ds": ["2024-01-07"]}), min_weeks=3)


@pytest.mark.parametrize(
    ("values", "pattern"),
    [([5, 6, 5, 6, 5, 6], "smooth"), ([1, 30, 2, 40, 1, 50], "erratic"), ([0, 0, 3, 0, 0, 3], "intermittent"),
     ([0, 0, 1, 0, 0, 40], "lumpy"), ([0, 0, 0], "zero")],
)  # fmt: skip
def test_demand_patterns(values, pattern):

    assert demand_pattern(np.array(values, dtype=float)) == pattern


def test_a_series_with_rows_only_when_it_sold_runs_with_zeros_to_the_files_last_week():
    sparse = weekly("sparse", [4.0, 2.0, 5.0]).drop(index=1)  # weeks 1 and 3 of 12
    gapless = weekly("gapless", [1.0, 2.0, 3.0])  # ends in week 3 too, but is complete: keeps its end
    prepared = prepare_history(pd.concat([sparse, gapless, weekly("full", [1.0] * 12)]), min_weeks=10)
    ends = prepared.history.groupby("unique_id")["ds"].max()
    assert ends["sparse"] == ends["full"] == pd.Timestamp("2024-03-24")
    assert ends["gapless"] == pd.Timestamp("2024-01-21")
    assert prepared.history.loc[prepared.history["unique_id"] == "sparse", "y"].sum() == 9.0


def test_a_file_whose_only_series_is_duplicated_leaves_nothing_and_says_why():
    frame = pd.DataFrame({"unique_id": ["S00", "S00"], "ds": ["2024-01-01", "2024-01-01"], "y": ["6.0", "6.0"]})
    prepared = prepare_history(frame, min_weeks=10)  # found by the property test
    assert prepared.history.empty and "duplicate_week" in prepared.rejected["S00"]

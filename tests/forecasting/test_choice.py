"""How the forecast is chosen: the model set by history length, the season window, the combination when windows do
not separate the candidates, and intervals calibrated on the backtest's own errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting.anchor import anchor_choice, anchor_members
from forecasting.backtest import COMB, ENSEMBLE, add_comb, add_ensembles, choose_models, out_of_sample_windows
from forecasting.final_forecast import needed_models
from forecasting.intervals import apply_intervals, calibrate, coverage
from forecasting.pipeline import ForecastOptions, run_forecast
from forecasting.windows import window_plan

END = pd.Timestamp("2025-06-29")  # a Sunday: every series ends on it


def weekly(uid: str, weeks: int, rng, seasonal: bool = False) -> pd.DataFrame:
    ds = pd.date_range(end=END, periods=weeks, freq="W-SUN")
    level = 50 + 0.2 * np.arange(weeks)
    if seasonal:
        level = level + 20 * np.sin(2 * np.pi * ds.isocalendar().week.to_numpy() / 52)
    return pd.DataFrame({"unique_id": uid, "ds": ds, "y": np.round(level + rng.normal(0, 4, weeks))})


@pytest.fixture(scope="module")
def result():
    rng = np.random.default_rng(11)
    frame = pd.concat([weekly("LONG", 160, rng, seasonal=True), weekly("YEAR", 30, rng), weekly("NEW", 12, rng)])
    return run_forecast(frame, None, ForecastOptions(horizon=8, n_jobs=1, global_model=False))


def test_a_series_of_two_horizons_is_modelled_and_the_run_says_which_rule_each_got(result):
    # 30 weeks at a horizon of 8: the old threshold (8 x (windows + 2) = 48) gave it the flat recent mean.
    selection = result.selection.set_index("unique_id")
    assert selection.loc["YEAR", "history_rule"] == "trend"
    assert selection.loc["YEAR", "treatment"] == "backtested"
    assert selection.loc["YEAR", "model"] != "RecentMean"
    assert selection.loc["NEW", "history_rule"] == "flat" and selection.loc["NEW", "model"] == "RecentMean"
    assert selection.loc["LONG", "history_rule"] == "seasonal"
    assert result.report["history_rules"] == {"seasonal": 1, "trend": 1, "flat": 1}


def test_the_choice_has_seen_the_same_weeks_one_season_before(result):
    # A window whose cutoff lies 52 weeks before the end: its 8 weeks are the ones the forecast covers, a year ago;
    # and one 52 weeks before the held-out window, so the choice that window measures has seen its season too.
    season = result.report["season_window_cutoffs"]
    assert season == [str((END - pd.Timedelta(weeks=w)).date()) for w in (60, 52)]
    # The optimiser replays the rolling windows only: consecutive weeks up to the end, the held-out one last.
    cutoffs = set(result.backtest_forecasts.loc[result.backtest_forecasts["unique_id"] == "LONG", "cutoff"])
    assert cutoffs == {END - pd.Timedelta(weeks=w) for w in (24, 16, 8)}


def scored(errors: dict[str, list[float]]) -> pd.DataFrame:
    """One series selling 10 a week, windows 1-3 of one week; per model its error in each window (ensemble added)."""
    rows = []
    for model, misses in {**errors, ENSEMBLE: list(np.mean(list(errors.values()), axis=0))}.items():
        for window, miss in zip((1, 2, 3), misses, strict=True):
            cutoff = pd.Timestamp("2025-01-05") + pd.Timedelta(weeks=window)
            rows.append({"unique_id": "S", "ds": cutoff + pd.Timedelta(weeks=1), "cutoff": cutoff, "window": window,
                         "model": model, "forecast": 10 + miss, "y_observed": 10.0, "is_censored": False})  # fmt: skip
    return pd.DataFrame(rows)


def test_windows_that_disagree_choose_the_combination():
    # A has the least total error thanks to one window; the combination beats it in the other two.
    frame = scored({"A": [1.0, 5.0, 5.0], "B": [9.0, 4.0, 4.0]})
    assert choose_models(frame, [1, 2, 3], pd.Series({"S": "smooth"})).loc["S"] == ENSEMBLE


def test_a_model_ahead_in_total_and_in_most_windows_is_chosen_alone():
    # A beats the combination in total and in two windows of three, by less than one standard error of the
    # per-window gaps (the third window is noisy): consistent skill, not noise.
    frame = scored({"A": [1.0, 1.0, 3.0], "B": [2.0, 2.0, 2.0]})
    assert choose_models(frame, [1, 2, 3], pd.Series({"S": "smooth"})).loc["S"] == "A"


def test_a_model_that_wins_every_window_clearly_is_chosen_alone():
    frame = scored({"A": [1.0, 1.0, 1.0], "B": [6.0, 8.0, 7.0]})
    assert choose_models(frame, [1, 2, 3], pd.Series({"S": "smooth"})).loc["S"] == "A"


def test_a_member_far_worse_than_the_best_is_left_out_of_the_combination():
    # co2's case: two seasonal models close together and a trend model three times worse. With it, the combination
    # was dragged off the seasonal pattern (held-out MASE 1.168 against MSTL's 0.741); without it, the combination
    # holds the two seasonal models, and with only one good model there is no combination at all.
    frame = scored({"MSTL": [1.0, 1.2, 0.9], "Theta": [1.2, 1.0, 1.3], "Trend": [3.0, 3.5, 3.2]})
    frame = frame[frame["model"] != ENSEMBLE]
    segments = pd.Series({"S": "smooth"})
    _, members = add_ensembles(frame, [1, 2, 3], segments)
    assert sorted(members["model"]) == ["MSTL", "Theta"]
    alone = frame[frame["model"] != "Theta"]
    with_ensembles, members = add_ensembles(alone, [1, 2, 3], segments)
    assert members.empty and ENSEMBLE not in set(with_ensembles["model"])
    assert choose_models(with_ensembles, [1, 2, 3], segments).loc["S"] == "MSTL"


def test_the_fixed_combination_of_ets_theta_and_arima_competes_with_the_fitted_one():
    # ETS and Theta over-forecast, ARIMA under-forecasts by twice as much: ARIMA is left out of the fitted
    # combination (more than 1.5 times the best one's error), and the two it keeps share their bias. The fixed
    # combination (one member per family, equal weights) cancels it.
    frame = scored({"SeasonalETS": [2.0, 2.0, 2.5], "MSTL": [2.2, 2.1, 2.4], "AutoTheta": [2.5, 2.0, 2.0],
                    "AutoARIMA": [-4.0, -4.5, -4.0]})  # fmt: skip
    frame = add_comb(frame[frame["model"] != ENSEMBLE])
    comb = frame[frame["model"] == COMB]
    assert comb["forecast"].round(6).tolist() == [10.166667, 9.833333, 10.166667]
    segments = pd.Series({"S": "smooth"})
    with_ensembles, members = add_ensembles(frame, [1, 2, 3], segments)
    assert COMB not in set(members["model"])
    assert choose_models(with_ensembles, [1, 2, 3], segments).loc["S"] == COMB
    # A 52-week season that ETS and ARIMA do not carry (MSTL, the plain AutoETS, no SeasonalETS): no Comb.
    weekly_season = frame[frame["model"] != COMB].replace({"model": {"SeasonalETS": "AutoETS"}})
    assert COMB not in set(add_comb(weekly_season)["model"])
    # Between the two combinations the lower total error decides, not the noise test a single model has to pass:
    # the fixed one, ahead in total though behind in two windows of three, is chosen.
    close = scored({"A": [1.0, 3.0, 2.0], "B": [3.0, 1.0, 2.0]})
    close = pd.concat([close, close[close["model"] == ENSEMBLE].assign(model=COMB, forecast=[10.5, 12.5, 12.9])])
    assert choose_models(close, [1, 2, 3], segments).loc["S"] == COMB


def test_calibrated_intervals_hold_their_share_of_new_actuals():
    # Skewed errors (intermittent-like): a symmetric interval would miss; empirical quantiles hold 80% and 95%.
    rng = np.random.default_rng(5)
    ids = [f"S{k}" for k in range(20)]
    scales = pd.Series(np.linspace(1, 5, 20), index=ids)
    segments = pd.Series("smooth", index=ids)

    def draws(n):
        uid = np.repeat(ids, n)
        miss = rng.gamma(2.0, 1.0, 20 * n) - 2.0
        return pd.DataFrame({"unique_id": uid, "forecast": 20.0, "is_censored": False,
                             "y_observed": 20.0 + miss * scales.reindex(uid).to_numpy()})  # fmt: skip

    quantiles = calibrate(draws(40), scales, segments, (80, 95))
    fresh = apply_intervals(draws(200), quantiles, scales, segments, (80, 95))
    assert 0.77 <= coverage(fresh, 80) <= 0.83
    assert 0.93 <= coverage(fresh, 95) <= 0.97


def test_held_out_coverage_is_reported_for_the_chosen_forecast(result):
    chosen = result.accuracy[result.accuracy["is_chosen"]].set_index("level")
    assert chosen.loc["product_warehouse", "coverage_95"] >= chosen.loc["product_warehouse", "coverage_80"] > 0
    f = result.forecasts
    assert ((f["lo_95"] <= f["lo_80"]) & (f["lo_80"] <= f["forecast"]) & (f["hi_80"] <= f["hi_95"])).all()


def test_each_series_gets_the_windows_its_history_allows():
    plan = window_plan(pd.Series({"A": 20, "B": 30, "C": 160}), horizon=8, season=52, max_windows=3)
    assert plan["rule"].to_dict() == {"A": "trend", "B": "trend", "C": "seasonal"}
    assert plan["rolling"].to_dict() == {"A": 1, "B": 2, "C": 3}
    # Season windows only where a horizon of history lies before them: cut 44 and 52 weeks, cutoffs 52 and 60 back.
    assert plan.loc["C", ["season_offset_0", "season_offset_1"]].tolist() == [44, 52]
    assert plan.loc[["A", "B"], "season_offset_0"].isna().all()


def test_the_total_is_chosen_for_on_its_own_and_file_ids_with_slashes_are_just_ids():
    from forecasting.segments import choice_segments as _segments

    nodes = ["total", "total/Toys", "total/Toys/EAST", "total/Toys/EAST/P1|W1"]
    plan = window_plan(pd.Series(160, index=nodes), horizon=8, season=52, max_windows=3)
    patterns = pd.Series("smooth", index=nodes)
    segments = _segments(patterns, nodes, plan, hierarchical=True)
    assert segments.tolist() == ["level_0", "level_1", "level_2", "smooth/seasonal"]
    assert _segments(patterns, nodes, plan, hierarchical=False).eq("smooth/seasonal").all()


def test_monthly_data_whose_season_windows_are_rolling_ones_forecasts():
    # Horizon 12 on monthly data: the windows one season back are rolling windows already; none is added.
    ds = pd.date_range("2015-01-01", periods=60, freq="MS")
    frame = pd.DataFrame({"unique_id": "M", "ds": ds, "y": 100 + 10 * np.sin(2 * np.pi * ds.month / 12)})
    result = run_forecast(frame, None, ForecastOptions(horizon=12, n_jobs=1, global_model=False))
    assert len(result.forecasts) == 12 and result.report["season_window_cutoffs"] == []


def test_a_series_with_few_windows_still_gets_intervals_around_its_point():
    # 20 weeks at a horizon of 8: one window, chosen on itself, so no honest error is left.
    rng = np.random.default_rng(1)
    frame = weekly("A", 20, rng)
    result = run_forecast(frame, None, ForecastOptions(horizon=8, n_jobs=1, global_model=False))
    f = result.forecasts
    assert (f["hi_80"] > f["forecast"]).all() and (f["lo_80"] < f["forecast"]).all()
    assert (f["hi_95"] > f["hi_80"]).all()


def test_the_report_gives_each_segments_choice_and_its_candidates_ranks_per_window(result):
    # Whether a choice is skill or noise shows in its windows: each segment's top three candidates, ranked in each
    # choosing window (1 = least scaled error), beside what was chosen.
    ranks = result.report["choice_ranks"]
    selection = result.selection.set_index("unique_id")
    assert {ranks[s]["chosen"] for s in ranks} <= set(selection["model"])
    for entry in ranks.values():
        assert 1 <= len(entry["ranks"]) <= 3
        for per_window in entry["ranks"].values():
            assert all(1 <= int(r) <= 12 for r in per_window.split())
    # LONG (160 weeks) has three rolling windows and two season windows: five ranks per candidate.
    long_segment = next(s for s in ranks if s.endswith("seasonal"))
    assert all(len(r.split()) == 5 for r in ranks[long_segment]["ranks"].values())


def test_a_segment_ranks_models_by_the_geometric_mean_of_its_series_errors_so_no_series_dominates():
    # The quarterly set's case: a trending series with scaled errors five times the seasonal one's. A is a little
    # better on the trend (5 against 6 per window), B twice as good on the season (0.5 against 1): summed, the
    # trend decides (A 18, B 19.5); per series relative, B is ahead (geometric means 2.24 against 1.73 a window).
    trend = scored({"A": [5.0, 5.0, 5.0], "B": [6.0, 6.0, 6.0]}).assign(unique_id="TREND")
    season = scored({"A": [1.0, 1.0, 1.0], "B": [0.5, 0.5, 0.5]}).assign(unique_id="SEASON")
    frame = pd.concat([trend, season])
    frame = frame[frame["model"] != ENSEMBLE]
    scales = pd.Series({"TREND": 1.0, "SEASON": 1.0})
    segments = pd.Series({"TREND": "smooth/seasonal", "SEASON": "smooth/seasonal"})
    assert set(choose_models(frame, [1, 2, 3], segments, scales)) == {"B"}
    # Intermittent series keep the summed error: a geometric mean rewards forecasts near zero on their many zero
    # weeks (the default sample's product x warehouse 1 - WAPE fell from 27.9% to 22.7% with it).
    intermittent = pd.Series({"TREND": "intermittent/seasonal", "SEASON": "intermittent/seasonal"})
    assert set(choose_models(frame, [1, 2, 3], intermittent, scales)) == {"A"}


def test_a_segment_of_one_series_is_ranked_with_its_rules_other_continuous_series():
    # monthly_more's case: sunspots, erratic, alone in its segment beside two smooth series. Its own three windows
    # rank B ahead (2.5 against 3 each): one series' few windows rank models by noise. Ranked with the smooth
    # series, where A is twice as good, it gets A; an intermittent series of the same rule keeps its own choice.
    smooth = [scored({"A": [1.0, 1.0, 1.0], "B": [2.0, 2.0, 2.0]}).assign(unique_id=f"SMOOTH{i}") for i in (1, 2)]
    spiky = scored({"A": [3.0, 3.0, 3.0], "B": [2.5, 2.5, 2.5]}).assign(unique_id="SPIKY")
    sparse = spiky.assign(unique_id="SPARSE")
    frame = pd.concat([*smooth, spiky, sparse])
    frame = frame[frame["model"] != ENSEMBLE]
    segments = pd.Series({"SMOOTH1": "smooth/seasonal", "SMOOTH2": "smooth/seasonal", "SPIKY": "erratic/seasonal",
                          "SPARSE": "intermittent/seasonal"})  # fmt: skip
    choice = choose_models(frame, [1, 2, 3], segments, pd.Series(1.0, index=segments.index))
    assert choice.to_dict() == {"SMOOTH1": "A", "SMOOTH2": "A", "SPIKY": "A", "SPARSE": "B"}


def test_the_totals_forecast_is_the_mean_of_its_choice_and_last_years_same_weeks():
    # The total's few windows barely rank its candidates (issue 23): whatever wins them, its forecast is anchored to
    # SeasonalNaive, half and half, on every window (the honest errors its intervals come from) and in the forecast.
    # A series below the total keeps its choice.
    frame = scored({"MSTL": [1.0, 1.0, 1.0], "SeasonalNaive": [6.0, 8.0, 7.0]})
    frame = frame[frame["model"] != ENSEMBLE]
    both = pd.concat([frame.assign(unique_id="total"), frame.assign(unique_id="total/Toys/EAST/P1|W1")])
    segments = pd.Series({"total": "level_0", "total/Toys/EAST/P1|W1": "smooth/seasonal"})
    forecasts = out_of_sample_windows(both, segments).set_index(["unique_id", "cutoff"])["forecast"].sort_index()
    assert forecasts.loc["total"].tolist() == [10 + (1 + 6) / 2, 10 + (1 + 8) / 2, 10 + (1 + 7) / 2]
    assert forecasts.loc["total/Toys/EAST/P1|W1"].tolist() == [11.0, 11.0, 11.0]
    chosen = choose_models(both, [1, 2, 3], segments)
    _, anchored = anchor_choice(both, chosen, segments)
    members = anchor_members(chosen, anchored, pd.DataFrame(columns=["unique_id", "model", "weight", "combination"]))
    assert dict(zip(members["model"], members["weight"], strict=True)) == {"MSTL": 0.5, "SeasonalNaive": 0.5}
    assert needed_models(anchored, members) == {"MSTL", "SeasonalNaive"}

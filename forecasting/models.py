"""The candidate models per demand pattern, in statsforecast's own terms.

Baselines run on every series: SeasonalNaive (same week last year) and the design brief's 7-day moving average,
which on weekly buckets is last week's total (7 x the mean daily demand of the last 7 days), i.e. Naive.
The set fits the history (forecasting.windows): the yearly season only from two seasons of history on; below that
level and trend models. AutoARIMA runs within a budget: it took 0.8 s per series and backtest window on
the sample (40 times AutoETS), so it is a candidate only for groups of at most ARIMA_MAX_SERIES continuous series
(a planner's file, short-history series), where one strong trend model more pays for its time. With a short season
(monthly, quarterly: at most ARIMA_SEASON_MAX periods) and two seasons of history it is the seasonal AutoARIMA: a
seasonal difference of 12 costs little, while one of 52 weeks takes minutes per fit.
"""

from __future__ import annotations

from statsforecast.models import (
    ADIDA,
    IMAPA,
    MSTL,
    TSB,
    AutoARIMA,
    AutoETS,
    AutoTheta,
    CrostonOptimized,
    Naive,
    SeasonalNaive,
    WindowAverage,
)

SEASON_WEEKS = 52  # monthly input uses 12 (PreparedHistory.season_length)
BASELINES = ("SeasonalNaive", "MovingAverage7d")
CONTINUOUS_PATTERNS = ("smooth", "erratic")
ARIMA_MAX_SERIES = 60
ARIMA_SEASON_MAX = 24  # seasonal ARIMA for seasons up to two years of months; weekly data keeps the plain one


# The fallback and the recent-mean candidate: the mean of the last four weeks, under one name everywhere.
RECENT_WEEKS = 4
FALLBACK = f"WindowAverage{RECENT_WEEKS}"


def recent_average():
    return WindowAverage(window_size=RECENT_WEEKS, alias=FALLBACK)


def baseline_models(season_length: int = SEASON_WEEKS) -> list:
    return [SeasonalNaive(season_length=season_length), Naive(alias="MovingAverage7d")]


def continuous_models(season_length: int = SEASON_WEEKS, seasonal: bool = True, series: int = 0) -> list:
    """For series that sell most weeks: level, trend and (with two seasons of history) yearly season; AutoARIMA
    when the group holds at most ARIMA_MAX_SERIES series (seasonal for a short season)."""
    models = [
        *baseline_models(season_length),
        recent_average(),
        AutoETS(season_length=1, alias="AutoETS"),
        AutoETS(season_length=1, model="AAN", damped=True, alias="DampedTrend"),
    ]
    if seasonal:
        models += [
            AutoTheta(season_length=season_length, alias="AutoTheta"),
            MSTL(season_length=season_length, trend_forecaster=AutoETS(model="ZZN"), alias="MSTL"),
        ]
    else:
        models.append(AutoTheta(season_length=1, alias="AutoTheta"))
    if seasonal and season_length <= ARIMA_SEASON_MAX:
        # A short season (months, quarters) is cheap for ETS too: the seasonal ETS the M-competitions' benchmarks use,
        # fitted as the exponential-smoothing member of Comb only, not chosen alone (forecasting.backtest).
        models.append(AutoETS(season_length=season_length, alias="SeasonalETS"))
    if series <= ARIMA_MAX_SERIES:
        arima_season = season_length if seasonal and season_length <= ARIMA_SEASON_MAX else 1
        models.append(AutoARIMA(season_length=arima_season, alias="AutoARIMA"))
    return models


def intermittent_models(season_length: int = SEASON_WEEKS) -> list:
    """For series with many zero weeks: size and interval forecast apart (Croston family) or aggregated."""
    return [
        *baseline_models(season_length),
        recent_average(),
        CrostonOptimized(alias="CrostonOptimized"),
        ADIDA(alias="ADIDA"),
        IMAPA(alias="IMAPA"),
        TSB(alpha_d=0.1, alpha_p=0.1, alias="TSB"),
    ]


def fallback_model():
    """For series too short to backtest, and for any fit that fails: the mean of the last four weeks."""
    return recent_average()

"""SeasonalDrift: the seasonal random walk with drift, last season's same period plus the mean seasonal difference.

SeasonalNaive repeats last year's weeks at last year's level; a growing (or shrinking) series then misses its peak by
a year's growth. The drift is the mean of every seasonal difference y[t] - y[t - S] in the history (the textbook
model, fpp3's SNAIVE with drift), so with two seasons of history it is last year's change in level, with three the
mean of two years'. Points only: the stage's intervals come from backtest errors (forecasting.intervals).
"""

from __future__ import annotations

import numpy as np
from statsforecast.models import SeasonalNaive

MODEL = "SeasonalDrift"


def seasonal_drift(y: np.ndarray, season_length: int) -> float:
    """Mean of y[t] - y[t - S] over the history (0 with less than one season of differences)."""
    y = np.asarray(y, dtype=float)
    if len(y) < 2 * season_length:
        return 0.0
    differences = y[season_length:] - y[:-season_length]
    differences = differences[np.isfinite(differences)]
    return float(differences.mean()) if differences.size else 0.0


def _shifted(result: dict, drift: float) -> dict:
    return {key: (value if key == "fitted" else value + drift) for key, value in result.items()}


class SeasonalDriftModel(SeasonalNaive):
    """statsforecast's SeasonalNaive with the seasonal drift added to every forecast period."""

    def __init__(self, season_length: int, alias: str = MODEL):
        super().__init__(season_length=season_length, alias=alias)

    def fit(self, y, X=None):
        super().fit(y, X)
        self.drift_ = seasonal_drift(y, self.season_length)
        return self

    def predict(self, h, X=None, level=None):
        return _shifted(super().predict(h, X, level), self.drift_)

    def forecast(self, y, h, X=None, X_future=None, level=None, fitted=False):
        result = super().forecast(y=y, h=h, X=X, X_future=X_future, level=level, fitted=fitted)
        return _shifted(result, seasonal_drift(y, self.season_length))

    def forward(self, y, h, X=None, X_future=None, level=None, fitted=False):
        return self.forecast(y=y, h=h, X=X, X_future=X_future, level=level, fitted=fitted)

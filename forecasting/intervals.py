"""80% and 95% intervals calibrated on the backtest: empirical quantiles of the chosen forecast's own errors.

A model's textbook interval assumes the model is right; a chosen and reconciled forecast is not any one model. So
the interval is read from what the forecast actually missed by on the backtest windows (split-conformal in spirit):
per segment, the errors y - forecast of the chosen forecast, each divided by its series' naive scale (MASE's), give
empirical quantiles; a series' interval is its point plus those quantiles times its scale. Signed quantiles keep a
skew (intermittent sales miss upward more than downward). A segment with fewer than MIN_ERRORS errors borrows the
quantiles pooled over every segment. Bounds are cut at zero and always contain the point.
"""

from __future__ import annotations

import pandas as pd

MIN_ERRORS = 30
POOLED = "*"


def _bounds(level: int) -> tuple[float, float]:
    tail = (1 - level / 100) / 2
    return tail, 1 - tail


def calibrate(backtest: pd.DataFrame, scales: pd.Series, segments: pd.Series, levels) -> pd.DataFrame:
    """backtest: unique_id, forecast, y_observed, is_censored (the chosen forecast on backtest windows).
    Returns segment -> q_lo_<level>, q_hi_<level> (scaled), with a POOLED row for segments with too few errors."""
    usable = backtest[~backtest["is_censored"].fillna(False).astype(bool)].dropna(subset=["forecast", "y_observed"])
    errors = (usable["y_observed"] - usable["forecast"]) / usable["unique_id"].map(scales)
    frame = pd.DataFrame({"segment": usable["unique_id"].map(segments).to_numpy(), "error": errors.to_numpy()})
    frame = frame.dropna()
    groups = [(name, g["error"]) for name, g in frame.groupby("segment") if len(g) >= MIN_ERRORS]
    groups.append((POOLED, frame["error"]))
    rows = []
    for name, values in groups:
        row = {"segment": name}
        for level in levels:
            low, high = _bounds(level)
            row[f"q_lo_{level}"] = float(values.quantile(low)) if len(values) else 0.0
            row[f"q_hi_{level}"] = float(values.quantile(high)) if len(values) else 0.0
        rows.append(row)
    return pd.DataFrame(rows).set_index("segment")


def apply_intervals(forecasts: pd.DataFrame, quantiles: pd.DataFrame, scales: pd.Series, segments: pd.Series,
                    levels) -> pd.DataFrame:  # fmt: skip
    """forecasts (unique_id, forecast, ...) with lo_<level> and hi_<level> from the calibrated quantiles."""
    segment = forecasts["unique_id"].map(segments)
    segment = segment.where(segment.isin(quantiles.index), POOLED)
    scale = forecasts["unique_id"].map(scales).fillna(1.0).to_numpy()
    out = forecasts.copy()
    for level in levels:
        low = quantiles[f"q_lo_{level}"].reindex(segment).to_numpy()
        high = quantiles[f"q_hi_{level}"].reindex(segment).to_numpy()
        out[f"lo_{level}"] = (out["forecast"] + low * scale).clip(lower=0).clip(upper=out["forecast"])
        out[f"hi_{level}"] = (out["forecast"] + high * scale).clip(lower=out["forecast"])
    return out


def coverage(scored: pd.DataFrame, level: int) -> float:
    """Share of uncensored actuals inside the level's interval."""
    usable = scored[~scored["is_censored"].fillna(False).astype(bool)]
    if usable.empty:
        return float("nan")
    inside = (usable[f"lo_{level}"] <= usable["y_observed"]) & (usable["y_observed"] <= usable[f"hi_{level}"])
    return float(inside.mean())

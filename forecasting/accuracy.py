"""Accuracy = 1 - WAPE at each level of the hierarchy, with bias; MASE per series from utilsforecast."""

from __future__ import annotations

import pandas as pd
from utilsforecast.losses import mase

LEVELS = {
    "product_warehouse": ["unique_id"],
    "product_region": ["product_id", "region_code"],
    "category_region": ["category", "region_code"],
    "total": [],
}


def level_accuracy(scored: pd.DataFrame, attributes: pd.DataFrame | None) -> pd.DataFrame:
    """One row per level and model: WAPE, accuracy and bias over uncensored backtest weeks."""
    usable = scored[~scored["is_censored"].fillna(False).astype(bool)]
    if attributes is not None:
        usable = usable.merge(attributes, on="unique_id", how="left")
    rows = []
    for level, keys in LEVELS.items():
        if attributes is None and level not in ("product_warehouse", "total"):
            continue
        grouped = usable.groupby([*keys, "model", "cutoff", "ds"], as_index=False)[["forecast", "y_observed"]].sum()
        grouped["abs_error"] = (grouped["forecast"] - grouped["y_observed"]).abs()
        grouped["error"] = grouped["forecast"] - grouped["y_observed"]
        totals = grouped.groupby("model").agg(
            abs_error=("abs_error", "sum"), error=("error", "sum"), actual=("y_observed", "sum")
        )
        series = grouped.drop_duplicates([*keys, "model"]).groupby("model").size() if keys else None
        for model, total in totals.iterrows():
            wape = total["abs_error"] / total["actual"] if total["actual"] else float("nan")
            rows.append(
                {
                    "level": level,
                    "model": model,
                    "series": int(series[model]) if series is not None else 1,
                    "wape": wape,
                    "accuracy": 1 - wape,
                    "bias": total["error"] / total["actual"] if total["actual"] else float("nan"),
                }
            )
    return pd.DataFrame(rows)


def series_mase(scored: pd.DataFrame, history: pd.DataFrame) -> pd.DataFrame:
    """Mean absolute scaled error per series and model (scaled by the in-sample naive error)."""
    wide = scored.pivot_table(index=["unique_id", "ds", "cutoff"], columns="model", values="forecast").reset_index()
    actuals = history[["unique_id", "ds", "y_observed"]].rename(columns={"y_observed": "y"})
    wide = wide.merge(actuals, on=["unique_id", "ds"])
    models = [c for c in wide.columns if c not in ("unique_id", "ds", "cutoff", "y")]
    first_cutoff = scored["cutoff"].min()
    train = actuals[actuals["ds"] <= first_cutoff]
    result = mase(wide.drop(columns="cutoff"), models=models, seasonality=1, train_df=train)
    return result.melt(id_vars="unique_id", var_name="model", value_name="mase")

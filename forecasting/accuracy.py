"""Accuracy = 1 - WAPE at each level of the hierarchy, with bias, MASE and RMSSE; MASE per series from utilsforecast.

MASE and RMSSE are M5's scaled errors: each series' mean absolute (squared) error over the scored weeks divided by
the mean absolute (squared) one-step naive error of its own history before the scored window, so a series that sells
little weighs as much as one that sells a lot, and zero weeks do not blow them up as percentage errors do. A level's
figure is the mean over its series (series with a constant history, whose naive error is zero, are left out).

A bottom series' stock-out weeks are left out (its sales there are not its demand). An aggregate is scored on
every one of its series' weeks, stock-outs included, as its node is modelled, chosen and its interval covered: the
weeks left out are chosen by the outcome (a series runs out where its demand ran high), so a sum over the others is
not the aggregate, and it turned a total forecast right to 0.1% into a 3.9% over-forecast (BENCHMARKS.md, issue
23, session 30).

An aggregate is scored only on the origins most of its series share (_shared_origins): a series that stopped selling
months before the others has its own backtest windows there, and summed alone they made a "total" of a few series,
scaled by the whole total's naive error, that was averaged in with the real total.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from utilsforecast.losses import mase

LEVELS = {
    "product_warehouse": ["unique_id"],
    "product_region": ["product_id", "region_code"],
    "category_region": ["category", "region_code"],
    "total": [],
}


def _scales(history: pd.DataFrame, keys: list[str], before) -> pd.DataFrame:
    """Per series of a level: the in-sample one-step naive mean absolute and mean squared error."""
    train = history[history["ds"] <= before].groupby([*keys, "ds"], as_index=False)["y_observed"].sum()
    train = train.sort_values([*keys, "ds"])
    step = train.groupby(keys)["y_observed"].diff() if keys else train["y_observed"].diff()
    train = train.assign(abs_step=step.abs(), sq_step=step**2).dropna(subset=["abs_step"])
    if not keys:
        return pd.DataFrame({"scale_abs": [train["abs_step"].mean()], "scale_sq": [train["sq_step"].mean()]})
    return train.groupby(keys, as_index=False).agg(scale_abs=("abs_step", "mean"), scale_sq=("sq_step", "mean"))


def _scaled_errors(grouped: pd.DataFrame, keys: list[str], history: pd.DataFrame) -> pd.DataFrame:
    """model -> mean MASE and mean RMSSE over the level's series."""
    per_series = grouped.groupby([*keys, "model"], as_index=False).agg(
        mae=("abs_error", "mean"), mse=("sq_error", "mean")
    )
    scales = _scales(history, keys, grouped["cutoff"].min())
    per_series = per_series.merge(scales, on=keys, how="inner") if keys else per_series.merge(scales, how="cross")
    usable = per_series[per_series["scale_abs"] > 0]
    usable = usable.assign(mase=usable["mae"] / usable["scale_abs"], rmsse=np.sqrt(usable["mse"] / usable["scale_sq"]))
    return usable.groupby("model")[["mase", "rmsse"]].mean()


def level_accuracy(
    scored: pd.DataFrame, attributes: pd.DataFrame | None, history: pd.DataFrame | None = None
) -> pd.DataFrame:
    """One row per level and model: WAPE, accuracy, bias, MASE and RMSSE over the backtest weeks (a bottom series'
    stock-out weeks left out).

    history (unique_id, ds, y_observed) scales MASE and RMSSE; without it they are left empty.
    """
    usable = scored.merge(attributes, on="unique_id", how="left") if attributes is not None else scored
    censored = usable["is_censored"].fillna(False).astype(bool)
    if attributes is not None and history is not None:
        history = history.merge(attributes, on="unique_id", how="inner")
    rows = []
    for level, keys in LEVELS.items():
        if attributes is None and level not in ("product_warehouse", "total"):
            continue
        level_rows = usable[~censored] if keys == ["unique_id"] else _shared_origins(usable, keys)
        grouped = level_rows.groupby([*keys, "model", "cutoff", "ds"], as_index=False)[["forecast", "y_observed"]].sum()
        grouped["abs_error"] = (grouped["forecast"] - grouped["y_observed"]).abs()
        grouped["error"] = grouped["forecast"] - grouped["y_observed"]
        grouped["sq_error"] = grouped["error"] ** 2
        totals = grouped.groupby("model").agg(
            abs_error=("abs_error", "sum"), error=("error", "sum"), actual=("y_observed", "sum")
        )
        scaled = _scaled_errors(grouped, keys, history) if history is not None and not grouped.empty else None
        series = grouped.drop_duplicates([*keys, "model"]).groupby("model").size() if keys else None
        for model, total in totals.iterrows():
            wape = total["abs_error"] / total["actual"] if total["actual"] else float("nan")
            has_scaled = scaled is not None and model in scaled.index
            rows.append(
                {
                    "level": level,
                    "model": model,
                    "series": int(series[model]) if series is not None else 1,
                    "wape": wape,
                    "accuracy": 1 - wape,
                    "bias": total["error"] / total["actual"] if total["actual"] else float("nan"),
                    "mase": float(scaled.loc[model, "mase"]) if has_scaled else float("nan"),
                    "rmsse": float(scaled.loc[model, "rmsse"]) if has_scaled else float("nan"),
                }
            )
    return pd.DataFrame(rows, columns=ACCURACY_COLUMNS)


def _shared_origins(usable: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """The rows of each aggregate series (keys) at the origins (cutoffs) where at least SHARED_ORIGIN of its most
    series at any origin have a forecast: a sum of the few series whose windows fall elsewhere is not that aggregate."""
    groups = [usable[k] for k in keys] if keys else [pd.Series(0, index=usable.index)]
    counts = usable.groupby([*groups, usable["cutoff"]])["unique_id"].transform("nunique")
    most = counts.groupby(groups).transform("max") if keys else counts.max()
    return usable[counts >= SHARED_ORIGIN * most]


SHARED_ORIGIN = 0.5
ACCURACY_COLUMNS = ["level", "model", "series", "wape", "accuracy", "bias", "mase", "rmsse"]


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

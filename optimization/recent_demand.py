"""What actually sold lately, as a floor under the forecast the policy plans with: a forecaster cannot make the plan
hold less than the recent sales rate asks for.

Why: the policy's levels, and every transfer's judgement of what a site can spare, come from the forecast. When the
forecaster changed (issue 23: season windows, a combination of the best three models), the daily replay on the
default sample went from beating the ERP to losing 47.6% more sales value than it: the forecast ran 25-100% under
a holiday peak at a few dear products (P00102 at $864, P00106 at $1,518), their reorder points came out low, and
their "surplus" was sent away from sites that then sold out. Sales of the weeks just closed are known to the
planner whatever forecaster runs, so the mean of the last RECENT_DEMAND_WEEKS weeks bounds each week's forecast
from below: a forecast above it stands (a seasonal rise is the forecaster's to see), one below it is raised.
Weeks a series did not sell count as zero, and stock-out weeks count what sold (a lower bound, never a guess).
"""

from __future__ import annotations

import pandas as pd

KEYS = ["product_id", "warehouse_id"]
# Three closed weeks: one week of a thin series is noise (the floor from the latest week alone raised the default
# sample's overstock 14% in the daily replay), and a floor over more weeks than a lead time plus review lags a peak
# as badly as the forecast it corrects. The same for every product and scenario.
RECENT_DEMAND_WEEKS = 3


def recent_demand(history: pd.DataFrame, attributes: pd.DataFrame, before, weeks: int = RECENT_DEMAND_WEEKS
                  ) -> pd.DataFrame:  # fmt: skip
    """product_id, warehouse_id, recent_units: mean weekly units sold over the `weeks` weeks before `before`
    (history: unique_id, ds (week start), y; attributes: unique_id -> product_id, warehouse_id)."""
    before = pd.Timestamp(before)
    window = history[(history["ds"] < before) & (history["ds"] >= before - pd.Timedelta(weeks=weeks))]
    sold = window.groupby("unique_id")["y"].sum().clip(lower=0) / weeks
    return (attributes[["unique_id", *KEYS]].assign(recent_units=attributes["unique_id"].map(sold).fillna(0.0))
            .drop(columns="unique_id").drop_duplicates(KEYS))  # fmt: skip


def floor_by_recent(forecasts: pd.DataFrame, recent: pd.DataFrame | None) -> pd.DataFrame:
    """forecasts (product_id, warehouse_id, week rows with forecast_units, lo_80, hi_80) with each week's forecast
    at least the series' recent_units; the interval moves up with it, so its width (the spread) is kept."""
    if recent is None or recent.empty:
        return forecasts
    rate = forecasts[KEYS].merge(recent, on=KEYS, how="left")["recent_units"].fillna(0.0).to_numpy()
    raise_by = (rate - forecasts["forecast_units"].to_numpy(dtype=float)).clip(min=0)
    return forecasts.assign(
        forecast_units=forecasts["forecast_units"] + raise_by, lo_80=forecasts["lo_80"] + raise_by,
        hi_80=forecasts["hi_80"] + raise_by,
    )  # fmt: skip

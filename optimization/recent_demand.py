"""What actually sold lately, as a floor under the forecast the policy plans with: a forecaster cannot make the plan
hold less than recent sales ask for.

Why: the policy's levels, and every transfer's judgement of what a site can spare, come from the forecast. When the
forecaster changed (issue 23: season windows, a combination of the best three models), the daily replay on the
default sample went from beating the ERP to losing 47.6% more sales value than it: the forecast ran 25-100% under
a holiday peak at a few dear products (P00102 at $864, P00106 at $1,518, which sells 12-15 units some days and
none on most), their reorder points came out low, and their "surplus" was sent away from sites that then sold out.
What sold in the weeks just closed is known to the planner whatever forecaster runs, so two floors:
- the level: each week's forecast is at least the mean weekly sales of the last RECENT_DEMAND_WEEKS weeks (a
  forecast above it stands: a seasonal rise is the forecaster's to see);
- the spread, for dear products: a product whose margin is in the top quarter of the product master's keeps at
  least the standard deviation of its last SPREAD_WEEKS weekly sales as its forecast spread. A unit short there
  costs the most, and lumpy sales are what a smooth forecast's error misses. On every product the same floor held
  so much more stock that overstock rose 3.1% (A) and 0.8% (B) over the ERP's in the daily replay; on the dear
  quarter it costs A +0.1% and B -1.3% and buys most of the value (below).
Weeks a series did not sell count as zero; stock-out weeks count what sold (a lower bound, never a guess).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimization.policy import Z_80_TWO_SIDED
from optimization.pooled_rate import pooled_rates

KEYS = ["product_id", "warehouse_id"]
# Three closed weeks: one week of a thin series is noise (the floor from the latest week alone raised the default
# sample's overstock 14% in the daily replay), and a floor over more weeks than a lead time plus review lags a peak
# as badly as the forecast it corrects. A quarter of a year for the spread: a season's lumps, not one week's.
# The same for every product and scenario.
RECENT_DEMAND_WEEKS = 3
SPREAD_WEEKS = 13
# A year for a series' largest week: a thin series' lumps (one customer's order) come a few times a year, and a
# quarter often holds none (scenario B: sources that sold nothing for 13 weeks, then 9 units in a day).
PEAK_WEEKS = 52
DEAR_QUANTILE = 0.75  # the margins at or above this quantile of the product master's take the spread floor


def recent_demand(history: pd.DataFrame, attributes: pd.DataFrame, before, weeks: int = RECENT_DEMAND_WEEKS
                  ) -> pd.DataFrame:  # fmt: skip
    """product_id, warehouse_id, recent_units (mean weekly units sold over the `weeks` weeks before `before`),
    recent_sigma and season_units (the standard deviation and mean of the SPREAD_WEEKS weekly sales before it),
    peak_units (the largest of the PEAK_WEEKS weekly sales before it), pooled_units (the SPREAD_WEEKS rate shrunk
    toward the product's across sites, pooled_rate.py; also for a product at a warehouse with no history of it).
    history: unique_id, ds (week start), y; attributes: unique_id -> product_id, warehouse_id, category?"""
    before = pd.Timestamp(before)
    earlier = history[history["ds"] < before]
    window = earlier[earlier["ds"] >= before - pd.Timedelta(weeks=weeks)]
    sold = window.groupby("unique_id")["y"].sum().clip(lower=0) / weeks
    year = pd.date_range(end=before - pd.Timedelta(weeks=1), periods=PEAK_WEEKS, freq="7D")
    grid = earlier[earlier["ds"] >= year[0]].pivot_table(index="unique_id", columns="ds", values="y", aggfunc="sum")
    peak = grid.reindex(columns=year).fillna(0.0).max(axis=1)
    weekly = grid.reindex(columns=year[-SPREAD_WEEKS:]).fillna(0.0)
    own = attributes[["unique_id", *KEYS]].assign(
        recent_units=attributes["unique_id"].map(sold).fillna(0.0),
        recent_sigma=attributes["unique_id"].map(weekly.std(axis=1, ddof=1)).fillna(0.0),
        season_units=attributes["unique_id"].map(weekly.mean(axis=1)).fillna(0.0),
        peak_units=attributes["unique_id"].map(peak).fillna(0.0),
    ).drop(columns="unique_id").drop_duplicates(KEYS)
    pooled = pooled_rates(history, attributes, before, SPREAD_WEEKS)
    return pooled.merge(own, on=KEYS, how="outer").fillna(0.0)


def with_recent(sites: pd.DataFrame, recent: pd.DataFrame | None) -> pd.DataFrame:
    """sites with what each series sold lately (recent_units, recent_sigma, season_units, peak_units, pooled_units;
    0 where unknown), for the pulls' view of a source's demand and what it keeps (netting.py)."""
    columns = ["recent_units", "recent_sigma", "season_units", "peak_units", "pooled_units"]
    if recent is None or recent.empty:
        return sites
    joined = sites.drop(columns=columns, errors="ignore").merge(
        recent[[*KEYS, *[c for c in columns if c in recent]]], on=KEYS, how="left")  # fmt: skip
    return joined.fillna({column: 0.0 for column in columns if column in joined})


def dear_products(products: pd.DataFrame) -> pd.Series:
    """product_id -> whether its margin (unit_price - unit_cost) is in the top quarter of the product master's."""
    margin = (products["unit_price"] - products["unit_cost"]).astype(float).set_axis(products["product_id"])
    return margin >= margin.quantile(DEAR_QUANTILE)


def floor_by_recent(forecasts: pd.DataFrame, recent: pd.DataFrame | None, products: pd.DataFrame | None = None
                    ) -> pd.DataFrame:  # fmt: skip
    """forecasts (product_id, warehouse_id, week rows with forecast_units, lo_80, hi_80) with each week's forecast
    at least the series' recent_units (the interval moves up with it) and, for the dear products (with `products`:
    product_id, unit_price, unit_cost), an 80% interval no narrower than recent_sigma's."""
    if recent is None or recent.empty:
        return forecasts
    joined = forecasts[KEYS].merge(recent, on=KEYS, how="left")
    raise_by = (joined["recent_units"].fillna(0.0).to_numpy() - forecasts["forecast_units"].to_numpy(float)).clip(0)
    centre = (forecasts["hi_80"] + forecasts["lo_80"]).to_numpy(dtype=float) / 2 + raise_by
    half = (forecasts["hi_80"] - forecasts["lo_80"]).to_numpy(dtype=float) / 2
    # The dear quarter only, unlike the pulls' floor on every source (netting.lead_time_risk): this one raises the
    # levels each site holds, and on every product it raised overstock (module note); that one only prices a pull.
    if products is not None and "recent_sigma" in joined:
        dear = forecasts["product_id"].map(dear_products(products)).fillna(False).to_numpy(dtype=bool)
        recent_half = joined["recent_sigma"].fillna(0.0).to_numpy() * Z_80_TWO_SIDED / 2
        half = np.where(dear, np.maximum(half, recent_half), half)
    return forecasts.assign(forecast_units=forecasts["forecast_units"] + raise_by, lo_80=centre - half,
                            hi_80=centre + half)  # fmt: skip

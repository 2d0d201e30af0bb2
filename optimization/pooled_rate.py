"""A site's selling rate when its own sales say too little: empirical Bayes shrinkage toward the product's rate
across sites, scaled by the site's share of the product family.

Why: a pull prices what its source loses at the source's selling rate (netting.py). A site that sold nothing for a
quarter reads as a rate of zero, so every unit it holds looks spare, and on scenario B's 16-week replay $11,340 of
the value the pulls gave back (against reorder points alone) fell at sources with no sale in a year that later sold
(BENCHMARKS.md, issue 24). No sale in a quarter is weak evidence of no demand for a product that sells elsewhere.

The model (gamma-Poisson): site i's weekly rate is its prior m_i times a gamma factor of mean 1 and variance 1/alpha;
its units x_i over T_i weeks are Poisson given the rate. The prior m_i is the product's weekly units across all
sites times the site's warehouse's share of its family's (category's) units over the last year: a warehouse that
sells a fifth of the category is expected to sell a fifth of the product. alpha is estimated from the data by the
method of moments (Var x_i = e_i + e_i^2 / alpha, e_i = m_i T_i), across all sites: nothing is set per scenario.
The posterior mean m_i (alpha + x_i) / (alpha + m_i T_i) is the site's own mean where it sold much and its prior
where it sold little; a quiet site of a product that sells well elsewhere keeps a rate above zero.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

KEYS = ["product_id", "warehouse_id"]
SHARE_WEEKS = 52  # a warehouse's share of a family: a year, so one season's mix does not set it
# Bounds on 1/alpha: a sample with no overdispersion pools fully (the prior), one with huge overdispersion trusts each
# site's own sales. Numerical guards, not tuned values.
LEAST_DISPERSION, MOST_DISPERSION = 1e-6, 1e6


def pooled_rates(history: pd.DataFrame, attributes: pd.DataFrame, before, weeks: int) -> pd.DataFrame:
    """product_id, warehouse_id, pooled_units: the shrunk weekly rate of every product at every warehouse the
    attributes name (sites with no history take their prior), from the `weeks` weeks before `before`.
    history: unique_id, ds (week start), y; attributes: unique_id -> product_id, warehouse_id, category?"""
    before = pd.Timestamp(before)
    earlier = history[history["ds"] < before].merge(attributes, on="unique_id")
    family = attributes.drop_duplicates("product_id").set_index("product_id")
    family = family["category"] if "category" in family else pd.Series("all", index=family.index)
    year = earlier[earlier["ds"] >= before - pd.Timedelta(weeks=SHARE_WEEKS)]
    by_family = year.assign(family=year["product_id"].map(family)).groupby(["family", "warehouse_id"])["y"].sum()
    share = (by_family / by_family.groupby(level="family").transform("sum")).fillna(0.0)
    window = earlier[earlier["ds"] >= before - pd.Timedelta(weeks=weeks)]
    product_rate = window.groupby("product_id")["y"].sum().clip(lower=0) / weeks
    sold = window.groupby(KEYS)["y"].sum().clip(lower=0)
    # Weeks a site could have sold in the window: from its first week on record (a new site has less to show).
    first = earlier.groupby(KEYS)["ds"].min()
    grid = pd.MultiIndex.from_product([sorted(attributes["product_id"].unique()),
                                       sorted(attributes["warehouse_id"].unique())], names=KEYS)  # fmt: skip
    sites = grid.to_frame(index=False)
    families = sites["product_id"].map(family)
    prior = sites["product_id"].map(product_rate).fillna(0.0).to_numpy() * share.reindex(
        pd.MultiIndex.from_arrays([families, sites["warehouse_id"]])).fillna(0.0).to_numpy()  # fmt: skip
    start = np.maximum(first.reindex(grid).to_numpy(dtype="datetime64[ns]"),
                       np.datetime64(before - pd.Timedelta(weeks=weeks)))  # fmt: skip
    exposure = np.clip((np.datetime64(before) - start) / np.timedelta64(7, "D"), 0, weeks)
    exposure = np.nan_to_num(exposure.astype(float), nan=0.0)
    units = sold.reindex(grid).fillna(0.0).to_numpy(dtype=float)
    return sites.assign(pooled_units=shrunk(units, exposure, prior))


def shrunk(units: np.ndarray, exposure: np.ndarray, prior: np.ndarray) -> np.ndarray:
    """Posterior mean weekly rate per site: units sold over `exposure` weeks, shrunk toward the weekly `prior` by
    the dispersion the sites show around their priors (method of moments, see the module)."""
    expected = prior * exposure
    seen = expected > 0
    excess = ((units[seen] - expected[seen]) ** 2 - expected[seen]).sum()
    dispersion = np.clip(excess / max((expected[seen] ** 2).sum(), 1e-12), LEAST_DISPERSION, MOST_DISPERSION)
    alpha = 1 / dispersion
    return np.where(prior > 0, prior * (alpha + units) / (alpha + expected),
                    np.divide(units, exposure, out=np.zeros_like(units), where=exposure > 0))  # fmt: skip

"""How far a perfectly calibrated interval's coverage figures would scatter at each aggregate level, measured on
captured scenarios (coverage_capture.py) with the code on PYTHONPATH: which out-of-band figures are draws, which a
calibration could fix.

Each level's coverage is taken per rolling window (window 0 is the held-out one) and scenario, and its spread split
by a two-way analysis of variance: a scenario's own direction (the same at each of its windows: what a calibration
rule could fix), each window index's mean over the scenarios (window 2, the oldest, is calibrated on one window), and
what is left, window to window. That residual sd over the binomial's gives the design effect (a level's values miss
together: a node's weeks, a cutoff's nodes) and the effective count; a figure of one window (held) or of three
(rolling) scattered that much around the nominal share lands in its band with the printed chance (normal scatter,
rounded to the shares its count of values can take: 8 values never give 90-98%).

    PYTHONPATH=$PWD .venv/bin/python benchmarks/coverage_noise.py OUT/A OUT/C ...
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
from coverage_replay import BANDS, replay
from scipy.stats import norm

from forecasting.intervals import coverage

LEVELS = {0: "total", 1: "category", 2: "category_region"}


def window_coverage(folders: list[Path]) -> pd.DataFrame:
    """scenario, level, window, band -> coverage (%) and how many values it is of, per rolling window."""
    rows = []
    for folder in folders:
        rolling = replay(folder)[0][1]
        depth = rolling["unique_id"].str.count("/")
        for (level, window), frame in rolling[depth.isin(LEVELS)].groupby([depth.map(LEVELS), "window"]):
            for band in BANDS:
                rows.append({"scenario": folder.name, "level": level, "window": window, "band": band,
                             "coverage": 100 * coverage(frame, band), "values": len(frame)})  # fmt: skip
    return pd.DataFrame(rows)


def chance_in_band(band: int, sd: float, values: int) -> float:
    """P(a figure of `values` values scattered N(band, sd) and rounded to a share they can take lands in band)."""
    low, high = BANDS[band]
    shares = 100 * np.arange(values + 1) / values
    edges = np.concatenate([[-np.inf], (shares[1:] + shares[:-1]) / 2, [np.inf]])
    mass = np.diff(norm.cdf(edges, loc=band, scale=sd))
    return float(mass[(shares >= low) & (shares <= high)].sum())


def noise_split(table: pd.DataFrame) -> pd.DataFrame:
    """Per level and band: pooled coverage, the window means, the scenario F ratio, the residual sd, the design
    effect and effective count, and the chance a calibrated held-out and rolling figure lands in band."""
    rows = []
    for (level, band), frame in table.groupby(["level", "band"]):
        wide = frame.pivot(index="scenario", columns="window", values="coverage")
        scenarios, windows = wide.shape
        grand = float(wide.to_numpy().mean())
        residual = wide.sub(wide.mean(axis=1), axis=0).sub(wide.mean(axis=0), axis=1) + grand
        residual_sd = float(np.sqrt((residual.to_numpy() ** 2).sum() / ((scenarios - 1) * (windows - 1))))
        within = wide.sub(wide.mean(axis=1), axis=0).to_numpy()
        between = windows * float(((wide.mean(axis=1) - grand) ** 2).sum()) / (scenarios - 1)
        values = int(frame["values"].median())
        binomial_sd = 100 * np.sqrt(band / 100 * (1 - band / 100) / values)
        effect = (residual_sd / binomial_sd) ** 2
        rows.append({"level": level, "band": band, "pooled": grand,
                     "window_means": " ".join(f"{w}:{m:.1f}" for w, m in wide.mean(axis=0).items()),
                     "scenario_F": between / ((within**2).sum() / (scenarios * (windows - 1))),
                     "residual_sd": residual_sd, "design_effect": effect, "effective": values / effect,
                     "held_chance": chance_in_band(band, residual_sd, values),
                     "rolling_chance": chance_in_band(band, residual_sd / np.sqrt(windows), values * windows),
                     })  # fmt: skip
    return pd.DataFrame(rows)


def main() -> None:
    table = window_coverage([Path(folder) for folder in sys.argv[1:]])
    print(table.pivot_table(index=["level", "scenario"], columns=["band", "window"], values="coverage").round(1))
    split = noise_split(table)
    print(split.round(2).to_string(index=False))
    scenarios = table["scenario"].nunique()
    expected = scenarios * (split["held_chance"] + split["rolling_chance"]).sum()
    print(f"a calibrated interval would put {expected:.1f} of {scenarios * 12} aggregate figures in band")


if __name__ == "__main__":
    main()

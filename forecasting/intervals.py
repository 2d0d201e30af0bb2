"""80% and 95% intervals calibrated on the backtest: conformal quantiles of the chosen forecast's own errors.

A model's textbook interval assumes the model is right; a chosen and reconciled forecast is not any one model. So
the interval is read from what the forecast actually missed by on the backtest windows (split conformal): the
errors y - forecast of the chosen forecast, each divided by its series' recent naive scale (below) and by the spread of
its horizon step, give empirical quantiles; a series' interval is its point plus those quantiles times its scale
and its step's spread.

- Steps: an error eight weeks out is larger than one a week out. Pooling every step into one quantile makes the
  near weeks too wide and the far weeks too narrow (the far weeks are where a trending series leaves its interval).
  The spread per step is a straight line fitted to the mean absolute error per step (a line, not each step's own
  mean: a few windows give each step only a handful of errors), kept above a floor.
- Few errors: quantiles of n errors are corrected for the sample (the ceil((n + 1) x level) / n-th smallest, the
  split-conformal guarantee), so a short backtest widens the interval instead of under-covering; too few for that
  rank to exist, a normal prediction bound from their mean and spread stands in.
- Errors in blocks: a series' window misses together (a level shift the forecast did not see), so n errors hold
  fewer independent draws than n (effective_draws: n over the design effect of the intra-window correlation).
  Where the rank is the sample's extreme (a 95% end from 39-78 errors) and those draws are too few for it, the
  normal bound with that many draws stands in: the largest of a few window misses is no 97.5% point (the real
  monthly set, six windows of 12 per calibration: 95% coverage 88.5% -> 91.7%); the bound that stands in where the
  rank does not exist takes that count too. Quantiles inside the sample are kept (counting blocks there too put
  co2's 80% interval at 87-90%, above its band).
- Shocks shared across series: a cutoff's series miss together (a recession, a season: the real quarterly set's macro
  series), and a backtest holds a handful of cutoffs, so the sign of their shared miss is a few draws in time: the
  quarterly set's mean score flipped sign between calibration and the next window at four origins of six, and its
  signed quantiles leaned the wrong way (80% interval 72%). Each cutoff's shared part (its series' mean score) is
  also taken with the opposite sign (unsigned_shocks), unless a t test over the cutoffs finds a common bias
  (intermittent sales under-forecast at every cutoff): quarterly 72% / 90% -> 78% / 91%; a cutoff of one series
  has no shared part, and the hierarchy's aggregate levels keep their signed scores.
- Scale: each series' errors are divided by its naive error over its last two seasons, not its whole history: a
  series whose level grew (tripled airline passengers) moves more now than its history's average step, and pooled
  with flatter series its errors swelled their intervals while its own stayed too narrow. Two seasons: every week
  of the year, twice.
- Pooling: a segment with fewer than MIN_ERRORS errors borrows from its family (every segment of its demand pattern,
  or every aggregate level of the hierarchy: the total alone has only a few windows), then from every segment. It
  borrows the shape of the errors only (the quantiles of its family's scores), not their size: with at least
  MIN_SCALE_ERRORS of its own, those quantiles are multiplied by its own mean absolute score over its family's. Few
  errors give no tail quantile but do give a usable mean (relative standard error about 0.75 / sqrt(n) for normal
  errors: 24% at 10), and the size is where a segment differs from its family (the total's errors are not those
  of the category x region nodes it was pooled with). Every aggregate node keeps its own size inside its level the
  same way (node_sizes).

Signed quantiles keep a skew (intermittent sales miss upward more than downward). Bounds are cut at zero and always
contain the point.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pandas as pd
from scipy.stats import t as student

from forecasting.backtest import naive_scales

MIN_ERRORS = 30
MIN_SCALE_ERRORS = 10  # own errors from which a segment borrowing its family's quantiles keeps its own size
RECENT_SEASONS = 2  # the naive scale of a series' last two seasons scales its errors and its interval
POOLED = "*"
FAMILY = "family:"
NODE = "node:"  # a sized aggregate node's own row (node_sizes)
SPREAD_FLOOR = 0.25  # a step's spread is at least this share of the mean one (a fitted line may dip near zero)


def _bounds(level: int) -> tuple[float, float]:
    tail = (1 - level / 100) / 2
    return tail, 1 - tail


def family(segment: str) -> str:
    """smooth/seasonal -> family:smooth; level_0 (the total), level_1, ... -> family:level."""
    name = str(segment)
    return FAMILY + ("level" if name.startswith("level_") else name.split("/")[0])


def recent_scales(history: pd.DataFrame, season: int) -> pd.Series:
    """unique_id -> mean absolute one-step change over its last RECENT_SEASONS seasons (naive_scales' rules)."""
    ordered = history.sort_values(["unique_id", "ds"], ignore_index=True)
    return naive_scales(ordered.groupby("unique_id").tail(RECENT_SEASONS * season + 1))


def horizon_steps(frame: pd.DataFrame) -> pd.Series:
    """0 for each forecast's first period, 1 for the next, ... (per series and, in a backtest, per cutoff)."""
    if "ds" not in frame:
        return pd.Series(0, index=frame.index)
    keys = ["unique_id", *(["cutoff"] if "cutoff" in frame else [])]
    return (frame.groupby(keys)["ds"].rank(method="dense") - 1).astype(int)


def conformal_quantile(values: np.ndarray, share: float, draws: float | None = None, copies: int = 1) -> float:
    """The share-quantile of n values with the finite-sample correction: the ceil((n + 1) share)-th smallest for an
    upper share, the floor((n + 1) share)-th for a lower one. Where n is too small for that rank to exist (fewer
    than 39 values for a 95% interval's upper end), no sample quantile holds the share: the normal prediction bound
    mean + z sd sqrt(1 + 1/n) of the values stands in.

    draws: how many independent draws the values hold (effective_draws; n when not given). Where the rank is the
    sample's extreme (its largest or smallest value) and the draws are too few for that rank to exist, the normal
    bound with that many draws stands in too: errors that come in blocks (a series' window misses together) have an
    extreme that is the largest of a few block misses, not of n (the real monthly set's 95% interval held 88.5%).

    copies: how many values stand for each error (2 for unsigned_shocks' scores): ranks count errors, not values
    (the r-th of n errors is the inner of its copies: the (copies (r - 1) + 1)-th smallest value for an upper share,
    the (copies r)-th for a lower one), and whether the rank is the sample's extreme is judged on the errors."""
    ordered = np.sort(values)
    n = len(ordered) // copies
    if n == 0:
        return 0.0
    draws = n if draws is None else min(float(draws), n)
    rank = _rank(n, share)
    inside = 1 < rank < n or (1 <= rank <= n and 1 <= _rank(draws, share) <= draws)
    if inside:
        return float(ordered[copies * rank - 1 if share < 0.5 else copies * (rank - 1)])
    spread = float(np.std(ordered, ddof=1)) if n > 1 else abs(float(ordered[0]))
    return float(np.mean(ordered) + NormalDist().inv_cdf(share) * spread * math.sqrt(1 + 1 / draws))


def _rank(n: float, share: float) -> int:
    return math.ceil((n + 1) * share) if share >= 0.5 else math.floor((n + 1) * share)


def effective_draws(scores: np.ndarray, blocks: np.ndarray) -> float:
    """How many independent draws n errors in blocks (a series' backtest window) are worth: n over the design
    effect 1 + (m - 1) ICC, m the mean block size and ICC the share of the errors' variance between blocks (one-way
    analysis of variance, cut to [0, 1]). n where there are fewer than two blocks or none has two errors."""
    frame = pd.DataFrame({"score": scores, "block": blocks})
    groups = frame.groupby("block")["score"]
    n, k = len(frame), groups.ngroups
    if k < 2 or n <= k:
        return float(n)
    sizes = groups.size()
    size = (n - float((sizes**2).sum()) / n) / (k - 1)
    between = float((sizes * (groups.mean() - frame["score"].mean()) ** 2).sum()) / (k - 1)
    within = float(((frame["score"] - groups.transform("mean")) ** 2).sum()) / (n - k)
    total = between + (size - 1) * within
    icc = min(max((between - within) / total, 0.0), 1.0) if total > 0 else 0.0
    return n / (1 + (size - 1) * icc)


def unsigned_shocks(scores: np.ndarray, cutoffs: np.ndarray, series: np.ndarray) -> np.ndarray:
    """The scores with their cutoffs' shared parts also taken with the opposite sign (2n values), unless the cutoffs
    show a common bias. A cutoff's shared part is the mean score of the several series it holds: what they missed
    by together (a recession, a season). Its sign is one draw in time, and a backtest holds a handful of cutoffs.
    Kept signed, the quantiles lean the way the last few cutoffs happened to miss (the real quarterly set's mean
    score flipped sign between calibration and the next window at four origins of six). Each score keeps its own
    deviation from its cutoff's mean, so a skew within a cutoff (intermittent sales miss upward) stays. A bias is
    kept where those cutoffs' means differ from zero by a two-sided 5% t test over them (each cutoff one draw): the
    sample's intermittent segments under-forecast at every cutoff. A cutoff of one series has no shared part (its
    window's own miss is effective_draws' business); fewer than two cutoffs of several: the scores as they are."""
    frame = pd.DataFrame({"score": scores, "cutoff": cutoffs, "series": series})
    shared = frame.groupby("cutoff")["series"].transform("nunique") > 1
    means = frame[shared].groupby("cutoff")["score"].mean()
    cuts = len(means)
    if cuts < 2:
        return scores
    spread = float(means.std(ddof=1))
    if spread == 0 or abs(float(means.mean())) * math.sqrt(cuts) / spread > student.ppf(0.975, cuts - 1):
        return scores
    common = frame["cutoff"].map(means).fillna(0.0).to_numpy()
    return np.concatenate([scores, scores - 2 * common])


def _spread_line(steps: np.ndarray, errors: np.ndarray) -> tuple[float, float]:
    """(intercept, slope) of the mean absolute error per step, as a straight line over the steps."""
    per_step = pd.Series(np.abs(errors)).groupby(steps).mean()
    if len(per_step) < 2 or per_step.mean() <= 0:
        return 1.0, 0.0
    slope, intercept = np.polyfit(per_step.index.to_numpy(dtype=float), per_step.to_numpy(), 1)
    return float(intercept), float(slope)


def _spread(line: tuple, steps: np.ndarray, mean_steps) -> np.ndarray:
    """Each step's spread relative to the typical step's (line and mean_steps: numbers, or arrays beside steps)."""
    intercept, slope = line
    typical = np.maximum(intercept + slope * mean_steps, 1e-9)
    return np.maximum(intercept + slope * steps, SPREAD_FLOOR * typical) / typical


def _quantile_row(name: str, steps: np.ndarray, errors: np.ndarray, levels, blocks: np.ndarray,
                  cutoffs: np.ndarray, series: np.ndarray) -> dict:
    line = _spread_line(steps, errors)
    mean_steps = float(np.mean(np.unique(steps))) if len(steps) else 0.0
    scores = errors / _spread(line, steps, mean_steps) if len(errors) else errors
    draws = effective_draws(scores, blocks) if len(scores) else None
    # The aggregate levels keep their signed scores: a level's nodes are sums of the same bottom series, not several
    # series hit by one shock, and their lean held at the next window: taken with both signs, the generated
    # scenarios' aggregate 80% intervals fell out of band three times (A's total, D's and F's category: 77.5% -> 65.0%)
    # and came in once.
    aggregate = FAMILY + "level" in (name, family(name))
    unsigned = unsigned_shocks(scores, cutoffs, series) if len(scores) and not aggregate else scores
    copies = len(unsigned) // max(len(scores), 1)
    row = {"segment": name, "spread_intercept": line[0], "spread_slope": line[1], "spread_mean_step": mean_steps}
    narrower_low, narrower_high = math.inf, -math.inf
    for level in sorted(levels):
        low, high = _bounds(level)
        # A wider level never sits inside a narrower one: with few errors the 95% end is a normal bound while the
        # 80% end is a sample quantile, and a heavy tail can put that quantile beyond the bound.
        narrower_low = min(narrower_low, conformal_quantile(unsigned, low, draws, copies))
        narrower_high = max(narrower_high, conformal_quantile(unsigned, high, draws, copies))
        row[f"q_lo_{level}"], row[f"q_hi_{level}"] = narrower_low, narrower_high
    return row


def calibrate(backtest: pd.DataFrame, scales: pd.Series, segments: pd.Series, levels) -> pd.DataFrame:
    """backtest: unique_id, forecast, y_observed, is_censored (+ ds, cutoff: the horizon step) of the chosen forecast
    on backtest windows. Returns segment -> q_lo_<level>, q_hi_<level> (scaled, per unit of step spread) and the
    spread line, with rows for families and a POOLED row for segments with too few errors."""
    usable = backtest[~backtest["is_censored"].fillna(False).astype(bool)].dropna(subset=["forecast", "y_observed"])
    errors = (usable["y_observed"] - usable["forecast"]) / usable["unique_id"].map(scales)
    # A block is one series' backtest window (each error its own block where no cutoff is given).
    window = usable["cutoff"] if "cutoff" in usable else pd.Series(range(len(usable)), index=usable.index)
    blocks = usable["unique_id"].astype(str) + "@" + window.astype(str)
    frame = pd.DataFrame({"segment": usable["unique_id"].map(segments).to_numpy(), "error": errors.to_numpy(),
                          "step": horizon_steps(usable).to_numpy(), "block": blocks.to_numpy(),
                          "cutoff": window.astype(str).to_numpy(),
                          "node": usable["unique_id"].to_numpy()}).dropna()  # fmt: skip
    frame["family"] = frame["segment"].map(family)
    sizes = node_sizes(frame)
    frame["error"] = frame["error"] / frame["node"].map(sizes["ratio"]).fillna(1.0)
    groups = [(name, g) for name, g in frame.groupby("segment") if len(g) >= MIN_ERRORS]
    groups += [(name, g) for name, g in frame.groupby("family") if len(g) >= MIN_ERRORS]
    groups.append((POOLED, frame))
    rows = [
        _quantile_row(name, g["step"].to_numpy(), g["error"].to_numpy(), levels, g["block"].to_numpy(),
                      g["cutoff"].to_numpy(), g["node"].to_numpy())
        for name, g in groups
    ]
    quantiles = pd.DataFrame(rows).set_index("segment")
    few = [(name, g) for name, g in frame.groupby("segment") if MIN_SCALE_ERRORS <= len(g) < MIN_ERRORS]
    rescaled = [_rescaled_row(name, g, frame, quantiles) for name, g in few]
    quantiles = pd.concat([quantiles, pd.DataFrame(rescaled).set_index("segment")]) if rescaled else quantiles
    return _with_node_rows(quantiles, sizes)


def node_sizes(frame: pd.DataFrame) -> pd.DataFrame:
    """node -> ratio (its mean absolute scaled error over its level's) and segment, for each aggregate node with at
    least MIN_SCALE_ERRORS errors on a level of several nodes. Pooled as they are, a level's quantiles are set by its
    noisiest nodes, which over-covers the calm ones (seed 11's category x region nodes held 75-96% each): each node's
    errors are divided by its ratio before the level's quantiles are read and its interval is multiplied back, as
    the total keeps its own size against its family's (_rescaled_row). Bottom series keep their segment's size:
    their own few errors are mostly noise (intermittent sales)."""
    several = frame.groupby("segment")["node"].transform("nunique") > 1
    nodes = frame[(frame["family"] == FAMILY + "level") & several]
    absolute = nodes["error"].abs()
    own = absolute.groupby([nodes["segment"], nodes["node"]]).agg(["mean", "count"]).reset_index()
    own["level_mean"] = own["segment"].map(absolute.groupby(nodes["segment"]).mean())
    own = own[(own["count"] >= MIN_SCALE_ERRORS) & (own["mean"] > 0)]  # a node that never missed keeps the level's
    return pd.DataFrame({"ratio": (own["mean"] / own["level_mean"]).to_numpy(), "segment": own["segment"].to_numpy()},
                        index=pd.Index(own["node"], name="node"))  # fmt: skip


def _with_node_rows(quantiles: pd.DataFrame, sizes: pd.DataFrame) -> pd.DataFrame:
    """A row per sized node: the quantiles its segment is calibrated by, times its ratio."""
    if sizes.empty:
        return quantiles
    base = quantiles.loc[_calibration_group(sizes["segment"], quantiles)].reset_index(drop=True)
    scaled = [c for c in base.columns if c.startswith("q_")]
    base[scaled] = base[scaled].mul(sizes["ratio"].to_numpy(), axis=0)
    return pd.concat([quantiles, base.set_index(pd.Index(NODE + sizes.index.astype(str), name="segment"))])


def _rescaled_row(name: str, own: pd.DataFrame, frame: pd.DataFrame, quantiles: pd.DataFrame) -> dict:
    """A segment with too few errors for its own quantiles: its family's (or the pool's), times its own mean absolute
    score over theirs (both scores divided by the borrowed step spread)."""
    lender = family(name) if family(name) in quantiles.index else POOLED
    borrowed = quantiles.loc[lender]
    pool = frame if lender == POOLED else frame[frame["family"] == lender]
    line = (borrowed["spread_intercept"], borrowed["spread_slope"])

    def size(g: pd.DataFrame) -> float:
        spread = _spread(line, g["step"].to_numpy(), borrowed["spread_mean_step"])
        return float(np.mean(np.abs(g["error"].to_numpy() / spread)))

    ratio = size(own) / size(pool) if size(pool) > 0 else 1.0
    row = {column: value * ratio if column.startswith("q_") else value for column, value in borrowed.items()}
    return {"segment": name, **row}


def _calibration_group(segment: pd.Series, quantiles: pd.DataFrame) -> pd.Series:
    """A series' own segment where it was calibrated, else its family, else the pool."""
    by_family = segment.map(family)
    group = segment.where(segment.isin(quantiles.index), by_family)
    return group.where(group.isin(quantiles.index), POOLED)


def apply_intervals(forecasts: pd.DataFrame, quantiles: pd.DataFrame, scales: pd.Series, segments: pd.Series,
                    levels) -> pd.DataFrame:  # fmt: skip
    """forecasts (unique_id, forecast, ... + ds) with lo_<level> and hi_<level> from the calibrated quantiles."""
    group = _calibration_group(forecasts["unique_id"].map(segments), quantiles)
    own = NODE + forecasts["unique_id"].astype(str)
    group = own.where(own.isin(quantiles.index), group)
    table = quantiles.reindex(group)
    steps = horizon_steps(forecasts).to_numpy()
    line = (table["spread_intercept"].to_numpy(), table["spread_slope"].to_numpy())
    spread = _spread(line, steps, table["spread_mean_step"].to_numpy())
    scale = forecasts["unique_id"].map(scales).fillna(1.0).to_numpy() * spread
    out = forecasts.copy()
    for level in levels:
        low = table[f"q_lo_{level}"].to_numpy()
        high = table[f"q_hi_{level}"].to_numpy()
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

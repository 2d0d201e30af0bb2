"""What a move is worth under the forecast's distribution, and the margin by which it must beat its cost.

A product x site's expected cost at a stock level s over its protection interval (demand D ~ Normal(mean, sigma)
until an order placed today would land): margin x E[(D - s)+] (sales lost, each losing the product's price less
its cost) + holding cost x units above the target level. A move's expected benefit is what the plan's expected cost
rises by without it: the margin it keeps at the destination, less the margin it puts at risk at the source, plus
the holding it saves. The transfer model prices the expected shortage by its tangents; this is the exact value,
for the plan table and the hurdle.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import norm

# A move is proposed only when its expected benefit is at least (1 + TRANSFER_HURDLE) x its cost: the forecast's
# spread prices demand risk, but not the forecast's own bias, and a move that only just pays on the forecast is the
# first to lose when the forecast is off (the daily replay's holiday peak ran 10-23% above it). Half the cost again
# is a stated margin, the same for every product and scenario, not fitted to one.
TRANSFER_HURDLE = 0.5


def expected_shortage(stock: np.ndarray, mean: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """E[(D - stock)+] for D ~ Normal(mean, sigma), exact where sigma is 0."""
    sigma = np.asarray(sigma, dtype=float)
    spread = np.where(sigma > 0, sigma, 1.0)
    z = (np.asarray(stock, dtype=float) - mean) / spread
    normal = spread * (norm.pdf(z) - z * norm.sf(z))
    return np.where(sigma > 0, normal, np.maximum(mean - stock, 0.0))


def expected_cost(sites: pd.DataFrame, flows: np.ndarray) -> float:
    """Lost margin plus holding over the protection interval, all sites (rows of `sites`: inventory_position,
    protected_demand, protected_sigma?, target_level, unit_margin, holding_cost) after `flows` (units in, per row)."""
    after = sites["inventory_position"].to_numpy(dtype=float) + flows
    sigma = sites["protected_sigma"].to_numpy(dtype=float) if "protected_sigma" in sites else np.zeros(len(sites))
    short = expected_shortage(after, sites["protected_demand"].to_numpy(dtype=float), sigma)
    excess = np.maximum(after - sites["target_level"].to_numpy(dtype=float), 0)
    return float((short * sites["unit_margin"].to_numpy(dtype=float)).sum()
                 + (excess * sites["holding_cost"].to_numpy(dtype=float)).sum())  # fmt: skip


def move_benefits(sites: pd.DataFrame, moves: dict[tuple[str, str], float]) -> dict[tuple[str, str], float]:
    """(from, to) -> the expected cost the plan saves by that move, the others staying (one product; sites indexed
    by warehouse_id)."""
    row = {warehouse: i for i, warehouse in enumerate(sites.index)}
    flows = np.zeros(len(sites))
    for (i, j), units in moves.items():
        flows[row[i]] -= units
        flows[row[j]] += units
    with_all = expected_cost(sites, flows)
    benefits = {}
    for (i, j), units in moves.items():
        without = flows.copy()
        without[row[i]] += units
        without[row[j]] -= units
        benefits[(i, j)] = expected_cost(sites, without) - with_all
    return benefits


def clear_the_hurdle(sites: pd.DataFrame, moves: dict, cost: dict) -> dict[tuple[str, str], float]:
    """The moves (from, to) -> units whose expected benefit is at least (1 + TRANSFER_HURDLE) x their cost, with
    those benefits: the worst move by benefit per cost goes first, and the rest are valued again without it."""
    moves = {lane: units for lane, units in moves.items() if units > 0}
    while moves:
        benefits = move_benefits(sites, moves)
        ratio = {lane: benefits[lane] / max(cost[lane] * units, 1e-9) for lane, units in moves.items()}
        worst = min(ratio, key=ratio.get)
        if ratio[worst] >= 1 + TRANSFER_HURDLE:
            return benefits
        del moves[worst]
    return {}

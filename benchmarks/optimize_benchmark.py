"""Reallocation throughput: products per second for the transfer plan over 20 warehouses, at 1,000 and 10,000
products (10x/1x time ratio; 10 is linear), and how many products needed a MILP at all.

    .venv/bin/python benchmarks/optimize_benchmark.py [--products 1000,10000] [--warehouses 20] [--solver cbc]

Networks are drawn like the sample's: per product, stock spread unevenly over the warehouses (some far above
their target level, some short), lead-time demand with Poisson-like spread, every warehouse pair a lane with
its own cost and 1-6 day lead time.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import pandas as pd

from optimization.reallocation import SolverOptions, plan_reallocation


def synthetic(products: int, warehouses: int, seed: int = 11) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    names = [f"W{i:02d}" for i in range(warehouses)]
    n = products * warehouses
    demand = rng.gamma(1.2, 6.0, n)
    target = np.ceil(demand * 1.6 + 2)
    on_hand = np.floor(target * rng.choice([0.1, 0.6, 1.0, 1.8, 3.0], n, p=[0.15, 0.2, 0.3, 0.2, 0.15]))
    sites = pd.DataFrame({
        "product_id": np.repeat([f"P{i:05d}" for i in range(products)], warehouses),
        "warehouse_id": np.tile(names, products), "on_hand_qty": on_hand, "inventory_position": on_hand,
        "protected_demand": demand, "protected_sigma": np.sqrt(demand) * 1.3, "safety_stock": np.ceil(demand * 0.3),
        "reorder_point": np.ceil(demand * 1.3), "target_level": target, "capacity_units": on_hand + 500,
        "unit_margin": np.repeat(rng.uniform(5, 60, products), warehouses), "holding_cost": 0.4,
        "lead_time_days": rng.integers(5, 21, n),
    })  # fmt: skip
    lanes = pd.DataFrame(
        [{"from_warehouse_id": a, "to_warehouse_id": b, "transfer_cost_per_unit": float(rng.uniform(0.8, 6.0)),
          "lead_time_days": int(rng.integers(1, 7))} for a in names for b in names if a != b]
    )  # fmt: skip
    return sites, lanes


def run(products: int, warehouses: int, workers: int, solver: str) -> dict:
    sites, lanes = synthetic(products, warehouses)
    started = time.perf_counter()
    plan, problems = plan_reallocation(sites, lanes, SolverOptions(workers=workers, solver=solver))
    seconds = time.perf_counter() - started
    return {
        "products": products, "warehouses": warehouses, "lanes": len(lanes), "seconds": round(seconds, 2),
        "products_per_second": round(products / seconds, 1), "transfers": len(plan),
        "products_moved": int(plan["product_id"].nunique()), "units_moved": int(plan["units"].sum()),
        "problems": len(problems), "solver": solver,
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--products", default="1000,10000")
    parser.add_argument("--warehouses", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--solver", choices=("cbc", "highs"), default="cbc")
    args = parser.parse_args()
    results = [run(int(p), args.warehouses, args.workers, args.solver) for p in args.products.split(",")]
    for result in results:
        print(json.dumps(result), flush=True)
    if len(results) > 1:
        first, last = results[0], results[-1]
        scale = last["products"] / first["products"]
        ratio = last["seconds"] / first["seconds"]
        print(f"time ratio {ratio:.2f} for {scale:.0f}x the products (linear = {scale:.0f})")


if __name__ == "__main__":
    main()

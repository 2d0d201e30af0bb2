"""Does the forecast need a refit? Only when a new week has closed or what it reads has changed.

The forecast reads full weeks of demand from the warehouse (`read_demand`), so a day of sales inside the open week
leaves its input unchanged, and the week's close changes it. The fingerprint is of that input itself (every
series, week, quantity and attribute); the pipeline adds the forecasting code and the options and stores it with
the forecast's outputs (orchestration.change_check); a refit is due when the fingerprint differs.
"""

from __future__ import annotations

import hashlib

import pandas as pd


def inputs_fingerprint(warehouse) -> str:
    """The fingerprint of what the forecast stage would read now from `warehouse` (a WarehouseOptions)."""
    from foundation.warehouse.io import read_demand

    try:
        history, attributes = read_demand(warehouse.target, warehouse.duckdb_path)
    except Exception:  # no warehouse or no full week yet: the forecast step itself says what is wrong
        return ""
    return demand_fingerprint(history, attributes)


def demand_fingerprint(history: pd.DataFrame, attributes: pd.DataFrame) -> str:
    """Order-free: the same rows in another order are the same input."""
    digest = hashlib.sha256()
    for frame, key in ((history, ["unique_id", "ds"]), (attributes, ["unique_id"])):
        ordered = frame.sort_values(key).reset_index(drop=True)
        digest.update(",".join(ordered.columns).encode())
        digest.update(pd.util.hash_pandas_object(ordered, index=False).values.tobytes())
    return digest.hexdigest()


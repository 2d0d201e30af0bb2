"""The daily hold-out replay, reused until a week closes.

The replay (holdout.evaluate_holdout) holds out the latest closed weeks and plans them with the forecast stage's
backtest: a day of sales inside the open week changes none of what it reads, so its result stays the same until a
week closes, a late drop corrects the past, the forecast is refitted, or the code or settings change. Its result
is kept in the lake (processed/_cache/hold_out_replay.pkl), with the key it was computed under:

    the latest closed week                      (the held-out weeks end there)
    what the replay reads, as of that week      (demand, backtest forecasts, stock days up to the week's end,
                                                 warehouses, products, lanes), by content
    the settings                                (HoldoutOptions, the forecaster's class)
    the code                                    (optimization/ and the forecaster's package)

A run whose key matches reuses the result, and the time it was computed at (so the output table optimize writes
from it is the same, and left untouched); any other computes it and replaces the kept one. The replay's own logic
is untouched: this module only decides whether to call it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import pickle
import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from foundation.lake import Lake
from foundation.warehouse.io import MART_SCHEMA, read_demand, read_sql
from optimization.backtest_replay import BACKTEST_WEEKS_SQL
from optimization.warehouse_io import LANES_SQL, PRODUCTS_SQL, WAREHOUSES_SQL

log = logging.getLogger(__name__)
CACHE = "processed/_cache/hold_out_replay.pkl"
# Stock days the replay reads (positions, receipts, lead times, cover) all fall on or before the last closed week's
# end (the columns they read; receipts are derived from on hand and units sold).
STOCK_DAYS_SQL = f"""
select product_id, warehouse_id, snapshot_date, on_hand_qty, on_order_qty, in_transit_qty, units_sold,
    is_stockout
from {MART_SCHEMA}.fct_inventory_daily
where snapshot_date < date '{{week_end}}'
"""


def reused_replay(compute: Callable[[], object], lake: Lake, target: str, duckdb_path: Path, settings: object,
                  forecaster: object) -> tuple[object, dt.datetime]:  # fmt: skip
    """(`compute()` (the replay), when it ran), or the kept result and when it ran, when the key it would be
    computed under is the kept one. A reused result keeps its time, so its output table is the same as before."""
    try:
        key = replay_key(target, duckdb_path, settings, forecaster)
    except Exception:  # a warehouse the key cannot be read from: the replay itself says what is wrong
        log.debug("replay: no reuse key", exc_info=True)
        return compute(), _now()
    kept = _read(lake)
    if kept is not None and kept[0] == key:
        log.info("replay: nothing it reads changed since the last closed week; reusing its result")
        return kept[1], kept[2]
    result, evaluated_at = compute(), _now()
    lake.write_bytes(CACHE, pickle.dumps((key, result, evaluated_at)))
    return result, evaluated_at


def replay_key(target: str, duckdb_path: Path, settings: object, forecaster: object) -> str:
    history, attributes = read_demand(target, duckdb_path)
    latest_closed = pd.Timestamp(history["ds"].max())
    week_end = (latest_closed + pd.Timedelta(days=7)).date()
    digest = hashlib.sha256()
    digest.update(f"{latest_closed.date()}|{settings!r}|{type(forecaster).__module__}.{type(forecaster).__name__}"
                  .encode())  # fmt: skip
    for frame, order in ((history, ["unique_id", "ds"]), (attributes, ["unique_id"])):
        ordered = frame.sort_values(order).reset_index(drop=True)
        digest.update(pd.util.hash_pandas_object(ordered, index=False).values.tobytes())
    for sql in (BACKTEST_WEEKS_SQL, STOCK_DAYS_SQL.format(week_end=week_end), WAREHOUSES_SQL, PRODUCTS_SQL,
                LANES_SQL):  # fmt: skip
        digest.update(_rows_fingerprint(target, duckdb_path, sql).encode())
    for package in (Path(__file__).parent, _package_folder(forecaster)):
        for file in sorted(package.rglob("*.py")) if package else ():
            digest.update(file.read_bytes())
    return digest.hexdigest()


def _rows_fingerprint(target: str, duckdb_path: Path, sql: str) -> str:
    """Order-free: DuckDB hashes the rows itself; a server's rows are hashed here."""
    if target == "local":
        row = read_sql(target, duckdb_path, f"select count(*) as n, sum(hash(q)) as h from ({sql}) as q")
        return f"{row['n'].iloc[0]}:{row['h'].iloc[0]}"
    frame = read_sql(target, duckdb_path, sql)
    hashes = pd.util.hash_pandas_object(frame.astype(str), index=False)
    return f"{len(frame)}:{int(hashes.sum())}"


def _package_folder(forecaster: object) -> Path | None:
    module = sys.modules.get(type(forecaster).__module__)
    file = getattr(module, "__file__", None)
    return Path(file).parent if file else None


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def _read(lake: Lake) -> tuple[str, object, dt.datetime] | None:
    try:
        key, result, evaluated_at = pickle.loads(lake.read_bytes(CACHE))
    except Exception:  # none yet, unreadable, or written by other code (no time kept): computed afresh
        return None
    return key, result, evaluated_at

"""No churn: stock a site took in by transfer stays there, and no product travels both ways on a lane.

Two rules for every transfer (the weekly model's moves and the surplus pulls at a reorder point alike):
- a site does not send out a product it received by transfer (or has on its way to it) within its own lead time
  plus review period: the transfer came because its forecast needs the stock over that window;
- a product does not travel back on a lane within the sender's lead time plus review period (the horizon its
  send was planned for): the send judged the stock spare there, and the site's own reorder, not the stock it gave
  away, covers a later shortfall.

Why: on scenario B's 24-week sweep, 4,488 of 5,940 moved units left sites that also received the same product.
The weekly re-plan called one week's forecast noise surplus and the next week's a shortage, and passed units on or
sent them back on thin series, paying in stock-outs at the source while they were on the road (BENCHMARKS.md).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

KEYS = ["product_id", "warehouse_id"]


class TransferRoles:
    """The transfers made so far in a replay (sites in the simulator's row order) and what they still allow."""

    def __init__(self, warehouse_ids, lead_time_days: np.ndarray, review_days: int):
        self.warehouse_ids = np.asarray(warehouse_ids)
        self.window = np.asarray(lead_time_days, dtype=float) + review_days
        self.last_in = np.full(len(self.window), -np.inf)
        self.sent: dict[tuple[int, int], int] = {}  # (source, destination) -> the last day a move left

    def record(self, source: int, destination: int, day: int) -> None:
        """A transfer leaving `source` for `destination` on `day` (stock on its way counts as received)."""
        self.last_in[destination] = max(self.last_in[destination], day)
        self.sent[(source, destination)] = day

    def may_send(self, day: int) -> np.ndarray:
        return day - self.last_in >= self.window

    def barred(self, day: int) -> set[tuple[int, int]]:
        """(source, destination) pairs closed today: the way back of a move still inside its sender's window."""
        return {(j, i) for (i, j), sent in self.sent.items() if day - sent < self.window[i]}

    def sent_to(self, day: int) -> list[str]:
        """Per site, the warehouses it sent its product to within its window, comma-joined (the re-plan's view)."""
        names = [[] for _ in self.window]
        for i, j in sorted(self.barred(day), key=lambda pair: pair[1]):
            names[j].append(str(self.warehouse_ids[i]))
        return [",".join(sorted(found)) for found in names]


def roles_after(sites: pd.DataFrame, transfers: pd.DataFrame) -> tuple[np.ndarray, set[tuple[int, int]]]:
    """(may_send per row of `sites`, barred (source row, destination row) pairs) once `transfers` (product_id,
    from/to warehouse) are made today: a site that takes sends nothing on, and no lane is used back. A may_send or
    sent_to column in sites (earlier weeks' transfers) carries its limits over."""
    keys = pd.MultiIndex.from_frame(sites[KEYS])
    took = keys.isin(pd.MultiIndex.from_frame(transfers[["product_id", "to_warehouse_id"]].set_axis(KEYS, axis=1)))
    may_send = sites["may_send"].to_numpy(dtype=bool) if "may_send" in sites else np.ones(len(sites), dtype=bool)
    row = {key: i for i, key in enumerate(keys)}
    barred = set()
    for move in transfers.itertuples():
        source, destination = row.get((move.product_id, move.from_warehouse_id)), row.get(
            (move.product_id, move.to_warehouse_id))  # fmt: skip
        if source is not None and destination is not None:
            barred.add((destination, source))
    if "sent_to" in sites:
        for i, (product_id, names) in enumerate(zip(sites["product_id"], sites["sent_to"], strict=True)):
            for name in filter(None, str(names or "").split(",")):
                if (product_id, name) in row:
                    barred.add((row[(product_id, name)], i))
    return may_send & ~took, barred


def allowed_lanes(lanes: pd.DataFrame, sites: pd.DataFrame) -> pd.DataFrame:
    """One product's lanes (sites indexed by warehouse_id): from a site that may send, and not back along a lane
    its destination used towards the source within the destination's window."""
    if "may_send" in sites:
        lanes = lanes[lanes["from_warehouse_id"].isin(sites.index[sites["may_send"].astype(bool)])]
    if "sent_to" in sites:
        gave = sites["sent_to"].fillna("").astype(str).str.split(",")
        back = [source in gave.get(destination, ()) for source, destination in
                zip(lanes["from_warehouse_id"], lanes["to_warehouse_id"], strict=True)]  # fmt: skip
        lanes = lanes[~np.asarray(back, dtype=bool)] if len(lanes) else lanes
    return lanes

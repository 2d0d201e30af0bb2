"""The daily hold-out replay is computed once per closed week: a second run on the same closed week reuses it, a
day of sales inside the open week changes nothing it reads, and a newly closed week computes it again."""

from __future__ import annotations

import shutil

import duckdb
import pandas as pd

from foundation.lake import Lake
from foundation.warehouse.io import read_demand
from optimization.holdout import HoldoutOptions
from optimization.replay_reuse import reused_replay


class Replay:
    """Stands for the replay's entry point: counts its calls and returns a result a cache must hand back whole."""

    def __init__(self):
        self.calls = 0

    def __call__(self):
        self.calls += 1
        return {"table": pd.DataFrame({"policy": ["optimised"], "fill_rate": [0.9 + self.calls / 100]})}


def test_the_replay_runs_once_per_closed_week(warehouse, tmp_path):
    database = tmp_path / "warehouse.duckdb"
    shutil.copyfile(warehouse.duckdb_path, database)
    lake, settings, replay = Lake(str(tmp_path / "lake")), HoldoutOptions(holdout_weeks=8), Replay()
    history, _ = read_demand("local", database)
    closed = sorted(history["ds"].unique())
    latest, before = pd.Timestamp(closed[-1]).date(), pd.Timestamp(closed[-2]).date()

    def run():
        return reused_replay(replay, lake, "local", database, settings, forecaster=None)

    # The warehouse as it was before its latest week closed: that week's rows not there yet.
    with duckdb.connect(str(database)) as connection:
        kept = connection.execute(
            f"select * from analytics.demand_features_weekly where week_start = date '{latest}'").df()  # fmt: skip
        connection.execute(f"delete from analytics.demand_features_weekly where week_start = date '{latest}'")
    first = run()
    assert replay.calls == 1
    assert run()["table"].equals(first["table"]) and replay.calls == 1  # the same closed week: reused

    # A day of stock and sales inside the open week (after the last closed week's end): still reused.
    with duckdb.connect(str(database)) as connection:
        connection.execute("update analytics.fct_inventory_daily set units_sold = units_sold + 1 "
                           f"where snapshot_date >= date '{latest}'")  # fmt: skip
    run()
    assert replay.calls == 1

    # The week closes: computed again, and that result is the one reused next.
    with duckdb.connect(str(database)) as connection:
        connection.register("kept", kept)
        connection.execute("insert into analytics.demand_features_weekly select * from kept")
    assert read_demand("local", database)[0]["ds"].max().date() == latest > before
    second = run()
    assert replay.calls == 2 and not second["table"].equals(first["table"])
    run()
    assert replay.calls == 2

    # A late correction inside a closed week, or other settings, compute it again too.
    with duckdb.connect(str(database)) as connection:
        connection.execute("update analytics.fct_inventory_daily set on_hand_qty = on_hand_qty + 1 "
                           f"where snapshot_date = date '{before}'")  # fmt: skip
    run()
    assert replay.calls == 3
    reused_replay(replay, lake, "local", database, HoldoutOptions(holdout_weeks=4), forecaster=None)
    assert replay.calls == 4

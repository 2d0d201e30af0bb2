"""The daily hold-out replay is computed once per closed week: a second run on the same closed week reuses it (and
the time it was computed at, so its output file is left as it is), a day of sales inside the open week changes
nothing it reads, and a newly closed week computes it again."""

from __future__ import annotations

import datetime as dt
import shutil

import duckdb
import pandas as pd

from foundation.lake import Lake
from foundation.warehouse.contract import source_tables
from foundation.warehouse.io import read_demand, write_outputs
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
    first, first_at = run()
    assert replay.calls == 1
    again, again_at = run()
    assert again["table"].equals(first["table"]) and replay.calls == 1  # the same closed week: reused
    assert again_at == first_at  # when it was computed, not when it was reused

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
    second, second_at = run()
    assert replay.calls == 2 and not second["table"].equals(first["table"]) and second_at >= first_at
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


def test_an_output_holding_the_same_rows_is_left_untouched(tmp_path):
    """optimize writes its outputs every run; a file that already holds the rows keeps its name, size and time, so
    the plan marts' dbt step sees that source table unchanged and leaves what it feeds (the replay reused)."""
    lake = Lake(str(tmp_path / "lake"))
    declared = next(t for t in source_tables() if t.name == "policy_simulation")
    value = {"varchar": "optimised", "double precision": 0.93, "integer": 8, "date": dt.date(2024, 3, 4),
             "timestamp": dt.datetime(2024, 4, 29, 6, 1), "boolean": True}  # fmt: skip
    simulation = pd.DataFrame([{column: value[sql_type] for column, sql_type in declared.columns}])
    file = tmp_path / "lake" / "processed" / "optimization" / "policy_simulation" / "part-00000.parquet"

    def write(frame):
        write_outputs(lake, {"policy_simulation": frame}, {}, source="optimization", stage="optimize")
        stat = file.stat()
        return stat.st_ino, stat.st_size, stat.st_mtime_ns

    first = write(simulation)
    assert write(simulation.copy()) == first  # the same rows: not rewritten
    changed = simulation.assign(fill_rate=[0.94])
    assert write(changed) != first  # other rows: replaced (staged, then moved over the old file)
    assert pd.read_parquet(file)["fill_rate"].tolist() == [0.94]
    assert [p.name for p in file.parent.iterdir()] == ["part-00000.parquet"]  # nothing staged left behind

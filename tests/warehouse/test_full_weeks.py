"""Which weeks of demand the readers keep (foundation.warehouse.io.full_weeks_sql), on a real DuckDB table: a
series' partial edge week is left out, but a single lost day inside a week the data covers in full is not, so no
series ends a week early (its forecast would then start on a week that already has actuals)."""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from foundation.warehouse.io import read_demand

MONDAYS = [dt.date(2025, 8, 11), dt.date(2025, 8, 18), dt.date(2025, 8, 25)]


def _weeks(series_id: str, days: list[int]) -> list[tuple]:
    product, warehouse = series_id.split("|")
    return [
        (series_id, product, warehouse, "NORTH", "Toys", MONDAYS[i], 10 * (i + 1), False, observed < 7, i + 1,
         observed)
        for i, observed in enumerate(days)
    ]  # fmt: skip


def _kept(tmp_path, rows: list[tuple]) -> dict[str, list[dt.date]]:
    path = tmp_path / "warehouse.duckdb"
    frame = pd.DataFrame(rows, columns=[
        "series_id", "product_id", "warehouse_id", "current_region_code", "category", "week_start", "units_sold",
        "is_censored", "is_partial_week", "series_week_number", "days_observed",
    ])  # fmt: skip
    with duckdb.connect(str(path)) as connection:
        connection.execute("create schema analytics")
        connection.register("weeks", frame)
        connection.execute("create table analytics.demand_features_weekly as select * from weeks")
    history, _ = read_demand("local", path)
    return {sid: sorted(g["ds"].dt.date) for sid, g in history.groupby("unique_id")}


def test_a_lost_day_in_a_fully_covered_last_week_keeps_the_week(tmp_path):
    kept = _kept(tmp_path, [
        *_weeks("P1|WH1", [7, 7, 7]),
        *_weeks("P2|WH1", [7, 7, 6]),  # one snapshot row lost on the Wednesday of the last week
        *_weeks("P3|WH2", [7, 4]),  # its warehouse closed on the Thursday of the middle week
        *_weeks("P4|WH1", [3, 7, 7]),  # started on a Friday
    ])  # fmt: skip
    assert kept["P1|WH1"] == MONDAYS
    assert kept["P2|WH1"] == MONDAYS
    assert kept["P3|WH2"] == MONDAYS[:1]
    assert kept["P4|WH1"] == MONDAYS[1:]


def test_a_last_week_the_data_ends_inside_is_left_out_of_every_series(tmp_path):
    kept = _kept(tmp_path, [*_weeks("P1|WH1", [7, 7, 3]), *_weeks("P2|WH1", [7, 7, 2])])
    assert kept == {"P1|WH1": MONDAYS[:2], "P2|WH1": MONDAYS[:2]}

"""Daily runs of `supplychain run` on a small generated lake: a run with nothing new skips every step that has
nothing to do and leaves every output as it was; a run after new days of drops landed rebuilds everything that
depends on them (the marts hold the new sales, and the forecast is refit because a week closed)."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
from pathlib import Path
from unittest import mock

import duckdb
import pytest

from orchestration.run_records import all_runs
from sample_data.generate import GeneratorOptions, generate
from supplychain.cli import main

pytestmark = pytest.mark.e2e

# The warehouse tests' sample (tests/warehouse/conftest.py) with a month more, the last 16 days held back.
SAMPLE = GeneratorOptions(seed=11, sales_rows=5000, start=dt.date(2024, 1, 1), end=dt.date(2024, 5, 31), products=25,
                          warehouses=5, dirty_rate=0.01, event_days=20)  # fmt: skip
HELD_BACK_FROM = dt.date(2024, 5, 16)  # these days' drops land before the third run: they close a week
DAY = re.compile(r"year=(\d{4})/month=(\d{2})/day=(\d{2})")
SKIPPABLE = ("source-freshness", "build-warehouse", "snapshot", "forecast", "build-forecast-marts", "optimize",
             "build-plan-marts", "docs-generate")  # fmt: skip

REBUILT = ("ingest-sales", "build-warehouse", "forecast", "build-forecast-marts", "optimize", "build-plan-marts")


def hold_back(lake: Path, held: Path) -> None:
    for path in sorted((lake / "raw").rglob("*")):
        match = DAY.search(path.as_posix())
        if path.is_file() and match and dt.date(*map(int, match.groups())) >= HELD_BACK_FROM:
            (held / path.relative_to(lake)).parent.mkdir(parents=True, exist_ok=True)
            shutil.move(path, held / path.relative_to(lake))


def marts(database: Path) -> dict[str, tuple]:
    """Every analytics table's row count and order-free checksum."""
    with duckdb.connect(str(database), read_only=True) as connection:
        tables = [r[0] for r in connection.execute(
            "select table_name from information_schema.tables where table_schema = 'analytics' "
            "and table_type = 'BASE TABLE' order by 1"
        ).fetchall()]  # fmt: skip
        return {t: connection.execute(f"select count(*), sum(hash(t)) from analytics.{t} as t").fetchone()
                for t in tables}  # fmt: skip


def forecast_weeks(database: Path) -> tuple:
    """(the first forecast week, when the forecasts were made) in the forecast mart."""
    with duckdb.connect(str(database), read_only=True) as connection:
        return connection.execute(
            "select min(week_start), max(forecast_run_at) from analytics.fct_demand_forecast"
        ).fetchone()


def files(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()}


def latest_steps(runs: Path) -> dict[str, dict]:
    latest = all_runs(runs)[0]
    assert latest.status == "succeeded"
    return {step.name: step.figures for step in latest.steps}


def test_a_day_with_nothing_new_skips_and_changes_nothing_and_new_drops_rebuild_what_reads_them(spark, tmp_path):
    lake, held, runs, database = tmp_path / "lake", tmp_path / "held", tmp_path / "runs", tmp_path / "warehouse.duckdb"
    generate(lake, SAMPLE)
    hold_back(lake, held)
    arguments = ["--lake-root", str(lake), "run", "--runs-dir", str(runs), "--horizon", "2", "--windows", "3",
                 "--report", str(tmp_path / "report.html")]  # fmt: skip
    environment = {"SUPPLYCHAIN_DUCKDB_PATH": str(database), "DBT_TARGET_PATH": str(tmp_path / "target"),
                   "DBT_LOG_PATH": str(tmp_path / "logs")}  # fmt: skip
    with mock.patch.dict(os.environ, environment):
        assert main(arguments) == 0
        first_marts, first_forecasts = marts(database), files(lake / "processed" / "forecasts")
        first_plan = files(lake / "processed" / "optimization")
        first_forecast = forecast_weeks(database)

        assert main(arguments) == 0  # nothing new
        quiet = latest_steps(runs)
        assert marts(database) == first_marts
        assert files(lake / "processed" / "forecasts") == first_forecasts
        assert files(lake / "processed" / "optimization") == first_plan

        shutil.copytree(held / "raw", lake / "raw", dirs_exist_ok=True)  # new days of drops land
        assert main(arguments) == 0
        busy = latest_steps(runs)

    assert all(quiet[name].get("skipped") for name in SKIPPABLE), quiet
    assert all(quiet[name].get("skipped") for name in quiet if name.startswith("ingest-")), quiet
    assert (runs / all_runs(runs)[1].run_id / "docs-generate" / "manifest.json").is_file()  # artifacts still kept

    # Everything downstream of the new sales ran again, and the forecast was refit on the week that closed.
    assert not any(busy[name].get("skipped") for name in REBUILT), busy
    with duckdb.connect(str(database), read_only=True) as connection:
        latest_sale = connection.execute("select max(order_date) from analytics.fct_sales").fetchone()[0]
    assert latest_sale >= HELD_BACK_FROM
    refit = forecast_weeks(database)
    assert first_forecast[0] is not None and refit[0] > first_forecast[0]  # forecasts start after the closed week
    assert refit[1] > first_forecast[1]  # and were made by this run
    assert marts(database)["fct_sales"] != first_marts["fct_sales"]
    assert files(lake / "processed" / "forecasts") != first_forecasts

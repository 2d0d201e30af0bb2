"""`supplychain run` on the small lake, from the load onwards: every step on the real engines (DuckDB, dbt,
statsforecast, PuLP), a run record with each dbt step's artifacts, and a re-run from the forecast that leaves
the same warehouse and plan (what resuming a killed run relies on)."""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import duckdb
import pytest

from foundation.lake import Lake
from foundation.warehouse.build import check_processed_zone
from foundation.warehouse.processed_zone import check_redshift_widths
from orchestration.run_records import all_runs
from supplychain.cli import main

pytestmark = pytest.mark.e2e

PLAN_COLUMNS = "product_id, warehouse_id, reorder_point, target_level, safety_stock, on_hand_qty"
# Marts behind an exposure that a plain `supplychain run` may leave empty: none (the optimize step's hold-out replay
# fills policy_simulation).
# Scored only once a later run has seen the actuals of a week an earlier run forecast: one run scores nothing.
EMPTY_AFTER_RUN: set[str] = {"forecast_accuracy_by_lag"}


def plan_tables(database) -> tuple[list, list]:
    with duckdb.connect(str(database), read_only=True) as connection:
        policy = connection.execute(f"select {PLAN_COLUMNS} from analytics.fct_inventory_policy order by 1, 2")
        moves = connection.execute(
            "select product_id, from_warehouse_id, to_warehouse_id, units from analytics.fct_transfer_plan "
            "order by 1, 2, 3"
        )
        return policy.fetchall(), moves.fetchall()


def exposed_row_counts(manifest: dict, database) -> dict[str, int]:
    """Rows in every model an exposure depends on, by model name."""
    models = {
        node
        for exposure in manifest["exposures"].values()
        for node in exposure["depends_on"]["nodes"]
        if node.startswith("model.")
    }
    with duckdb.connect(str(database), read_only=True) as connection:
        return {
            manifest["nodes"][node]["name"]: connection.execute(
                f"select count(*) from {manifest['nodes'][node]['schema']}.{manifest['nodes'][node]['name']}"
            ).fetchone()[0]
            for node in sorted(models)
        }


@dataclass(frozen=True)
class FirstRun:
    """The module's one `supplychain run --from load` on a copy of the small lake, and what it left."""

    lake: Path
    database: Path
    runs: Path
    report: Path
    arguments: list[str]
    plan: tuple[list, list]
    replay: list[tuple]


@pytest.fixture(scope="module")
def first_run(processed_lake, tmp_path_factory) -> FirstRun:
    folder = tmp_path_factory.mktemp("pipeline-run")
    lake, database, runs, report = folder / "lake", folder / "warehouse.duckdb", folder / "runs", folder / "report.html"
    shutil.copytree(processed_lake / "processed", lake / "processed")
    arguments = ["--lake-root", str(lake), "run", "--runs-dir", str(runs), "--horizon", "2", "--windows", "3",
                 "--report", str(report)]  # fmt: skip
    with mock.patch.dict(os.environ, {"SUPPLYCHAIN_DUCKDB_PATH": str(database)}):
        assert main([*arguments, "--from", "load"]) == 0
    with duckdb.connect(str(database), read_only=True) as connection:
        replay = connection.execute(
            "select evaluation, level_rule, policy_name, units_in, units_out from analytics.policy_simulation "
            "order by policy_name"
        ).fetchall()
    return FirstRun(lake, database, runs, report, arguments, plan_tables(database), replay)


def test_the_pipeline_runs_from_the_load_and_a_rerun_changes_nothing(first_run):
    database, runs, report, lake_copy = first_run.database, first_run.runs, first_run.report, first_run.lake
    first, replay = first_run.plan, first_run.replay
    with mock.patch.dict(os.environ, {"SUPPLYCHAIN_DUCKDB_PATH": str(database)}):
        # --full-refresh: every step runs again (a run with nothing new would skip them; tests/orchestration).
        assert main([*first_run.arguments, "--from", "forecast", "--full-refresh"]) == 0
        again = plan_tables(database)

    assert first[0] and first == again
    # The run's own proof: the hold-out replay of its policy against the baseline and the heuristic.
    assert [(r[0], r[1], r[2]) for r in replay] == [
        ("replay", "cost", "no_reallocation"), ("replay", "cost", "optimised"),
        ("replay", "cost", "reorder_policy_heuristic"),
    ]  # fmt: skip
    assert all(abs(units_in - units_out) < 1e-6 for *_, units_in, units_out in replay)
    latest, earlier = all_runs(runs)
    assert (latest.status, earlier.status) == ("succeeded", "succeeded")
    assert not [s.name for s in latest.steps if "skipped" in s.figures]
    assert [s.name for s in earlier.steps] == [
        "load", "source-freshness", "build-warehouse", "snapshot", "forecast", "load-forecasts",
        "build-forecast-marts", "optimize", "load-plan", "build-plan-marts", "docs-generate", "planning-report",
    ]  # fmt: skip
    assert report.stat().st_size > 100_000
    build = next(s for s in earlier.steps if s.name == "build-warehouse")
    assert build.figures["success"] > 10 and build.figures.get("error", 0) == 0
    assert (earlier.folder / "build-warehouse" / "manifest.json").is_file()
    results = json.loads((earlier.folder / "build-plan-marts" / "run_results.json").read_text())["results"]
    assert any(r["unique_id"].endswith("fct_transfer_plan") for r in results)
    assert next(s for s in earlier.steps if s.name == "optimize").figures["sites"] > 0
    freshness = next(s for s in earlier.steps if s.name == "source-freshness")
    assert freshness.figures["clock"] == "latest_drop" and freshness.figures["pass"] == freshness.figures["sources"]

    # Every mart a dashboard, model or planner reads holds rows after the run.
    manifest = json.loads((latest.folder / "docs-generate" / "manifest.json").read_text())
    counts = exposed_row_counts(manifest, database)
    assert len(counts) >= 15
    assert {name for name, rows in counts.items() if rows == 0} == EMPTY_AFTER_RUN, counts

    # Every text value the run wrote, the forecast and plan outputs with the ingested tables, fits its Redshift
    # column: a longer one would fail that target's COPY (it cannot truncate).
    checked = check_processed_zone(Lake(str(lake_copy)))
    assert {"demand_forecast", "optimization_run_summary"} <= {t.table.name for t in checked if t.files}
    check_redshift_widths(Lake(str(lake_copy)), checked)


def test_optimize_evaluate_scores_every_policy_on_held_out_demand(first_run, tmp_path):
    """`supplychain optimize --evaluate` on the small lake: forecasts and plan from the marts (the module's run
    built them; its lake and warehouse are copied), the hold-out replay of six policies at two service levels, and
    the simulation mart with its balance and baseline."""
    database = tmp_path / "warehouse.duckdb"
    shutil.copyfile(first_run.database, database)
    shutil.copytree(first_run.lake, tmp_path / "lake")
    with mock.patch.dict(os.environ, {"SUPPLYCHAIN_DUCKDB_PATH": str(database)}):
        lake = ["--lake-root", str(tmp_path / "lake")]
        assert main([*lake, "optimize", "--evaluate", "--holdout-weeks", "2",
                     "--evaluate-service-levels", "0.95,0.99"]) == 0  # fmt: skip
    with duckdb.connect(str(database), read_only=True) as connection:
        rows = connection.execute(
            "select service_level, policy_name, is_baseline, units_in, units_out, stockout_units_change "
            "from analytics.policy_simulation order by 1, 2"
        ).fetchall()
    assert len(rows) == 12 and {r[0] for r in rows} == {0.95, 0.99}
    assert all(abs(units_in - units_out) < 1e-6 for _, _, _, units_in, units_out, _ in rows)
    assert [(r[1], r[5]) for r in rows if r[2]] == [("no_reallocation", 0.0)] * 2

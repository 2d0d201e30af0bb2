"""The planning report from the marts: every chart with forecasts and a plan, clear panels without them, one
self-contained file, and the `supplychain report` command."""

from __future__ import annotations

import os
import re
import shutil
from unittest import mock

import duckdb
import pandas as pd
import pytest

from analyst.report import build_report
from analyst.report.data import TOP_PRODUCTS, read_planning_data
from analyst.report.sections import _proof_span
from supplychain.cli import main

pytestmark = [pytest.mark.spark, pytest.mark.e2e, pytest.mark.dbt]
CHART_DIV = re.compile(r'<div id="(chart-\d+)" class="plotly-graph-div"')
MAX_BYTES = 10_000_000


def test_report_with_forecasts_and_a_plan_draws_every_chart(planning_warehouse, docs_site, tmp_path):
    output = build_report(planning_warehouse, tmp_path / "out" / "planning_report.html", docs_site / "index.html")
    page = output.read_text()
    assert CHART_DIV.findall(page) == [f"chart-{n}" for n in range(1, 7)]
    assert "No plan yet" not in page and "No forecasts yet" not in page
    assert output.stat().st_size < MAX_BYTES
    # Self-contained: plotly.js is inline; nothing is fetched from anywhere.
    assert not re.search(r"<script[^>]+src=|<link[^>]+href=", page)
    href = re.search(r'id="docs-link" href="([^"]+)"', page).group(1)
    assert not href.startswith(("/", "http")) and (output.parent / href).resolve() == (docs_site / "index.html")


def test_report_data_matches_the_marts(planning_warehouse):
    with duckdb.connect(str(planning_warehouse), read_only=True) as connection:
        data = read_planning_data(connection)
        planned_units = connection.execute("select sum(units) from analytics.fct_transfer_plan").fetchall()[0][0]
        warehouses = connection.execute(
            "select count(distinct warehouse_id) from analytics.fct_inventory_policy"
        ).fetchall()[0][0]
    assert data.has_forecasts and data.has_plan
    assert data.transfers["units"].sum() == planned_units
    assert len(data.inventory) == warehouses
    volume = data.product_history.groupby("product_label", sort=False)["units_sold"].sum()
    assert len(volume) == TOP_PRODUCTS and list(volume) == sorted(volume, reverse=True)
    assert set(data.product_forecast["product_label"]) == set(volume.index)
    # The forecast starts after the last full week shown, and its bands hold the point forecast.
    assert data.segment_forecast["week_start"].min() > data.segment_history["week_start"].max()
    bands = data.segment_forecast
    assert (bands["lower_95_units"] <= bands["lower_80_units"]).all()
    assert (bands["lower_80_units"] <= bands["forecast_units"]).all()
    assert (bands["forecast_units"] <= bands["upper_80_units"]).all()


def test_before_forecast_and_optimize_the_report_says_which_command_to_run(built_warehouse, tmp_path):
    page = build_report(built_warehouse, tmp_path / "report.html").read_text()
    assert "No forecasts yet — run <code>supplychain forecast</code>" in page
    assert page.count("No plan yet — run <code>supplychain optimize</code>") == 2
    assert "No simulation yet — every <code>supplychain optimize</code> replays" in page
    assert "analytics.fct_inventory_policy" in page and "analytics.policy_simulation" in page
    # The demand history is charted all the same.
    assert CHART_DIV.findall(page) == ["chart-1", "chart-2"]


def _with(planning_warehouse, tmp_path, statement: str) -> str:
    """The report over a copy of the planning warehouse changed by one SQL statement."""
    database = tmp_path / "warehouse.duckdb"
    shutil.copyfile(planning_warehouse, database)
    with duckdb.connect(str(database)) as connection:
        connection.execute(statement)
    return build_report(database, tmp_path / "report.html").read_text()


def test_an_empty_policy_counts_as_no_plan(planning_warehouse, tmp_path):
    page = _with(planning_warehouse, tmp_path, "delete from analytics.fct_inventory_policy")
    assert page.count("No plan yet") == 2 and "missing or empty: analytics.fct_inventory_policy)" in page
    assert CHART_DIV.findall(page) == ["chart-1", "chart-2", "chart-3", "chart-6"]


def test_a_plan_that_moves_nothing_says_so(planning_warehouse, tmp_path):
    page = _with(planning_warehouse, tmp_path, "delete from analytics.fct_transfer_plan")
    assert "The latest plan moves no stock" in page and "No plan yet" not in page
    assert CHART_DIV.findall(page) == ["chart-1", "chart-2", "chart-3", "chart-4", "chart-6"]


def test_a_plan_without_an_evaluation_asks_for_one(planning_warehouse, tmp_path):
    page = _with(planning_warehouse, tmp_path, "drop table analytics.policy_simulation")
    assert "No simulation yet — every <code>supplychain optimize</code> replays" in page
    assert CHART_DIV.findall(page) == [f"chart-{n}" for n in range(1, 6)]


def test_the_proof_panel_tabulates_every_simulated_policy(planning_warehouse, tmp_path):
    page = build_report(planning_warehouse, tmp_path / "report.html").read_text()
    proof = page[page.index('<table class="kpis proof">') :]
    proof = proof[: proof.index("</table>")]
    # A header and two policies at two service levels, each with its levels and whether it meets both targets.
    assert proof.count("<tr>") == 5
    assert proof.count("<td>optimised</td>") == 2 and proof.count("<td>no_reallocation</td>") == 2
    assert "<td>95.0% for all</td>" in proof and "<td>99.0% for all</td>" in proof
    assert proof.count("<td>no</td>") == 2  # the synthetic optimised rows do not meet the targets


def test_a_missing_warehouse_names_the_command_that_builds_it(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"no warehouse at .*nowhere\.duckdb — run `supplychain build` first"):
        build_report(tmp_path / "nowhere.duckdb", tmp_path / "report.html")


def test_report_command_writes_the_file(planning_warehouse, tmp_path, capsys):
    output = tmp_path / "reports" / "planning_report.html"
    with mock.patch.dict(os.environ, {"SUPPLYCHAIN_DUCKDB_PATH": str(planning_warehouse)}):
        assert main(["report", "--target", "local", "--output", str(output)]) == 0
    assert output.exists() and f"planning report: {output.resolve()}" in capsys.readouterr().out
    with mock.patch.dict(os.environ, {"SUPPLYCHAIN_DUCKDB_PATH": str(tmp_path / "missing.duckdb")}):
        assert main(["report", "--output", str(output)]) == 2



def test_the_proof_panel_says_which_replay_and_which_weeks(planning_warehouse, tmp_path):
    page = build_report(planning_warehouse, tmp_path / "report.html").read_text()
    assert '<p class="proof-span">From the full sweep: 8 held-out weeks from 2024-03-04.</p>' in page


def test_the_daily_replays_panel_says_the_targets_are_judged_on_the_sweep():
    daily = pd.DataFrame([{"evaluation": "replay", "holdout_start": "2025-11-03", "holdout_weeks": 8}])
    span = _proof_span(daily)
    assert span.startswith('<p class="proof-span">From the daily run\'s replay: 8 held-out weeks from 2025-11-03.')
    assert "judged on <code>make evaluate</code>'s sweep" in span
    assert "judged" not in _proof_span(daily.assign(evaluation="sweep"))

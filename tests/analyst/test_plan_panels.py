"""The report's proof panel and plan table from frames shaped like the marts: units and value side by side per
policy, and each move's expected benefit against its cost (no warehouse needed)."""

from __future__ import annotations

import re

import pandas as pd

from analyst.report.sections import _moves_table, _proof_table


def cells(html: str) -> list[list[str]]:
    return [re.findall(r"<t[hd]>(.*?)</t[hd]>", row) for row in re.findall(r"<tr>(.*?)</tr>", html)]


def test_the_proof_panel_shows_stock_out_units_and_lost_value_side_by_side():
    simulation = pd.DataFrame([
        {"policy_name": name, "level_rule": "cost", "service_level": 0.99, "stockout_units": units,
         "stockout_units_change": change, "lost_sales_value": value, "lost_sales_value_change": value_change,
         "avg_overstock_units": 100.0, "avg_overstock_units_change": 0.0, "fill_rate": 0.97, "avg_on_hand_units": 500.0,
         "transfer_units": moved, "transfer_cost": 2.0 * moved, "is_baseline": name == "no_reallocation",
         "meets_targets": False}
        for name, units, change, value, value_change, moved in [
            ("no_reallocation", 100.0, 0.0, 2000.0, 0.0, 0.0), ("optimised", 90.0, -0.1, 2600.0, 0.3, 40.0)]
    ])  # fmt: skip
    header, _, optimised = cells(_proof_table(simulation))
    row = dict(zip(header, optimised, strict=True))
    # Fewer units lost, more value lost: the panel shows both, so the planner sees the dear stock-outs.
    assert (row["stock-out units"], row["vs baseline"]) == ("90", "-10.0%")
    assert (row["lost sales value"], row["vs baseline  "]) == ("2,600", "+30.0%")
    assert (row["units moved"], row["transfer cost"]) == ("40", "80")


def test_the_plan_table_marks_each_moves_expected_benefit_best_first():
    moves = pd.DataFrame([
        {"product_id": "P1", "from_warehouse_id": "W1", "to_warehouse_id": "W2", "units": 40.0,
         "transfer_cost": 80.0, "expected_benefit": 400.0, "reason": "W2 short 30 units"},
        {"product_id": "P2", "from_warehouse_id": "W3", "to_warehouse_id": "W2", "units": 5.0,
         "transfer_cost": 10.0, "expected_benefit": None, "reason": "an older plan"},
    ])  # fmt: skip
    table = _moves_table(moves)
    header, first, second = cells(table[table.index("<table") :])
    assert header[-3:] == ["expected benefit", "benefit / cost", "why"]
    assert first[-3:] == ["400", "5.0x", "W2 short 30 units"]
    assert second[-3:] == ["", "", "an older plan"]  # a plan written before moves carried a benefit
    assert "1.5x its cost" in table

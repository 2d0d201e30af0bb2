"""A fact's missing region is filled from its warehouse's current region: from the warehouses' state collected once
per run (a map in the record's own expression, no Spark job) or, when the state was not collected, a broadcast
join. Both fill the same rows."""

from __future__ import annotations

import pytest

from ingestion.transforms.conform import fill_region_from_warehouse, regions_of_rows

pytestmark = pytest.mark.spark

RECORDS = "order_id string, warehouse_id string, region string"
STATE = "warehouse_id string, region string"


def test_the_collected_regions_fill_what_the_join_fills_without_a_join(spark):
    records = spark.createDataFrame(
        [
            ("O1", "WH1", None),  # filled from the state
            ("O2", "WH1", "EAST"),  # its own region stays
            ("O3", "WH9", None),  # a warehouse the state does not know: stays empty
            ("O4", None, None),  # no warehouse: nothing to look up
            ("O5", "WH2", None),  # a warehouse whose current region is empty
            ("O6", "wh1", None),  # ids are compared as written, as the join compares them
            ("O7", "WH 3", ""),  # an empty region is a value: kept
        ],
        RECORDS,
    )
    state_rows = [("WH1", "NORTH"), ("WH2", None), ("WH 3", "SOUTH"), (None, "WEST")]
    state = spark.createDataFrame(state_rows, STATE)
    regions = regions_of_rows(state_rows)
    assert regions == {"WH1": "NORTH", "WH2": None, "WH 3": "SOUTH"}
    by_map = fill_region_from_warehouse(records, state, regions)
    by_join = fill_region_from_warehouse(records, state)
    assert by_map.columns == by_join.columns == records.columns
    assert sorted(by_map.collect()) == sorted(by_join.collect())
    assert dict((r.order_id, r.region) for r in by_map.collect()) == {
        "O1": "NORTH", "O2": "EAST", "O3": None, "O4": None, "O5": None, "O6": None, "O7": "",
    }  # fmt: skip
    plan = by_map._jdf.queryExecution().optimizedPlan().toString()
    assert "Join" not in plan, plan


def test_a_state_with_two_regions_for_one_warehouse_keeps_the_join(spark):
    assert regions_of_rows([("WH1", "NORTH"), ("WH1", "SOUTH")]) is None
    assert regions_of_rows([("WH1", "NORTH"), ("WH1", "NORTH")]) == {"WH1": "NORTH"}
    assert regions_of_rows([]) == {}

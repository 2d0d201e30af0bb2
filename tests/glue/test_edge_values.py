"""The row rules on the edge-value corpus, under whichever Spark runs the tests (4.x here, 3.5.4 in the Glue run).

When SUPPLYCHAIN_EDGE_OUTCOMES names a file, the outcomes are written there too: tests/glue/test_glue_runtime.py
compares the Glue runtime's with the project's.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.glue.edge_values import CORPUS, outcomes

pytestmark = pytest.mark.spark


def test_every_edge_value_gets_an_outcome_and_the_known_ones_are_right(spark):
    found = outcomes(spark)  # under Spark 3.5's defaults, the lenient dates used to crash the batch right here
    if os.environ.get("SUPPLYCHAIN_EDGE_OUTCOMES"):
        Path(os.environ["SUPPLYCHAIN_EDGE_OUTCOMES"]).write_text(json.dumps(found, indent=1))
    assert len(found) == len(CORPUS) >= 55
    by_value = {(o["column"], o["value"]): (o["typed"], o["rule"]) for o in found}
    # The dates the issue found crashing Glue 5.0's Spark are quarantined, with the rule named.
    for lenient in ("2024-1-2", "2024-01-2", "2024-01-02T00:00:00", "2024-01-02 10:00"):
        assert by_value[("a_date", lenient)] == (None, "invalid_date")
    assert by_value[("a_date", "2024-01-02")] == ("2024-01-02", None)
    assert by_value[("a_date", " 2024-01-02 ")] == ("2024-01-02", None)  # trimmed first
    assert by_value[("a_date", "2023-02-29")] == (None, "invalid_date")
    assert by_value[("an_int", "2147483648")] == (None, "invalid_number")
    assert by_value[("an_int", " 7 ")] == ("7", None)
    assert by_value[("a_quantity", "1000001")] == ("1000001", "invalid_quantity")
    assert by_value[("a_region", " north ")] == ("NORTH", None)
    assert by_value[("a_region", "EAST")] == ("EAST", "invalid_value")
    assert by_value[("a_name", "   ")] == (None, "null_required")


def test_a_job_session_writes_no_success_markers_and_keeps_utc(spark, tmp_path):
    """What apply_project_settings must give Glue's session: no _SUCCESS file under processed/ for a Redshift COPY
    of the prefix to read, UTC, partition values kept as text."""
    assert spark.conf.get("spark.sql.session.timeZone") == "UTC"
    spark.createDataFrame([("2024-03", 1)], "month string, n int").write.partitionBy("month").parquet(
        str(tmp_path / "table")
    )
    assert not list((tmp_path / "table").rglob("_SUCCESS"))
    back = spark.read.parquet(str(tmp_path / "table"))
    assert dict(back.dtypes)["month"] == "string"

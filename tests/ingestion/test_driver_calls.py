"""A first run reads years of drops: planning its per-file lookups (each record's header shape, whether it came from
a drop of this run, its file's landing rank) must cost the driver the same few calls to the JVM for 3 drops as for
3,000, and give the same records either way."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from py4j.clientserver import ClientServerConnection
from py4j.java_gateway import GatewayConnection
from pyspark.sql import functions as F

from ingestion.checked_batch import profile_metrics
from ingestion.file_lookup import by_file
from ingestion.io.raw_reader import _parse_csv
from ingestion.sources import BATCH_SOURCES

pytestmark = pytest.mark.spark


@contextmanager
def jvm_calls(counter: list[int]):
    """Counts the calls from Python to the JVM (both py4j connection kinds), the calls themselves unchanged; not
    the releases of garbage-collected references, whose number depends on when Python collects."""
    originals = {cls: cls.send_command for cls in (ClientServerConnection, GatewayConnection)}

    def counted(original):
        def send_command(self, command):
            counter[0] += not command.startswith("m\nd\n")
            return original(self, command)

        return send_command

    for cls, original in originals.items():
        cls.send_command = counted(original)
    try:
        yield
    finally:
        for cls, original in originals.items():
            cls.send_command = original


def paths(n: int) -> list[str]:
    return [f"raw/sales/year=2024/month=01/day=01/sales [{i}] é.csv" for i in range(n)]


def plan_lookups(spark, n: int) -> int:
    """Driver calls to plan the three per-file lookups over n drops (two header shapes, landing ranks, drops)."""
    files = paths(n)
    lines = spark.createDataFrame(
        [(files[0], 2, "O1,2"), (files[-1], 2, "3,O2")], "source_file string, source_line int, raw_record string"
    )
    shapes = [(["order_id", "qty"], files[:1], ","), (["qty", "order_id"], files[1:], ",")]
    counter = [0]
    with jvm_calls(counter):
        parsed = _parse_csv(lines, shapes, ["order_id", "qty"])
        ranked = parsed.withColumn("_landing", by_file({f: i for i, f in enumerate(files)}, "int"))
        ranked.withColumn("quarantine_rule", F.lit(None).cast("string")).select(
            *profile_metrics(BATCH_SOURCES["shipments"], files)[:1]
        )
    return counter[0]


def test_planning_per_file_lookups_costs_the_same_for_3_or_3000_drops(spark):
    plan_lookups(spark, 3)  # warm: the first use of a function looks its class up
    assert plan_lookups(spark, 3000) == plan_lookups(spark, 3)


def test_per_file_lookups_find_every_file_whatever_its_name(spark):
    files = [*paths(300), 'raw/sales/it\'s "quoted" {a,b}.csv']
    frame = spark.createDataFrame([(f,) for f in files] + [("raw/sales/other.csv",)], "source_file string")
    got = frame.select("source_file", by_file({f: i for i, f in enumerate(files)}, "int").alias("rank")).collect()
    assert {r.source_file: r.rank for r in got} == {**{f: i for i, f in enumerate(files)}, "raw/sales/other.csv": None}


def test_planning_an_expression_costs_no_calls_for_its_python_call_site(spark):
    """PySpark 4 records the Python call site of every Column operator in the JVM for error messages, seven calls
    each (and a walk of the Python stack): a run plans thousands of them while the driver is alone. The project's
    local session turns that off (foundation/spark.py); Spark 3.5 (Glue 5.0) never records it."""
    ((F.col("warm") == F.lit(0)) & F.col("up").isNull()).alias("warmed")
    counter = [0]
    with jvm_calls(counter):
        ((F.col("qty") == F.lit(1)) & F.col("order_id").isNull()).alias("found")
    # Measured with PySpark 4.3: 13 calls (the functions' lookups and the calls themselves), 73 with call sites.
    assert counter[0] <= 20, counter[0]

"""The read-and-check stage must stay small enough for the JVM to compile.

Spark generates one Java method for the reader's parse and every rule of a batch source (one per branch of the
reader's union). HotSpot does not JIT-compile a method of more than 8,000 bytes of bytecode: it interprets it, and
the rules then cost several times what they should (issue 29: a `when` per failing test carrying its message took
the sales stage to 11,033 bytes and made the rules a third of the first pass at 1M lines).
"""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from pyspark.sql import functions as F

from foundation.lake import Lake
from ingestion.batch import RunOptions, _read_drops, drop_selection
from ingestion.masters import MasterSnapshot
from ingestion.sources import BATCH_SOURCES
from ingestion.transforms.rules import RULE_ORDER, check_records
from sample_data.generate import generate
from tests.ingestion.test_checked_batch import TINY

pytestmark = [pytest.mark.spark]

HOTSPOT_HUGE_METHOD = 8000  # bytes of bytecode: -XX:+DontCompileHugeMethods, on by default


def largest_method(spark, frame) -> int:
    """The largest method (bytes of bytecode) of the frame's whole-stage generated code."""
    debug = spark._jvm.org.apache.spark.sql.execution.debug.package
    code = debug.codegenString(frame._jdf.queryExecution().executedPlan())
    sizes = [int(s) for s in re.findall(r"maxMethodCodeSize:(\d+)", code)]
    assert sizes, code[:500]
    return max(sizes)


@pytest.fixture(scope="module")
def lake(tmp_path_factory) -> Lake:
    root = tmp_path_factory.mktemp("codegen")
    generate(root, TINY)
    return Lake(str(root))


@pytest.mark.parametrize("masters", ["id set", "join"])
@pytest.mark.parametrize("entity", sorted(BATCH_SOURCES))
def test_the_read_and_check_stage_is_compiled_not_interpreted(spark, lake, entity, masters):
    source, options = BATCH_SOURCES[entity], RunOptions(full_refresh=True, settle_seconds=0)
    if masters == "join" and not source.references:
        pytest.skip("no master references")
    files = drop_selection(lake, source, options).new
    records, _ = _read_drops(spark, lake, source, files)
    # As a run checks a batch: the masters' snapshot (small masters as id sets, or a join above the cap), every
    # rule, the partition column, raw text kept for rejects only.
    references = MasterSnapshot(spark, lake, options, {"products", "warehouses"}).references(source)
    if references is not None and masters == "join":
        references = replace(references, ids=dict.fromkeys(references.ids))
    checked = check_records(records, source.fields, references, options.dates)
    if source.partition:
        checked = checked.withColumn(source.partition[0], F.expr(source.partition[1]))
    checked = checked.withColumn("raw_record", F.when(F.col("quarantine_rule").isNotNull(), F.col("raw_record")))
    adaptive = spark.conf.get("spark.sql.adaptive.enabled")
    spark.conf.set("spark.sql.adaptive.enabled", "false")  # the final plan up front, every stage's code in it
    try:
        assert largest_method(spark, checked) < HOTSPOT_HUGE_METHOD
    finally:
        spark.conf.set("spark.sql.adaptive.enabled", adaptive)


def test_only_a_failing_record_builds_the_array_of_its_rule_tests(spark, lake):
    """A good record (nearly every one) passes one disjunction of the tests, each evaluated once; the array of every
    test's outcome, which finds the first failing one, is built under that disjunction only (built for every record
    it cost about as much as the tests themselves)."""
    source, options = BATCH_SOURCES["sales"], RunOptions(full_refresh=True, settle_seconds=0)
    records, _ = _read_drops(spark, lake, source, drop_selection(lake, source, options).new)
    references = MasterSnapshot(spark, lake, options, {"products", "warehouses"}).references(source)
    checked = check_records(records, source.fields, references, options.dates)
    fields = spark.conf.get("spark.sql.debug.maxToStringFields")
    spark.conf.set("spark.sql.debug.maxToStringFields", "1000")  # every column of the plan's selects
    try:
        plan = checked._jdf.queryExecution().optimizedPlan().toString()
    finally:
        spark.conf.set("spark.sql.debug.maxToStringFields", fields)
    searched = re.findall(r"array_position\((\w+(?: \w+)?)", plan)
    assert searched and all(s == "CASE WHEN" for s in searched), searched
    # ... and the rule, message and number of a failing record are those of its first failing test.
    by_line = {r.source_line: r for r in checked.where("quarantine_rule is not null").collect()}
    assert by_line and all(r.quarantine_rule_number == RULE_ORDER.index(r.quarantine_rule) + 1
                           for r in by_line.values())

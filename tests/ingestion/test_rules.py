"""Row rules on tiny explicit inputs: each rule, its order, normalisation and defaults."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from pyspark.sql import functions as F

from ingestion.transforms import rules
from ingestion.transforms.rules import (
    RULE_NUMBER,
    RULE_ORDER,
    DateBounds,
    Field,
    References,
    check_records,
    good_records,
    known_ids,
)

pytestmark = pytest.mark.spark

FIELDS = (
    Field("order_id", required=True),
    Field("order_date", "date", required=True),
    Field("product_id", required=True),
    Field("region", normalise_upper=True, allowed=("NORTH", "SOUTH")),
    Field("qty", "int", required=True, range=(1, 100)),
    Field("price", "decimal(12,2)"),
    Field("discount", "decimal(5,2)", default=0),
)
RAW_SCHEMA = (
    "order_id string, order_date string, product_id string, region string, qty string, price string, "
    "discount string, source_file string, source_line int, raw_record string, is_malformed boolean"
)


def rows(spark, *records):
    """Records as the raw reader yields them: seven text columns, then whether the record was malformed."""
    return spark.createDataFrame(
        [
            (*r[:7], "raw/sales/year=2024/month=01/day=02/f.csv", i + 2, ",".join(str(x) for x in r[:7]), r[7])
            for i, r in enumerate(records)
        ],
        RAW_SCHEMA,
    )


def checked(spark, *records, references=None):
    result = check_records(rows(spark, *records), FIELDS, references).orderBy("source_line").collect()
    return [(r["quarantine_rule"], r["quarantine_error"]) for r in result], result


def test_good_record_is_typed_normalised_and_defaulted(spark):
    outcome, result = checked(spark, ("O1", "2024-01-02", "P1", " north ", "3", "9.99", None, False))
    assert outcome == [(None, None)]
    row = result[0]
    assert row["order_date"] == dt.date(2024, 1, 2)
    assert row["region"] == "NORTH"
    assert row["qty"] == 3
    assert row["price"] == Decimal("9.99")
    assert row["discount"] == Decimal("0.00")


@pytest.mark.parametrize(
    ("record", "rule", "error_part"),
    [
        (("O1", "2024-01-02", "P1", "NORTH", "3", "1", None, True), "malformed_record", "number of fields"),
        (("", "2024-01-02", "P1", "NORTH", "3", "1", None, False), "null_required", "order_id is required"),
        (("O1", "2024-13-45", "P1", "NORTH", "3", "1", None, False), "invalid_date", "order_date '2024-13-45'"),
        (("O1", "31/02/2024", "P1", "NORTH", "3", "1", None, False), "invalid_date", "not a valid date"),
        (("O1", "2024-01-02", "P1", "NORTH", "12x", "1", None, False), "invalid_number", "qty '12x'"),
        (("O1", "2024-01-02", "P1", "NORTH", "3", "1O.99", None, False), "invalid_number", "price '1O.99'"),
        (("O1", "2024-01-02", "P1", "NORTH", "-4", "1", None, False), "invalid_quantity", "outside [1, 100]"),
        (("O1", "2024-01-02", "P1", "NORTH", "99999999", "1", None, False), "invalid_quantity", "qty '99999999'"),
        (("O1", "2024-01-02", "P1", "Nort", "3", "1", None, False), "invalid_value", "region 'NORT'"),
    ],
)
def test_each_rule_names_the_column_and_value(spark, record, rule, error_part):
    outcome, _ = checked(spark, record)
    assert outcome[0][0] == rule
    assert error_part in outcome[0][1]


def test_first_broken_rule_wins(spark):
    # Both a null required field and a bad date: null_required is checked first.
    outcome, _ = checked(spark, ("", "bad", "P1", "NORTH", "3", "1", None, False))
    assert outcome[0][0] == "null_required"


def test_unknown_ids_are_quarantined_against_the_master(spark):
    products = spark.createDataFrame([("P1",)], "product_id string")
    refs = References(products=products, checks={"product_id": "products"})
    outcome, _ = checked(
        spark,
        ("O1", "2024-01-02", "P1", "NORTH", "3", "1", None, False),
        ("O2", "2024-01-02", "P99999", "NORTH", "3", "1", None, False),
        references=refs,
    )
    assert outcome[0] == (None, None)
    assert outcome[1] == ("unknown_product", "product_id 'P99999' is not in the product master")


# Ids a SQL literal could mangle: quotes, backslashes, a % and _ (LIKE's wildcards), accents, a character beyond the
# BMP, inner spaces, a line break, and case (P1 is not p1).
TRICKY_IDS = ("P1", "p'1", "P\\1", 'P"1', "P%", "P_", "Pé", "P\U0001f600", "P 1", "P\n1", "P\\u0041", "")


def _plan_joins(frame) -> bool:
    return "Join" in frame._jdf.queryExecution().optimizedPlan().toString()


def test_a_small_master_is_an_in_set_with_the_joins_outcomes(spark):
    """A master of at most MAX_ID_SET ids is tested as an IN-set (no join in the plan); a larger one by the join. Both
    quarantine the same records under the same rule with the same message, whatever the ids hold."""
    master = spark.createDataFrame([(i,) for i in (*TRICKY_IDS, None, "P1")], "product_id string")
    probes = [*TRICKY_IDS[:-1], "P2", "p1", "P\\\\1", "P\U0001f600x", "PA", "P"]
    records = [(f"O{i}", "2024-01-02", p, "NORTH", "3", "1", None, False) for i, p in enumerate(probes)]
    as_set = References(products=master, checks={"product_id": "products"})
    as_join = References(products=master, checks={"product_id": "products"}, ids={"products": None})
    set_frame = check_records(rows(spark, *records), FIELDS, as_set)
    join_frame = check_records(rows(spark, *records), FIELDS, as_join)
    assert not _plan_joins(set_frame) and _plan_joins(join_frame)
    by_set, by_join = (sorted(f.collect(), key=lambda r: r["source_line"]) for f in (set_frame, join_frame))
    assert by_set == by_join
    unknown = [r["product_id"] for r in by_set if r["quarantine_rule"] == "unknown_product"]
    assert unknown == ["P2", "p1", "P\\\\1", "P\U0001f600x", "PA", "P"]
    assert {r["quarantine_rule"] for r in by_set if r["product_id"] not in unknown} == {None}
    (lower,) = [r for r in by_set if r["product_id"] == "p1"]
    assert lower["quarantine_error"] == "product_id 'p1' is not in the product master"


def test_known_ids_are_capped_and_text_only(spark, monkeypatch):
    monkeypatch.setattr(rules, "MAX_ID_SET", 3)
    three_rows = spark.createDataFrame([("B",), ("A",), ("A",), (None,)], "product_id string")
    assert known_ids(three_rows) == ("A", "B")
    assert known_ids(spark.createDataFrame([("A",), ("B",), ("C",), ("D",)], "product_id string")) is None
    assert known_ids(spark.createDataFrame([(1,)], "product_id int")) is None
    assert known_ids(spark.createDataFrame([], "product_id string")) == ()
    # Over the cap, check_records falls back to the join, with the same outcome.
    master = spark.createDataFrame([(p,) for p in ("P1", "P2", "P3", "P4")], "product_id string")
    refs = References(products=master, checks={"product_id": "products"})
    frame = check_records(rows(spark, ("O1", "2024-01-02", "P9", "NORTH", "3", "1", None, False)), FIELDS, refs)
    assert _plan_joins(frame)
    assert frame.first()["quarantine_rule"] == "unknown_product"


def test_an_empty_master_knows_no_id(spark):
    empty = spark.createDataFrame([], "product_id string")
    for refs in (
        References(products=empty, checks={"product_id": "products"}),
        References(products=empty, checks={"product_id": "products"}, ids={"products": None}),
    ):
        outcome, _ = checked(spark, ("O1", "2024-01-02", "P1", "NORTH", "3", "1", None, False), references=refs)
        assert outcome == [("unknown_product", "product_id 'P1' is not in the product master")]


def test_good_records_drop_rule_columns_and_keep_lineage(spark):
    frame = check_records(rows(spark, ("O1", "2024-01-02", "P1", "NORTH", "3", "1", None, False)), FIELDS)
    good = good_records(frame)
    assert good.columns == [f.name for f in FIELDS] + ["source_file", "source_line"]
    assert good.count() == 1


BOUNDS = DateBounds(dt.date(2000, 1, 1), dt.date(2030, 12, 31))
MEASURES = (
    Field("order_id", required=True),
    Field("order_date", "date"),
    Field("opened_date", "date", history=True),
    Field("updated_at", "timestamp"),
    Field("weight", "double"),
    Field("price", "decimal(12,2)"),
)


@pytest.mark.parametrize(
    ("values", "raw_record", "rule", "error_part"),
    [
        (("O1", "1900-01-01", None, None, None, None), None, "implausible_date", "order_date '1900-01-01' is outside"),
        (("O1", "9999-12-31", None, None, None, None), None, "implausible_date", "2000-01-01 to 2030-12-31"),
        (("O1", None, "2031-01-01", None, None, None), None, "implausible_date", "opened_date '2031-01-01' is after"),
        (("O1", None, None, "9999-12-31T00:00:00Z", None, None), None, "implausible_date", "updated_at"),
        (("O1", None, None, None, "NaN", None), None, "non_finite_number", "weight 'NaN' is not a finite number"),
        (("O1", None, None, None, "-Infinity", None), None, "non_finite_number", "weight '-Infinity'"),
        (("O1", None, None, None, None, "1e-300"), None, "rounds_to_zero", "price '1e-300' is not zero but rounds"),
        (("O1", None, None, None, None, None), "O1,M\ufffdller", "invalid_encoding", "not UTF-8"),
        # The good neighbours of each rule: an old opening date, an exact zero, a tiny non-zero that keeps a cent.
        (("O1", "2000-01-01", "1985-06-01", "2030-12-31T23:59:59Z", "0.5", "0"), None, None, None),
        (("O1", "2024-01-02", None, None, "1e-300", "0.005"), None, None, None),
    ],
)
def test_implausible_dates_non_finite_numbers_rounding_and_encoding(spark, values, raw_record, rule, error_part):
    schema = ", ".join(f"{f.name} string" for f in MEASURES)
    schema += ", source_file string, source_line int, raw_record string, is_malformed boolean"
    frame = spark.createDataFrame([(*values, "raw/x.csv", 2, raw_record or ",".join(map(str, values)), False)], schema)
    (row,) = check_records(frame, MEASURES, dates=BOUNDS).collect()
    assert row["quarantine_rule"] == rule
    if error_part:
        assert error_part in row["quarantine_error"]


def test_dates_read_by_cast_where_canonical_mean_what_the_pattern_says(spark):
    """iso_date's fast path (try_cast for dddd-dd-dd text) decides every value as the yyyy-MM-dd pattern does."""
    from pyspark.sql import functions as F

    from ingestion.transforms.rules import iso_date
    from tests.glue.edge_values import DATES

    years = ("0000", "0001", "0099", "1582", "1900", "2023", "2024", "2100", "9999")
    grid = [f"{y}-{m:02d}-{d:02d}" for y in years for m in range(14) for d in range(33)]
    odd = [
        "2024-01-2T",
        "2024-1-02 ",
        "2024-01-0T",
        "+024-01-02",
        "2024-01-\uff10\uff12",
        "2024\u201001-02",
        "abcd-ef-gh",
    ]
    frame = spark.createDataFrame([(v,) for v in [*grid, *DATES, *odd]], "d string")
    pattern = F.try_to_timestamp(F.col("d"), F.lit("yyyy-MM-dd")).cast("date")
    differ = frame.where(~iso_date("d").eqNullSafe(pattern)).collect()
    assert differ == []
    assert frame.where(iso_date("d").isNotNull()).count() > 2_500  # the grid's real dates did parse


def test_a_month_partition_is_date_formats_text_for_every_plausible_date(spark):
    """sources.month_of (from the date's year and month numbers) gives date_format(d, 'yyyy-MM')'s text for every
    day of the years 1 to 9999, which hold every plausible date (Python dates bound it); each monthly partitioned
    source uses it on a date the plausible-date rule bounds on both sides."""
    from ingestion.sources import BATCH_SOURCES, month_of

    first, last = (F.lit(d).cast("date") for d in ("0001-01-01", "9999-12-31"))
    days = spark.range(-719_162, 2_932_897).select(F.expr("date_from_unix_date(cast(id as int))").alias("d"))
    assert days.agg(F.min("d") == first, F.max("d") == last).first() == (True, True)
    differ = days.where(~F.expr(month_of("d")).eqNullSafe(F.date_format("d", "yyyy-MM")))
    assert differ.limit(5).collect() == []
    assert spark.createDataFrame([(None,)], "d date").select(F.expr(month_of("d"))).first()[0] is None
    monthly = [s for s in BATCH_SOURCES.values() if s.partition and s.partition[0].endswith("_month")]
    for source in monthly:
        date = source.partition[0].replace("month", "date")
        assert source.partition[1] == month_of(date)
        assert [(f.type, f.history) for f in source.fields if f.name == date] == [("date", False)]
    assert monthly


REFERENCE_PRODUCTS = ("P1",)


@pytest.mark.parametrize(
    ("record", "raw_record", "rule", "error"),
    [
        (
            ("O1", "2024-01-02", "P1", "NORTH", "3", "1", None, False),
            "O1,M\ufffdller",
            "invalid_encoding",
            "record holds bytes that are not UTF-8 (a Latin-1 or Windows export?): re-export it as UTF-8",
        ),
        (
            ("O1", "2024-01-02", "P1", "NORTH", "3", "1", None, True),
            None,
            "malformed_record",
            "record does not have the header's number of fields (cut short or misquoted)",
        ),
        (
            ("O1", "2024-01-02", "", "NORTH", "3", "1", None, False),
            None,
            "null_required",
            "product_id is required but empty",
        ),
        (
            ("O1", "2024-01-02", "P1", "NORTH", " ", "1", None, False),
            None,
            "null_required",
            "qty is required but empty",
        ),
        (
            ("O1", "1900-01-01", "P1", "NORTH", "3", "1", None, False),
            None,
            "implausible_date",
            "order_date '1900-01-01' is outside the plausible dates 2000-01-01 to 2030-12-31",
        ),
        (
            ("O1", "2024-01-02", "P1", "NORTH", "3", "1", "1.5.0", False),
            None,
            "invalid_number",
            "discount '1.5.0' is not a valid decimal(5,2)",
        ),
        (
            ("O1", "2024-01-02", "P1", "NORTH", "3", "1e-300", None, False),
            None,
            "rounds_to_zero",
            "price '1e-300' is not zero but rounds to zero as decimal(12,2)",
        ),
        (
            ("O1", "2024-01-02", "P1", "NORTH", "3", "1", "101", False),
            None,
            "invalid_quantity",
            "discount '101' is outside [0, 100]",
        ),
        (
            ("O1", "2024-01-02", "P2", "NORTH", "3", "1", None, False),
            None,
            "unknown_product",
            "product_id 'P2' is not in the product master",
        ),
        # Two rules broken: the one checked first names the record, with its own column and value.
        (
            ("", "2024-01-02", "", "NORTH", "3", "1", None, False),
            None,
            "null_required",
            "order_id is required but empty",
        ),
        (
            ("O1", "2024-01-02", "P2", "nort", "12x", "1", None, False),
            None,
            "invalid_number",
            "qty '12x' is not a valid int",
        ),
        (
            ("O1", "2024-01-02", "P2", "nort", "3", "-1", None, False),
            None,
            "invalid_quantity",
            "price '-1' is outside [0, 1e+06]",
        ),
        (
            ("O1", "2024-01-02", "P2", " nort ", "3", "1", None, False),
            None,
            "invalid_value",
            "region 'NORT' is not one of NORTH, SOUTH",
        ),
        (("O1", "2024-01-02", "P1", "NORTH", "3", "1", None, False), None, None, None),
    ],
)
def test_the_failing_rule_is_named_with_its_exact_message(spark, record, raw_record, rule, error):
    """The rule name and message come from the failing test's index: each must be that test's, word for word."""
    fields = (
        *FIELDS[:5],
        Field("price", "decimal(12,2)", range=(0, 1_000_000)),
        Field("discount", "decimal(5,2)", range=(0, 100)),
    )
    frame = rows(spark, record)
    if raw_record:
        frame = frame.withColumn("raw_record", F.lit(raw_record))
    products = spark.createDataFrame([(p,) for p in REFERENCE_PRODUCTS], "product_id string")
    refs = References(products=products, checks={"product_id": "products"})
    (row,) = check_records(frame, fields, refs, BOUNDS).collect()
    assert (row["quarantine_rule"], row["quarantine_error"]) == (rule, error)
    # The rule's number, which the batch's profile counts by, is that same rule's.
    assert row[RULE_NUMBER] == (RULE_ORDER.index(rule) + 1 if rule else None)


def test_a_signed_range_holds_at_the_smallest_int(spark):
    """|qty| is tested without abs(): abs(-2147483648) overflows an int, which under ANSI failed the whole batch."""
    signed = (Field("order_id", required=True), Field("qty", "int", required=True, range=(1, 10_000), signed=True))
    schema = "order_id string, qty string, source_file string, source_line int, raw_record string, is_malformed boolean"
    values = ["-2147483648", "2147483647", "-10000", "-1", "0", "10001", "-10001", "7"]
    frame = spark.createDataFrame([("O1", v, "raw/x.csv", i, f"O1,{v}", False) for i, v in enumerate(values)], schema)
    found = {r["source_line"]: r["quarantine_rule"] for r in check_records(frame, signed).collect()}
    expected = [
        ("invalid_quantity" if v in ("-2147483648", "2147483647", "0", "10001", "-10001") else None) for v in values
    ]
    assert [found[i] for i in range(len(values))] == expected

"""Edge values for the row rules, and what the rules make of each: the corpus both Spark runtimes must agree on.

Glue 5.0 runs Spark 3.5.4, the project pins 4.x; their parsers and defaults differ exactly on values like these
(dates the old parser read leniently, numbers at the edge of a type, text that only looks numeric).
"""

from __future__ import annotations

from pyspark.sql import SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import BooleanType, LongType, StringType, StructField, StructType

from ingestion.transforms.rules import Field, check_records

# One field per kind of value the sources carry; each corpus value is tried in its kind's column alone.
FIELDS = (
    Field("a_date", "date"),
    Field("a_timestamp", "timestamp"),
    Field("an_int", "int"),
    Field("a_bigint", "bigint"),
    Field("a_double", "double"),
    Field("a_decimal", "decimal(12,2)"),
    Field("a_quantity", "int", range=(0, 1_000_000)),
    Field("a_region", "string", normalise_upper=True, allowed=("NORTH", "SOUTH")),
    Field("a_name", "string", required=True),
)

DATES = (
    "2024-01-02", "2024-1-2", "2024-01-2", "2024-1-02", "2024-01-02T00:00:00", "2024-01-02 10:00",
    "2024-01-02 10:00:00", "2024-01-02Z", "20240102", "2024/01/02", "02/01/2024", "2024-02-29", "2023-02-29",
    "2024-13-01", "2024-00-10", "2024-01-32", "0001-01-01", "9999-12-31", "1582-10-10", "10000-01-01",
    " 2024-01-02 ", "+2024-01-02", "-2024-01-02", "2024-W01", "24-01-02", "2024-01-02\t", "null", "",
)
TIMESTAMPS = (
    "2024-01-02 10:00:00", "2024-01-02T10:00:00", "2024-01-02T10:00:00Z", "2024-01-02 10:00:00+02:00",
    "2024-01-02", "2024-01-02 25:00:00", "2024-01-02 10:00:00.123456789", "1970-01-01 00:00:00",
    "2024-1-2 3:4:5", "not a time",
)
INTEGERS = (
    "1", "-1", "+1", "007", "1.0", "1.5", "1e3", "2147483647", "2147483648", "-2147483649", "0x10", "1_000",
    "1,000", "\uff11\uff12", "NaN", "-0", " 7 ",
)
BIGINTS = ("9223372036854775807", "9223372036854775808", "-9223372036854775809", "12.0")
DOUBLES = (
    "1.5", "1e308", "1e309", "-1e309", "NaN", "nan", "Infinity", "-Infinity", "inf", "1.5d", "1.5f", ".5", "5.",
    "1,5", "1e-400", "0x1p3",
)
DECIMALS = ("1.005", "1234567890.12", "12345678901.12", "1e2", "-0.001", "abc", "99999999999.995")
QUANTITIES = ("-1", "0", "1000000", "1000001", "2.5")
REGIONS = (" north ", "North", "EAST", "nörth")
NAMES = ("   ", "x", "\u00a0")

CORPUS: tuple[tuple[str, str], ...] = tuple(
    [("a_date", v) for v in DATES]
    + [("a_timestamp", v) for v in TIMESTAMPS]
    + [("an_int", v) for v in INTEGERS]
    + [("a_bigint", v) for v in BIGINTS]
    + [("a_double", v) for v in DOUBLES]
    + [("a_decimal", v) for v in DECIMALS]
    + [("a_quantity", v) for v in QUANTITIES]
    + [("a_region", v) for v in REGIONS]
    + [("a_name", v) for v in NAMES]
)


def outcomes(spark: SparkSession) -> list[dict[str, str | None]]:
    """Each corpus value, the value the rules typed it to (as text) and the rule it broke (None: it passed)."""
    names = [f.name for f in FIELDS]
    schema = StructType(
        [
            StructField("source_file", StringType()),
            StructField("source_line", LongType()),
            StructField("raw_record", StringType()),
            StructField("is_malformed", BooleanType()),
            *[StructField(name, StringType()) for name in names],
        ]
    )
    rows = []
    for line, (column, value) in enumerate(CORPUS, start=1):
        # Every other column gets a value that passes, so only the one under test can break a rule.
        cells = {name: None for name in names} | {"a_name": "filler", column: value}
        rows.append(("corpus.csv", line, f"{column}={value!r}", False, *[cells[n] for n in names]))
    checked = check_records(spark.createDataFrame(rows, schema), FIELDS)
    # Typed values come back as Spark's text: some dates the rules accept (year -2024) have no Python equivalent.
    as_text = checked.select("source_line", "quarantine_rule", *[F.col(n).cast("string").alias(n) for n in names])
    found = []
    for row, (column, value) in zip(as_text.orderBy("source_line").collect(), CORPUS, strict=True):
        found.append({"column": column, "value": value, "typed": row[column], "rule": row["quarantine_rule"]})
    return found

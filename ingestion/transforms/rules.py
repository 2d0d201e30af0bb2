"""Row rules: type every column, check it, and name the first rule a record breaks.

Pure DataFrame -> DataFrame functions. A checked frame keeps every input record; records that break a rule carry
`quarantine_rule` (its name), `quarantine_error` (the column, the value and what was wrong) and
`quarantine_rule_number` (the rule's number in RULE_ORDER).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import reduce

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import StringType, StructType

from ingestion.fields import Field

# Rule names, in the order they are checked; the first one a record breaks is the one it is quarantined under.
RULE_ORDER = (
    "invalid_encoding",
    "malformed_record",
    "null_required",
    "invalid_date",
    "implausible_date",
    "invalid_number",
    "non_finite_number",
    "rounds_to_zero",
    "invalid_quantity",
    "invalid_value",
    "unknown_product",
    "unknown_warehouse",
)

NUMERIC_TYPES = ("int", "bigint", "double")

# The broken rule's 1-based number in RULE_ORDER (a tinyint, null for a good record): the batch's profile counts
# records per rule by it, an integer test per record where the rule's name took a string comparison per rule.
RULE_NUMBER = "quarantine_rule_number"


@dataclass(frozen=True)
class DateBounds:
    """Business dates outside [earliest, latest] are typing accidents (1900-01-01, 9999-12-31), not history."""

    earliest: dt.date
    latest: dt.date


@dataclass(frozen=True)
class References:
    """Known ids from the masters, for conformance: records pointing elsewhere are quarantined."""

    products: DataFrame | None = None
    warehouses: DataFrame | None = None
    checks: dict[str, str] = field(default_factory=dict)  # column -> "products" | "warehouses"
    # master -> its ids as `known_ids` gives them, when the caller has them already (one collect per run, not per fact)
    ids: dict[str, tuple[str, ...] | None] = field(default_factory=dict)
    # warehouse id -> current region, when the caller collected the warehouses' state (conform.regions_of_rows)
    regions: dict[str, str | None] | None = None


# A master with at most this many ids is tested as an IN-set (a hash set in the record's own expression); a larger
# one by a broadcast join. The set costs no job beyond collecting the ids, where the join cost a distinct and a
# broadcast per fact (0.2-0.5 s of JVM CPU a fact, BENCHMARKS.md); the cap keeps the literal, which travels with
# the plan to every task, small.
MAX_ID_SET = 10_000


def known_ids(master: DataFrame) -> tuple[str, ...] | None:
    """The master's non-null ids (its first column), sorted and distinct, or None when it has more than MAX_ID_SET
    rows or its ids are not text (the join's comparison, which may cast, is then the test)."""
    column = master.schema.fields[0]
    if not isinstance(column.dataType, StringType):
        return None
    # A limit, not a distinct: a master with more rows than the cap takes the join even if its ids are fewer.
    rows = master.select(column.name).where(F.col(column.name).isNotNull()).limit(MAX_ID_SET + 1).collect()
    return None if len(rows) > MAX_ID_SET else ids_of_rows(rows, master.schema)


def ids_of_rows(rows: list, schema: StructType) -> tuple[str, ...] | None:
    """`known_ids` of a master whose rows (at most MAX_ID_SET) are these: their first column's non-null values,
    sorted and distinct, or None when that column is not text."""
    if not isinstance(schema.fields[0].dataType, StringType):
        return None
    return tuple(sorted({row[0] for row in rows if row[0] is not None}))


def typed(name: str, type_name: str) -> Column:
    """The column's value as `type_name`, or null when it does not parse (never an error, whatever ANSI mode)."""
    if type_name == "string":
        return F.col(name)
    if type_name == "date":
        return iso_date(name)
    # try_cast as SQL, not Column.try_cast: Glue 5 runs Spark 3.5, which lacks the latter.
    return F.expr(f"try_cast(`{name}` as {type_name})")


# Four digits, two, two (ASCII only): text `try_cast` reads exactly as the yyyy-MM-dd pattern does, under Spark 3.5
# and 4.x (tests/ingestion/test_rules.py compares the two on a grid of such strings and the edge values).
CANONICAL_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"


def iso_date(name: str) -> Column:
    """Column `name` as a yyyy-MM-dd date, strictly (2024-1-2 and 2024-01-02T00:00 are not dates), or null.

    Nearly every value is canonical: those take `try_cast`, about a quarter of the cost of the pattern parser
    (java.time, per value); anything else is left to the pattern, so what is a date is decided exactly as before,
    under Spark 3.5 (Glue 5.0) and 4.x alike (tests/glue).
    """
    text = F.col(name)
    canonical = text.rlike(CANONICAL_DATE)
    pattern = F.try_to_timestamp(text, F.lit("yyyy-MM-dd")).cast("date")
    return F.when(canonical, F.expr(f"try_cast(`{name}` as date)")).otherwise(pattern)


def check_records(
    records: DataFrame,
    fields: Iterable[Field],
    references: References | None = None,
    dates: DateBounds | None = None,
) -> DataFrame:
    """Types and checks every record; adds quarantine_rule, quarantine_error and quarantine_rule_number (null when
    the record is good)."""
    fields = list(fields)
    # Stage the work in narrow selects (trimmed text, then typed values) so each rule is a cheap column test:
    # one big nested expression per rule made Spark's planning and code generation the slowest part of a run.
    trimmed = []
    for spec in fields:
        cleaned = F.nullif(F.trim(F.col(spec.name)), F.lit(""))
        trimmed.append((F.upper(cleaned) if spec.normalise_upper else cleaned).alias(f"_raw_{spec.name}"))
    df = records.select("source_file", "source_line", "raw_record", "is_malformed", *trimmed)
    # Typed values are expressions, not a select of their own: the tests and the typed columns use them in one select
    # below, where each is a common subexpression that Spark evaluates once, in a method of its own.
    typed_values = {s.name: typed(f"_raw_{s.name}", s.type) for s in fields}

    # Per rule, its tests as (condition, message); a message is fixed text or "<column> '<raw value>' <problem>".
    tests: dict[str, list[tuple[Column, Message]]] = {rule: [] for rule in RULE_ORDER}
    # Spark decodes text as UTF-8 and puts U+FFFD where bytes are not: a Latin-1 export would land garbled.
    tests["invalid_encoding"].append(
        (
            F.col("raw_record").contains("\ufffd"),  # a byte test per position, where `instr` compared three
            Message("record holds bytes that are not UTF-8 (a Latin-1 or Windows export?): re-export it as UTF-8"),
        )
    )
    tests["malformed_record"].append(
        (F.col("is_malformed"), Message("record does not have the header's number of fields (cut short or misquoted)"))
    )
    for spec in fields:
        raw, value = F.col(f"_raw_{spec.name}"), typed_values[spec.name]
        if spec.required:
            tests["null_required"].append((raw.isNull(), Message(f"{spec.name} is required but empty")))
        if spec.type != "string":
            rule = "invalid_date" if spec.type in ("date", "timestamp") else "invalid_number"
            tests[rule].append((raw.isNotNull() & value.isNull(), _bad_value(spec.name, f"is not a valid {spec.type}")))
        if spec.type in ("date", "timestamp") and dates is not None:
            tests["implausible_date"].append(
                (_implausible(spec, value, dates), _bad_value(spec.name, _span(spec, dates)))
            )
        if spec.type == "double":
            tests["non_finite_number"].append(
                (
                    value.isNotNull() & (F.isnan(value) | (F.abs(value) == F.lit(float("inf")))),
                    _bad_value(spec.name, "is not a finite number"),
                )
            )
        if spec.type.startswith("decimal"):
            # try_cast rounds to the scale: 1e-300 would become 0.00, a price nobody entered.
            tests["rounds_to_zero"].append(
                (
                    (value == 0) & (typed(f"_raw_{spec.name}", "double") != 0),
                    _bad_value(spec.name, f"is not zero but rounds to zero as {spec.type}"),
                )
            )
        if spec.range is not None:
            low, high = spec.range
            inside = value.between(low, high)
            if spec.signed:  # |value| in [low, high], without abs (abs of the smallest int overflows)
                inside = inside | value.between(-high, -low)
            tests["invalid_quantity"].append(
                (
                    value.isNotNull() & ~inside,
                    _bad_value(spec.name, f"is outside {'±' if spec.signed else ''}[{low:g}, {high:g}]"),
                )
            )
        if spec.allowed:
            tests["invalid_value"].append(
                (
                    raw.isNotNull() & ~raw.isin(list(spec.allowed)),
                    _bad_value(spec.name, f"is not one of {', '.join(spec.allowed)}"),
                )
            )
    if references is not None:
        collected = dict(references.ids)  # each master's ids collected once (lanes check two columns against one)
        for column, master in references.checks.items():
            known = getattr(references, master)
            if master not in collected:
                collected[master] = known_ids(known)
            ids = collected[master]
            if ids is None:  # too many ids for a set: a left join flags the known ones
                known = known.select(F.col(known.columns[0]).alias(f"_raw_{column}")).distinct()
                known = known.withColumn(f"_known_{column}", F.lit(True))
                df = df.join(F.broadcast(known), f"_raw_{column}", "left")
                unknown = F.col(f"_known_{column}").isNull()
            else:
                unknown = ~_in_set(f"_raw_{column}", ids)
            rule = "unknown_product" if master == "products" else "unknown_warehouse"
            tests[rule].append(
                (
                    F.col(f"_raw_{column}").isNotNull() & unknown,
                    _bad_value(column, f"is not in the {master[:-1]} master"),
                )
            )

    ordered = [(name, cond, message) for name in RULE_ORDER for cond, message in tests[name]]
    # The first failing test's 1-based number (0: none failed). Whether any fails is one disjunction, which a good
    # record (nearly every one) passes evaluating each test once; only a failing record builds the array of every
    # test's outcome to find the first (a good one has an empty array, a constant). The array is used twice (the
    # number, and whether any failed) so that it is a common subexpression in a method of its own: the stage's
    # largest method then stays under the 8,000 bytes the JVM compiles (tests/ingestion/test_rules_codegen.py);
    # above it the whole read-and-check stage is interpreted.
    conditions = [cond for _, cond, _ in ordered]
    no_tests = F.array_remove(F.array(F.lit(False)), False)  # typed, empty
    outcomes = F.when(reduce(Column.__or__, conditions), F.array(*conditions)).otherwise(no_tests)
    df = df.select(
        "*",
        *[v.alias(f"_typed_{name}") for name, v in typed_values.items()],
        F.array_position(outcomes, True).cast("int").alias("_fail"),
        F.array_contains(outcomes, True).alias("_failed"),
    )
    typed_values = {name: F.col(f"_typed_{name}") for name in typed_values}
    failures = [(name, message) for name, _, message in ordered]
    rule, error, number = _named_failure(failures, [s.name for s in fields], F.col("_fail"), F.col("_failed"))
    output = []
    for spec in fields:
        value = typed_values[spec.name]
        if spec.default is not None:
            value = F.coalesce(value, F.lit(spec.default).cast(spec.type))
        output.append(value.alias(spec.name))
    return df.select(
        *output,
        "source_file",
        "source_line",
        "raw_record",
        rule.alias("quarantine_rule"),
        error.alias("quarantine_error"),
        number.alias(RULE_NUMBER),
    )


def _in_set(name: str, ids: tuple[str, ...]) -> Column:
    """Is column `name` one of `ids`? One SQL expression (one call to the JVM however many ids; Spark makes a list of
    over ten literals a hash set). No null is in `ids`, so the answer is never null for a non-null value."""
    if not ids:
        return F.lit(False)
    return F.expr(f"`{name}` IN ({', '.join(_sql_text(i) for i in ids)})")


def _sql_text(text: str) -> str:
    """`text` as a Spark SQL string literal, byte-exact: every character but letters, digits and a few marks as
    \\uXXXX (UTF-16 units, so characters beyond the BMP are surrogate pairs), which the parser unescapes."""
    safe = (ch if ch.isascii() and (ch.isalnum() or ch in " _-.:/") else _utf16_escapes(ch) for ch in text)
    return "'" + "".join(safe) + "'"


def _utf16_escapes(ch: str) -> str:
    units = ch.encode("utf-16-be")
    return "".join(f"\\u{units[i]:02x}{units[i + 1]:02x}" for i in range(0, len(units), 2))


def _implausible(spec: Field, value: Column, dates: DateBounds) -> Column:
    def bound(day: dt.date) -> Column:
        # Cast from text, so midnight is taken in the session's time zone, not the Python process's.
        return F.lit(day.isoformat()).cast(spec.type)

    too_late = value >= bound(dates.latest + dt.timedelta(days=1))
    return value.isNotNull() & (too_late if spec.history else (too_late | (value < bound(dates.earliest))))


def _span(spec: Field, dates: DateBounds) -> str:
    if spec.history:
        return f"is after {dates.latest} (the latest plausible date)"
    return f"is outside the plausible dates {dates.earliest} to {dates.latest}"


@dataclass(frozen=True)
class Message:
    """A failing test's message: `text`, or with a column, "<column> '<its raw value>' <text>"."""

    text: str
    column: str | None = None


def _bad_value(column: str, problem: str) -> Message:
    return Message(problem, column)


def _named_failure(
    failures: list[tuple[str, Message]], columns: list[str], index: Column, failed: Column
) -> tuple[Column, Column, Column]:
    """The rule name, message and rule number of test number `index` (1-based) where `failed`, from literal arrays:
    a few small expressions whatever the number of tests (a `when` per test, carrying its message, took the stage's
    code over the JVM's compile limit), and the message is built for rejected records only."""
    # Each array starts with a placeholder, so that test number `index` is at (0-based) position `index`: `get` reads
    # it without ANSI mode's checks of an index outside the array (never the case here), whose code `element_at` put
    # in the stage's largest method: under Glue 5.0's Spark 3.5 it took sales' stage with the master join over the
    # 8,000 bytes (tests/ingestion/test_rules_codegen.py).
    def indexed(values: list, type_name: str = "string") -> Column:
        return F.array(*[F.lit(None).cast(type_name), *[F.lit(v).cast(type_name) for v in values]])

    names = indexed([name for name, _ in failures])
    numbers = indexed([RULE_ORDER.index(name) + 1 for name, _ in failures], "tinyint")
    heads = indexed([m.text if m.column is None else f"{m.column} '" for _, m in failures])
    tails = indexed(["" if m.column is None else f"' {m.text}" for _, m in failures])
    # 1-based position of the message's column among the raw columns (null: a fixed message).
    where = indexed([None if m.column is None else columns.index(m.column) + 1 for _, m in failures], "int")
    raw = F.array(F.lit(None).cast("string"), *[F.col(f"_raw_{c}") for c in columns])
    value = F.coalesce(F.get(raw, F.get(where, index)), F.lit(""))
    return (
        F.when(failed, F.get(names, index)),
        F.when(failed, F.concat(F.get(heads, index), value, F.get(tails, index))),
        F.when(failed, F.get(numbers, index)),
    )


def good_records(checked: DataFrame) -> DataFrame:
    return checked.where(F.col("quarantine_rule").isNull()).drop(
        "raw_record", "quarantine_rule", "quarantine_error", RULE_NUMBER
    )


def quarantine_month(source_file: Column) -> Column:
    """The month (yyyy-MM) of the date partition a drop landed in, taken from its path."""
    found = F.regexp_extract(source_file, r"year=(\d{4})/month=(\d{2})", 0)
    return F.regexp_replace(F.regexp_replace(found, r"year=|month=", ""), "/", "-")


def quarantined_records(checked: DataFrame, entity: str) -> DataFrame:
    """Rejected records with where they came from and why; the raw text is kept so nothing is lost."""
    return checked.where(F.col("quarantine_rule").isNotNull()).select(
        F.lit(entity).alias("entity"),
        "source_file",
        "source_line",
        F.col("quarantine_rule").alias("rule"),
        F.col("quarantine_error").alias("error"),
        "raw_record",
        quarantine_month(F.col("source_file")).alias("ingest_month"),
    )

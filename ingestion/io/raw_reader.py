"""Reads raw drops into string columns, keeping each record's source file and line number.

Spark's CSV reader loses line numbers and rejects files whose header differs from the schema, so drops are read as
text and parsed per header: a file with an extra column (schema drift) still maps by column name, and a record cut
short by an interrupted upload is flagged instead of silently padded with nulls. Whatever a drop's name holds
(spaces, quotes, brackets, accents), its records keep the lake-relative name the lake lists it under.
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from dataclasses import dataclass

from pyspark.sql import Column, DataFrame, SparkSession, Window
from pyspark.sql import functions as F

from foundation.lake import Lake, RawFile
from ingestion.file_lookup import by_file

# Delimiters an ERP export uses; a file's own is the one whose header names the source's required columns.
DELIMITERS = (",", ";", "\t", "|")


def field_separator(delimiter: str) -> str:
    """A regex splitting on the delimiter outside double quotes, to count a CSV record's fields."""
    return re.escape(delimiter) + '(?=(?:[^"]*"[^"]*")*[^"]*$)'


# What Hadoop's glob syntax gives a meaning to; escaped with a backslash, each stands for itself.
GLOB_CHARACTERS = re.compile(r"[\\\[\]{}*?]")


class RawFileError(ValueError):
    """A drop that cannot be read at all: the job fails naming the file, before anything is written."""

    def __init__(self, path: str, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path = path


def read_lines(
    spark: SparkSession,
    lake: Lake,
    files: list[RawFile],
    csv_records: bool = False,
    quote_free: frozenset[str] | set[str] = frozenset(),
) -> DataFrame:
    """One row per non-empty record: source_file (lake-relative), source_line (1-based) and the text.

    With csv_records, a quoted field that spans lines stays in one record (it is valid CSV). Files in `quote_free`
    (lake-relative paths whose every byte the driver has seen, with no double quote: `read_heads`) cannot hold a
    quoted line break: they are split as they are, in a read of their own, and never scanned for one. Read with the
    others, every file was read twice, once more by the branch that looks for files to regroup.
    """
    plain = [f for f in files if f.path in quote_free] if csv_records else []
    scanned = [f for f in files if f.path not in quote_free] if csv_records else files
    frames = [number_lines(_whole_text(spark, lake, plain), lake)] if plain else []
    if scanned or not frames:
        frames.append(number_lines(_whole_text(spark, lake, scanned), lake, csv_records))
    return frames[0] if len(frames) == 1 else frames[0].unionByName(frames[1])


def _whole_text(spark: SparkSession, lake: Lake, files: list[RawFile]) -> DataFrame:
    text = spark.read.text([literal_path(lake.uri(f.path)) for f in files], wholetext=True)
    return text.select("value", F.col("_metadata.file_path").alias("spark_path"))


def literal_path(path: str) -> str:
    """A path Spark must not read as a glob: `sales [1].csv` or `a{b}.csv` is one file, not a pattern."""
    return GLOB_CHARACTERS.sub(r"\\\g<0>", path)


def number_lines(text: DataFrame, lake: Lake, csv_records: bool = False) -> DataFrame:
    """Splits whole files (value, spark_path) into numbered records.

    Each drop is read whole, so a line's number is its position in the file: no reliance on task order, and no
    shuffle unless a file has a quoted field spanning lines. Daily drops are kilobytes to a few megabytes; a single
    file must fit in an executor's memory. Bytes that are not UTF-8 arrive as U+FFFD; the rules quarantine them.
    """
    # An Excel export starts with a byte-order mark; it is not part of the first column's name or record.
    # Column tests, not regular expressions: a regex converts each whole file, or each line, to a Java string and
    # back, which cost more than the split itself.
    bom = F.col("value").startswith("\ufeff")
    text = text.select(
        F.when(bom, F.expr("substr(value, 2)")).otherwise(F.col("value")).alias("value"),
        source_file(F.col("spark_path"), lake).alias("source_file"),  # once per file, not per line
    )
    if not csv_records:
        return _numbered(_split(text))
    # Files branch before they are split, so each file's text is split into lines once, in one branch: split
    # first and filtered after, both branches split every file (the union cost twice the plain split).
    # A file without a quote (nearly every export) cannot have a quoted line break: its lines are not scanned.
    unquoted = ~F.col("value").contains('"')
    quoted = F.when(unquoted, F.lit(False)).otherwise(F.exists(F.split("value", "\n"), _odd_quotes))
    text = text.withColumn("_split_lines", quoted)
    # Files where every line has balanced quotes (nearly all) need no regrouping, hence no shuffle.
    whole = _split(text.where(~F.col("_split_lines")).drop("_split_lines"))
    joined = _join_quoted_lines(_split(text.where("_split_lines").drop("_split_lines")))
    return _numbered(whole.unionByName(joined))


def _split(text: DataFrame) -> DataFrame:
    """Whole files (value, source_file) as lines (source_file, position, line), trailing carriage returns removed.

    CRLF, or CRLF applied twice: only a line that ends in a CR is trimmed, as Spark's trim of given characters
    allocates and walks the whole line where `endswith` reads one byte (sales' 1M lines split in 1.4 JVM CPU-s, not
    2.5). The lines are made per file, in a select of their own before they are exploded: the explode's generated
    method then holds no split and no trim, and the rules' per-record code that follows it in the same method stays
    under HotSpot's compile limit (tests/ingestion/test_rules_codegen.py).
    """
    trimmed = r"IF(endswith(line, '\r'), trim(TRAILING '\r' FROM line), line)"
    files = text.select("source_file", F.expr(rf"transform(split(value, '\n'), line -> {trimmed})").alias("_lines"))
    return files.select("source_file", F.posexplode("_lines").alias("position", "line"))


def _numbered(lines: DataFrame) -> DataFrame:
    return lines.select(
        "source_file",
        (F.col("position") + 1).cast("int").alias("source_line"),
        F.col("line").alias("raw_record"),
    ).where(F.trim("raw_record") != "")  # not `length(...) > 0`, which counts every character of every record


def source_file(spark_path: Column, lake: Lake) -> Column:
    """The lake-relative path of a file Spark reports in `_metadata.file_path`.

    Spark reports a URI: a space is %20, a % is %25, non-ASCII stays as is and + stays +. Decoding it (with + kept
    a plus sign) gives back the name the lake lists, so paths compare equal whatever characters they hold. The
    root is passed as a literal, never spliced into SQL text, so quotes in it are harmless.
    """
    decoded = F.call_function("url_decode", F.replace(spark_path, F.lit("+"), F.lit("%2B")))
    base = lake.base + "/"
    return decoded.substr(F.instr(decoded, base) + len(base), F.lit(1 << 20))


def _odd_quotes(line: Column) -> Column:
    return (F.length(line) - F.length(F.replace(line, F.lit('"'), F.lit("")))) % 2 == 1


def _join_quoted_lines(lines: DataFrame) -> DataFrame:
    """Joins the lines of a record whose quoted field holds a line break into one record, at its first line.

    A line with an odd number of quotes opens a quoted field or closes one; a line starts a record when the quotes
    before it in its file are balanced. A quote that never closes (a record cut short, a stray inch mark) leaves
    its lines as they were, each one a record of its own, so a good record is never swallowed into a bad one.
    """
    in_file = Window.partitionBy("source_file").orderBy("position")
    odd = _odd_quotes(F.col("line")).cast("int")
    opened = F.coalesce(F.sum(odd).over(in_file.rowsBetween(Window.unboundedPreceding, -1)), F.lit(0)) % 2 == 1
    marked = lines.withColumn("_start", F.when(~opened, F.col("position"))).withColumn("_odd", odd)
    grouped = marked.withColumn("_record", F.max("_start").over(in_file.rowsBetween(Window.unboundedPreceding, 0)))
    records = grouped.groupBy("source_file", "_record").agg(
        F.sort_array(F.collect_list(F.struct("position", "line"))).alias("_lines"),
        (F.sum("_odd") % 2 == 0).alias("_closed"),
    )
    joined = F.array(
        F.struct(F.col("_record").alias("position"), F.concat_ws("\n", F.col("_lines.line")).alias("line"))
    )
    exploded = records.select(
        "source_file", F.explode(F.when(F.col("_closed"), joined).otherwise(F.col("_lines"))).alias("r")
    )
    return exploded.select("source_file", "r.position", "r.line")


# The first line of a drop is looked for in its first 64 KiB.
HEADER_BYTES = 64 << 10
# A drop up to this size (decompressed) is read whole on the driver, where its header is read anyway, to learn
# whether it holds a double quote (a daily drop is tens to hundreds of kilobytes); a larger one is scanned by Spark.
WHOLE_FILE_BYTES = 1 << 20


@dataclass(frozen=True)
class Head:
    header: str  # the first line, without a byte-order mark or trailing carriage return
    quote_free: bool  # every byte of the file was read and none is a double quote (so no quoted line break)


def read_headers(lake: Lake, files: list[RawFile]) -> dict[str, str]:
    """First line of every drop, read directly: cheaper than a Spark pass and fails fast on unreadable files."""
    return {path: head.header for path, head in read_heads(lake, files, whole_bytes=0).items()}


def read_heads(lake: Lake, files: list[RawFile], whole_bytes: int | None = None) -> dict[str, Head]:
    """Every drop's header and whether it is free of double quotes (read whole up to `whole_bytes`, by default
    WHOLE_FILE_BYTES)."""
    whole_bytes = WHOLE_FILE_BYTES if whole_bytes is None else whole_bytes
    heads = {}
    for raw in files:
        # A compressed drop (.gz, .bz2) is decoded by its suffix, as Spark decodes it.
        try:
            with lake.fs.open_input_stream(f"{lake.base}/{raw.path}", compression="detect") as handle:
                content = _read_up_to(handle, max(HEADER_BYTES, whole_bytes + 1))
        except OSError as failure:  # a corrupt or truncated archive
            raise RawFileError(raw.path, f"cannot be decompressed ({failure})") from None
        head = content[:HEADER_BYTES]
        if not head.strip():
            raise RawFileError(raw.path, "file is empty: no header line (truncated or failed upload)")
        try:
            # utf-8-sig: a byte-order mark (any Excel export) is not part of the first column's name.
            header = head.split(b"\n", 1)[0].decode("utf-8-sig").rstrip("\r")
        except UnicodeDecodeError:
            raise RawFileError(raw.path, "header is not UTF-8 text (binary or wrongly encoded file)") from None
        # A quote is byte 0x22 in UTF-8 and in nothing else: Spark's decoded text holds one exactly where this does.
        heads[raw.path] = Head(header, len(content) <= whole_bytes and b'"' not in content)
    return heads


def _read_up_to(handle, limit: int) -> bytes:
    """Up to `limit` bytes (fewer only at the end of the file: a decompressing stream may return less per read)."""
    chunks, size = [], 0
    while size < limit:
        chunk = handle.read(limit - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def read_csv_drops(
    spark: SparkSession, lake: Lake, files: list[RawFile], columns: list[str], required: list[str]
) -> tuple[DataFrame, list[dict]]:
    """Parses CSV drops by each file's own header.

    Returns the records (string columns named as `columns`, plus source_file, source_line, raw_record and
    is_malformed) and the schema-drift findings: files whose header carries columns the job does not know.
    """
    heads = read_heads(lake, files)
    shapes, drift = csv_shapes(lake, files, columns, required, heads)
    quote_free = {path for path, head in heads.items() if head.quote_free}
    data = read_lines(spark, lake, files, csv_records=True, quote_free=quote_free).where("source_line > 1")
    return _parse_csv(data, shapes, columns), drift


def reparse_csv_records(lake: Lake, records: DataFrame, files: list[RawFile], columns: list[str]) -> DataFrame:
    """Parses records kept as text (source_file, source_line, raw_record: the quarantine) by their files' headers."""
    shapes, _ = csv_shapes(lake, files, columns, [])
    return _parse_csv(records.select("source_file", "source_line", "raw_record"), shapes, columns)


def csv_shapes(
    lake: Lake, files: list[RawFile], columns: list[str], required: list[str], heads: dict[str, Head] | None = None
):
    """The header shapes of the drops (names, the files that have them, delimiter) and the schema drift."""
    by_header: dict[str, list[str]] = defaultdict(list)
    headers = read_headers(lake, files) if heads is None else {path: head.header for path, head in heads.items()}
    for path, header in headers.items():
        by_header[header].append(path)
    drift, shapes = [], []
    for header, paths in sorted(by_header.items()):
        delimiter, names = _delimited_names(header, paths[0], required or columns)
        missing = [c for c in required if c not in names]
        if missing:
            raise RawFileError(
                paths[0],
                f"header lacks required column(s) {', '.join(missing)} whichever delimiter splits it "
                f"({' '.join(repr(d) for d in DELIMITERS)}); the file is truncated, unreadable or not a drop of "
                f"this source (header: {header[:120]!r})",
            )
        extra = [n for n in names if n not in columns]
        if extra:
            drift.extend({"file": p, "extra_columns": extra} for p in paths)
        shapes.append((names, paths, delimiter))
    return shapes, drift


def _delimited_names(header: str, path: str, required: list[str]) -> tuple[str, list[str]]:
    """The file's delimiter (the one whose split names most required columns; a comma first) and column names."""
    best = (-1, ",", [])
    for delimiter in DELIMITERS:
        names = _header_names(header, path, delimiter)
        found = sum(c in names for c in required)
        if found > best[0]:
            best = (found, delimiter, names)
    return best[1], best[2]


def _parse_csv(lines: DataFrame, shapes: list[tuple[list[str], list[str], str]], columns: list[str]) -> DataFrame:
    """Parses each record by its own file's header (shapes: header names, the files that have them, delimiter).

    One pass for every shape: a record's shape is looked up by its file's name, never filtered by it, so a name
    that failed to match would leave its records malformed (and quarantined), not dropped unseen. A record without
    a double quote (nearly all) cannot hold a quoted delimiter: it is split on its delimiter, once, far cheaper than
    the CSV parser (the reader 0.7x its CPU at 1M lines); a record with a quote keeps the CSV parser.
    """
    shape = F.lit(0) if len(shapes) == 1 else by_file({p: i for i, (_, ps, _) in enumerate(shapes) for p in ps}, "int")
    delimiters = sorted({delimiter for _, _, delimiter in shapes})
    if len(delimiters) == 1:
        split = F.split("raw_record", re.escape(delimiters[0]), -1)
    else:
        split = _by_shape([F.split("raw_record", re.escape(delimiter), -1) for _, _, delimiter in shapes])
    # Each is a column of its own, so it is computed once per record however many columns read it.
    # `contains`, not `instr`: instr compares the quote at every character's position, contains tests a byte first.
    unquoted = ~F.col("raw_record").contains('"')
    lines = lines.select("*", shape.alias("_shape"), F.when(unquoted, split).alias("_pieces"))
    quoted = F.col("_pieces").isNull()
    fields = [
        F.when(
            quoted & (F.col("_shape") == i),
            F.from_csv("raw_record", _ddl(names), {"mode": "PERMISSIVE", "sep": delimiter}),
        ).alias(f"_f{i}")
        for i, (names, _, delimiter) in enumerate(shapes)
    ]
    parsed = lines.select("*", *fields)
    positions = {
        column: {i: names.index(column) for i, (names, _, _) in enumerate(shapes) if column in names}
        for column in columns
    }
    # Each field's piece of the split as a column of its own, so the empty test below reads it, not a second `get`.
    pieces = [
        F.get("_pieces", _by_shape([F.lit(at.get(i)) for i in range(len(shapes))])).alias(f"_p_{column}")
        for column, at in positions.items()
        if at
    ]
    parsed = parsed.select("*", *pieces)
    selected: list[Column] = []
    for column, at in positions.items():
        if not at:
            selected.append(F.lit(None).cast("string").alias(column))
            continue
        # The CSV parser reads an empty unquoted field as null; `get` is null past the end of a short record.
        piece = F.col(f"_p_{column}")
        plain = F.when(piece != "", piece)  # (not nullif: Spark 3.5 asks its unresolved argument for a type)
        selected.append(F.coalesce(plain, *[F.col(f"_f{i}.c{k}") for i, k in at.items()]).alias(column))
    expected = _by_shape([F.lit(len(names)) for names, _, _ in shapes])
    quoted_count = _by_shape([F.size(F.split("raw_record", field_separator(d))) for _, _, d in shapes])
    field_count = F.when(quoted, quoted_count).otherwise(F.size("_pieces"))
    # A record whose file matched no shape is malformed, whatever its fields.
    malformed = F.col("_shape").isNull() | F.coalesce(field_count != expected, F.lit(True))
    return parsed.select(*selected, "source_file", "source_line", "raw_record", malformed.alias("is_malformed"))


def _by_shape(values: list[Column]) -> Column:
    """values[i] for a record of shape i: the value itself when every shape has the same one."""
    if all(str(v) == str(values[0]) for v in values):
        return values[0]
    chosen = F.when(F.col("_shape") == 0, values[0])
    for i, value in enumerate(values[1:], start=1):
        chosen = chosen.when(F.col("_shape") == i, value)
    return chosen


def _ddl(names: list[str]) -> str:
    return ", ".join(f"`c{i}` string" for i in range(len(names)))


def _header_names(header: str, path: str, delimiter: str = ",") -> list[str]:
    if "\ufffd" in header or any(ord(ch) < 32 and ch != "\t" for ch in header):
        raise RawFileError(path, "header is not readable text (binary or wrongly encoded file)")
    return [name.strip().lower() for name in next(csv.reader([header], delimiter=delimiter))]


def read_json_drops(spark: SparkSession, lake: Lake, files: list[RawFile], columns: list[str]) -> DataFrame:
    """Parses JSON-lines drops; any value arrives as text so typing rules apply uniformly afterwards."""
    lines = read_lines(spark, lake, files)
    return parse_json_records(lines, columns)


def parse_json_records(lines: DataFrame, columns: list[str]) -> DataFrame:
    ddl = ", ".join(f"`{c}` string" for c in columns) + ", `_corrupt` string"
    parsed = lines.withColumn("_json", F.from_json("raw_record", ddl, {"columnNameOfCorruptRecord": "_corrupt"}))
    return parsed.select(
        *[F.col(f"_json.{c}").alias(c) for c in columns],
        "source_file",
        "source_line",
        "raw_record",
        (F.col("_json._corrupt").isNotNull() | F.col("_json").isNull()).alias("is_malformed"),
    )

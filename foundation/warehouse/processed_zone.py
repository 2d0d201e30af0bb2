"""Checks the processed zone against the source contract before any target sees it.

A file with an extra or missing column, a column of the wrong kind, or a month missing from a partitioned table
stops the load with one message naming every problem, file by file, so nothing half-checked reaches the marts.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from pyarrow import fs

from foundation.lake import Lake
from foundation.warehouse.contract import SourceTable

MONTH_PARTITION = re.compile(r"^(?P<column>\w+_month)=(?P<year>\d{4})-(?P<month>\d{2})$")


class ProcessedZoneError(ValueError):
    """The processed zone does not match what the warehouse declares; the message lists every problem."""


@dataclass(frozen=True)
class TableFiles:
    table: SourceTable
    files: tuple[str, ...]  # lake-relative paths
    rows: int
    fingerprint: str  # changes whenever a file is added, removed or rewritten


def _family(sql_type: str) -> str:
    sql_type = sql_type.lower()
    for prefix, family in (
        ("varchar", "string"),
        ("text", "string"),
        ("integer", "integer"),
        ("bigint", "integer"),
        ("smallint", "integer"),
        ("numeric", "decimal"),
        ("decimal", "decimal"),
        ("double", "float"),
        ("real", "float"),
        ("float", "float"),
        ("date", "date"),
        ("timestamp", "timestamp"),
        ("boolean", "boolean"),
    ):
        if sql_type.startswith(prefix):
            return family
    raise ValueError(f"no Parquet type family known for SQL type {sql_type!r}")


def _arrow_family(arrow_type: pa.DataType) -> str:
    checks = (
        (pa.types.is_string, "string"),
        (pa.types.is_large_string, "string"),
        (pa.types.is_integer, "integer"),
        (pa.types.is_decimal, "decimal"),
        (pa.types.is_floating, "float"),
        (pa.types.is_date, "date"),
        (pa.types.is_timestamp, "timestamp"),
        (pa.types.is_boolean, "boolean"),
    )
    return next((family for check, family in checks if check(arrow_type)), str(arrow_type))


def _month_gaps(table: SourceTable, files: list[str]) -> list[str]:
    months = set()
    for path in files:
        for part in path.split("/"):
            match = MONTH_PARTITION.match(part)
            if match:
                months.add(int(match["year"]) * 12 + int(match["month"]) - 1)
    if not months:
        return []
    missing = [m for m in range(min(months), max(months) + 1) if m not in months]
    return [
        f"processed/{table.processed_path}: partition {table.partition_column}={m // 12:04d}-{m % 12 + 1:02d} is "
        f"missing between the first and last month; re-run `supplychain ingest --only {table.processed_path} "
        "--full-refresh` or restore the folder"
        for m in missing
    ]


def check_table(lake: Lake, table: SourceTable) -> TableFiles:
    """The table's Parquet files, checked one by one against the declared columns; raises on any problem."""
    folder = f"processed/{table.processed_path}"
    selector = fs.FileSelector(f"{lake.base}/{folder}", allow_not_found=True, recursive=True)
    infos = sorted(
        (info for info in lake.fs.get_file_info(selector) if info.path.endswith(".parquet")),
        key=lambda info: info.path,
    )
    infos = [info for info in infos if not any(p.startswith(("_", ".")) for p in info.path.split("/")[-3:])]
    if not infos and table.optional:
        return TableFiles(table, (), 0, "empty")
    if not infos:
        raise ProcessedZoneError(f"{folder}: no Parquet files; run `supplychain ingest` first")
    expected = table.column_names
    families = {name: _family(sql_type) for name, sql_type in table.columns}
    problems, rows, digest = [], 0, hashlib.sha256()
    relative_paths = []
    for info in infos:
        relative = info.path[len(lake.base) + 1 :]
        relative_paths.append(relative)
        digest.update(f"{relative}:{info.size}:{info.mtime_ns}".encode())
        metadata = pq.read_metadata(info.path, filesystem=lake.fs)
        rows += metadata.num_rows
        schema = metadata.schema.to_arrow_schema()
        names = schema.names
        extra = [n for n in names if n not in expected]
        missing = [n for n in expected if n not in names]
        if extra:
            problems.append(f"{relative}: unexpected column(s) {extra}; declare them in the source YAML first")
        if missing:
            problems.append(f"{relative}: missing column(s) {missing}")
        if not extra and not missing and names != expected:
            problems.append(f"{relative}: columns out of order {names}; expected {expected}")
        for name in set(names) & set(expected):
            found = _arrow_family(schema.field(name).type)
            if found != families[name]:
                problems.append(f"{relative}: column {name} holds {found}, the contract says {families[name]}")
    problems += _month_gaps(table, relative_paths)
    if problems:
        raise ProcessedZoneError(f"{folder} does not match its contract:\n  " + "\n  ".join(problems))
    return TableFiles(table, tuple(relative_paths), rows, digest.hexdigest())


def check_redshift_widths(lake: Lake, tables: list[TableFiles]) -> None:
    """Every text value fits its column's width on Redshift (bytes of UTF-8); raises naming each file, row and column
    that does not. DuckDB and PostgreSQL text is unbounded, so only the Redshift load needs it, before any COPY."""
    problems = []
    for checked in tables:
        problems += _oversized(lake, checked)
    if problems:
        raise ProcessedZoneError(
            "text too long for its Redshift column (COPY from Parquet cannot truncate):\n  " + "\n  ".join(problems)
        )


def _oversized(lake: Lake, checked: TableFiles) -> list[str]:
    """One line per file and column holding a value over its width: the first such row and how many there are."""
    widths = checked.table.redshift_widths
    problems = []
    for path in checked.files:
        parquet = pq.ParquetFile(f"{lake.base}/{path}", filesystem=lake.fs)
        columns = [name for name in parquet.schema_arrow.names if name in widths]
        first_row: dict[str, tuple[int, int]] = {}  # column -> (row, bytes) of its first value over the width
        over: dict[str, int] = {}
        row = 0
        for batch in parquet.iter_batches(columns=columns) if columns else ():
            for name in columns:
                lengths = pc.binary_length(batch.column(name))
                too_long = pc.greater(lengths, widths[name])
                count = pc.sum(too_long).as_py() or 0
                if count and name not in first_row:
                    index = pc.index(too_long, True).as_py()
                    first_row[name] = (row + index + 1, lengths[index].as_py())
                over[name] = over.get(name, 0) + count
            row += batch.num_rows
        for name, (line, size) in first_row.items():
            problems.append(
                f"{path}: row {line} column {name} holds {size} bytes, over its varchar({widths[name]})"
                + (f" ({over[name]} rows in this file)" if over[name] > 1 else "")
            )
    return problems

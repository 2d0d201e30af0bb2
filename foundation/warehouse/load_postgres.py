"""PostgreSQL: each source table is replaced in one transaction with the server's COPY, skipped when unchanged.

Readers see the old rows or the new ones, never a half-loaded table (TRUNCATE and COPY commit together), and a
re-run of the same processed files changes nothing: processed._load_log keeps each table's file fingerprint.
"""

from __future__ import annotations

import io
import logging

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from foundation.lake import Lake
from foundation.warehouse.connections import connect_postgres, postgres_dsn  # noqa: F401 (re-exported)
from foundation.warehouse.processed_zone import TableFiles

log = logging.getLogger(__name__)

LOAD_LOG_DDL = """
create table if not exists {schema}._load_log (
    table_name varchar primary key,
    fingerprint varchar not null,
    row_count bigint not null,
    file_count integer not null,
    loaded_at timestamp not null default (now() at time zone 'utc')
)
"""


def _csv_chunks(lake: Lake, checked: TableFiles):
    """Each file as header-less CSV, timestamps cut to microseconds (PostgreSQL's precision)."""
    options = pacsv.WriteOptions(include_header=False)
    for path in checked.files:
        table = pq.read_table(f"{lake.base}/{path}", filesystem=lake.fs, columns=checked.table.column_names)
        table = table.cast(
            pa.schema(
                pa.field(f.name, pa.timestamp("us")) if pa.types.is_timestamp(f.type) else f for f in table.schema
            )
        )
        buffer = io.BytesIO()
        pacsv.write_csv(table, buffer, options)
        yield buffer.getvalue()


def _current_columns(cursor, schema: str, table: str) -> list[str]:
    cursor.execute(
        "select column_name from information_schema.columns where table_schema = %s and table_name = %s "
        "order by ordinal_position",
        (schema, table),
    )
    return [row[0] for row in cursor.fetchall()]


def load_postgres(dsn: str, lake: Lake, tables: list[TableFiles], source_schema: str) -> dict[str, str]:
    """Loads every table whose files changed; returns table -> 'loaded' or 'unchanged'."""
    outcome = {}
    with connect_postgres(dsn) as connection:
        with connection.cursor() as cursor:
            cursor.execute(f'create schema if not exists "{source_schema}"')
            cursor.execute(LOAD_LOG_DDL.format(schema=f'"{source_schema}"'))
        connection.commit()
        for checked in tables:
            name = checked.table.name
            with connection.transaction(), connection.cursor() as cursor:
                cursor.execute(f'select fingerprint from "{source_schema}"._load_log where table_name = %s', (name,))
                previous = cursor.fetchone()
                existing = _current_columns(cursor, source_schema, name)
                if previous and previous[0] == checked.fingerprint and existing == checked.table.column_names:
                    outcome[name] = "unchanged"
                    continue
                relation = f'"{source_schema}"."{name}"'
                if existing and existing != checked.table.column_names:
                    # The contract changed: dependent staging views go too and dbt recreates them.
                    log.warning("postgres: %s columns changed, recreating it", relation)
                    cursor.execute(f"drop table {relation} cascade")
                    existing = []
                if not existing:
                    columns = ", ".join(f'"{c}" {t}' for c, t in checked.table.columns)
                    cursor.execute(f"create table {relation} ({columns})")
                cursor.execute(f"truncate {relation}")
                column_list = ", ".join(f'"{c}"' for c in checked.table.column_names)
                with cursor.copy(f"copy {relation} ({column_list}) from stdin (format csv)") as copy:
                    for chunk in _csv_chunks(lake, checked):
                        copy.write(chunk)
                cursor.execute(
                    f'insert into "{source_schema}"._load_log (table_name, fingerprint, row_count, file_count) '
                    "values (%s, %s, %s, %s) on conflict (table_name) do update set fingerprint = excluded.fingerprint,"
                    " row_count = excluded.row_count, file_count = excluded.file_count, "
                    "loaded_at = now() at time zone 'utc'",
                    (name, checked.fingerprint, checked.rows, len(checked.files)),
                )
                outcome[name] = "loaded"
            log.info("postgres: %s.%s %s (%d rows)", source_schema, name, outcome[name], checked.rows)
    return outcome

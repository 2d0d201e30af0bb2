"""DuckDB: the processed schema is views over the checked Parquet files, read in place (nothing is copied)."""

from __future__ import annotations

import logging
from pathlib import Path

import duckdb

from foundation.lake import Lake
from foundation.warehouse.processed_zone import TableFiles

log = logging.getLogger(__name__)


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def load_duckdb(database: Path, lake: Lake, tables: list[TableFiles], source_schema: str) -> None:
    if not lake.is_local:
        raise ValueError("the DuckDB target reads a local lake; sync s3:// data down or load Redshift instead")
    database.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(database)) as connection:
        connection.execute("begin")
        connection.execute(f'create schema if not exists "{source_schema}"')
        for checked in tables:
            # The view names exactly the files that were checked, so what dbt reads is what passed the contract.
            columns = ", ".join(f'"{name}"' for name in checked.table.column_names)
            if checked.files:
                files = ", ".join(_quote(f"{lake.base}/{path}") for path in checked.files)
                body = f"select {columns} from read_parquet([{files}], hive_partitioning = false)"
            else:  # an optional table not produced yet: empty, with its declared types
                body = "select " + ", ".join(f'cast(null as {t}) as "{c}"' for c, t in checked.table.columns)
                body += " where false"
            connection.execute(f'create or replace view "{source_schema}"."{checked.table.name}" as {body}')
            log.info(
                "duckdb: %s.%s over %d files (%d rows)",
                source_schema,
                checked.table.name,
                len(checked.files),
                checked.rows,
            )
        connection.execute("commit")

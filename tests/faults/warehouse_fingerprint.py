"""What "the identical warehouse" means in the fault tests: every mart's row count and a checksum of its rows.

The checksum is order-free (the sum of each row's hash), so two builds that wrote the same rows in another order
match, and any changed, lost or doubled row does not. A column that says when a row was loaded (LOAD_TIME_COLUMNS)
is left out: a resumed run loads the same rows later than an uninterrupted one.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

MART_SCHEMA = "analytics"
LOAD_TIME_COLUMNS = ("loaded_at",)


def mart_fingerprint(database: Path) -> dict[str, tuple[int, int]]:
    """{mart: (rows, checksum)} for every table dbt built in the marts schema."""
    with duckdb.connect(str(database), read_only=True) as connection:
        tables = connection.execute(
            "select table_name from information_schema.tables where table_schema = ? and table_type = 'BASE TABLE' "
            "order by 1",
            [MART_SCHEMA],
        ).fetchall()
        fingerprint = {}
        for (table,) in tables:
            columns = connection.execute(
                "select column_name from information_schema.columns where table_schema = ? and table_name = ?",
                [MART_SCHEMA, table],
            ).fetchall()
            left_out = [name for (name,) in columns if name in LOAD_TIME_COLUMNS]
            exclude = f" exclude ({', '.join(left_out)})" if left_out else ""
            rows, checksum = connection.execute(
                f"select count(*), coalesce(sum(hash(t)::hugeint), 0) "
                f'from (select *{exclude} from "{MART_SCHEMA}"."{table}") as t'
            ).fetchone()
            fingerprint[table] = (rows, int(checksum))
        return fingerprint


def processed_rows(lake: Path) -> dict[str, int]:
    """Rows per processed table (what ingestion published), read straight from the Parquet files."""
    return {table: rows for table, (rows, _) in processed_fingerprint(lake).items()}


def processed_fingerprint(lake: Path) -> dict[str, tuple[int, int]]:
    """{processed table: (rows, checksum)} over its published Parquet files (staging and hidden folders left out).
    Every value ingestion writes is deterministic (source_file is relative to the lake), so two lakes that
    published the same rows match wherever they sit."""
    fingerprint = {}
    processed = lake / "processed"
    for table in sorted(p for p in processed.iterdir() if p.is_dir() and not p.name.startswith(("_", "."))):
        files = [f for f in table.rglob("*.parquet") if not any(part.startswith(("_", ".")) for part in
                                                                  f.relative_to(table).parts)]  # fmt: skip
        if files:
            with duckdb.connect() as connection:
                rows, checksum = connection.execute(
                    "select count(*), coalesce(sum(hash(t)::hugeint), 0) "
                    "from read_parquet(?, hive_partitioning = false) as t",
                    [[str(f) for f in files]],
                ).fetchone()
                fingerprint[table.name] = (rows, int(checksum))
    return fingerprint

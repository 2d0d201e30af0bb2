"""Row count and checksum of every table in the warehouse's mart schemas, to show two runs built the same warehouse.

    .venv/bin/python scripts/warehouse_checksum.py [data/warehouse.duckdb] > before.txt

Prints `schema.table rows checksum`, one line per table. Rows are rendered as canonical text (columns in name order,
each value by its type: numbers rounded to 9 significant digits so float summation order cannot move them), sorted,
and hashed with SHA-256. Columns a run fills with its own clock or id (RUN_DEPENDENT) are left out and listed.
"""

from __future__ import annotations

import hashlib
import math
import sys
from pathlib import Path

import duckdb

# Schemas the dbt project builds marts into (dbt_project.yml: the target's schema is `analytics` by default).
MART_SCHEMAS = ("analytics",)
# Filled from the wall clock or a fresh id on every run: the same data gives different values.
RUN_DEPENDENT = (
    "run_at", "run_id", "generated_at", "loaded_at", "_loaded_at", "created_at", "planned_at", "dbt_updated_at",
    "dbt_valid_from", "dbt_valid_to", "dbt_scd_id", "forecast_run_at", "evaluated_at",
)  # fmt: skip


def canonical(value) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, float):
        return "nan" if math.isnan(value) else f"{value:.9g}"
    return str(value)


def table_checksums(path: Path) -> list[tuple[str, int, str, list[str]]]:
    rows = []
    with duckdb.connect(str(path), read_only=True) as connection:
        tables = connection.execute(
            "select table_schema, table_name from information_schema.tables where table_schema in ("
            + ", ".join("?" for _ in MART_SCHEMAS) + ") order by 1, 2", list(MART_SCHEMAS),
        ).fetchall()  # fmt: skip
        for schema, table in tables:
            columns = [c[0] for c in connection.execute(f'describe "{schema}"."{table}"').fetchall()]
            kept = sorted(c for c in columns if c.lower() not in RUN_DEPENDENT)
            left_out = sorted(set(columns) - set(kept))
            select = ", ".join(f'"{c}"' for c in kept)
            lines = sorted(
                "|".join(canonical(v) for v in row)
                for row in connection.execute(f'select {select} from "{schema}"."{table}"').fetchall()
            )
            digest = hashlib.sha256("\n".join(lines).encode()).hexdigest()[:16]
            rows.append((f"{schema}.{table}", len(lines), digest, left_out))
    return rows


def main(argv: list[str]) -> int:
    path = Path(argv[0] if argv else "data/warehouse.duckdb")
    if not path.is_file():
        print(f"{path} does not exist: run `make run` first", file=sys.stderr)
        return 2
    for name, count, digest, left_out in table_checksums(path):
        print(f"{name} {count} {digest}" + (f"  (left out: {', '.join(left_out)})" if left_out else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

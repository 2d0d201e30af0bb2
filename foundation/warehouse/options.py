"""Which warehouse a stage loads and builds: the target and where its data lives.

Apart from the build (foundation/warehouse/build.py) because every stage is handed these (foundation/stage.py),
while only some build: a stage that never does (ingestion) starts without dbt, yaml or pyarrow.compute imported.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[2]
TARGETS = ("local", "postgres", "redshift")


@dataclass(frozen=True)
class WarehouseOptions:
    target: str = "local"
    source_schema: str = "processed"
    duckdb_path: Path = PROJECT_DIR / "data" / "warehouse.duckdb"
    processed_uri: str | None = None  # Redshift: s3://bucket/prefix/processed
    iam_role: str | None = None  # Redshift: role COPY assumes to read S3

    @classmethod
    def from_env(cls, target: str | None = None) -> WarehouseOptions:
        chosen = target or os.environ.get("SUPPLYCHAIN_TARGET", "local")
        if chosen not in TARGETS:
            raise ValueError(f"unknown target {chosen!r}; choose one of {', '.join(TARGETS)}")
        duckdb_path = Path(os.environ.get("SUPPLYCHAIN_DUCKDB_PATH", str(cls.duckdb_path)))
        return cls(
            target=chosen,
            source_schema=os.environ.get("SUPPLYCHAIN_SOURCE_SCHEMA", "processed"),
            duckdb_path=duckdb_path if duckdb_path.is_absolute() else PROJECT_DIR / duckdb_path,
            processed_uri=os.environ.get("SUPPLYCHAIN_REDSHIFT_PROCESSED_URI"),
            iam_role=os.environ.get("SUPPLYCHAIN_REDSHIFT_IAM_ROLE"),
        )

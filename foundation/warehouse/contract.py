"""The source tables the warehouse reads, as the dbt source definitions declare them (one list for all loaders)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from foundation.warehouse.options import PROJECT_DIR as PROJECT_DIR  # where callers have always found it

SOURCES_GLOB = "models/staging/*/_*__sources.yml"
# The width the Redshift load gives a bare `varchar` source column (macros/loading/load_processed_zone.sql,
# redshift__source_column_type), in bytes: Redshift counts a varchar's bytes of UTF-8, not its characters, and a
# COPY from Parquet cannot truncate, so one longer value fails the whole load.
REDSHIFT_VARCHAR_BYTES = 1024
DECLARED_WIDTH = re.compile(r"^(?:varchar|character varying)\s*\(\s*(\d+)\s*\)$")


@dataclass(frozen=True)
class SourceTable:
    name: str  # table in the processed schema
    source: str  # dbt source it belongs to
    processed_path: str  # folder under processed/
    partition_column: str | None  # hive partition folder name, not stored in the files
    columns: tuple[tuple[str, str], ...]  # (name, SQL type) in Parquet file order
    optional: bool = False  # produced by a later stage: loaded empty until its first run

    @property
    def column_names(self) -> list[str]:
        return [name for name, _ in self.columns]

    @property
    def redshift_widths(self) -> dict[str, int]:
        """Each text column's width on Redshift in bytes: its declared varchar(n), or the load's default."""
        widths = {}
        for name, sql_type in self.columns:
            declared = DECLARED_WIDTH.match(sql_type.strip().lower())
            if declared:
                widths[name] = int(declared.group(1))
            elif sql_type.strip().lower() in ("varchar", "text", "string"):
                widths[name] = REDSHIFT_VARCHAR_BYTES
        return widths


# Parsed source definitions per (project, each file's path, size and modification time): a run asks for them
# about twenty times (each dbt step's fingerprints, each load, each output written), 60 ms of YAML each.
_PARSED: dict[tuple, tuple[SourceTable, ...]] = {}


def source_tables(project_dir: Path | None = None) -> list[SourceTable]:
    project_dir = project_dir or PROJECT_DIR  # read at call time: a test may point it at a project copy
    paths = sorted(project_dir.glob(SOURCES_GLOB))
    key = (str(project_dir), *((str(path), path.stat().st_size, path.stat().st_mtime_ns) for path in paths))
    if key not in _PARSED:
        _PARSED[key] = tuple(_parsed(project_dir, paths))  # an edited file is parsed again (another key)
    return list(_PARSED[key])


def _parsed(project_dir: Path, paths: list[Path]) -> list[SourceTable]:
    tables = []
    for path in paths:
        for source in yaml.safe_load(path.read_text())["sources"]:
            for table in source["tables"]:
                meta = table.get("config", {}).get("meta", {})
                if "processed_path" not in meta:
                    continue
                columns = tuple((c["name"], c["data_type"]) for c in table["columns"])
                missing = [name for name, data_type in columns if not data_type]
                if missing:
                    raise ValueError(f"{path}: source {table['name']} has columns without data_type: {missing}")
                tables.append(
                    SourceTable(
                        table["name"],
                        source["name"],
                        meta["processed_path"],
                        meta.get("partition_column"),
                        columns,
                        bool(meta.get("optional", False)),
                    )
                )
    if not tables:
        raise FileNotFoundError(f"no source definitions with meta.processed_path under {project_dir / SOURCES_GLOB}")
    return tables

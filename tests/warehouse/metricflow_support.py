"""MetricFlow's query engine over a DuckDB warehouse file, for the semantic-layer tests.

The semantic manifest is the one `dbt parse` writes (beside the test's own dbt target folder, not the project's
target/, which `mf` insists on); the SQL is MetricFlow's, rendered for DuckDB and run on the real file. The client
is the few lines of MetricFlow's SqlClient protocol a read-only query needs.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
from metricflow.data_table.mf_table import MetricFlowDataTable
from metricflow.engine.metricflow_engine import MetricFlowEngine, MetricFlowQueryRequest
from metricflow.protocols.sql_client import SqlEngine
from metricflow.sql.render.duckdb_renderer import DuckDbSqlPlanRenderer
from metricflow_semantics.model.dbt_manifest_parser import parse_manifest_from_dbt_generated_manifest
from metricflow_semantics.model.semantic_manifest_lookup import SemanticManifestLookup
from metricflow_semantics.sql.sql_bind_parameters import SqlBindParameterSet


class DuckDbClient:
    """MetricFlow's SqlClient over one read-only DuckDB connection."""

    def __init__(self, connection: duckdb.DuckDBPyConnection):
        self._connection = connection
        self._renderer = DuckDbSqlPlanRenderer()

    @property
    def sql_engine_type(self) -> SqlEngine:
        return SqlEngine.DUCKDB

    @property
    def sql_plan_renderer(self) -> DuckDbSqlPlanRenderer:
        return self._renderer

    def query(self, stmt: str, sql_bind_parameter_set: SqlBindParameterSet | None = None):
        cursor = self._connection.execute(stmt)
        columns = [description[0] for description in cursor.description]
        return MetricFlowDataTable.create_from_rows(column_names=columns, rows=cursor.fetchall())

    def execute(self, stmt: str, sql_bind_parameter_set: SqlBindParameterSet | None = None) -> None:
        self._connection.execute(stmt)

    def dry_run(self, stmt: str, sql_bind_parameter_set: SqlBindParameterSet | None = None) -> None:
        self._connection.execute(f"explain {stmt}")

    def close(self) -> None:
        self._connection.close()

    def render_bind_parameter_key(self, bind_parameter_key: str) -> str:
        return f"${bind_parameter_key}"


def semantic_manifest(target_path: Path):
    return parse_manifest_from_dbt_generated_manifest((target_path / "semantic_manifest.json").read_text())


def metricflow_engine(target_path: Path, connection: duckdb.DuckDBPyConnection) -> MetricFlowEngine:
    lookup = SemanticManifestLookup(semantic_manifest(target_path))
    return MetricFlowEngine(semantic_manifest_lookup=lookup, sql_client=DuckDbClient(connection))


def metric_frame(engine: MetricFlowEngine, **request) -> pd.DataFrame:
    """One MetricFlow query (metric_names + group_by_names, or saved_query_name) as a frame."""
    result = engine.query(MetricFlowQueryRequest.create(**request))
    table = result.result_df
    return pd.DataFrame([list(row) for row in table.rows], columns=list(table.column_names))
